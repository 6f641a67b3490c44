# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: packets too big to tunnel. When inner L3 length + encap overhead
(20 IPv4 outer, 40 IPv6 outer, +8 for GUE) > lb.mtu: IPv4 with DF -> ICMP
fragmentation needed (3/4) back to the client from the VIP, next-hop MTU =
mtu - overhead, quoting up to 548 bytes; IPv4 without DF -> drop too_big;
IPv6 -> ICMPv6 packet too big (2) quoting up to 1232 bytes.
"""
import goldenlib as G
from goldenlib import P

# (vip, port, encap, real, overhead)
TUNNELS = [
    (P.VIP4, 80, "ipip", P.real4(1), 20),
    (P.VIP4, 81, "ipip", P.real6(1), 40),
    (P.VIP4, 82, "gue", P.real4(2), 28),
    (P.VIP4, 83, "gue", P.real6(2), 48),
    (P.VIP6, 80, "ipip", P.real6(3), 40),
    (P.VIP6, 81, "ipip", P.real4(3), 20),
    (P.VIP6, 82, "gue", P.real6(4), 48),
    (P.VIP6, 83, "gue", P.real4(4), 28),
]
UDP_VIPS = [P.vip(P.VIP4, "udp", 0, [P.real4(5)]), P.vip(P.VIP6, "udp", 0, [P.real6(5)])]


def cfg(mtu):
    vips = [P.vip(v, "tcp", port, [real], encap=enc) for v, port, enc, real, _ in TUNNELS]
    return P.config(vips + UDP_VIPS, mtu=mtu)


def tcp_of_len(vip_addr, port, l3_len, i=0, df=True, vlan=None):
    """A TCP packet of exactly l3_len bytes of IP to the VIP."""
    six = P.is6(vip_addr)
    c = P.client6(i) if six else P.client4(i)
    pay = l3_len - (60 if six else 40)
    body = bytes((k * 7 + i) & 0xFF for k in range(pay))
    f = bytes(P.tcp_frame(c, vip_addr, 33000 + i, port, "PA", payload=body, df=df, vlan=vlan,
                          tos=0x10))
    assert len(P.ip_bytes(f)) == l3_len, "test bug: length"
    return f


def udp_of_len(vip_addr, l3_len, i=0, df=True):
    six = P.is6(vip_addr)
    c = P.client6(i) if six else P.client4(i)
    pay = l3_len - (48 if six else 28)
    return bytes(P.udp_frame(c, vip_addr, 33000 + i, 4000, payload=b"u" * pay, df=df))


class TooBigTest(G.GoldenCase):

    def check_frag_needed(self, fin, fout, mtu_adv, what):
        """fout is an ICMP fragmentation-needed about fin, field by field."""
        fin, fout = bytes(fin), bytes(fout)
        self.assertL2Reply(fin, fout, "0800", what)
        ip_in = P.ip_bytes(fin)
        quote = ip_in[:548]
        ip_out = P.ip_bytes(fout)
        o, i = P.IP(ip_out), P.IP(ip_in)
        self.assertEqual(len(fout), P.l2_len(fout) + 28 + len(quote), "%s: frame length" % what)
        self.assertEqual((o.version, o.ihl, o.len, o.proto, o.ttl), (4, 5, 28 + len(quote), 1, 64),
                         "%s: IP version, ihl, len, proto, ttl" % what)
        self.assertEqual((o.src, o.dst), (i.dst, i.src), "%s: from the VIP to the client" % what)
        self.assertEqual((o.frag, int(o.flags) & 1), (0, 0), "%s: not a fragment" % what)
        ok, got, want = G.ipv4_header_csum_ok(ip_out)
        self.assertTrue(ok, "%s: IPv4 checksum %#06x, scapy says %#06x" % (what, got, want))
        icmp = ip_out[20:28]
        self.assertEqual((icmp[0], icmp[1]), (3, 4), "%s: type 3 code 4" % what)
        self.assertEqual(icmp[4:6], b"\0\0", "%s: unused field" % what)
        self.assertEqual(int.from_bytes(icmp[6:8], "big"), mtu_adv, "%s: next-hop MTU" % what)
        ok, got, want = G.icmp4_csum_ok(ip_out)
        self.assertTrue(ok, "%s: ICMP checksum %#06x, scapy says %#06x" % (what, got, want))
        self.assertEqual(ip_out[28:], quote, "%s: quote = first %d bytes of the packet"
                         % (what, len(quote)))

    def check_ptb(self, fin, fout, mtu_adv, what):
        """fout is an ICMPv6 packet too big about fin, field by field."""
        fin, fout = bytes(fin), bytes(fout)
        self.assertL2Reply(fin, fout, "86dd", what)
        ip_in = P.ip_bytes(fin)
        quote = ip_in[:1232]
        ip_out = P.ip_bytes(fout)
        o, i = P.IPv6(ip_out[:40]), P.IPv6(ip_in[:40])
        self.assertEqual(len(fout), P.l2_len(fout) + 48 + len(quote), "%s: frame length" % what)
        self.assertEqual((o.version, o.plen, o.nh, o.hlim), (6, 8 + len(quote), 58, 64),
                         "%s: IPv6 version, plen, nh, hlim" % what)
        self.assertEqual((o.src, o.dst), (i.dst, i.src), "%s: from the VIP to the client" % what)
        icmp = ip_out[40:48]
        self.assertEqual((icmp[0], icmp[1]), (2, 0), "%s: type 2 code 0" % what)
        self.assertEqual(int.from_bytes(icmp[4:8], "big"), mtu_adv, "%s: MTU" % what)
        ok, got, want = G.icmp6_csum_ok(ip_out)
        self.assertTrue(ok, "%s: ICMPv6 checksum %#06x, scapy says %#06x" % (what, got, want))
        self.assertEqual(ip_out[48:], quote, "%s: quote = first %d bytes of the packet"
                         % (what, len(quote)))

    def check_boundary(self, mtu, vlan=None):
        for vip_addr, port, encap, real, ovh in TUNNELS:
            limit = mtu - ovh
            what = "mtu %d %s:%d %s to %s (limit %d)" % (mtu, vip_addr, port, encap, real, limit)
            with self.subTest(tunnel=what):
                fits = tcp_of_len(vip_addr, port, limit, vlan=vlan)
                big = tcp_of_len(vip_addr, port, limit + 1, i=1, vlan=vlan)
                r = self.replay(cfg(mtu), [fits, big])
                self.assertCounters(r, {"rx": 2, "tx": 2, "ct_miss": 2, "icmp_too_big": 1}, what)
                self.assertEncap(fits, r.out[0], real, encap, what + ": fits exactly")
                o = G.Encap(r.out[0])
                self.assertEqual(o.ip_len, mtu, what + ": outer packet is exactly the mtu")
                if P.is6(vip_addr):
                    self.check_ptb(big, r.out[1], limit, what + ": one byte too big")
                else:
                    self.check_frag_needed(big, r.out[1], limit, what + ": one byte too big")

    def test_boundary_mtu_1500(self):
        self.check_boundary(1500)

    def test_boundary_mtu_1500_vlan(self):
        self.check_boundary(1500, vlan=42)

    def test_boundary_mtu_9216_jumbo(self):
        self.check_boundary(9216)

    def test_quote_whole_small_packet(self):
        """Packets shorter than the quote limit are quoted whole."""
        f4 = tcp_of_len(P.VIP4, 83, 540)     # mtu 576 - 48 = 528 < 540 < 548
        f6 = tcp_of_len(P.VIP6, 80, 1000)    # mtu 1000 - 40 = 960 < 1000 < 1232
        r = self.replay(cfg(576), [f4])
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1, "icmp_too_big": 1}, "v4 mtu 576")
        self.check_frag_needed(f4, r.out[0], 528, "v4 540 bytes, mtu 576, 4in6 GUE")
        r = self.replay(cfg(1000), [f6])
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1, "icmp_too_big": 1}, "v6 mtu 1000")
        self.check_ptb(f6, r.out[0], 960, "v6 1000 bytes, mtu 1000, ip6ip6")

    def test_quote_limits(self):
        """Big packets: quotes of exactly 548 (IPv4) and 1232 (IPv6) bytes."""
        frames = [tcp_of_len(P.VIP4, 80, 8000), tcp_of_len(P.VIP6, 81, 9000),
                  tcp_of_len(P.VIP6, 82, 1500), udp_of_len(P.VIP6, 1600)]
        r = self.replay(cfg(1500), frames)
        self.assertCounters(r, {"rx": 4, "tx": 4, "ct_miss": 4, "icmp_too_big": 4}, "big packets")
        self.check_frag_needed(frames[0], r.out[0], 1480, "v4 8000 bytes")
        self.check_ptb(frames[1], r.out[1], 1480, "v6 9000 bytes, 6in4")
        self.check_ptb(frames[2], r.out[2], 1452, "v6 1500 bytes, GUE over v6")
        self.check_ptb(frames[3], r.out[3], 1460, "v6 UDP 1600 bytes")

    def test_ipv4_without_df_dropped(self):
        frames = [tcp_of_len(P.VIP4, 80, 1481, df=False), udp_of_len(P.VIP4, 1481, 1, df=False),
                  udp_of_len(P.VIP4, 1480, 2, df=False)]
        r = self.replay(cfg(1500), frames)
        self.assertCounters(r, {"rx": 3, "tx": 1, "ct_miss": 3, "too_big": 2},
                            "IPv4 without DF: dropped when too big, sent when it fits")
        self.assertEncap(frames[2], r.out[0], P.real4(5), "ipip", "IPv4 UDP no DF that fits")

    def test_fragments_too_big(self):
        """IPv4 fragments (no DF) are dropped; IPv6 fragments get packet too big."""
        f4 = P.l2() / P.IP(src=P.client4(1), dst=P.VIP4, flags="MF", id=5, proto=6) / \
            P.Raw(b"a" * 1480)
        f6 = P.l2() / P.IPv6(src=P.client6(1), dst=P.VIP6) / \
            P.IPv6ExtHdrFragment(nh=17, m=1, id=6) / P.Raw(b"b" * 1456)
        r = self.replay(cfg(1500), [bytes(f4), bytes(f6)])
        self.assertCounters(r, {"rx": 2, "tx": 1, "too_big": 1, "icmp_too_big": 1},
                            "fragments too big")
        self.check_ptb(f6, r.out[0], 1460, "IPv6 fragment too big")

    def test_no_error_about_an_error(self):
        """A forwarded ICMP error that does not fit is dropped, not answered."""
        q = bytes(P.IP(src=P.VIP4, dst=P.client4(2)) / P.UDP(sport=4000, dport=5000) / (b"z" * 1500))
        f = P.l2() / P.IP(src="198.18.50.1", dst=P.VIP4) / P.ICMP(type=3, code=4, nexthopmtu=1400) \
            / P.Raw(q[:1460])
        q6 = bytes(P.IPv6(src=P.VIP6, dst=P.client6(2)) / P.UDP(sport=4000, dport=5000) / (b"z" * 1500))
        f6 = P.l2() / P.IPv6(src="2001:db8:50::1", dst=P.VIP6) / P.ICMPv6PacketTooBig(mtu=1400) \
            / P.Raw(q6[:1420])
        r = self.replay(cfg(1500), [bytes(f), bytes(f6)])
        self.assertCounters(r, {"rx": 2, "too_big": 2, "ct_miss": 2}, "too-big ICMP errors")


if __name__ == "__main__":
    G.main()
