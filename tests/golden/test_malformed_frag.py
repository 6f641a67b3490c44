# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests, malformed input: odd IP fragments. The LB does not reassemble
and does not look past a fragment's IP (and IPv6 fragment) header: every
fragment of a VIP's traffic, first, middle or last, tiny, empty, overlapping
or past 64 KiB, is tunnelled by the hash of its addresses and protocol
(tx+frag), all of one datagram to one real, which reassembles or drops them.
A fragment of a protocol the address has no VIP for, or to another address,
passes. Broken IP headers are dropped as for any packet (ip4_malformed,
ip6_malformed); a cut IPv6 fragment header to a VIP is l4_malformed.
table() holds every case.
"""
import struct

import goldenlib as G
import test_malformed_hdr as H
from goldenlib import P

CFG = P.config([
    P.vip(P.VIP4, "udp", 0, [P.real4(1), P.real4(2), P.real4(3)], encap="gue"),
    P.vip(P.VIP4, "tcp", 80, [P.real4(4), P.real4(5), P.real4(6)]),  # no port 0: the alias
    P.vip(P.VIP6, "udp", 0, [P.real6(1), P.real6(2), P.real6(3)], encap="gue"),
    P.vip(P.VIP6, "tcp", 443, [P.real6(4), P.real6(5), P.real4(6)]),
])

C4, C6 = P.client4(7), P.client6(7)
UDP, TCP, ICMP, ICMP6, GRE = 17, 6, 1, 58, 47


def l4_head(proto, six):
    """The first bytes of the datagram: a UDP or TCP header (ports 1234 -> 53 / 80 / 443)."""
    if proto == UDP:
        return struct.pack("!HHHH", 1234, 53, 1208, 0)
    return struct.pack("!HHIIBBHHH", 1234, 443 if six else 80, 1, 0, 0x50, 0x18, 512, 0, 0)


def frag4(dst, off, mf, payload, proto=UDP, df=False, ident=0x4444, options=b"", vlan=None):
    """An IPv4 fragment: offset off (8-byte units), MF flag mf, the given payload bytes."""
    flags = (2 if df else 0) | (1 if mf else 0)
    opts = [P.IPOption(options)] if options else []
    ip = P.IP(src=C4, dst=dst, id=ident, flags=flags, frag=off, proto=proto, options=opts)
    return bytes(P.l2(vlan) / ip / P.Raw(payload))


def frag6(dst, off, m, payload, nh=UDP, exts=(), ident=0x66666666, vlan=None):
    """An IPv6 fragment: extension headers exts, then the fragment header, then payload."""
    fh = (P.FRAGMENT, {"frag_off": off, "m": m, "ident": ident})
    return P.frame_of(P.ip6_with_exts(C6, dst, list(exts) + [fh], nh, payload), vlan)


def set_bytes(frame, at, value):
    b = bytearray(frame)
    b[at:at + len(value)] = value
    return bytes(b)


def table():
    """[(name, frame, outcome)]: every fragment case of this module."""
    rows = []
    for to_vip, dst4, dst6 in ((True, P.VIP4, P.VIP6), (False, P.NOT_VIP4, P.NOT_VIP6)):
        who = "to VIP" if to_vip else "to non-VIP"
        ours = H.vip_or(to_vip, "tx+frag")
        for proto in (UDP, TCP):
            p = "UDP" if proto == UDP else "TCP"
            h4, h6 = l4_head(proto, False), l4_head(proto, True)
            for name, frame, outcome in [
                ("IPv4 first fragment", frag4(dst4, 0, 1, h4 + b"a" * 64, proto), ours),
                ("IPv4 middle fragment", frag4(dst4, 9, 1, b"b" * 72, proto), ours),
                ("IPv4 last fragment", frag4(dst4, 18, 0, b"c" * 11, proto), ours),
                ("IPv4 first fragment, 8 bytes (ports only)", frag4(dst4, 0, 1, h4[:8], proto),
                 ours),
                ("IPv4 first fragment, 4 bytes (tiny: ports cut)", frag4(dst4, 0, 1, h4[:4], proto),
                 ours),
                ("IPv4 first fragment, no payload", frag4(dst4, 0, 1, b"", proto), ours),
                ("IPv4 last fragment, no payload", frag4(dst4, 18, 0, b"", proto), ours),
                ("IPv4 offset 1 over the first's L4 header (RFC 1858)",
                 frag4(dst4, 1, 1, b"d" * 16, proto), ours),
                ("IPv4 fragment overlapping the middle", frag4(dst4, 5, 1, b"e" * 64, proto), ours),
                ("IPv4 duplicate of the middle fragment", frag4(dst4, 9, 1, b"b" * 72, proto), ours),
                ("IPv4 last fragment ending past 64 KiB", frag4(dst4, 8191, 0, b"f" * 64, proto),
                 ours),
                ("IPv4 DF and MF both set", frag4(dst4, 0, 1, h4 + b"g" * 8, proto, df=True), ours),
                ("IPv4 fragment with an IP option",
                 frag4(dst4, 9, 1, b"h" * 8, proto, options=b"\x01\x01\x01\x00"), ours),
                ("IPv4 fragment in an 802.1Q tag", frag4(dst4, 9, 1, b"i" * 8, proto, vlan=9), ours),
                ("IPv6 first fragment", frag6(dst6, 0, 1, h6 + b"a" * 64, proto), ours),
                ("IPv6 middle fragment", frag6(dst6, 9, 1, b"b" * 72, proto), ours),
                ("IPv6 last fragment", frag6(dst6, 18, 0, b"c" * 11, proto), ours),
                ("IPv6 first fragment, 4 bytes (tiny: ports cut)", frag6(dst6, 0, 1, h6[:4], proto),
                 ours),
                ("IPv6 first fragment, no payload", frag6(dst6, 0, 1, b"", proto), ours),
                ("IPv6 last fragment, no payload", frag6(dst6, 18, 0, b"", proto), ours),
                ("IPv6 offset 1 over the first's L4 header", frag6(dst6, 1, 1, b"d" * 16, proto),
                 ours),
                ("IPv6 duplicate of the middle fragment", frag6(dst6, 9, 1, b"b" * 72, proto), ours),
                ("IPv6 last fragment ending past 64 KiB", frag6(dst6, 8191, 0, b"f" * 64, proto),
                 ours),
                ("IPv6 fragment after hop-by-hop and destination options",
                 frag6(dst6, 9, 1, b"j" * 8, proto, exts=[(P.HOPOPTS, 0), (P.DSTOPTS, 1)]), ours),
                ("IPv6 fragment in an 802.1Q tag", frag6(dst6, 9, 1, b"i" * 8, proto, vlan=9), ours),
                ("IPv6 fragment header's reserved bits set",
                 set_bytes(frag6(dst6, 9, 1, b"k" * 8, proto), 54 + 1, b"\xff"), ours),
                ("IPv6 fragment header with its 2 reserved flag bits set",
                 set_bytes(frag6(dst6, 9, 1, b"k" * 8, proto), 54 + 3, bytes([(9 << 3 | 1) & 0xFF
                                                                            | 0x06])), ours),
            ]:
                rows.append(("%s %s %s" % (name, p, who), frame, outcome))
        rows += [
            # The datagram's first bytes are never read: an IPv6 fragment header naming
            # an extension header goes by the address's designated VIP.
            ("IPv6 middle fragment, next header destination options %s" % who,
             frag6(dst6, 9, 1, b"l" * 8, nh=P.DSTOPTS), ours),
            ("IPv6 middle fragment, next header fragment %s" % who,
             frag6(dst6, 9, 1, b"l" * 8, nh=P.FRAGMENT), ours),
            ("IPv6 fragment then a second fragment header %s" % who,
             P.frame_of(P.ip6_with_exts(C6, dst6, [(P.FRAGMENT, {"frag_off": 9, "m": 1}),
                                                   (P.FRAGMENT, {"frag_off": 3, "m": 1})], UDP,
                                         b"m" * 8)), ours),
            # Protocols without a VIP on the address pass, fragments or not.
            ("IPv4 ICMP fragment (fragmented echo request) %s" % who,
             frag4(dst4, 0, 1, bytes(P.ICMP(type=8)) + b"n" * 64, ICMP), "pass"),
            ("IPv4 GRE fragment %s" % who, frag4(dst4, 9, 0, b"o" * 8, GRE), "pass"),
            ("IPv6 ICMPv6 fragment %s" % who, frag6(dst6, 0, 1, b"\x80\0\0\0" + b"n" * 64, ICMP6),
             "pass"),
            ("IPv6 GRE fragment %s" % who, frag6(dst6, 9, 0, b"o" * 8, GRE), "pass"),
            # An atomic fragment (offset 0, no M) is a whole packet: a flow, ports read.
            ("IPv6 atomic fragment, UDP %s" % who,
             frag6(dst6, 0, 0, l4_head(UDP, True) + b"p" * 8), H.vip_or(to_vip, "tx")),
            ("IPv6 atomic fragment, UDP header cut %s" % who,
             frag6(dst6, 0, 0, l4_head(UDP, True)[:6]), H.vip_or(to_vip, "l4_malformed")),
            # Broken headers, fragment or not.
            ("IPv4 fragment with total length past the frame %s" % who,
             set_bytes(frag4(dst4, 9, 1, b"q" * 8), 14 + 2, b"\x00\x40"), "ip4_malformed"),
            ("IPv4 fragment with IHL 4 %s" % who,
             set_bytes(frag4(dst4, 9, 1, b"q" * 8), 14, b"\x44"), "ip4_malformed"),
            ("IPv6 fragment with payload length past the frame %s" % who,
             set_bytes(frag6(dst6, 9, 1, b"q" * 8), 18, b"\x00\x40"), "ip6_malformed"),
            ("IPv6 fragment header cut at 7 bytes %s" % who,
             P.frame_of(bytes(P.IPv6(src=C6, dst=dst6, nh=P.FRAGMENT, plen=7)) +
                        b"\x11\x00\x00\x49\x00\x00\x00"), H.vip_or(to_vip, "l4_malformed")),
        ]
    return rows


class FragmentTest(H.MalformedCase):

    def test_fragments(self):
        self.assertOutcomes(CFG, table(), "odd fragments")

    def test_one_real_per_address_pair_and_protocol(self):
        """Every fragment tunnelled goes untouched, by addresses and protocol: one real for each."""
        cases = [(name, f) for name, f, outcome in table() if outcome == "tx+frag"]
        r = self.replay(CFG, [f for _, f in cases])
        self.assertEqual(r.counters["frag"], len(cases), "every fragment tunnelled")
        reals = {}
        for (name, fin), fout in zip(cases, r.out):
            ip = P.ip_bytes(fin)
            key = (ip[8:40], fragment_next_header(ip)) if ip[0] >> 4 == 6 else (ip[12:20], ip[9])
            reals.setdefault(key, set()).add(G.real_of(fout))
            self.assertEqual(G.Encap(fout).inner, ip, "%s: tunnelled untouched" % name)
        for (_, proto), got in reals.items():
            self.assertEqual(len(got), 1, "fragments of protocol %d to one real: %s" % (proto, got))


def fragment_next_header(ip6):
    """The next header named by the first fragment header of an IPv6 packet."""
    nh, off = ip6[6], 40
    while nh != P.FRAGMENT:
        nh, off = ip6[off], off + (ip6[off + 1] + 1) * 8
    return ip6[off]


if __name__ == "__main__":
    G.main()
