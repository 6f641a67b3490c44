# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests, malformed input: every packet of bases() cut at every byte
offset. Each cut packet must get exactly one defined outcome (never a crash);
expected() is the table, by rule:

  - frame cut (IP length fields left as they were):
      shorter than Ethernet (+VLAN)   -> drop eth_trunc
      otherwise                       -> drop ip4_malformed / ip6_malformed
  - IP packet cut inside its L4 part, IP length fields fixed to match:
      L4 header (or ICMP quote, IPv6 extension or fragment headers) incomplete
                                      -> drop l4_malformed to a VIP address,
                                         pass to any other address
      complete                        -> the whole packet's outcome: tx (a
                                         flow, an echo reply, an ICMP error
                                         forwarded, a fragment) to a VIP,
                                         pass otherwise
    An IPv4 fragment needs no L4 bytes at all: its ports are never read.
"""
import struct

import goldenlib as G
import test_malformed_hdr as H
from goldenlib import P
from scapy.all import checksum

CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(2)]),
    P.vip(P.VIP4, "udp", 53, [P.real4(1), P.real4(2)], encap="gue"),
    P.vip(P.VIP6, "tcp", 80, [P.real6(1), P.real4(2)]),
    P.vip(P.VIP6, "udp", 53, [P.real6(1), P.real6(2)], encap="gue"),
])

OPTS = b"\x02\x04\x05\xb4\x01\x01" + struct.pack("!BBI", 0xB7, 6, 7)  # MSS NOP NOP id: doff 8


def router(dst):
    return "2001:db8:50::1" if P.is6(dst) else "198.18.50.1"


# What a whole packet of each kind becomes when sent to a VIP (the TCP packets
# carry server_id 7, which CFG does not know: sid_miss).
OUTCOME = {"tcp": "tx+sid_miss", "udp": "tx", "echo": "tx+icmp_echo", "error": "tx+icmp_err_fwd",
           "ext": "tx+sid_miss", "ipopt": "tx+sid_miss", "frag": "tx+frag"}


def l4_layers(kind, dst, vlan):
    """(frame, bytes after the IP header that must be present for the packet to be whole)."""
    six = P.is6(dst)
    c = P.client6(1) if six else P.client4(1)
    ip = P.IPv6(src=c, dst=dst) if six else P.IP(src=c, dst=dst, flags="DF")
    if kind == "tcp":
        l4 = P.TCP(sport=1234, dport=80, flags="A", dataofs=8) / P.Raw(OPTS) / b"data-bytes"
        return P.l2(vlan) / ip / l4, 32
    if kind == "ipopt":  # IPv4 with 12 bytes of options (router alert, NOPs): IHL 8
        ip = P.IP(src=c, dst=dst, flags="DF", options=[P.IPOption(b"\x94\x04\x00\x00" +
                                                                   b"\x01" * 7 + b"\x00")])
        l4 = P.TCP(sport=1234, dport=80, flags="A", dataofs=8) / P.Raw(OPTS) / b"data"
        return P.l2(vlan) / ip / l4, 32
    if kind == "frag":  # the first fragment of a UDP datagram
        udp = bytes(ip / P.UDP(sport=1234, dport=53, len=1208) / (b"u" * 24))[40 if six else 20:]
        if six:  # the fragment header must be whole; the ports are never read
            ip6 = P.ip6_with_exts(c, dst, [(P.FRAGMENT, {"m": 1, "ident": 7})], 17, udp)
            return P.frame_of(ip6, vlan), 8
        return P.l2(vlan) / P.IP(src=c, dst=dst, flags="MF", id=7, proto=17) / P.Raw(udp), 0
    if kind == "udp":
        return P.l2(vlan) / ip / P.UDP(sport=1234, dport=53) / b"udp-data", 8
    if kind == "echo":
        icmp = P.ICMPv6EchoRequest(id=1, seq=2, data=b"echo-dat") if six else \
            P.ICMP(type=8, id=1, seq=2) / b"echo-dat"
        return P.l2(vlan) / ip / icmp, 8
    if kind == "error":
        # A router's error about the VIP's reply to the client (quote: IP + 8 bytes of TCP).
        qip = P.IPv6(src=dst, dst=c) if six else P.IP(src=dst, dst=c)
        quote = bytes(qip / P.TCP(sport=80, dport=1234, flags="A"))[:(40 if six else 20) + 8]
        eip = P.IPv6(src=router(dst), dst=dst) if six else P.IP(src=router(dst), dst=dst)
        icmp = P.ICMPv6DestUnreach(code=3) if six else P.ICMP(type=3, code=1)
        return P.l2(vlan) / eip / icmp / P.Raw(quote), 8 + (40 if six else 20) + 4
    if kind == "ext":  # IPv6: hop-by-hop (8) + destination options (16) + TCP
        tcp = P.tcp_bytes(c, dst, 1234, 80, "A", OPTS, b"data")
        ip6 = P.ip6_with_exts(c, dst, [(P.HOPOPTS, 0), (P.DSTOPTS, 1)], 6, tcp)
        return P.frame_of(ip6, vlan), 8 + 16 + 32
    raise ValueError(kind)


def bases():
    """(name, frame bytes, needed L4 bytes, outcome when whole) for every base packet."""
    out = []
    for fam, vip_addr, other in (("v4", P.VIP4, P.NOT_VIP4), ("v6", P.VIP6, P.NOT_VIP6)):
        kinds = ["tcp", "udp", "echo", "error", "frag"] + (["ext"] if fam == "v6" else ["ipopt"])
        for kind in kinds:
            for vlan in (None, 5):
                for to_vip, dst in ((True, vip_addr), (False, other)):
                    frame, need = l4_layers(kind, dst, vlan)
                    name = "%s %s%s to %s" % (fam, kind, " vlan" if vlan else "",
                                              "VIP" if to_vip else "non-VIP")
                    out.append((name, bytes(frame), need, OUTCOME[kind] if to_vip else "pass"))
    return out


def ip_header_len(ip):
    return 40 if ip[0] >> 4 == 6 else (ip[0] & 0xF) * 4


def cut_ip(frame, l4_keep):
    """The frame with its IP packet cut to l4_keep bytes after the IP header, lengths fixed."""
    l2 = P.l2_len(frame)
    ip = bytearray(P.ip_bytes(frame))
    hl = ip_header_len(ip)
    ip = ip[:hl + l4_keep]
    if ip[0] >> 4 == 6:
        ip[4:6] = struct.pack("!H", l4_keep)
    else:
        ip[2:4] = struct.pack("!H", hl + l4_keep)
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", checksum(bytes(ip[:hl])))
    return frame[:l2] + bytes(ip)


def frame_cuts():
    """[(name, frame, outcome)]: every base frame cut at every byte, IP lengths untouched."""
    cases = []
    for name, frame, _, whole in bases():
        l2 = P.l2_len(frame)
        six = P.ip_bytes(frame)[0] >> 4 == 6
        for n in range(len(frame)):
            outcome = "eth_trunc" if n < l2 else ("ip6_malformed" if six else "ip4_malformed")
            cases.append(("%s cut to %d of %d bytes" % (name, n, len(frame)), frame[:n], outcome))
        cases.append(("%s whole" % name, frame, whole))
    return cases


def l4_cuts(pad):
    """[(name, frame, outcome)]: every base IP packet cut after its IP header, lengths fixed."""
    cases = []
    for name, frame, need, whole in bases():
        ip = P.ip_bytes(frame)
        l4_len = len(ip) - ip_header_len(ip)
        for k in range(l4_len + 1):
            if k >= need:
                outcome = whole
            else:
                outcome = "pass" if whole == "pass" else "l4_malformed"
            cases.append(("%s, IP packet cut to %d of %d L4 bytes%s" % (
                name, k, l4_len, " + %d bytes padding" % pad if pad else ""),
                cut_ip(frame, k) + b"\0" * pad, outcome))
    return cases


class TruncationTest(H.MalformedCase):

    def test_frame_cut_at_every_byte(self):
        self.assertOutcomes(CFG, frame_cuts(), "frames cut at every byte")

    def test_l4_cut_at_every_byte(self):
        self.assertOutcomes(CFG, l4_cuts(0), "L4 cut at every byte, IP lengths fixed")

    def test_l4_cut_at_every_byte_with_ethernet_padding(self):
        """As above, but the frame carries 32 zero bytes after the IP packet (Ethernet padding)."""
        self.assertOutcomes(CFG, l4_cuts(32), "L4 cut at every byte, padded frames")


if __name__ == "__main__":
    G.main()
