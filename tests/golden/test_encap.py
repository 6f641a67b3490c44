# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: VIP lookup and encapsulation (IPIP, IP6IP6, 4in6, 6in4, GUE over
IPv4 and IPv6), checked field by field in out.pcap.
"""
import goldenlib as G
from goldenlib import P

# One VIP per tunnel kind, each with a single real so the real is known.
TUNNELS = [
    # name,        vip,    port, proto, encap,  real
    ("ipip",       P.VIP4, 80, "tcp", "ipip", P.real4(1)),
    ("4in6",       P.VIP4, 81, "tcp", "ipip", P.real6(1)),
    ("ip6ip6",     P.VIP6, 80, "tcp", "ipip", P.real6(2)),
    ("6in4",       P.VIP6, 81, "tcp", "ipip", P.real4(2)),
    ("gue4-in-4",  P.VIP4, 53, "udp", "gue",  P.real4(3)),
    ("gue4-in-6",  P.VIP4, 54, "udp", "gue",  P.real6(3)),
    ("gue6-in-6",  P.VIP6, 53, "udp", "gue",  P.real6(4)),
    ("gue6-in-4",  P.VIP6, 54, "udp", "gue",  P.real4(4)),
    ("gue-tcp4",   P.VIP4, 443, "tcp", "gue", P.real4(7)),
    ("gue-tcp6",   P.VIP6, 443, "tcp", "gue", P.real6(7)),
]

# Port-0 VIPs beside specific-port VIPs on one address.
LOOKUP_VIPS = [
    P.vip(P.VIP4_B, "tcp", 0, [P.real4(5)]),
    P.vip(P.VIP4_B, "tcp", 443, [P.real4(6)]),
    P.vip(P.VIP6_B, "udp", 0, [P.real6(5)]),
    P.vip(P.VIP6_B, "udp", 443, [P.real6(6)]),
]


def tunnel_config(**lb):
    vips = [P.vip(v, proto, port, [r], encap=enc) for _, v, port, proto, enc, r in TUNNELS]
    return P.config(vips + LOOKUP_VIPS, **lb)


def client_of(vip_addr, i):
    return P.client6(i) if P.is6(vip_addr) else P.client4(i)


def flow_frames(vip_addr, port, proto, i, vlan=None, tos=0xB9):
    """Two packets of one client flow: a SYN (or datagram) and a data packet."""
    c = client_of(vip_addr, i)
    if proto == "tcp":
        return [P.tcp_frame(c, vip_addr, 40000 + i, port, "S", tos=tos, vlan=vlan),
                P.tcp_frame(c, vip_addr, 40000 + i, port, "PA", payload=b"x" * (100 + i),
                            tos=tos, vlan=vlan)]
    return [P.udp_frame(c, vip_addr, 40000 + i, port, payload=b"q" * (30 + i), tos=tos, vlan=vlan),
            P.udp_frame(c, vip_addr, 40000 + i, port, payload=b"r" * 700, tos=tos, vlan=vlan)]


class EncapTest(G.GoldenCase):

    def check_tunnel(self, name, vip_addr, port, proto, encap, real, vlan):
        frames = []
        for i in range(3):
            frames += flow_frames(vip_addr, port, proto, i, vlan=vlan, tos=0xB9 - 4 * i)
        r = self.replay(tunnel_config(), frames)
        what = "%s%s" % (name, " vlan" if vlan is not None else "")
        self.assertEqual(r.summary["tx"], len(frames), "%s: every packet forwarded" % what)
        for k, (fin, fout) in enumerate(zip(frames, r.out)):
            self.assertEncap(fin, fout, real, encap, what="%s packet %d" % (what, k))
        self.assertEqual(r.real_stats()[P.norm(real)],
                         (len(frames), sum(len(P.ip_bytes(f)) for f in frames)),
                         "%s: the real's packets/bytes in the JSON" % what)

    def test_each_tunnel(self):
        for t in TUNNELS:
            with self.subTest(tunnel=t[0]):
                self.check_tunnel(*t, vlan=None)

    def test_each_tunnel_vlan_kept(self):
        for t in TUNNELS:
            with self.subTest(tunnel=t[0]):
                self.check_tunnel(*t, vlan=1234)

    def test_same_flow_same_gue_sport_and_label(self):
        """Same flow: equal GUE source ports and IPv6 flow labels; the values are the hash's."""
        for name, vip_addr, port, proto, encap, real in TUNNELS:
            frames = flow_frames(vip_addr, port, proto, 7) + flow_frames(vip_addr, port, proto, 7)
            r = self.replay(tunnel_config(), frames)
            outs = [G.Encap(f) for f in r.out]
            self.assertEqual(len(outs), 4, name)
            if encap == "gue":
                self.assertEqual(len({o.udp.sport for o in outs}), 1, "%s: one sport per flow" % name)
            if P.is6(real):
                self.assertEqual(len({o.ip.fl for o in outs}), 1, "%s: one flow label" % name)

    def test_gue_port_setting(self):
        cfg = tunnel_config(gue_port=4789)
        frames = flow_frames(P.VIP4, 53, "udp", 1) + flow_frames(P.VIP6, 54, "udp", 1)
        r = self.replay(cfg, frames)
        self.assertEncap(frames[0], r.out[0], P.real4(3), "gue", "gue_port 4789 v4", gue_port=4789)
        self.assertEncap(frames[2], r.out[2], P.real4(4), "gue", "gue_port 4789 v6", gue_port=4789)

    def test_hash_key_setting(self):
        """GUE sport and flow label follow lb.hash_key."""
        key = "ffeeddccbbaa99887766554433221100"
        frames = flow_frames(P.VIP4, 54, "udp", 3) + flow_frames(P.VIP6, 53, "udp", 3)
        r = self.replay(tunnel_config(hash_key=key), frames)
        for k, real in ((0, P.real6(3)), (2, P.real6(4))):
            self.assertEncap(frames[k], r.out[k], real, "gue", "hash_key packet %d" % k,
                             hash_key=key)

    def test_ipv4_options_inner_untouched(self):
        c = P.client4(9)
        f = P.l2() / P.IP(src=c, dst=P.VIP4, options=[P.IPOption(b"\x01\x01\x01\x00")]) / \
            P.TCP(sport=999, dport=80, flags="S")
        f = P.Ether(bytes(f))
        self.assertEqual(f[P.IP].ihl, 6, "test bug: want IHL 6")
        r = self.replay(tunnel_config(), [f])
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1}, "IHL 6 SYN")
        self.assertEncap(f, r.out[0], P.real4(1), "ipip", "IHL 6 SYN")

    def test_ethernet_padding_not_tunnelled(self):
        """A frame longer than its IP packet: only the IP packet is the inner packet."""
        base = P.tcp_frame(P.client4(2), P.VIP4, 1234, 80, "S")
        f = bytes(base) + b"\0" * 16
        r = self.replay(tunnel_config(), [f])
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1}, "padded SYN")
        o = self.assertEncap(f, r.out[0], P.real4(1), "ipip", "padded SYN")
        self.assertEqual(r.real_stats()[P.real4(1)], (1, len(P.ip_bytes(base))),
                         "padded SYN: bytes counted are the IP packet's")
        self.assertEqual(o.ip.len, 20 + len(P.ip_bytes(base)), "padded SYN: outer length")

    def test_jumbo_forwarded(self):
        frames = [P.tcp_frame(P.client4(1), P.VIP4, 5555, 80, "PA", payload=b"J" * 8000),
                  P.tcp_frame(P.client6(1), P.VIP6, 5555, 81, "PA", payload=b"K" * 9000)]
        r = self.replay(tunnel_config(mtu=9216), frames)
        self.assertCounters(r, {"rx": 2, "tx": 2, "ct_miss": 2}, "jumbo frames")
        self.assertEncap(frames[0], r.out[0], P.real4(1), "ipip", "jumbo v4")
        self.assertEncap(frames[1], r.out[1], P.real4(2), "ipip", "jumbo v6 in v4")

    # --- VIP lookup --------------------------------------------------------

    def test_specific_port_wins_over_port0(self):
        cases = [
            (P.tcp_frame(P.client4(1), P.VIP4_B, 1000, 443), P.real4(6), "tcp 443"),
            (P.tcp_frame(P.client4(1), P.VIP4_B, 1000, 444), P.real4(5), "tcp 444 -> port 0"),
            (P.tcp_frame(P.client4(1), P.VIP4_B, 1000, 1), P.real4(5), "tcp 1 -> port 0"),
            (P.tcp_frame(P.client4(1), P.VIP4_B, 1000, 65535), P.real4(5), "tcp 65535 -> port 0"),
            (P.udp_frame(P.client6(1), P.VIP6_B, 1000, 443), P.real6(6), "udp6 443"),
            (P.udp_frame(P.client6(1), P.VIP6_B, 1000, 80), P.real6(5), "udp6 80 -> port 0"),
            (P.udp_frame(P.client6(1), P.VIP6_B, 1000, 0), P.real6(5), "udp6 dport 0"),
        ]
        r = self.replay(tunnel_config(), [f for f, _, _ in cases])
        self.assertEqual(r.summary["tx"], len(cases), "all forwarded")
        for (fin, real, name), fout in zip(cases, r.out):
            self.assertEncap(fin, fout, real, "ipip", name)

    def test_not_for_a_vip_passes(self):
        cases = [
            ("tcp to a non-VIP address", P.tcp_frame(P.client4(1), P.NOT_VIP4, 1000, 80)),
            ("tcp6 to a non-VIP address", P.tcp_frame(P.client6(1), P.NOT_VIP6, 1000, 80)),
            ("tcp to a VIP address, unconfigured port", P.tcp_frame(P.client4(1), P.VIP4, 1, 82)),
            ("udp to a tcp-only port", P.udp_frame(P.client4(1), P.VIP4, 1, 80)),
            ("tcp to a udp-only port", P.tcp_frame(P.client4(1), P.VIP4, 1, 53)),
            ("udp to a tcp-only VIP address", P.udp_frame(P.client4(1), P.VIP4_B, 1, 443)),
            ("tcp6 to a udp-only VIP address", P.tcp_frame(P.client6(1), P.VIP6_B, 1, 443)),
            ("tcp6 to a VIP address, unconfigured port", P.tcp_frame(P.client6(1), P.VIP6, 1, 82)),
            ("sctp to a VIP", P.l2() / P.IP(src=P.client4(1), dst=P.VIP4, proto=132) / (b"s" * 20)),
            ("gre to a VIP6", P.l2() / P.IPv6(src=P.client6(1), dst=P.VIP6, nh=47) / (b"g" * 20)),
            ("ARP", P.l2() / P.ARP(psrc=P.client4(1), pdst=P.VIP4)),
        ]
        r = self.replay(tunnel_config(), [f for _, f in cases])
        self.assertCounters(r, {"rx": len(cases), "pass": len(cases)}, "non-VIP packets")
        self.assertEqual(r.out, [], "nothing passed is written to out.pcap")
        for v in r.summary["vips"]:
            self.assertEqual((v["packets"], v["bytes"]), (0, 0), "vip counters of %s" % v)

    def test_vip_counters(self):
        frames = flow_frames(P.VIP4, 80, "tcp", 1) + flow_frames(P.VIP6, 53, "udp", 2)
        r = self.replay(tunnel_config(), frames)
        vips = {(P.norm(v["address"]), v["port"], v["protocol"]): (v["packets"], v["bytes"])
                for v in r.summary["vips"]}
        self.assertEqual(len(r.summary["vips"]), len(TUNNELS) + len(LOOKUP_VIPS), "one per VIP")
        self.assertEqual(vips[(P.VIP4, 80, "tcp")],
                         (2, sum(len(P.ip_bytes(f)) for f in frames[:2])), "VIP4:80/tcp")
        self.assertEqual(vips[(P.norm(P.VIP6), 53, "udp")],
                         (2, sum(len(P.ip_bytes(f)) for f in frames[2:])), "VIP6:53/udp")
        self.assertEqual(vips[(P.VIP4, 81, "tcp")], (0, 0), "VIP4:81/tcp untouched")


if __name__ == "__main__":
    G.main()
