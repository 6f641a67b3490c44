# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: jumbo frames (longer than 1514 bytes) against the configured
MTU. The rule (core/include/shoal/encap.h, icmp.h) looks at the IP packet's
own length, not the frame's: when IP length + tunnel overhead (20 IPv4 outer,
40 IPv6 outer, +8 GUE) > lb.mtu, IPv4 with DF and all IPv6 get a too-big error
back (tx+icmp_too_big), IPv4 without DF is dropped (too_big); else the packet
is tunnelled whole (tx). Echo requests are answered whatever their size.

The XDP program is not multi-buffer (no xdp.frags): BPF_PROG_TEST_RUN takes
frames of 14..3520 bytes, so the differential test (tests/diff) compares the
frames up to 3520 bytes on both backends; the bigger ones (3521 bytes up to
65535) are checked here, on the userspace backend only. table() holds every
case with its outcome at mtu 1500 and at mtu 9000.
"""
import functools
import struct

import goldenlib as G
import test_malformed_hdr as H
from goldenlib import P

# (vip, protocol, port, encap, real, tunnel overhead)
TUNNELS = [
    (P.VIP4, "tcp", 80, "ipip", P.real4(1), 20),
    (P.VIP4, "tcp", 81, "ipip", P.real6(1), 40),
    (P.VIP4, "udp", 0, "gue", P.real6(2), 48),
    (P.VIP6, "tcp", 80, "ipip", P.real6(3), 40),
    (P.VIP6, "udp", 0, "gue", P.real4(4), 28),
]


def cfg(mtu):
    return P.config([P.vip(v, proto, port, [real], encap=enc)
                     for v, proto, port, enc, real, _ in TUNNELS], mtu=mtu)


def sized(frame_len, vip, proto, port, i, df=True, vlan=None, dst=None):
    """A TCP or UDP frame of exactly frame_len bytes to vip:port (client port 10000 + i)."""
    six = P.is6(vip)
    c = P.client6(1) if six else P.client4(1)
    hdrs = 14 + (4 if vlan else 0) + (40 if six else 20) + (20 if proto == "tcp" else 8)
    body = bytes((k * 7 + i) & 0xFF for k in range(frame_len - hdrs))
    if proto == "tcp":
        f = P.tcp_frame(c, dst or vip, 10000 + i, port, "PA", payload=body, df=df, vlan=vlan)
    else:
        f = P.udp_frame(c, dst or vip, 10000 + i, port or 4000, payload=body, df=df, vlan=vlan)
    f = bytes(f)
    assert len(f) == frame_len, "test bug: %d bytes, not %d" % (len(f), frame_len)
    return f


def echo(frame_len, six, i):
    c, vip = (P.client6(1), P.VIP6) if six else (P.client4(1), P.VIP4)
    f = bytes(P.echo_frame(c, vip, ident=i, payload=b"e" * (frame_len - (62 if six else 42))))
    assert len(f) == frame_len, "test bug: echo of %d bytes" % len(f)
    return f


def jumbogram(frame_len, dst, i):
    """IPv6 with payload length 0 and a Jumbo Payload hop-by-hop option (RFC 2675)."""
    tcp = P.tcp_bytes(P.client6(1), dst, 10000 + i, 80, "PA",
                      payload=b"j" * (frame_len - 14 - 48 - 20))
    hbh = bytes([6, 0, 0xC2, 4]) + struct.pack("!I", 8 + len(tcp))
    ip = bytes(P.IPv6(src=P.client6(1), dst=dst, nh=P.HOPOPTS, plen=0, hlim=61))
    return P.frame_of(ip + hbh + tcp)


def too_big(l3_len, ovh, mtu, v6, df=True):
    """The rule: the outcome of an IP packet of l3_len bytes through a tunnel of overhead ovh."""
    if l3_len + ovh <= mtu:
        return "tx"
    return "tx+icmp_too_big" if v6 or df else "too_big"


# Frame sizes: up to 3520 both backends run them; past it, userspace only.
SIZES = [1515, 1518, 1519, 1522, 2048, 3000, 3519, 3520, 3521, 4096, 9000, 9014, 9018, 9216,
         16384, 65535]


@functools.lru_cache(maxsize=1)
def table():
    """[(name, frame, outcome at mtu 1500, outcome at mtu 9000)]."""
    rows, i = [], 0
    for vip, proto, port, enc, real, ovh in TUNNELS:
        six = P.is6(vip)
        # Plus the boundary of mtu 9000: the IP packet fits exactly, and one byte more.
        for size in SIZES + [14 + 9000 - ovh, 15 + 9000 - ovh]:
            for df, vlan in ((True, None), (True, 7)) + (((False, None),) if not six else ()):
                i += 1
                f = sized(size, vip, proto, port, i, df=df, vlan=vlan)
                l3 = size - 14 - (4 if vlan else 0)
                name = "%d-byte %s %s to %s:%d (%s to %s)%s%s" % (
                    size, "IPv6" if six else "IPv4", proto.upper(), vip, port, enc, real,
                    "" if df else " no DF", " VLAN" if vlan else "")
                rows.append((name, f, too_big(l3, ovh, 1500, six, df),
                             too_big(l3, ovh, 9000, six, df)))
    for size in (1515, 3520, 9000, 65535):
        for six in (False, True):
            i += 1
            rows.append(("%d-byte %s echo request" % (size, "IPv6" if six else "IPv4"),
                         echo(size, six, i), "tx+icmp_echo", "tx+icmp_echo"))
            i += 1
            rows.append(("%d-byte %s TCP to a non-VIP" % (size, "IPv6" if six else "IPv4"),
                         sized(size, P.VIP6 if six else P.VIP4, "tcp", 80, i,
                               dst=P.NOT_VIP6 if six else P.NOT_VIP4), "pass", "pass"))
    for size in (3000, 9100):
        for dst, outcome in ((P.VIP6, "l4_malformed"), (P.NOT_VIP6, "pass")):
            i += 1
            rows.append(("%d-byte IPv6 jumbogram (payload length 0, Jumbo Payload option) to %s"
                         % (size, dst), jumbogram(size, dst, i), outcome, outcome))
    # The IP packet's length counts, not the frame's: padding after it is not sent.
    i += 1
    rows.append(("3520-byte frame holding a 1400-byte IPv4 packet",
                 sized(1414, P.VIP4, "tcp", 80, i) + b"\0" * 2106, "tx", "tx"))
    i += 1
    rows.append(("9000-byte frame holding a 1440-byte IPv6 packet",
                 sized(1454, P.VIP6, "tcp", 80, i) + b"\0" * 7546, "tx", "tx"))
    i += 1
    lying = bytearray(sized(3520, P.VIP4, "tcp", 80, i))
    lying[16:18] = struct.pack("!H", 9000)
    rows.append(("3520-byte frame, IPv4 total length 9000", bytes(lying), "ip4_malformed",
                 "ip4_malformed"))
    # Fragments (of UDP: GUE to real6(2), overhead 48, or to real4(4), 28). At mtu 1500,
    # IPv4 without DF is dropped, IPv4 with DF and IPv6 get a too-big error.
    for size, v4, v4_df, v6 in ((3000, "tx+frag", "tx+frag", "tx+frag"),
                                (9100, "too_big", "tx+icmp_too_big", "tx+icmp_too_big")):
        i += 1
        for df, at_1500, at_9000 in ((False, "too_big", v4), (True, "tx+icmp_too_big", v4_df)):
            f4 = P.l2() / P.IP(src=P.client4(1), dst=P.VIP4, flags="MF+DF" if df else "MF", id=i,
                               proto=17) / P.Raw(b"F" * (size - 34))
            rows.append(("%d-byte IPv4 UDP fragment%s" % (size, " with DF" if df else ""),
                         bytes(f4), at_1500, at_9000))
        f6 = P.frame_of(P.ip6_with_exts(P.client6(1), P.VIP6, [(P.FRAGMENT, {"m": 1, "ident": i})],
                                        17, b"G" * (size - 62)))
        rows.append(("%d-byte IPv6 UDP fragment" % size, f6, "tx+icmp_too_big", v6))
    return rows


class JumboTest(H.MalformedCase):

    def test_mtu_1500(self):
        self.assertOutcomes(cfg(1500), [(n, f, o) for n, f, o, _ in table()], "mtu 1500")

    def test_mtu_9000(self):
        self.assertOutcomes(cfg(9000), [(n, f, o) for n, f, _, o in table()], "mtu 9000")

    def test_tunnelled_whole(self):
        """At mtu 9000 the jumbo packets that fit go whole: inner bytes = the IP packet."""
        cases = [(n, f) for n, f, _, o in table() if o in ("tx", "tx+frag")]
        r = self.replay(cfg(9000), [f for _, f in cases])
        self.assertEqual(len(r.out), len(cases), "every packet that fits is tunnelled")
        for (name, fin), fout in zip(cases, r.out):
            o = G.Encap(fout)
            self.assertEqual(o.inner, P.ip_bytes(fin), "%s: inner packet whole" % name)
            self.assertLessEqual(o.ip_len, 9000, "%s: outer packet within the mtu" % name)

    def test_too_big_errors(self):
        """At mtu 1500 each too-big error advertises mtu - overhead and quotes at most 548/1232."""
        cases = [(n, f) for n, f, o, _ in table() if o == "tx+icmp_too_big"]
        r = self.replay(cfg(1500), [f for _, f in cases])
        self.assertEqual(len(r.out), len(cases), "an error for each")
        ovh_of = {(vip, port): ovh for vip, _, port, _, _, ovh in TUNNELS}
        for (name, fin), fout in zip(cases, r.out):
            ip_in, ip_out = P.ip_bytes(fin), P.ip_bytes(fout)
            six = ip_in[0] >> 4 == 6
            if (ip_in[6] if six else ip_in[9]) == 6:
                l4 = ip_in[40:] if six else ip_in[(ip_in[0] & 0xF) * 4:]
                port = int.from_bytes(l4[2:4], "big")
            else:  # UDP, or a fragment of UDP: the port-0 VIP
                port = 0
            ovh = ovh_of[(P.VIP6 if six else P.VIP4, port)]
            if six:
                self.assertEqual(ip_out[40], 2, "%s: ICMPv6 packet too big" % name)
                self.assertEqual(int.from_bytes(ip_out[44:48], "big"), 1500 - ovh, "%s: mtu" % name)
                self.assertEqual(ip_out[48:], ip_in[:1232], "%s: quote" % name)
            else:
                self.assertEqual((ip_out[20], ip_out[21]), (3, 4), "%s: fragmentation needed" % name)
                self.assertEqual(int.from_bytes(ip_out[26:28], "big"), 1500 - ovh, "%s: mtu" % name)
                self.assertEqual(ip_out[28:], ip_in[:548], "%s: quote" % name)


if __name__ == "__main__":
    G.main()
