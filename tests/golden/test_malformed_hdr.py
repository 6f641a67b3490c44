# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests, malformed input: bad header fields, one defined verdict each.
Rules (core/include/shoal/parse.h): a bad IP header is dropped (ip4_malformed /
ip6_malformed) whoever it is for; a bad or truncated L4 header (and IPv6
extension headers) is dropped (l4_malformed) when addressed to a VIP address
and passed otherwise; more than 6 IPv6 extension headers to a VIP ->
ip6_ext_limit; anything not IPv4/IPv6 after at most one VLAN tag passes.
"""
import ipaddress
import struct

import goldenlib as G
from goldenlib import P
from scapy.all import checksum

CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(2)]),
    P.vip(P.VIP4, "udp", 53, [P.real4(1)], encap="gue"),
    P.vip(P.VIP6, "tcp", 80, [P.real6(1), P.real4(2)]),
    P.vip(P.VIP6, "udp", 53, [P.real6(1)], encap="gue"),
], ipv4_src=P.LB4)

C4, C6 = P.client4(1), P.client6(1)
ETH_IP4, ETH_IP6 = 0x0800, 0x86DD


def eth(ethertype, vlan_tpid=None):
    """Ethernet header bytes (with one tag of TPID vlan_tpid, if given)."""
    hdr = bytes(P.Ether(src=P.CLIENT_MAC, dst=P.LB_MAC, type=vlan_tpid or ethertype))
    if vlan_tpid:
        hdr += struct.pack("!HH", 0x6007, ethertype)
    return hdr


def ip4(src, dst, l4, proto=6, ihl=5, tot_len=None, version=4, options=b"", frag=0x4000):
    """IPv4 bytes with any (possibly wrong) IHL / total length / version; checksum correct."""
    opts = options + b"\0" * (max(ihl * 4 - 20, 0) - len(options)) if ihl >= 5 else b""
    total = 20 + len(opts) + len(l4) if tot_len is None else tot_len
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 1, frag, 61,
                                proto, 0, ipaddress.IPv4Address(src).packed,
                                ipaddress.IPv4Address(dst).packed))
    hdr += opts
    hdr[10:12] = struct.pack("!H", checksum(bytes(hdr)))
    return bytes(hdr) + l4


def ip6(src, dst, l4, nh=6, plen=None, version=6):
    b = bytearray(bytes(P.IPv6(src=src, dst=dst, nh=nh, plen=len(l4) if plen is None else plen)))
    b[0] = (version << 4) | (b[0] & 0xF)
    return bytes(b) + l4


def tcp(src, dst, doff=None, opts=b"", dport=80, sport=1234, flags="A", payload=b""):
    return P.tcp_bytes(src, dst, sport, dport, flags, opts, payload, doff)


def udp(src, dst, dport=53):
    ip = P.IPv6(src=src, dst=dst) if P.is6(src) else P.IP(src=src, dst=dst)
    return bytes(ip / P.UDP(sport=1234, dport=dport) / b"udp")[40 if P.is6(src) else 20:]


def tx_or(to_vip, drop):
    """The verdict of a packet with a bad L4 header: drop to a VIP, pass otherwise."""
    return drop if to_vip else "pass"


class HeaderTest(G.GoldenCase):

    def test_ethernet(self):
        good4 = ip4(C4, P.VIP4, tcp(C4, P.VIP4))
        cases = [
            ("empty frame", b"", "eth_trunc"),
            ("1 byte", b"\x02", "eth_trunc"),
            ("13 bytes", eth(ETH_IP4)[:13], "eth_trunc"),
            ("14 bytes, IPv4 ethertype, no IP", eth(ETH_IP4), "ip4_malformed"),
            ("14 bytes, IPv6 ethertype, no IP", eth(ETH_IP6), "ip6_malformed"),
            ("14 bytes, 802.1Q, no tag", eth(0x8100), "eth_trunc"),
            ("17 bytes, 802.1Q tag cut", eth(ETH_IP4, 0x8100)[:17], "eth_trunc"),
            ("802.1ad tag cut", eth(ETH_IP4, 0x88A8)[:16], "eth_trunc"),
            ("18 bytes, tag, no IP", eth(ETH_IP4, 0x8100), "ip4_malformed"),
            ("one 802.1Q tag", eth(ETH_IP4, 0x8100) + good4, "tx"),
            ("one 802.1ad tag", eth(ETH_IP4, 0x88A8) + good4, "tx"),
            ("802.1Q in 802.1Q", eth(0x8100, 0x8100) + struct.pack("!HH", 7, ETH_IP4) + good4, "pass"),
            ("802.1Q in 802.1ad (QinQ)", eth(0x8100, 0x88A8) + struct.pack("!HH", 7, ETH_IP4) + good4,
             "pass"),
            ("802.1ad in 802.1Q", eth(0x88A8, 0x8100) + struct.pack("!HH", 7, ETH_IP4) + good4, "pass"),
            ("ARP", bytes(P.l2() / P.ARP(psrc=C4, pdst=P.VIP4)), "pass"),
            ("LLDP ethertype", eth(0x88CC) + good4, "pass"),
            ("802.3 length field", eth(0x0040) + good4, "pass"),
            ("ethertype 0", eth(0) + good4, "pass"),
            ("ethertype 0xffff", eth(0xFFFF) + good4, "pass"),
            ("tagged ARP", eth(0x0806, 0x8100) + bytes(P.ARP(psrc=C4, pdst=P.VIP4)), "pass"),
            ("IPv4 ethertype, IPv6 packet", eth(ETH_IP4) + ip6(C6, P.VIP6, tcp(C6, P.VIP6)),
             "ip4_malformed"),
            ("IPv6 ethertype, IPv4 packet", eth(ETH_IP6) + good4, "ip6_malformed"),
        ]
        self.assertVerdicts(CFG, cases, "Ethernet/VLAN")

    def test_ipv4_header(self):
        cases = []
        for to_vip, dst in ((True, P.VIP4), (False, P.NOT_VIP4)):
            t = tcp(C4, dst)
            who = "to VIP" if to_vip else "to non-VIP"
            for ihl in range(5):
                cases.append(("IHL %d %s" % (ihl, who), eth(ETH_IP4) + ip4(C4, dst, t, ihl=ihl,
                                                                          tot_len=40), "ip4_malformed"))
            cases += [
                ("IHL 15, total length 40 (< 60) %s" % who,
                 eth(ETH_IP4) + b"\x4f" + ip4(C4, dst, t, tot_len=40)[1:], "ip4_malformed"),
                ("IHL 15 past the frame %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, b"", ihl=15, tot_len=60)[:40], "ip4_malformed"),
                ("total length 0 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, tot_len=0), "ip4_malformed"),
                ("total length 19 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, tot_len=19),
                 "ip4_malformed"),
                ("IHL 6, total length 23 %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, t, ihl=6, tot_len=23), "ip4_malformed"),
                ("total length 1 past the frame %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, t, tot_len=41), "ip4_malformed"),
                ("total length 65535 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, tot_len=65535),
                 "ip4_malformed"),
                ("version 6 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, version=6), "ip4_malformed"),
                ("version 0 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, version=0), "ip4_malformed"),
                ("version 5 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, version=5), "ip4_malformed"),
                ("total length 20, no L4 %s" % who, eth(ETH_IP4) + ip4(C4, dst, t, tot_len=20),
                 tx_or(to_vip, "l4_malformed")),
                ("IHL 6 with an option %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, t, ihl=6, options=b"\x01\x01\x01\x00"),
                 "tx" if to_vip else "pass"),
                ("IHL 15, 40 bytes of NOP options %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, t, ihl=15, options=b"\x01" * 40),
                 "tx" if to_vip else "pass"),
                ("IHL 15, options fill the packet %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, b"", ihl=15, options=b"\x01" * 40),
                 tx_or(to_vip, "l4_malformed")),
                ("trailing bytes after the IP packet %s" % who,
                 eth(ETH_IP4) + ip4(C4, dst, t) + b"\xee" * 30, "tx" if to_vip else "pass"),
            ]
        self.assertVerdicts(CFG, cases, "IPv4 header")

    def test_ipv6_header(self):
        cases = []
        for to_vip, dst in ((True, P.VIP6), (False, P.NOT_VIP6)):
            t = tcp(C6, dst)
            who = "to VIP" if to_vip else "to non-VIP"
            cases += [
                ("version 4 %s" % who, eth(ETH_IP6) + ip6(C6, dst, t, version=4), "ip6_malformed"),
                ("version 0 %s" % who, eth(ETH_IP6) + ip6(C6, dst, t, version=0), "ip6_malformed"),
                ("payload length 1 past the frame %s" % who,
                 eth(ETH_IP6) + ip6(C6, dst, t, plen=len(t) + 1), "ip6_malformed"),
                ("payload length 65535 %s" % who, eth(ETH_IP6) + ip6(C6, dst, t, plen=65535),
                 "ip6_malformed"),
                ("header cut at 39 bytes %s" % who, eth(ETH_IP6) + ip6(C6, dst, b"")[:39],
                 "ip6_malformed"),
                ("payload length 0, TCP %s" % who, eth(ETH_IP6) + ip6(C6, dst, t, plen=0),
                 tx_or(to_vip, "l4_malformed")),
                ("payload length 0, no next header %s" % who,
                 eth(ETH_IP6) + ip6(C6, dst, b"", nh=59), "pass"),
                ("trailing bytes after the IP packet %s" % who,
                 eth(ETH_IP6) + ip6(C6, dst, t) + b"\xee" * 30, "tx" if to_vip else "pass"),
            ]
        self.assertVerdicts(CFG, cases, "IPv6 header")

    def ext_chain(self, dst, n, proto=6, l4=None):
        kinds = [P.HOPOPTS, P.DSTOPTS, P.ROUTING, P.AH, P.FRAGMENT, P.DSTOPTS, P.ROUTING,
                 P.DSTOPTS, P.AH, P.DSTOPTS, P.DSTOPTS]
        exts = []
        for i in range(n):
            k = kinds[i]
            exts.append((k, {} if k == P.FRAGMENT else (4 if k == P.AH else i % 3)))
        l4 = tcp(C6, dst) if l4 is None else l4
        return P.frame_of(P.ip6_with_exts(C6, dst, exts, proto, l4))

    def test_ipv6_extension_header_limit(self):
        """6 extension headers are walked; a 7th (or more) to a VIP is ip6_ext_limit."""
        cases = []
        for to_vip, dst in ((True, P.VIP6), (False, P.NOT_VIP6)):
            who = "to VIP" if to_vip else "to non-VIP"
            for n in range(0, 7):
                cases.append(("%d extension headers then TCP %s" % (n, who), self.ext_chain(dst, n),
                              "tx" if to_vip else "pass"))
            for n in (7, 8, 11):
                cases.append(("%d extension headers then TCP %s" % (n, who), self.ext_chain(dst, n),
                              tx_or(to_vip, "ip6_ext_limit")))
            cases += [
                ("6 extension headers then no next header %s" % who,
                 self.ext_chain(dst, 6, proto=59, l4=b""), "pass"),
                ("6 extension headers then a cut TCP header %s" % who,
                 self.ext_chain(dst, 6, l4=tcp(C6, dst)[:19]), tx_or(to_vip, "l4_malformed")),
                ("hop-by-hop length past the packet %s" % who,
                 P.frame_of(P.ip6_with_exts(C6, dst, [(P.HOPOPTS, 0)], 6, tcp(C6, dst)))[:54] +
                 b"\x06\xff" + P.frame_of(P.ip6_with_exts(C6, dst, [(P.HOPOPTS, 0)], 6,
                                                          tcp(C6, dst)))[56:],
                 tx_or(to_vip, "l4_malformed")),
                ("fragment header cut %s" % who,
                 eth(ETH_IP6) + ip6(C6, dst, b"\x06\x00\x00\x00", nh=44),
                 tx_or(to_vip, "l4_malformed")),
                ("AH length past the packet %s" % who,
                 P.frame_of(P.ip6_with_exts(C6, dst, [(P.AH, 60)], 6, tcp(C6, dst)))[:54 + 60],
                 "FIXUP"),
            ]
        fixed = []
        for name, f, v in cases:
            if v == "FIXUP":  # cut AH: rewrite the payload length to the bytes present
                b = bytearray(f)
                b[18:20] = struct.pack("!H", len(b) - 54)
                f, v = bytes(b), tx_or("to VIP" in name, "l4_malformed")
            fixed.append((name, f, v))
        self.assertVerdicts(CFG, fixed, "IPv6 extension headers")

    def test_tcp_data_offset(self):
        cases = []
        for to_vip, dst in ((True, P.VIP4), (False, P.NOT_VIP4), (True, P.VIP6), (False, P.NOT_VIP6)):
            c = C6 if P.is6(dst) else C4
            wrap = (lambda l4: eth(ETH_IP6) + ip6(c, dst, l4)) if P.is6(dst) else \
                (lambda l4: eth(ETH_IP4) + ip4(c, dst, l4))
            who = "to %s" % dst
            for doff in range(5):
                cases.append(("data offset %d %s" % (doff, who), wrap(tcp(c, dst, doff=doff)),
                              tx_or(to_vip, "l4_malformed")))
            cases += [
                ("data offset 15, 20-byte header %s" % who, wrap(tcp(c, dst, doff=15)),
                 tx_or(to_vip, "l4_malformed")),
                ("data offset 6, 23 bytes %s" % who, wrap(tcp(c, dst, doff=6, opts=b"\x01\x01\x01")),
                 tx_or(to_vip, "l4_malformed")),
                ("data offset 6, 24 bytes %s" % who,
                 wrap(tcp(c, dst, doff=6, opts=b"\x01\x01\x01\x01")), "tx" if to_vip else "pass"),
                ("data offset 15, 60 bytes %s" % who,
                 wrap(tcp(c, dst, doff=15, opts=b"\x01" * 40)), "tx" if to_vip else "pass"),
                ("UDP header cut at 7 %s" % who,
                 eth(ETH_IP6) + ip6(c, dst, udp(c, dst)[:7], nh=17) if P.is6(dst) else
                 eth(ETH_IP4) + ip4(c, dst, udp(c, dst)[:7], proto=17),
                 tx_or(to_vip, "l4_malformed")),
            ]
        self.assertVerdicts(CFG, cases, "TCP data offset")

    def test_tcp_options_never_break_forwarding(self):
        """Odd option lists: the packet is forwarded by the ring, no server_id found."""
        opt_lists = {
            "ends mid-option": b"\x02\x04\x05",
            "id option cut by the header end": b"\x01\x01\xb7\x06\x00\x00",
            "zero-length option": b"\x22\x00" * 4,
            "length-1 option": b"\x22\x01\x22\x01",
            "length runs past the header": b"\x08\x28\x00\x00",
            "40 NOPs": b"\x01" * 40,
            "EOL first": b"\x00" * 8,
            "kind 255 length 255": b"\xff" * 40,
            "id option length 255": b"\xb7\xff\x00\x00\x00\x65",
            "id option length 0": b"\xb7\x00\x00\x00\x00\x65",
            "id option length 1": b"\xb7\x01\x00\x00\x00\x65",
            "id option length 2": b"\xb7\x02\xb7\x02\xb7\x02",
            "only an option kind": b"\xb7",
        }
        frames = []
        for k, (name, opts) in enumerate(opt_lists.items()):
            frames.append(eth(ETH_IP4) + ip4(C4, P.VIP4, tcp(C4, P.VIP4, opts=opts, sport=2000 + k)))
            frames.append(eth(ETH_IP6) + ip6(C6, P.VIP6, tcp(C6, P.VIP6, opts=opts, sport=2000 + k)))
        r = self.replay(CFG, frames)
        n = len(frames)
        self.assertCounters(r, {"rx": n, "tx": n, "ct_miss": n}, "odd TCP option lists")
        for k, (fin, fout) in enumerate(zip(frames, r.out)):
            self.assertEncap(fin, fout, G.real_of(fout), "ipip",
                             "option list %r" % list(opt_lists)[k // 2])

    def test_icmp_quote_headers(self):
        """ICMP errors whose quoted IP header is bad: dropped as l4_malformed (to a VIP)."""
        def err4(quote):
            return eth(ETH_IP4) + ip4("198.18.50.1", P.VIP4, bytes(P.ICMP(type=3, code=1) / quote),
                                      proto=1)
        good_q = bytes(P.IP(src=P.VIP4, dst=C4) / P.TCP(sport=80, dport=1234))[:28]
        q_v6 = bytearray(good_q)
        q_v6[0] = 0x65
        q_ihl4 = bytearray(good_q)
        q_ihl4[0] = 0x44
        q_ihl6 = bytes(P.IP(src=P.VIP4, dst=C4, options=[P.IPOption(b"\x01\x01\x01\x00")]) /
                       P.TCP(sport=80, dport=1234))[:32]
        cases = [
            ("quote with version 6", err4(bytes(q_v6)), "l4_malformed"),
            ("quote with IHL 4", err4(bytes(q_ihl4)), "l4_malformed"),
            ("quote with IHL 6 and ports", err4(q_ihl6), "tx"),
            ("quote with IHL 6, ports cut", err4(q_ihl6[:26]), "l4_malformed"),
            ("quote ok", err4(good_q), "tx"),
        ]
        self.assertVerdicts(CFG, cases, "ICMP quotes")


if __name__ == "__main__":
    G.main()
