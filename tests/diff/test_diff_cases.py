# SPDX-License-Identifier: BSD-3-Clause
"""
Differential test, curated traffic: each scenario is one config and one pcap
mixing many kinds of packet, run through shoal-replay --backend user and
--backend xdp; out.pcap must be byte-identical and the JSON summaries equal.

    /usr/bin/python3 tests/diff/test_diff_cases.py path/to/shoal-replay [SCENARIO...]

Scenarios: flows, server_id, frag, icmp, too_big, malformed, conntrack.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difflib_shoal as D  # noqa: E402
from difflib_shoal import P  # noqa: E402

import test_frag as GF  # noqa: E402  (golden generators, reused as they are)
import test_icmp as GI  # noqa: E402
import test_malformed_hdr as GH  # noqa: E402
import test_malformed_trunc as GT  # noqa: E402
import test_too_big as GB  # noqa: E402

from scapy.all import IPOption_Router_Alert  # noqa: E402

C4 = [P.client4(i) for i in range(64)]
C6 = [P.client6(i) for i in range(64)]
VIP4_C, VIP6_C = "198.18.100.3", "2001:db8:100::3"


def ip6_tcp(src, dst, sport, dport, exts, flags="A", payload=b"", opts=b"", vlan=None):
    """A TCP frame over IPv6 with extension headers exts ([(kind, hdrlen)])."""
    tcp = P.tcp_bytes(src, dst, sport, dport, flags, opts, payload)
    return P.frame_of(P.ip6_with_exts(src, dst, exts, 6, tcp), vlan)


def ip6_udp(src, dst, sport, dport, exts, payload=b"udp-ext"):
    ip = P.IPv6(src=src, dst=dst)
    udp = bytes(ip / P.UDP(sport=sport, dport=dport) / payload)[40:]
    return P.frame_of(P.ip6_with_exts(src, dst, exts, 17, udp))


# --- flows: every tunnel, VLAN, IP options, IPv6 extension headers, flags ---

FLOWS_CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real(P.real4(2), weight=2), P.real4(3), P.real6(4)]),
    P.vip(P.VIP4, "udp", 53, [P.real4(1), P.real4(2), P.real6(3)], encap="gue"),
    P.vip(P.VIP6, "tcp", 443, [P.real6(1), P.real6(2), P.real6(3)]),
    P.vip(P.VIP6, "udp", 0, [P.real6(1), P.real6(2), P.real4(5)], encap="gue"),
    P.vip(P.VIP4, "tcp", 8080, [P.real6(6), P.real6(7)], flags=["no_sport"]),
    P.vip(P.VIP6, "tcp", 8080, [P.real4(6), P.real4(7)], flags=["dport_hash"]),
    P.vip(P.VIP4_B, "tcp", 0, [P.real4(8), P.real4(9), P.real4(10)], hash="rendezvous",
          flags=["no_lru"]),
    P.vip(P.VIP6_B, "tcp", 25, []),
    P.vip(P.VIP4_B, "udp", 123, [P.real(P.real4(11), weight=0)]),
    P.vip(VIP4_C, "tcp", 443, [P.real4(1), P.real6(2)], encap="gue", flags=["no_lru"]),
    P.vip(VIP6_C, "udp", 4500, [P.real4(12), P.real6(12)], encap="gue", flags=["no_sport"]),
])

TCP_VIPS = [(P.VIP4, 80), (P.VIP6, 443), (P.VIP4, 8080), (P.VIP6, 8080), (P.VIP4_B, 22),
            (P.VIP4_B, 9999), (VIP4_C, 443), (P.VIP6_B, 25)]
UDP_VIPS = [(P.VIP4, 53), (P.VIP6, 53), (P.VIP6, 7777), (P.VIP4_B, 123), (VIP6_C, 4500)]


def client_for(vip, i):
    return C6[i] if P.is6(vip) else C4[i]


def flows_frames():
    frames = []
    for i in range(24):
        vlan = 7 if i % 3 == 0 else None
        tos = (i * 37) & 0xFF
        for vip, port in TCP_VIPS:
            c = client_for(vip, i)
            frames.append(P.tcp_frame(c, vip, 20000 + i, port, "S", tos=tos, vlan=vlan))
        for vip, port in UDP_VIPS:
            c = client_for(vip, i)
            frames.append(P.udp_frame(c, vip, 30000 + i, port, payload=b"q" * (i * 13),
                                      tos=tos, vlan=vlan))
    for i in range(24):
        vlan = 7 if i % 3 == 0 else None
        for vip, port in TCP_VIPS:
            c = client_for(vip, i)
            frames.append(P.tcp_frame(c, vip, 20000 + i, port, "PA", payload=b"d" * (i * 31),
                                      vlan=vlan, seq=2000))
        frames.append(P.tcp_frame(C4[i], P.VIP4, 20000 + i, 80, "R" if i % 4 == 0 else "FA"))
    # IPv4 options (forwarded untouched), no DF, and a different TTL.
    for i in range(8):
        frames.append(P.l2() / P.IP(src=C4[i], dst=P.VIP4, ttl=3 + i, flags=0, id=i,
                                    options=[IPOption_Router_Alert()]) /
                      P.TCP(sport=40000 + i, dport=80, flags="S"))
        frames.append(P.l2(vlan=9) / P.IP(src=C4[i], dst=P.VIP4, options=[P.IPOption(
            b"\x01\x01\x01\x00")]) / P.UDP(sport=40000 + i, dport=53) / b"opt")
    # IPv6 extension headers in front of TCP and UDP.
    chains = [[(P.HOPOPTS, 0)], [(P.DSTOPTS, 1)], [(P.ROUTING, 0)], [(P.HOPOPTS, 0), (P.DSTOPTS, 0)],
              [(P.AH, 1)], [(P.HOPOPTS, 0), (P.ROUTING, 2), (P.DSTOPTS, 0), (P.AH, 2)],
              [(P.DSTOPTS, 0)] * 6, [(P.DSTOPTS, 0)] * 7]
    for i, chain in enumerate(chains):
        frames.append(ip6_tcp(C6[i], P.VIP6, 41000 + i, 443, chain, "S"))
        frames.append(ip6_tcp(C6[i], P.VIP6, 41000 + i, 443, chain, "PA", b"ext-data", vlan=4))
        frames.append(ip6_udp(C6[i], P.VIP6, 41000 + i, 9000 + i, chain))
        frames.append(ip6_tcp(C6[i], P.NOT_VIP6, 41000 + i, 443, chain, "S"))
    # Echo requests and other ICMP, to VIPs and elsewhere.
    for i, (vip, vlan) in enumerate([(P.VIP4, None), (P.VIP6, None), (P.VIP4_B, 3), (VIP6_C, 3),
                                     (P.NOT_VIP4, None), (P.NOT_VIP6, None)]):
        frames.append(P.echo_frame(client_for(vip, i), vip, ident=i, seq=i, vlan=vlan,
                                   payload=b"p" * (i * 50)))
    frames.append(P.l2() / P.IP(src=C4[1], dst=P.VIP4) / P.ICMP(type=0) / b"reply")
    frames.append(P.l2() / P.IP(src=C4[1], dst=P.VIP4) / P.ICMP(type=13) / b"timestamp")
    frames.append(P.l2() / P.IPv6(src=C6[1], dst=P.VIP6) / P.ICMPv6EchoReply() / b"reply")
    # Not ours: other addresses, other protocols, ARP, NDP-ish, GRE, SCTP.
    frames.append(P.tcp_frame(C4[2], P.NOT_VIP4, 1, 80))
    frames.append(P.udp_frame(C6[2], P.NOT_VIP6, 1, 53))
    frames.append(P.l2() / P.ARP(psrc=C4[3], pdst=P.VIP4))
    frames.append(P.l2() / P.IP(src=C4[3], dst=P.VIP4, proto=47) / (b"\0" * 8))
    frames.append(P.l2() / P.IPv6(src=C6[3], dst=P.VIP6, nh=132) / (b"\0" * 12))
    frames.append(P.l2() / P.IP(src=C4[3], dst=P.VIP4) / P.TCP(sport=5, dport=81))
    # The first flows once more: conntrack hits.
    for i in range(6):
        for vip, port in TCP_VIPS[:4]:
            frames.append(P.tcp_frame(client_for(vip, i), vip, 20000 + i, port, "A", seq=3000))
    return FLOWS_CFG, frames, None


# --- server_id ------------------------------------------------------------

SID_CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(i), server_id=100 + i) for i in range(1, 6)]),
    P.vip(P.VIP6, "tcp", 443, [P.real(P.real6(i), server_id=200 + i) for i in range(1, 4)] +
          [P.real(P.real4(1), server_id=101)], flags=["no_lru"]),
    P.vip(P.VIP4_B, "tcp", 0, [P.real(P.real4(9), server_id=109), P.real6(9)], encap="gue"),
])


def sid_frames():
    frames = []
    ids = [101, 102, 103, 104, 105, 201, 202, 203, 109, 999, 0, 0xFFFFFFFF]
    for i, sid in enumerate(ids):
        for vip, port in ((P.VIP4, 80), (P.VIP6, 443), (P.VIP4_B, 4000 + i)):
            c = client_for(vip, i)
            opt = struct.pack("!BBI", 0xB7, 6, sid)
            for flags in ("S", "A", "PA", "R", "FA", "SA"):
                frames.append(P.tcp_frame(c, vip, 50000 + i, port, flags,
                                          options=[P.sid_option(sid)], payload=b"s"))
            # Option among others, and at odd places.
            for opts in (b"\x01" + opt, b"\x01\x01\x01" + opt, b"\x02\x04\x05\xb4" + opt,
                         opt[:5], b"\x08\x0a" + b"\0" * 8 + opt, b"\x00" + opt,
                         b"\xb7\x05" + opt[2:], b"\xb7\x00" + opt):
                frames.append(P.tcp_raw_opts_frame(c, vip, 50000 + i, port, opts))
            frames.append(P.tcp_raw_opts_frame(c, vip, 50000 + i, port, opt, doff=6))
    return SID_CFG, frames, None


# --- fragments --------------------------------------------------------------

def frag_frames():
    frames = []
    for i in range(6):
        frames += GF.frags4(C4[i], P.VIP4, "udp", 1000 + i, 53, size=1500 + 100 * i)
        frames += GF.frags4(C4[i], P.VIP4, "tcp", 1000 + i, 80, size=2000, fragsize=600)
        frames += GF.frags6(C6[i], P.VIP6, "udp", 1000 + i, 53, size=1800)
        frames += GF.frags6(C6[i], P.VIP6, "tcp", 1000 + i, 443, size=2500, fragsize=800)
        frames += GF.frags4(C4[i], P.VIP4_B, "tcp", 1000 + i, 443)
        frames += GF.frags6(C6[i], P.VIP6_B, "tcp", 1000 + i, 8080)
        frames += GF.frags4(C4[i], P.NOT_VIP4, "udp", 1, 2)
        frames += GF.frags6(C6[i], P.VIP6, "udp", 7, 8, ext=P.IPv6ExtHdrDestOpt())
        frames.append(P.l2() / P.IPv6(src=C6[i], dst=P.VIP6) / P.IPv6ExtHdrFragment(id=i) /
                      P.UDP(sport=5000 + i, dport=53) / b"atomic")
        frames.append(P.udp_frame(C4[i], P.VIP4, 1000 + i, 53))
    return GF.CFG, frames, None


# --- ICMP errors --------------------------------------------------------------

def icmp_frames():
    frames = []
    for i in range(12):
        for vip, proto, port in ((P.VIP4, "tcp", 80), (P.VIP4, "udp", 53), (P.VIP6, "tcp", 443),
                                 (P.VIP6, "udp", 5353), (P.VIP4_B, "udp", 9)):
            c = client_for(vip, i)
            if i % 2 == 0:  # the flow first, then errors about it
                frames.append(P.tcp_frame(c, vip, 60000 + i, port, "S") if proto == "tcp"
                              else P.udp_frame(c, vip, 60000 + i, port))
            kinds = ("unreach", "too_big") if P.is6(vip) else ("unreach", "too_big", "port")
            for kind in kinds:
                frames.append(GI.icmp_error(vip, c, proto, port, 60000 + i, kind,
                                            vlan=5 if i % 3 == 0 else None))
        frames.append(GI.icmp_error(P.NOT_VIP4, C4[i], "tcp", 80, 60000 + i))
        frames.append(GI.icmp_error(P.NOT_VIP6, C6[i], "udp", 53, 60000 + i))
        frames.append(P.echo_frame(C4[i], P.VIP4, seq=i))
        frames.append(P.echo_frame(C6[i], P.VIP6, seq=i, vlan=8))
    return GI.CFG, frames, None


# --- too big --------------------------------------------------------------------

def too_big_frames():
    frames = []
    mtu = 1400
    for i, (vip, port, _, _, ovh) in enumerate(GB.TUNNELS):
        six = P.is6(vip)
        for l3 in (mtu - ovh - 1, mtu - ovh, mtu - ovh + 1, mtu, 1500, 3000, 3400):
            for df in (True, False):
                if six and not df:
                    continue
                frames.append(GB.tcp_of_len(vip, port, l3, i, df=df, vlan=3 if l3 % 2 else None))
        frames.append(GB.udp_of_len(vip, mtu + 10, i))
        frames.append(GB.udp_of_len(vip, 2000, i, df=False))
    return GB.cfg(mtu), frames, None


# --- malformed ------------------------------------------------------------------

def malformed_frames():
    """The golden truncation and header tables, in one pcap."""
    cases = GT.frame_cuts() + GT.l4_cuts(0) + GT.l4_cuts(32)
    frames = [f for _, f, _ in cases] + [f for _, _, f, _ in GH.table()]
    return GH.CFG, [f for f in frames if D.runnable(bytes(f))], None


# --- conntrack: a small table that evicts, UDP timeouts, RST --------------------

def conntrack_frames():
    cfg = P.config([
        P.vip(P.VIP4, "tcp", 80, [P.real4(i) for i in range(1, 9)]),
        P.vip(P.VIP6, "udp", 53, [P.real6(i) for i in range(1, 6)] + [P.real4(9)]),
        P.vip(P.VIP4, "udp", 0, [P.real4(i) for i in range(1, 4)], encap="gue"),
    ], conntrack_size=64, udp_timeout_ms=50)
    frames, times, t = [], [], 0

    def add(f, dt_us=100):
        nonlocal t
        t += dt_us
        frames.append(f)
        times.append(t)

    for rnd in range(3):
        for i in range(200):  # 600 flows over 16 buckets of 4: constant eviction
            c = P.client4(i)
            add(P.tcp_frame(c, P.VIP4, 10000 + i, 80, "S"))
            add(P.udp_frame(P.client6(i), P.VIP6, 10000 + i, 53), 7 if i % 5 else 60000)
            add(P.udp_frame(c, P.VIP4, 10000 + i, 5000 + i))
            if i % 3 == 0:
                add(P.tcp_frame(P.client4(i // 2), P.VIP4, 10000 + i // 2, 80, "A"))
            if i % 7 == 0:
                add(P.tcp_frame(c, P.VIP4, 10000 + i, 80, "R"))
    return cfg, frames, times


SCENARIOS = {
    "flows": flows_frames,
    "server_id": sid_frames,
    "frag": frag_frames,
    "icmp": icmp_frames,
    "too_big": too_big_frames,
    "malformed": malformed_frames,
    "conntrack": conntrack_frames,
}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: %s path/to/shoal-replay [SCENARIO...]" % sys.argv[0])
    D.need_root()
    binary = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(SCENARIOS)
    failed = 0
    for name in names:
        t0 = time.monotonic()
        cfg, frames, times = SCENARIOS[name]()
        frames = [bytes(f) for f in frames]
        try:
            s = D.compare(binary, name, cfg, frames, times)
        except D.Mismatch as e:
            print("FAIL %s" % e, flush=True)
            failed += 1
            continue
        c = s["counters"]
        print(flush=True, *["ok   %-10s %5d frames: tx %d, pass %d, drop %d; ct_hit %d, sid_hit %d, frag %d, "
              "icmp_err_fwd %d, icmp_too_big %d (%.1f s)" % (
                  name, len(frames), s["tx"], s["pass"], s["drop"], c["ct_hit"], c["sid_hit"],
                  c["frag"], c["icmp_err_fwd"], c["icmp_too_big"], time.monotonic() - t0)])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
