# SPDX-License-Identifier: BSD-3-Clause
"""pcap_flows.py [--time] FILE [GUE_PORT]: one line per IP packet of an Ethernet pcap:

    [TIME] OUTER_DST SRC SPORT DST DPORT TCP_FLAGS

with the tunnel the LB puts on taken off (IPIP, IP6IP6, 4in6, 6in4 and GUE
variant 1 to GUE_PORT, default 6080): OUTER_DST is the tunnel's destination
(the real), "-" for a packet not in a tunnel. TCP_FLAGS: letters of
F S R P A (e.g. "SA"), "." for none, "-" when not TCP; ports 0 when not TCP or
UDP. With --time, each line starts with the capture time (seconds since the
epoch, to the microsecond). Frames that are not IP are left out. Used by tests/e2e/test_fault_*.sh
(topology.sh: pcap_flows); plain Python, no scapy.
"""
import ipaddress
import struct
import sys


def records(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("not a pcap file (pcapng is not read)")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if struct.unpack(end + "I", data[20:24])[0] != 1:
        sys.exit("not an Ethernet capture")
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen = struct.unpack(end + "III", data[off:off + 12])
        if off + 16 + caplen > len(data):
            break  # cut short (a capture still being written)
        yield sec + frac / (1e9 if nano else 1e6), data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip(pkt):
    """(src, dst, proto, payload) of an IPv4 or IPv6 packet, or None."""
    if len(pkt) < 20:
        return None
    if pkt[0] >> 4 == 4:
        ihl = (pkt[0] & 0xF) * 4
        return (str(ipaddress.IPv4Address(pkt[12:16])), str(ipaddress.IPv4Address(pkt[16:20])),
                pkt[9], pkt[ihl:])
    if pkt[0] >> 4 == 6 and len(pkt) >= 40:
        return (str(ipaddress.IPv6Address(pkt[8:24])), str(ipaddress.IPv6Address(pkt[24:40])),
                pkt[6], pkt[40:])
    return None


def flags(b):
    s = "".join(c for c, bit in zip("FSRPA", (1, 2, 4, 8, 16)) if b & bit)
    return s or "."


def main():
    args = sys.argv[1:]
    with_time = bool(args) and args[0] == "--time"
    if with_time:
        args = args[1:]
    gue_port = int(args[1]) if len(args) > 1 else 6080
    with open(args[0], "rb") as f:
        data = f.read()
    out = []
    for ts, frame in records(data):
        off = 14
        et = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else 0
        while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
            et = struct.unpack("!H", frame[off + 2:off + 4])[0]
            off += 4
        if et not in (0x0800, 0x86DD):
            continue
        p = ip(frame[off:])
        if p is None:
            continue
        outer = "-"
        src, dst, proto, l4 = p
        inner = None
        if proto in (4, 41):
            inner = ip(l4)
        elif proto == 17 and len(l4) >= 8 and struct.unpack("!H", l4[2:4])[0] == gue_port:
            inner = ip(l4[8:])
        if inner is not None:
            outer = dst
            src, dst, proto, l4 = inner
        sport = dport = 0
        fl = "-"
        if proto in (6, 17) and len(l4) >= 4:
            sport, dport = struct.unpack("!HH", l4[:4])
        if proto == 6 and len(l4) >= 14:
            fl = flags(l4[13])
        line = f"{outer} {src} {sport} {dst} {dport} {fl}"
        out.append(f"{ts:.6f} {line}" if with_time else line)
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
