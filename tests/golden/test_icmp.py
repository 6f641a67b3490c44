# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: ICMP. Echo requests to a VIP address are answered by the LB;
ICMP destination-unreachable (v4 type 3) and ICMPv6 destination-unreachable
(1) / packet-too-big (2) quoting a VIP -> client packet go to the real of the
quoted flow (icmp_err_fwd); other ICMP passes.
"""
import goldenlib as G
from goldenlib import P

ROUTER4 = "198.18.50.1"
ROUTER6 = "2001:db8:50::1"

CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real4(i) for i in range(1, 5)]),
    P.vip(P.VIP4, "udp", 53, [P.real4(i) for i in range(1, 5)], encap="gue"),
    P.vip(P.VIP6, "tcp", 443, [P.real6(i) for i in range(1, 5)]),
    P.vip(P.VIP6, "udp", 0, [P.real6(i) for i in range(1, 4)] + [P.real4(7)], encap="gue"),
    P.vip(P.VIP4_B, "udp", 0, [P.real4(9)]),
])


def quoted(vip_addr, client, proto, vport, cport, payload=b"reply-data"):
    """The packet a real sent to the client (VIP -> client), as an ICMP error quotes it."""
    if P.is6(vip_addr):
        ip = P.IPv6(src=vip_addr, dst=client, hlim=60)
    else:
        ip = P.IP(src=vip_addr, dst=client, ttl=60, id=0x99)
    l4 = (P.TCP(sport=vport, dport=cport, flags="PA") if proto == "tcp"
          else P.UDP(sport=vport, dport=cport))
    return ip / l4 / payload


def icmp_error(vip_addr, client, proto, vport, cport, kind="unreach", vlan=None):
    """An ICMP error from a router on the way to the client, about a real's reply."""
    q = bytes(quoted(vip_addr, client, proto, vport, cport))
    if P.is6(vip_addr):
        icmp = {"unreach": P.ICMPv6DestUnreach(code=3),
                "too_big": P.ICMPv6PacketTooBig(mtu=1280)}[kind]
        return P.l2(vlan) / P.IPv6(src=ROUTER6, dst=vip_addr) / icmp / P.Raw(q)
    code = {"unreach": 1, "too_big": 4, "port": 3}[kind]
    icmp = P.ICMP(type=3, code=code, nexthopmtu=1400 if kind == "too_big" else 0)
    return P.l2(vlan) / P.IP(src=ROUTER4, dst=vip_addr) / icmp / P.Raw(q)


class EchoTest(G.GoldenCase):

    def check_echo_reply(self, fin, fout, what):
        fin, fout = bytes(fin), bytes(fout)
        six = P.ip_bytes(fin)[0] >> 4 == 6
        self.assertL2Reply(fin, fout, "86dd" if six else "0800", what)
        ip_in, ip_out = P.ip_bytes(fin), P.ip_bytes(fout)
        self.assertEqual(len(fout), len(fin), "%s: reply frame length" % what)
        self.assertEqual(len(ip_out), len(ip_in), "%s: reply IP length" % what)
        if six:
            i, o = P.IPv6(ip_in), P.IPv6(ip_out)
            self.assertEqual((o.src, o.dst), (i.dst, i.src), "%s: addresses swapped" % what)
            self.assertEqual(o.hlim, P.TTL, "%s: hop limit" % what)
            self.assertEqual((o.nh, o.plen, o.tc, o.fl), (58, i.plen, i.tc, i.fl),
                             "%s: nh, plen, tc, fl" % what)
            self.assertEqual((ip_out[40], ip_out[41]), (129, 0), "%s: ICMPv6 echo reply" % what)
            ok, got, want = G.icmp6_csum_ok(ip_out)
            self.assertTrue(ok, "%s: ICMPv6 checksum %#06x, scapy says %#06x" % (what, got, want))
            self.assertEqual(ip_out[44:], ip_in[44:], "%s: id, seq and data echoed" % what)
        else:
            i, o = P.IP(ip_in), P.IP(ip_out)
            self.assertEqual((o.src, o.dst), (i.dst, i.src), "%s: addresses swapped" % what)
            self.assertEqual(o.ttl, P.TTL, "%s: TTL" % what)
            self.assertEqual((o.ihl, o.tos, o.len, o.proto), (i.ihl, i.tos, i.len, 1),
                             "%s: ihl, tos, len, proto" % what)
            ok, got, want = G.ipv4_header_csum_ok(ip_out)
            self.assertTrue(ok, "%s: IPv4 checksum %#06x, scapy says %#06x" % (what, got, want))
            hl = o.ihl * 4
            self.assertEqual(ip_out[20:hl], ip_in[20:hl], "%s: IP options kept" % what)
            self.assertEqual((ip_out[hl], ip_out[hl + 1]), (0, 0), "%s: ICMP echo reply" % what)
            ok, got, want = G.icmp4_csum_ok(ip_out)
            self.assertTrue(ok, "%s: ICMP checksum %#06x, scapy says %#06x" % (what, got, want))
            self.assertEqual(ip_out[hl + 4:], ip_in[hl + 4:], "%s: id, seq and data echoed" % what)

    def test_echo_replies(self):
        cases = [
            ("v4", P.echo_frame(P.client4(1), P.VIP4)),
            ("v4 vlan", P.echo_frame(P.client4(1), P.VIP4, vlan=77)),
            ("v4 other VIP address", P.echo_frame(P.client4(2), P.VIP4_B, payload=b"")),
            ("v4 odd payload", P.echo_frame(P.client4(3), P.VIP4, payload=b"abc")),
            ("v4 big payload", P.echo_frame(P.client4(3), P.VIP4, payload=bytes(range(256)) * 5)),
            ("v4 checksum wrap", P.echo_frame(P.client4(4), P.VIP4, ident=0xFFFF, seq=0xFFF7,
                                              payload=b"\xff" * 10)),
            ("v6", P.echo_frame(P.client6(1), P.VIP6)),
            ("v6 vlan", P.echo_frame(P.client6(1), P.VIP6, vlan=4094)),
            ("v6 odd payload", P.echo_frame(P.client6(2), P.VIP6, payload=b"x")),
            ("v6 big payload", P.echo_frame(P.client6(3), P.VIP6, payload=bytes(range(256)) * 5)),
            ("v4 IP options", P.Ether(bytes(
                P.l2() / P.IP(src=P.client4(5), dst=P.VIP4, options=[P.IPOption(b"\x01\x01\x01\x00")])
                / P.ICMP(type=8, id=1, seq=2) / b"opts"))),
        ]
        frames = [bytes(f) for _, f in cases]
        r = self.replay(CFG, frames)
        n = len(frames)
        self.assertCounters(r, {"rx": n, "tx": n, "icmp_echo": n}, "echo requests to VIPs")
        for (name, fin), fout in zip(cases, r.out):
            self.check_echo_reply(fin, fout, "echo " + name)
        for v in r.summary["vips"]:
            self.assertEqual(v["packets"], 0, "echo is not VIP traffic: %s" % v)

    def test_icmp_not_answered(self):
        cases = [
            ("echo to a non-VIP", P.echo_frame(P.client4(1), P.NOT_VIP4)),
            ("echo6 to a non-VIP", P.echo_frame(P.client6(1), P.NOT_VIP6)),
            ("echo reply to a VIP", P.l2() / P.IP(src=P.client4(1), dst=P.VIP4) / P.ICMP(type=0)),
            ("echo6 reply to a VIP", P.l2() / P.IPv6(src=P.client6(1), dst=P.VIP6) /
             P.ICMPv6EchoReply()),
            ("timestamp to a VIP", P.l2() / P.IP(src=P.client4(1), dst=P.VIP4) / P.ICMP(type=13)),
            ("v4 time exceeded to a VIP",
             P.l2() / P.IP(src=ROUTER4, dst=P.VIP4) / P.ICMP(type=11) /
             P.Raw(bytes(quoted(P.VIP4, P.client4(1), "tcp", 80, 1000)))),
            ("v6 time exceeded to a VIP",
             P.l2() / P.IPv6(src=ROUTER6, dst=P.VIP6) / P.Raw(bytes([3, 0, 0, 0, 0, 0, 0, 0])) /
             P.Raw(bytes(quoted(P.VIP6, P.client6(1), "tcp", 443, 1000)))),
            ("ICMPv4 echo in IPv6", P.l2() / P.IPv6(src=P.client6(1), dst=P.VIP6, nh=1) /
             P.ICMP(type=8)),
            ("ICMPv6 echo in IPv4", P.l2() / P.IP(src=P.client4(1), dst=P.VIP4, proto=58) /
             P.Raw(bytes([128, 0, 0, 0, 0, 1, 0, 1]))),
        ]
        for name, f in cases:
            with self.subTest(case=name):
                r = self.replay(CFG, [bytes(f)])
                self.assertCounters(r, {"rx": 1, "pass": 1}, name)


class IcmpErrorTest(G.GoldenCase):

    def flows_and_errors(self, vip_addr, proto, vport, kind, n=24, vlan=None):
        """n client flows to the VIP, then one ICMP error per flow about its reply."""
        six = P.is6(vip_addr)
        clients = [P.client6(i) if six else P.client4(i) for i in range(n)]
        if proto == "tcp":
            flows = [P.tcp_frame(c, vip_addr, 20000 + i, vport, "S") for i, c in enumerate(clients)]
        else:
            flows = [P.udp_frame(c, vip_addr, 20000 + i, vport) for i, c in enumerate(clients)]
        errors = [icmp_error(vip_addr, c, proto, vport, 20000 + i, kind, vlan)
                  for i, c in enumerate(clients)]
        return [bytes(f) for f in flows], [bytes(f) for f in errors]

    def check_errors_follow_flows(self, vip_addr, proto, vport, kind, encap, vlan=None):
        what = "%s %s %s:%d" % (kind, proto, vip_addr, vport)
        flows, errors = self.flows_and_errors(vip_addr, proto, vport, kind, vlan=vlan)
        n = len(flows)
        r = self.replay(CFG, flows + errors)
        self.assertCounters(r, {"rx": 2 * n, "tx": 2 * n, "ct_miss": n, "ct_hit": n,
                                "icmp_err_fwd": n}, what)
        placed = [G.real_of(f) for f in r.out[:n]]
        self.assertGreaterEqual(len(set(placed)), 3, "%s: flows spread over reals" % what)
        for i, (fin, fout) in enumerate(zip(errors, r.out[n:])):
            self.assertEqual(G.real_of(fout), placed[i], "%s: error %d goes to its flow's real"
                             % (what, i))
            o = self.assertEncap(fin, fout, placed[i], encap, "%s error %d" % (what, i))
            if encap == "gue":
                h = P.flow_hash(P.client6(i) if P.is6(vip_addr) else P.client4(i), vip_addr,
                                20000 + i, vport, 6 if proto == "tcp" else 17)
                self.assertEqual(o.udp.sport, P.gue_sport(h),
                                 "%s error %d: GUE sport is the quoted flow's" % (what, i))

    def test_v4_dest_unreach_tcp(self):
        self.check_errors_follow_flows(P.VIP4, "tcp", 80, "unreach", "ipip")

    def test_v4_frag_needed_tcp(self):
        self.check_errors_follow_flows(P.VIP4, "tcp", 80, "too_big", "ipip", vlan=10)

    def test_v4_port_unreach_udp_gue(self):
        self.check_errors_follow_flows(P.VIP4, "udp", 53, "port", "gue")

    def test_v6_dest_unreach_tcp(self):
        self.check_errors_follow_flows(P.VIP6, "tcp", 443, "unreach", "ipip")

    def test_v6_packet_too_big_tcp(self):
        self.check_errors_follow_flows(P.VIP6, "tcp", 443, "too_big", "ipip", vlan=11)

    def test_v6_packet_too_big_udp_gue(self):
        self.check_errors_follow_flows(P.VIP6, "udp", 5353, "too_big", "gue")

    def test_error_before_flow_uses_ring_and_is_not_remembered(self):
        """An error about an unknown flow goes where the flow would; conntrack is not written."""
        flows, errors = self.flows_and_errors(P.VIP4, "tcp", 80, "unreach", n=30)
        r = self.replay(CFG, errors + errors + flows)
        self.assertCounters(r, {"rx": 90, "tx": 90, "ct_miss": 90, "icmp_err_fwd": 60},
                            "errors twice (both miss: not remembered), then the flows")
        got = [G.real_of(f) for f in r.out]
        self.assertEqual(got[:30], got[60:], "error goes where the flow's ring choice is")
        self.assertEqual(got[30:60], got[60:], "second error likewise")

    def test_errors_not_about_a_vip_flow_pass(self):
        cases = [
            ("quote from a non-VIP", icmp_error(P.NOT_VIP4, P.client4(1), "tcp", 80, 1000)),
            ("quote from a VIP, unconfigured port", icmp_error(P.VIP4, P.client4(1), "tcp", 81, 1000)),
            ("v6 quote from a non-VIP", icmp_error(P.NOT_VIP6, P.client6(1), "tcp", 443, 1000)),
            ("v6 quote of a tcp port without VIP", icmp_error(P.VIP6, P.client6(1), "tcp", 80, 1)),
            # The error is addressed to another host: not for a VIP, whatever it quotes.
            ("error to a non-VIP about a VIP flow",
             P.l2() / P.IP(src=ROUTER4, dst=P.NOT_VIP4) / P.ICMP(type=3, code=1) /
             P.Raw(bytes(quoted(P.VIP4, P.client4(1), "tcp", 80, 1000)))),
            ("v6 error to a non-VIP about a VIP flow",
             P.l2() / P.IPv6(src=ROUTER6, dst=P.NOT_VIP6) / P.ICMPv6DestUnreach() /
             P.Raw(bytes(quoted(P.VIP6, P.client6(1), "tcp", 443, 1000)))),
            ("quote of an ICMP packet",
             P.l2() / P.IP(src=ROUTER4, dst=P.VIP4) / P.ICMP(type=3, code=1) /
             P.Raw(bytes(P.IP(src=P.VIP4, dst=P.client4(1)) / P.ICMP(type=0)))),
            ("v6 quote of an ICMPv6 packet",
             P.l2() / P.IPv6(src=ROUTER6, dst=P.VIP6) / P.ICMPv6DestUnreach() /
             P.Raw(bytes(P.IPv6(src=P.VIP6, dst=P.client6(1)) / P.ICMPv6EchoReply()))),
        ]
        for name, f in cases:
            with self.subTest(case=name):
                r = self.replay(CFG, [bytes(f)])
                self.assertCounters(r, {"rx": 1, "pass": 1}, name)


if __name__ == "__main__":
    G.main()
