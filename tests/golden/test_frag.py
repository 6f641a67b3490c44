# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: IP fragments. Every fragment of a VIP's traffic (IPv4 MF/offset,
IPv6 fragment header) goes to one real chosen by a hash of the addresses and
protocol only (ports 0), counts "frag", and never touches conntrack.
"""
from collections import Counter

import goldenlib as G
from goldenlib import P
from scapy.all import fragment, fragment6

VIP4_DPORT = "198.18.100.3"

CFG = P.config([
    P.vip(P.VIP4, "udp", 0, [P.real4(i) for i in range(1, 5)], encap="gue"),
    P.vip(P.VIP6, "udp", 0, [P.real6(i) for i in range(1, 5)], encap="gue"),
    P.vip(P.VIP4, "tcp", 0, [P.real4(i) for i in range(1, 5)]),
    P.vip(P.VIP6, "tcp", 0, [P.real6(i) for i in range(1, 4)] + [P.real4(9)]),
    # No port-0 VIP: fragments go to the lowest-port VIP of the address and protocol.
    P.vip(P.VIP4_B, "tcp", 443, [P.real4(20)]),
    P.vip(P.VIP4_B, "tcp", 80, [P.real4(21)]),
    P.vip(P.VIP6_B, "tcp", 8443, [P.real6(0x20)]),
    P.vip(P.VIP6_B, "tcp", 8080, [P.real6(0x21)]),
    # Flags that change the ring hash of whole packets do not apply to fragments.
    P.vip(VIP4_DPORT, "udp", 0, [P.real4(i) for i in range(1, 5)], flags=["dport_hash"]),
])


def frags4(src, dst, proto, sport, dport, size=3000, fragsize=1000, ip_id=0x3333):
    l4 = (P.UDP(sport=sport, dport=dport) if proto == "udp"
          else P.TCP(sport=sport, dport=dport, flags="PA"))
    pkt = P.IP(src=src, dst=dst, id=ip_id, flags=0, tos=0x28) / l4 / (b"F" * size)
    return [bytes(P.l2() / f) for f in fragment(pkt, fragsize=fragsize)]


def frags6(src, dst, proto, sport, dport, size=3000, fragsize=1000, ident=0x55667788, ext=None):
    l4 = (P.UDP(sport=sport, dport=dport) if proto == "udp"
          else P.TCP(sport=sport, dport=dport, flags="PA"))
    pkt = P.IPv6(src=src, dst=dst, tc=0x28) / P.IPv6ExtHdrFragment(id=ident)
    if ext is not None:
        pkt = pkt / ext
    pkt = pkt / l4 / (b"G" * size)
    return [bytes(P.l2() / f) for f in fragment6(pkt, fragsize + 48)]


class FragTest(G.GoldenCase):

    def check_one_real(self, frames, encap, what, reals=None):
        r = self.replay(CFG, frames)
        n = len(frames)
        self.assertCounters(r, {"rx": n, "tx": n, "frag": n}, what)
        got = {G.real_of(f) for f in r.out}
        self.assertEqual(len(got), 1, "%s: all fragments to one real, got %s" % (what, got))
        real = got.pop()
        if reals is not None:
            self.assertIn(real, [P.norm(x) for x in reals], "%s: a real of the VIP" % what)
        for k, (fin, fout) in enumerate(zip(frames, r.out)):
            self.assertEncap(fin, fout, real, encap, "%s fragment %d" % (what, k))
        return real

    def test_ipv4_udp_fragments(self):
        frames = frags4(P.client4(1), P.VIP4, "udp", 5000, 53)
        self.assertEqual(len(frames), 4, "test bug: expected 4 fragments")
        self.check_one_real(frames, "gue", "IPv4 UDP datagram in 4 fragments")

    def test_ipv4_tcp_fragments(self):
        frames = frags4(P.client4(2), P.VIP4, "tcp", 5000, 80)
        self.check_one_real(frames, "ipip", "IPv4 TCP segment in fragments")

    def test_ipv6_udp_fragments(self):
        frames = frags6(P.client6(1), P.VIP6, "udp", 5000, 53)
        self.assertGreaterEqual(len(frames), 3, "test bug: expected fragments")
        self.check_one_real(frames, "gue", "IPv6 UDP datagram in fragments")

    def test_ipv6_tcp_fragments(self):
        frames = frags6(P.client6(2), P.VIP6, "tcp", 5000, 80)
        self.check_one_real(frames, "ipip", "IPv6 TCP segment in fragments")

    def test_hash_ignores_ports_and_ids(self):
        """Datagrams of one client to one VIP, any ports and ids: one real for all."""
        frames = []
        for k in range(6):
            frames += frags4(P.client4(3), P.VIP4, "udp", 1000 + 17 * k, 53 + k, ip_id=k + 1)
        self.check_one_real(frames, "gue", "6 IPv4 datagrams, one client")
        frames = []
        for k in range(6):
            frames += frags6(P.client6(3), P.VIP6, "udp", 1000 + 17 * k, 53 + k, ident=k + 1)
        self.check_one_real(frames, "gue", "6 IPv6 datagrams, one client")

    def test_fragments_interleaved_with_flows(self):
        """Fragments in between the flow's own packets: conntrack is neither read nor written."""
        c = P.client4(4)
        fr = frags4(c, P.VIP4, "udp", 7777, 53)
        frames = [bytes(P.udp_frame(c, P.VIP4, 7777, 53))] + fr + [bytes(P.udp_frame(c, P.VIP4, 7777, 53))]
        r = self.replay(CFG, frames)
        n = len(fr)
        self.assertCounters(r, {"rx": n + 2, "tx": n + 2, "frag": n, "ct_miss": 1, "ct_hit": 1},
                            "datagram, fragments, datagram")

    def test_clients_spread(self):
        frames = []
        for i in range(60):
            frames += frags4(P.client4(100 + i), P.VIP4, "udp", 1000, 53, size=1200)[:2]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 120, "tx": 120, "frag": 120}, "60 clients' fragments")
        got = [G.real_of(f) for f in r.out]
        for i in range(60):
            self.assertEqual(got[2 * i], got[2 * i + 1], "client %d: both fragments together" % i)
        self.assertGreaterEqual(len(Counter(got)), 3, "fragments of 60 clients spread: %s"
                                % Counter(got))

    def test_dport_hash_vip_fragments_hash_addresses(self):
        """On a dport_hash VIP, fragments still hash client and VIP addresses: they spread."""
        frames = []
        for i in range(40):
            frames += frags4(P.client4(300 + i), VIP4_DPORT, "udp", 1000, 53, size=1200)[:2]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 80, "tx": 80, "frag": 80}, "dport_hash VIP fragments")
        got = [G.real_of(f) for f in r.out]
        for i in range(40):
            self.assertEqual(got[2 * i], got[2 * i + 1], "client %d: both fragments together" % i)
        self.assertGreaterEqual(len(Counter(got)), 3, "fragments of 40 clients spread: %s"
                                % Counter(got))

    def test_no_port0_vip_uses_lowest_port(self):
        frames = frags4(P.client4(5), P.VIP4_B, "tcp", 5000, 443)
        self.assertEqual(self.check_one_real(frames, "ipip", "IPv4 to a port-443/80-only VIP"),
                         P.real4(21), "fragments go to the lowest-port VIP (80)")
        frames = frags6(P.client6(5), P.VIP6_B, "tcp", 5000, 8443)
        self.assertEqual(self.check_one_real(frames, "ipip", "IPv6 to a port-8443/8080-only VIP"),
                         P.norm(P.real6(0x21)), "fragments go to the lowest-port VIP (8080)")

    def test_fragment_alias_not_used_by_unfragmented(self):
        """The fragment-only alias does not make a port-0 VIP for whole packets."""
        frames = [P.tcp_frame(P.client4(6), P.VIP4_B, 5000, 22, "S"),
                  P.tcp_frame(P.client6(6), P.VIP6_B, 5000, 22, "S")]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 2, "pass": 2}, "TCP to unconfigured ports")

    def test_fragments_not_for_a_vip_pass(self):
        frames = (frags4(P.client4(7), P.NOT_VIP4, "udp", 1, 53) +
                  frags4(P.client4(7), P.VIP4_B, "udp", 1, 53) +     # no UDP VIP there
                  frags6(P.client6(7), P.NOT_VIP6, "udp", 1, 53) +
                  frags6(P.client6(7), P.VIP6_B, "udp", 1, 53) +
                  # Protocols without VIPs: 0 must not match the address-only entry.
                  [bytes(P.l2() / P.IP(src=P.client4(7), dst=P.VIP4, flags="MF", proto=proto) /
                         (b"p" * 64)) for proto in (0, 1, 47)] +
                  [bytes(P.l2() / P.IPv6(src=P.client6(7), dst=P.VIP6) /
                         P.IPv6ExtHdrFragment(nh=nh, m=1, id=3) / (b"p" * 64)) for nh in (47, 58, 59)])
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": len(frames), "pass": len(frames)}, "fragments not for a VIP")

    def test_ipv6_atomic_fragment_is_a_flow(self):
        """Fragment header with offset 0 and no M flag: a whole datagram, hashed with ports."""
        f = P.l2() / P.IPv6(src=P.client6(8), dst=P.VIP6) / P.IPv6ExtHdrFragment(id=9, m=0, offset=0) \
            / P.UDP(sport=4444, dport=53) / b"atomic"
        r = self.replay(CFG, [f, f])
        self.assertCounters(r, {"rx": 2, "tx": 2, "ct_miss": 1, "ct_hit": 1}, "atomic fragment")
        self.assertEncap(f, r.out[0], G.real_of(r.out[0]), "gue", "atomic fragment")
        want = G.Encap(r.out[0]).udp.sport
        self.assertEqual(want, P.gue_sport(P.flow_hash(P.client6(8), P.VIP6, 4444, 53, 17)),
                         "atomic fragment: GUE sport from the full flow hash")

    def test_ipv6_fragments_with_dest_options_after_fragment_header(self):
        """
        A Destination Options header in the fragmentable part: the first fragment
        shows it then UDP; later fragments' fragment header still says DSTOPTS (60),
        followed by payload bytes. All must reach one real and count "frag".
        """
        frames = frags6(P.client6(9), P.VIP6, "udp", 5000, 53,
                        ext=P.IPv6ExtHdrDestOpt(nh=17))
        self.assertGreaterEqual(len(frames), 3, "test bug: expected fragments")
        r = self.replay(CFG, frames)
        n = len(frames)
        self.assertCounters(r, {"rx": n, "tx": n, "frag": n},
                            "IPv6 fragments with a Destination Options header after the "
                            "fragment header (first fragment: %s; second: %s)"
                            % (frames[0][:80].hex(), frames[1][:80].hex()))


if __name__ == "__main__":
    G.main()
