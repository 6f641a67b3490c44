# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests, malformed input: bad header fields, one defined outcome each.
Every case is one row of table() below: (section, name, frame, outcome).
Rules (docs/malformed.md, core/include/shoal/parse.h): a bad IP header is
dropped (ip4_malformed / ip6_malformed) whoever it is for; a bad or truncated
L4 header (and IPv6 extension headers, ICMP quotes) is dropped (l4_malformed)
when addressed to a VIP address and passed otherwise; more than 6 IPv6
extension headers to a VIP -> ip6_ext_limit; anything not IPv4/IPv6 after at
most one VLAN tag passes; fields the LB does not read (checksums, UDP length,
TTL, flags) are not checked.

This module also holds MalformedCase.assertOutcomes, which the other
test_malformed_* modules use.
"""
import ipaddress
import struct

import goldenlib as G
from goldenlib import P
from scapy.all import checksum

# What an outcome names: the verdict (tx, pass or a drop reason) and the
# counters that say what kind of tx it was (frag, icmp_echo, sid_hit, ...).
# Conntrack counters depend on the packets replayed before, so they are left out.
KINDS = [c for c in G.COUNTERS if c not in G.VERDICTS and c != "rx" and not c.startswith("ct_")]
OUTCOME_COUNTERS = G.VERDICTS + KINDS


class MalformedCase(G.GoldenCase):
    """GoldenCase with outcomes: a verdict and the kind of tx, checked per packet."""

    def assertOutcomes(self, cfg, cases, what):
        """
        cases: [(name, frame, outcome)]. An outcome is a verdict (tx, pass or a
        drop reason) joined by '+' to the counters of its kind: "tx" is a packet
        tunnelled as a flow, "tx+frag" a fragment, "tx+icmp_too_big" a too-big
        error sent back, "tx+sid_hit" a packet routed by its server_id. Each
        packet must add 1 to every counter it names and nothing to the other
        outcome counters. Packets of equal outcome are replayed together; a group
        that fails is halved until each offending packet is named.
        """
        groups = {}
        for name, frame, outcome in cases:
            parts = outcome.split("+")
            self.assertEqual(sum(p in G.VERDICTS for p in parts), 1,
                             "test bug: %s: %s has not exactly one verdict" % (name, outcome))
            for p in parts:
                self.assertIn(p, OUTCOME_COUNTERS, "test bug: %s: unknown counter %s" % (name, p))
            groups.setdefault(outcome, []).append((name, bytes(frame)))
        failures = []
        for outcome, members in sorted(groups.items()):
            self._find_wrong_outcomes(cfg, outcome, members, failures)
        if failures:
            self.fail("%s: %d of %d packets with a wrong outcome:\n  %s" % (
                what, len(failures), len(cases), "\n  ".join(failures[:30])))

    def _find_wrong_outcomes(self, cfg, outcome, members, failures):
        r = self.replay(cfg, [f for _, f in members])
        want = {k: 0 for k in OUTCOME_COUNTERS}
        for k in outcome.split("+"):
            want[k] = len(members)
        got = {k: r.counters[k] for k in OUTCOME_COUNTERS}
        if got == want and r.counters["rx"] == len(members):
            return
        if len(members) == 1:
            name, f = members[0]
            shown = f.hex() if len(f) <= 256 else "%s... (%d bytes)" % (f[:128].hex(), len(f))
            failures.append("%s: expected %s, got %s (frame %s)" % (
                name, outcome, "+".join(k for k in OUTCOME_COUNTERS if got[k]) or "nothing", shown))
            return
        half = len(members) // 2
        self._find_wrong_outcomes(cfg, outcome, members[:half], failures)
        self._find_wrong_outcomes(cfg, outcome, members[half:], failures)


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


def ip4(src, dst, l4, proto=6, ihl=5, tot_len=None, version=4, options=b"", frag=0x4000, ttl=61,
        bad_csum=False):
    """IPv4 bytes with any (possibly wrong) IHL / total length / version; checksum correct."""
    opts = options + b"\0" * (max(ihl * 4 - 20, 0) - len(options)) if ihl >= 5 else b""
    total = 20 + len(opts) + len(l4) if tot_len is None else tot_len
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 1, frag, ttl,
                                proto, 0, ipaddress.IPv4Address(src).packed,
                                ipaddress.IPv4Address(dst).packed))
    hdr += opts
    hdr[10:12] = struct.pack("!H", checksum(bytes(hdr)) ^ (0xFFFF if bad_csum else 0))
    return bytes(hdr) + l4


def ip6(src, dst, l4, nh=6, plen=None, version=6):
    b = bytearray(bytes(P.IPv6(src=src, dst=dst, nh=nh, plen=len(l4) if plen is None else plen)))
    b[0] = (version << 4) | (b[0] & 0xF)
    return bytes(b) + l4


def tcp(src, dst, doff=None, opts=b"", dport=80, sport=1234, flags="A", payload=b""):
    return P.tcp_bytes(src, dst, sport, dport, flags, opts, payload, doff)


def udp(src, dst, dport=53, length=None, bad_csum=False):
    ip = P.IPv6(src=src, dst=dst) if P.is6(src) else P.IP(src=src, dst=dst)
    b = bytearray(bytes(ip / P.UDP(sport=1234, dport=dport) / b"udp")[40 if P.is6(src) else 20:])
    if length is not None:
        b[4:6] = struct.pack("!H", length)
    if bad_csum:
        b[6:8] = struct.pack("!H", (int.from_bytes(b[6:8], "big") ^ 0x5555) or 1)
    return bytes(b)


def echo_bytes(src, dst):
    """An echo request's ICMP bytes (checksum for src -> dst)."""
    if P.is6(src):
        return bytes(P.IPv6(src=src, dst=dst) / P.ICMPv6EchoRequest(data=b"ping"))[40:]
    return bytes(P.IP(src=src, dst=dst) / P.ICMP(type=8) / b"ping")[20:]


def on_ip(dst, l4, proto=6):
    """A frame carrying l4 (bytes, protocol proto) from the client to dst, by dst's family."""
    if P.is6(dst):
        return eth(ETH_IP6) + ip6(C6, dst, l4, nh=proto)
    return eth(ETH_IP4) + ip4(C4, dst, l4, proto=proto)


def vip_or(to_vip, outcome):
    """To a VIP address: outcome. To any other address: pass (the host's business)."""
    return outcome if to_vip else "pass"


def ext_chain(dst, n, proto=6, l4=None, kinds=None):
    """IPv6 to dst with n extension headers (a mix of kinds, or kinds) then l4."""
    kinds = kinds or [P.HOPOPTS, P.DSTOPTS, P.ROUTING, P.AH, P.FRAGMENT, P.DSTOPTS, P.ROUTING,
                      P.DSTOPTS, P.AH, P.DSTOPTS, P.DSTOPTS]
    exts = []
    for i in range(n):
        k = kinds[i]
        exts.append((k, {} if k == P.FRAGMENT else (4 if k == P.AH else i % 3)))
    l4 = tcp(C6, dst) if l4 is None else l4
    return P.frame_of(P.ip6_with_exts(C6, dst, exts, proto, l4))


def set_ext_len(frame, k, hdrlen):
    """frame (bare IPv6, 8-byte extension headers) with the k-th header's length byte set."""
    b = bytearray(frame)
    b[14 + 40 + 8 * k + 1] = hdrlen
    return bytes(b)


def fix_plen(frame):
    """A bare IPv6 frame with its payload length set to the bytes present."""
    b = bytearray(frame)
    b[18:20] = struct.pack("!H", len(b) - 54)
    return bytes(b)


def icmp4_error(quote):
    return eth(ETH_IP4) + ip4("198.18.50.1", P.VIP4, bytes(P.ICMP(type=3, code=1) / quote), proto=1)


def icmp6_error(quote):
    icmp = bytes(P.IPv6(src="2001:db8:50::1", dst=P.VIP6) / P.ICMPv6DestUnreach(code=3) / quote)
    return eth(ETH_IP6) + icmp


def table():
    """[(section, name, frame, outcome)]: every case of this module."""
    rows = []

    def add(section, name, frame, outcome):
        rows.append((section, name, bytes(frame), outcome))

    # --- Ethernet and VLAN tags ---
    good4 = ip4(C4, P.VIP4, tcp(C4, P.VIP4))
    good6 = ip6(C6, P.VIP6, tcp(C6, P.VIP6))
    tag = lambda ethertype: struct.pack("!HH", 7, ethertype)  # noqa: E731
    for name, frame, outcome in [
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
        ("priority tag (VLAN id 0)", eth(ETH_IP4, 0x8100)[:14] + b"\x60\x00\x08\x00" + good4, "tx"),
        ("802.1Q in 802.1Q", eth(0x8100, 0x8100) + tag(ETH_IP4) + good4, "pass"),
        ("802.1Q in 802.1ad (QinQ)", eth(0x8100, 0x88A8) + tag(ETH_IP4) + good4, "pass"),
        ("802.1ad in 802.1Q", eth(0x88A8, 0x8100) + tag(ETH_IP4) + good4, "pass"),
        ("802.1ad in 802.1ad", eth(0x88A8, 0x88A8) + tag(ETH_IP4) + good4, "pass"),
        ("QinQ carrying IPv6 to the VIP", eth(0x8100, 0x88A8) + tag(ETH_IP6) + good6, "pass"),
        ("QinQ to a non-VIP", eth(0x8100, 0x88A8) + tag(ETH_IP4) +
         ip4(C4, P.NOT_VIP4, tcp(C4, P.NOT_VIP4)), "pass"),
        ("three tags", eth(0x8100, 0x88A8) + tag(0x8100) + tag(ETH_IP4) + good4, "pass"),
        ("QinQ cut after the outer tag (18 bytes)", eth(0x8100, 0x88A8), "pass"),
        ("QinQ cut inside the inner tag (20 bytes)", eth(0x8100, 0x88A8) + tag(ETH_IP4)[:2],
         "pass"),
        ("old QinQ TPID 0x9100", eth(ETH_IP4, 0x9100) + good4, "pass"),
        ("ARP", P.l2() / P.ARP(psrc=C4, pdst=P.VIP4), "pass"),
        ("LLDP ethertype", eth(0x88CC) + good4, "pass"),
        ("802.3 length field", eth(0x0040) + good4, "pass"),
        ("ethertype 0", eth(0) + good4, "pass"),
        ("ethertype 0xffff", eth(0xFFFF) + good4, "pass"),
        ("tagged ARP", eth(0x0806, 0x8100) + bytes(P.ARP(psrc=C4, pdst=P.VIP4)), "pass"),
        ("IPv4 ethertype, IPv6 packet", eth(ETH_IP4) + good6, "ip4_malformed"),
        ("IPv6 ethertype, IPv4 packet", eth(ETH_IP6) + good4, "ip6_malformed"),
    ]:
        add("ethernet", name, frame, outcome)

    # --- IPv4 header: IHL, total length, version; fields not checked ---
    for to_vip, dst in ((True, P.VIP4), (False, P.NOT_VIP4)):
        t = tcp(C4, dst)
        who = "to VIP" if to_vip else "to non-VIP"
        e = eth(ETH_IP4)
        for ihl in range(5):
            add("ipv4", "IHL %d %s" % (ihl, who), e + ip4(C4, dst, t, ihl=ihl, tot_len=40),
                "ip4_malformed")
        for name, frame, outcome in [
            ("IHL 15, total length 40 (< 60)", e + b"\x4f" + ip4(C4, dst, t, tot_len=40)[1:],
             "ip4_malformed"),
            ("IHL 15 past the frame", e + ip4(C4, dst, b"", ihl=15, tot_len=60)[:40],
             "ip4_malformed"),
            ("total length 0", e + ip4(C4, dst, t, tot_len=0), "ip4_malformed"),
            ("total length 19", e + ip4(C4, dst, t, tot_len=19), "ip4_malformed"),
            ("IHL 6, total length 23", e + ip4(C4, dst, t, ihl=6, tot_len=23), "ip4_malformed"),
            ("total length 1 past the frame", e + ip4(C4, dst, t, tot_len=41), "ip4_malformed"),
            ("total length 65535", e + ip4(C4, dst, t, tot_len=65535), "ip4_malformed"),
            ("version 6", e + ip4(C4, dst, t, version=6), "ip4_malformed"),
            ("version 0", e + ip4(C4, dst, t, version=0), "ip4_malformed"),
            ("version 5", e + ip4(C4, dst, t, version=5), "ip4_malformed"),
            ("total length 20, no L4", e + ip4(C4, dst, t, tot_len=20),
             vip_or(to_vip, "l4_malformed")),
            ("IHL 6 with an option", e + ip4(C4, dst, t, ihl=6, options=b"\x01\x01\x01\x00"),
             vip_or(to_vip, "tx")),
            ("IHL 15, 40 bytes of NOP options", e + ip4(C4, dst, t, ihl=15, options=b"\x01" * 40),
             vip_or(to_vip, "tx")),
            ("IHL 15, options fill the packet", e + ip4(C4, dst, b"", ihl=15, options=b"\x01" * 40),
             vip_or(to_vip, "l4_malformed")),
            ("option with a length past the header",
             e + ip4(C4, dst, t, ihl=6, options=b"\x07\x27\x04\x00"), vip_or(to_vip, "tx")),
            ("trailing bytes after the IP packet", e + ip4(C4, dst, t) + b"\xee" * 30,
             vip_or(to_vip, "tx")),
            ("header checksum wrong", e + ip4(C4, dst, t, bad_csum=True), vip_or(to_vip, "tx")),
            ("TTL 0", e + ip4(C4, dst, t, ttl=0), vip_or(to_vip, "tx")),
            ("source is the destination", e + ip4(dst, dst, tcp(dst, dst)), vip_or(to_vip, "tx")),
        ]:
            add("ipv4", "%s %s" % (name, who), frame, outcome)

    # --- IPv6 header: version, payload length ---
    for to_vip, dst in ((True, P.VIP6), (False, P.NOT_VIP6)):
        t = tcp(C6, dst)
        who = "to VIP" if to_vip else "to non-VIP"
        e = eth(ETH_IP6)
        for name, frame, outcome in [
            ("version 4", e + ip6(C6, dst, t, version=4), "ip6_malformed"),
            ("version 0", e + ip6(C6, dst, t, version=0), "ip6_malformed"),
            ("payload length 1 past the frame", e + ip6(C6, dst, t, plen=len(t) + 1),
             "ip6_malformed"),
            ("payload length 65535", e + ip6(C6, dst, t, plen=65535), "ip6_malformed"),
            ("header cut at 39 bytes", e + ip6(C6, dst, b"")[:39], "ip6_malformed"),
            ("payload length 0, TCP", e + ip6(C6, dst, t, plen=0), vip_or(to_vip, "l4_malformed")),
            ("payload length 0, no next header", e + ip6(C6, dst, b"", nh=59), "pass"),
            ("payload length 0, hop-by-hop", e + ip6(C6, dst, t, nh=P.HOPOPTS, plen=0),
             vip_or(to_vip, "l4_malformed")),
            ("trailing bytes after the IP packet", e + ip6(C6, dst, t) + b"\xee" * 30,
             vip_or(to_vip, "tx")),
            ("hop limit 0", e + bytes(P.IPv6(src=C6, dst=dst, hlim=0, nh=6, plen=len(t))) + t,
             vip_or(to_vip, "tx")),
        ]:
            add("ipv6", "%s %s" % (name, who), frame, outcome)

    # --- IPv6 extension headers: the walk limit (6), lengths, kinds ---
    for to_vip, dst in ((True, P.VIP6), (False, P.NOT_VIP6)):
        who = "to VIP" if to_vip else "to non-VIP"
        hbh = P.frame_of(P.ip6_with_exts(C6, dst, [(P.HOPOPTS, 0)], 6, tcp(C6, dst)))
        dst6 = lambda n: P.frame_of(P.ip6_with_exts(C6, dst, [(P.DSTOPTS, 0)] * n, 6,  # noqa: E731
                                                    tcp(C6, dst)))
        frag = (P.FRAGMENT, {"frag_off": 100, "m": 1})
        cases = [("%d extension headers then TCP" % n, ext_chain(dst, n), vip_or(to_vip, "tx"))
                 for n in range(7)]
        cases += [("%d extension headers then TCP" % n, ext_chain(dst, n),
                   vip_or(to_vip, "ip6_ext_limit")) for n in (7, 8, 11)]
        cases += [
            ("6 extension headers then no next header", ext_chain(dst, 6, proto=59, l4=b""), "pass"),
            ("6 extension headers then ESP", ext_chain(dst, 6, proto=50, l4=b"\0" * 16), "pass"),
            ("6 extension headers then a cut TCP header", ext_chain(dst, 6, l4=tcp(C6, dst)[:19]),
             vip_or(to_vip, "l4_malformed")),
            ("hop-by-hop length past the packet", hbh[:54] + b"\x06\xff" + hbh[56:],
             vip_or(to_vip, "l4_malformed")),
            ("6th header's length past the packet", set_ext_len(dst6(6), 5, 3),
             vip_or(to_vip, "l4_malformed")),
            ("7 headers, the 6th's length past the packet: the limit first",
             set_ext_len(dst6(7), 5, 255), vip_or(to_vip, "ip6_ext_limit")),
            ("fragment header cut", eth(ETH_IP6) + ip6(C6, dst, b"\x06\x00\x00\x00", nh=44),
             vip_or(to_vip, "l4_malformed")),
            ("AH length past the packet",
             fix_plen(P.frame_of(P.ip6_with_exts(C6, dst, [(P.AH, 60)], 6, tcp(C6, dst)))[:54 + 60]),
             vip_or(to_vip, "l4_malformed")),
            ("AH of 1028 bytes (length 255)",
             P.frame_of(P.ip6_with_exts(C6, dst, [(P.AH, 255)], 6, tcp(C6, dst))),
             vip_or(to_vip, "tx")),
            ("destination options of 1024 bytes (length 127, Pad1 options)",
             eth(ETH_IP6) + ip6(C6, dst, bytes([6, 127]) + b"\0" * 1022 + tcp(C6, dst),
                                nh=P.DSTOPTS), vip_or(to_vip, "tx")),
            ("hop-by-hop after destination options (order not checked)",
             P.frame_of(P.ip6_with_exts(C6, dst, [(P.DSTOPTS, 0), (P.HOPOPTS, 0)], 6, tcp(C6, dst))),
             vip_or(to_vip, "tx")),
            ("6 atomic fragment headers then TCP",
             ext_chain(dst, 6, kinds=[P.FRAGMENT] * 6), vip_or(to_vip, "tx")),
            ("7 atomic fragment headers then TCP",
             ext_chain(dst, 7, kinds=[P.FRAGMENT] * 7), vip_or(to_vip, "ip6_ext_limit")),
            ("5 headers then a fragment header (6th)",
             P.frame_of(P.ip6_with_exts(C6, dst, [(P.DSTOPTS, 0)] * 5 + [frag], 6, b"f" * 16)),
             vip_or(to_vip, "tx+frag")),
            ("6 headers then a fragment header (7th)",
             P.frame_of(P.ip6_with_exts(C6, dst, [(P.DSTOPTS, 0)] * 6 + [frag], 6, b"f" * 16)),
             vip_or(to_vip, "ip6_ext_limit")),
        ]
        for name, frame, outcome in cases:
            add("ipv6 extension headers", "%s %s" % (name, who), frame, outcome)

    # --- L4 headers: TCP data offset, UDP length, fields not checked ---
    for to_vip, dst in ((True, P.VIP4), (False, P.NOT_VIP4), (True, P.VIP6), (False, P.NOT_VIP6)):
        c = C6 if P.is6(dst) else C4
        who = "to %s" % dst
        cases = [("data offset %d" % doff, on_ip(dst, tcp(c, dst, doff=doff)),
                  vip_or(to_vip, "l4_malformed")) for doff in range(5)]
        cases += [
            ("data offset 15, 20-byte header", on_ip(dst, tcp(c, dst, doff=15)),
             vip_or(to_vip, "l4_malformed")),
            ("data offset 6, 23 bytes", on_ip(dst, tcp(c, dst, doff=6, opts=b"\x01\x01\x01")),
             vip_or(to_vip, "l4_malformed")),
            ("data offset 6, 24 bytes", on_ip(dst, tcp(c, dst, doff=6, opts=b"\x01" * 4)),
             vip_or(to_vip, "tx")),
            ("data offset 15, 60 bytes", on_ip(dst, tcp(c, dst, doff=15, opts=b"\x01" * 40)),
             vip_or(to_vip, "tx")),
            ("TCP with SYN, FIN, RST and URG", on_ip(dst, tcp(c, dst, flags="SFRU")),
             vip_or(to_vip, "tx")),
            ("TCP checksum wrong", on_ip(dst, tcp(c, dst)[:16] + b"\xde\xad" + tcp(c, dst)[18:]),
             vip_or(to_vip, "tx")),
            ("UDP header cut at 7", on_ip(dst, udp(c, dst)[:7], 17), vip_or(to_vip, "l4_malformed")),
            ("UDP length 0", on_ip(dst, udp(c, dst, length=0), 17), vip_or(to_vip, "tx")),
            ("UDP length 7", on_ip(dst, udp(c, dst, length=7), 17), vip_or(to_vip, "tx")),
            ("UDP length past the packet", on_ip(dst, udp(c, dst, length=9000), 17),
             vip_or(to_vip, "tx")),
            ("UDP checksum wrong", on_ip(dst, udp(c, dst, bad_csum=True), 17), vip_or(to_vip, "tx")),
            ("ICMP echo header cut at 7", on_ip(dst, echo_bytes(c, dst)[:7], 58 if P.is6(dst) else 1),
             vip_or(to_vip, "l4_malformed")),
        ]
        for name, frame, outcome in cases:
            add("l4", "%s %s" % (name, who), frame, outcome)

    # --- ICMP errors: the quoted header ---
    q4 = bytes(P.IP(src=P.VIP4, dst=C4) / P.TCP(sport=80, dport=1234))[:28]
    q4_ihl6 = bytes(P.IP(src=P.VIP4, dst=C4, options=[P.IPOption(b"\x01\x01\x01\x00")]) /
                    P.TCP(sport=80, dport=1234))[:32]
    q6 = bytes(P.IPv6(src=P.VIP6, dst=C6) / P.TCP(sport=80, dport=1234))[:48]

    def patched(q, at, value):
        b = bytearray(q)
        b[at] = value
        return bytes(b)

    for name, frame, outcome in [
        ("IPv4 quote ok", icmp4_error(q4), "tx+icmp_err_fwd"),
        ("IPv4 quote with version 6", icmp4_error(patched(q4, 0, 0x65)), "l4_malformed"),
        ("IPv4 quote with IHL 4", icmp4_error(patched(q4, 0, 0x44)), "l4_malformed"),
        ("IPv4 quote with IHL 6 and ports", icmp4_error(q4_ihl6), "tx+icmp_err_fwd"),
        ("IPv4 quote with IHL 6, ports cut", icmp4_error(q4_ihl6[:26]), "l4_malformed"),
        ("IPv4 quote cut at 19 bytes", icmp4_error(q4[:19]), "l4_malformed"),
        ("IPv4 quote with total length 0 (not read)",
         icmp4_error(q4[:2] + b"\0\0" + q4[4:]), "tx+icmp_err_fwd"),
        ("IPv4 quote from another address", icmp4_error(patched(q4, 15, 0x77)), "pass"),
        ("IPv6 quote ok", icmp6_error(q6), "tx+icmp_err_fwd"),
        ("IPv6 quote with version 4", icmp6_error(patched(q6, 0, 0x45)), "l4_malformed"),
        ("IPv6 quote with version 0", icmp6_error(patched(q6, 0, 0x05)), "l4_malformed"),
        ("IPv6 quote cut at 39 bytes", icmp6_error(q6[:39]), "l4_malformed"),
        ("IPv6 quote, ports cut", icmp6_error(q6[:43]), "l4_malformed"),
        ("IPv6 quote with payload length 0 (not read)",
         icmp6_error(q6[:4] + b"\0\0" + q6[6:]), "tx+icmp_err_fwd"),
        ("IPv6 quote with a hop-by-hop header (not walked)", icmp6_error(patched(q6, 6, 0)), "pass"),
        ("IPv6 quote from another address", icmp6_error(patched(q6, 23, 0x77)), "pass"),
    ]:
        add("icmp quote", name, frame, outcome)
    return rows


class HeaderTest(MalformedCase):

    def check(self, section):
        cases = [(name, frame, outcome) for s, name, frame, outcome in table() if s == section]
        self.assertTrue(cases, "test bug: no cases in section %s" % section)
        self.assertOutcomes(CFG, cases, section)

    def test_ethernet(self):
        self.check("ethernet")

    def test_ipv4_header(self):
        self.check("ipv4")

    def test_ipv6_header(self):
        self.check("ipv6")

    def test_ipv6_extension_headers(self):
        self.check("ipv6 extension headers")

    def test_l4_headers(self):
        self.check("l4")

    def test_icmp_quote_headers(self):
        self.check("icmp quote")


if __name__ == "__main__":
    G.main()
