# SPDX-License-Identifier: BSD-3-Clause
"""
Seed corpora of the fuzzers, written to tests/fuzz/corpus/{pipeline,config,ctl}/.

    /usr/bin/python3 tests/fuzz/make_seeds.py

The output is committed; run this again after changing it. It replaces the
files named seed-* and leaves the others (repro-*: inputs that once found a
bug, kept as regressions). Deterministic: the same files every run.

- pipeline: records "ctrl, 2-byte length, frame" (see fuzz_pipeline.c) with
  frames from tests/pkts/shoalpkts.py, aimed at the VIPs of fuzz_pipeline.c's
  CONFIG: every kind of VIP, echo, ICMP errors, fragments, too big, VLAN,
  IPv6 extension headers, malformed headers; and a few multi-frame inputs
  (conntrack eviction, a UDP flow outliving its timeout).
- config: lb.json texts, valid ones (control/examples/lb.json, the
  docs/config.md example, shoalpkts configs) and one per kind of error; and
  pairs "A NUL B" (a config, then a change to it).
- ctl: one byte of piece size, then request lines for fuzz_ctl_proto.c's BASE
  config: every command, accepted and refused, and broken framing.
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "pkts"))

import shoalpkts as P  # noqa: E402

CLIENT4, CLIENT6 = P.client4(0), P.client6(0)
ROUTER4, ROUTER6 = "198.18.200.1", "2001:db8:200::1"

# ctrl bits of a pipeline record (fuzz_pipeline.c)
TWICE, TIGHT = 0x01, 0x02


def step(n):
    """ctrl bits for a clock advance of n steps of 25 ms."""
    return n << 2


def record(frame, ctrl=0):
    b = bytes(frame)
    return bytes([ctrl]) + struct.pack("!H", len(b)) + b


def quoted(vip, client, proto, vport, cport):
    """A real's reply (VIP -> client), as an ICMP error quotes it."""
    ip = P.ip_of(vip, client)
    l4 = P.TCP(sport=vport, dport=cport, flags="PA") if proto == "tcp" else P.UDP(
        sport=vport, dport=cport)
    return bytes(ip / l4 / b"reply")


def icmp_error(vip, client, proto, vport, cport, pad=0):
    """An ICMP error from a router about a real's reply; pad bytes after the quote."""
    q = quoted(vip, client, proto, vport, cport) + b"p" * pad
    if P.is6(vip):
        return P.l2() / P.IPv6(src=ROUTER6, dst=vip) / P.ICMPv6PacketTooBig(mtu=1280) / P.Raw(q)
    return P.l2() / P.IP(src=ROUTER4, dst=vip) / P.ICMP(type=3, code=4, nexthopmtu=1400) / P.Raw(q)


def frag4(vip, proto, offset, mf):
    """An IPv4 fragment to vip: the first (offset 0, with the L4 header) or a later one."""
    l4 = P.UDP(sport=5000, dport=53) if proto == "udp" else P.TCP(sport=5000, dport=80)
    body = bytes(l4) + b"x" * 16 if offset == 0 else b"y" * 16
    ip = P.IP(src=CLIENT4, dst=vip, flags="MF" if mf else 0, frag=offset, id=7,
              proto=17 if proto == "udp" else 6)
    return P.l2() / ip / P.Raw(body)


def pipeline_seeds():
    V4, V4B, V4C, V6, V6B = P.VIP4, P.VIP4_B, "198.18.100.3", P.VIP6, P.VIP6_B
    sid = P.sid_option
    s = {
        "tcp4-syn-80": record(P.tcp_frame(CLIENT4, V4, 40000, 80)),
        "tcp4-ack-twice": record(P.tcp_frame(CLIENT4, V4, 40000, 80, flags="A"), TWICE),
        "tcp4-rst-twice": record(P.tcp_frame(CLIENT4, V4, 40001, 80, flags="R"), TWICE),
        "tcp4-sid-102": record(P.tcp_frame(CLIENT4, V4, 40002, 80, flags="A", options=[sid(102)])),
        "tcp4-sid-drained-104": record(P.tcp_frame(CLIENT4, V4, 40003, 80, flags="A",
                                                   options=[("NOP", None), sid(104)])),
        "tcp4-sid-unknown": record(P.tcp_frame(CLIENT4, V4, 40004, 80, flags="A", options=[sid(999)])),
        "tcp4-opts-bad": record(P.tcp_raw_opts_frame(CLIENT4, V4, 40005, 80, b"\x01\xb7\x07\x00")),
        "tcp4-vlan": record(P.tcp_frame(CLIENT4, V4, 40006, 80, flags="A", vlan=7), TWICE),
        "tcp4-tight-headroom": record(P.tcp_frame(CLIENT4, V4, 40007, 80), TIGHT),
        "tcp4-no-reals": record(P.tcp_frame(CLIENT4, V4C, 40008, 80)),
        "tcp4-dport-hash": record(P.tcp_frame(CLIENT4, V4B, 40009, 443, flags="A"), TWICE),
        "tcp4-not-a-port": record(P.tcp_frame(CLIENT4, V4B, 40010, 444)),
        "tcp4-not-vip": record(P.tcp_frame(CLIENT4, P.NOT_VIP4, 40011, 80)),
        "udp4-port0-gue": record(P.udp_frame(CLIENT4, V4, 5353, 9999), TWICE),
        "udp4-53-no-lru": record(P.udp_frame(CLIENT4, V4, 5353, 53), TWICE),
        # CONFIG's mtu is 1200: the VIP on port 53 has one IPv4 real (IPIP, 20 bytes), so a
        # 1180-byte packet just fits and a 1181-byte one is too big.
        "udp4-mtu-fits": record(P.udp_frame(CLIENT4, V4, 5354, 53, payload=b"u" * (1180 - 28))),
        "udp4-mtu-past": record(P.udp_frame(CLIENT4, V4, 5354, 53, payload=b"u" * (1181 - 28))),
        "udp4-no-df-big": record(P.udp_frame(CLIENT4, V4, 5354, 9999, payload=b"u" * 1300, df=False)),
        "tcp4-too-big": record(P.tcp_frame(CLIENT4, V4, 40012, 80, flags="A", payload=b"t" * 1300)),
        "tcp4-options-ip": record(P.l2() / P.IP(src=CLIENT4, dst=V4,
                                                options=[P.IPOption(b"\x94\x04\x00\x00")])
                                  / P.TCP(sport=40013, dport=80, flags="A")),
        "icmp4-echo": record(P.echo_frame(CLIENT4, V4), TWICE),
        "icmp4-echo-zero": record(P.echo_frame(CLIENT4, V4, ident=0, seq=0, payload=b"")),
        "icmp4-echo-not-vip": record(P.echo_frame(CLIENT4, P.NOT_VIP4)),
        "icmp4-error-tcp": record(icmp_error(V4, CLIENT4, "tcp", 80, 40000)),
        "icmp4-error-udp": record(icmp_error(V4, CLIENT4, "udp", 9999, 5353)),
        # too big once encapsulated, and never answered with an error about an error
        "icmp4-error-too-big": record(icmp_error(V4, CLIENT4, "tcp", 80, 40000, pad=1200)),
        "frag4-first": record(frag4(V4, "udp", 0, True)),
        "frag4-later-tcp": record(frag4(V4, "tcp", 8, False)),
        "tcp6-syn-443": record(P.tcp_frame(CLIENT6, V6, 40000, 443)),
        "tcp6-sid-201": record(P.tcp_frame(CLIENT6, V6, 40001, 443, flags="A",
                                           options=[sid(201)]), TWICE),
        "tcp6-all-weight-0": record(P.tcp_frame(CLIENT6, V6B, 40002, 80, flags="A")),
        "tcp6-too-big": record(P.tcp_frame(CLIENT6, V6, 40003, 443, flags="A", payload=b"t" * 1400)),
        # quoted whole (under 1232 bytes), an odd length
        "udp6-too-big-odd": record(P.udp_frame(CLIENT6, V6, 5355, 53, payload=b"o" * (1201 - 48))),
        "udp6-port0": record(P.udp_frame(CLIENT6, V6, 5353, 53), TWICE),
        "udp6-vlan-ad": record(P.Ether(src=P.CLIENT_MAC, dst=P.LB_MAC, type=0x88A8) / P.Dot1Q(vlan=9)
                               / P.IPv6(src=CLIENT6, dst=V6) / P.UDP(sport=1, dport=2) / b"q"),
        "icmp6-echo": record(P.echo_frame(CLIENT6, V6), TWICE),
        "icmp6-error-tcp": record(icmp_error(V6, CLIENT6, "tcp", 443, 40000)),
        "ip6-exts-udp": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.HOPOPTS, 0), (P.DSTOPTS, 1), (P.ROUTING, 0)], 17,
            P.UDP(sport=7, dport=53) / b"e"))),
        "ip6-frag-first": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.FRAGMENT, {"frag_off": 0, "m": 1})], 6,
            P.TCP(sport=7, dport=443) / b"f"))),
        "ip6-frag-later": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.FRAGMENT, {"frag_off": 4, "m": 0})], 17, b"g" * 8))),
        "ip6-atomic-frag": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.FRAGMENT, {"frag_off": 0, "m": 0})], 17,
            P.UDP(sport=8, dport=53) / b"h"))),
        "ip6-ext-limit": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.DSTOPTS, 0)] * 7, 17, P.UDP(sport=9, dport=53)))),
        "ip6-ah": record(P.frame_of(P.ip6_with_exts(
            CLIENT6, V6, [(P.AH, 1)], 6, P.TCP(sport=10, dport=443, flags="A")))),
        "arp": record(P.Ether(src=P.CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / P.ARP(pdst=V4)),
        "trunc-eth": record(bytes(P.tcp_frame(CLIENT4, V4, 1, 80))[:10]),
        "trunc-ip4": record(bytes(P.tcp_frame(CLIENT4, V4, 1, 80))[:30]),
        "trunc-tcp4": record(bytes(P.tcp_frame(CLIENT4, V4, 1, 80))[:40]),
        "bad-ihl": record(bytes(P.tcp_frame(CLIENT4, V4, 1, 80))[:14] + b"\x44" +
                          bytes(P.tcp_frame(CLIENT4, V4, 1, 80))[15:]),
        "ip6-short-plen": record(bytes(P.udp_frame(CLIENT6, V6, 1, 53))[:60]),
    }
    # Five flows share the one conntrack bucket: the fifth evicts the stalest, then the first returns.
    flows = [P.tcp_frame(CLIENT4, V4, 41000 + i, 80, flags="A") for i in range(5)]
    s["multi-ct-evict"] = b"".join(record(f, step(1)) for f in flows) + record(flows[0], step(1))
    # A UDP flow, again within its timeout, then again after it (40 steps = 1 s).
    u = P.udp_frame(CLIENT4, V4, 6000, 9999)
    s["multi-udp-timeout"] = record(u) + record(u, step(4)) + record(u, step(40))
    # A flow, then an ICMP error about it: the error follows the flow's real.
    s["multi-flow-then-error"] = (record(P.tcp_frame(CLIENT4, V4, 40000, 80, flags="A"))
                                  + record(icmp_error(V4, CLIENT4, "tcp", 80, 40000)))
    # A burst of mixed frames at one clock reading.
    s["multi-burst"] = b"".join(record(f) for f in (
        P.tcp_frame(CLIENT4, V4, 42000, 80), P.udp_frame(CLIENT6, V6, 42001, 53),
        P.echo_frame(CLIENT4, V4), P.tcp_frame(CLIENT4, V4, 42000, 80, flags="A")))
    return s


# --- config ------------------------------------------------------------------

def small(vips, **lb):
    """A config with a small ring (the fuzzer builds tables for every accepted config)."""
    lb.setdefault("ring_size", 13)
    lb.setdefault("conntrack_size", 64)
    return P.config(vips, **lb)


def dumps(cfg):
    return json.dumps(cfg, indent=1).encode()


def config_seeds():
    with open(os.path.join(ROOT, "control", "examples", "lb.json"), "rb") as f:
        example = json.loads(f.read())
    example["lb"]["ring_size"] = 61
    r4 = [P.real(P.real4(1), server_id=101), P.real(P.real4(2), weight=2), P.real(P.real6(3))]
    base = small([
        P.vip(P.VIP4, "tcp", 80, r4),
        P.vip(P.VIP4, "udp", None, [P.real4(1), P.real(P.real4(2), weight=0)], encap="gue",
              flags=["no_sport"]),
        P.vip(P.VIP6, "tcp", 443,
              [P.real(P.real6(3), server_id=103), P.real(P.real4(1), server_id=101)],
              hash="rendezvous", flags=["no_lru"]),
        P.vip(P.VIP6_B, "udp", 53, [], flags=["dport_hash"]),
    ])
    changed = small([
        P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(2), weight=3), P.real4(4), P.real6(3)]),
        P.vip(P.VIP6, "tcp", 443, [P.real(P.real6(3), server_id=103)], hash="rendezvous"),
        P.vip(P.VIP4_B, "tcp", 8080, [P.real4(1)]),
    ])
    s = {
        "minimal": b'{ "lb": { "gateway_mac": "02:00:00:00:00:01" } }',
        "example": dumps(example),
        "base": dumps(base),
        "v4-only": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real4(1)])], ipv6_src=None)),
        "all-lb-keys": dumps(small([], mtu=9216, gue_port=1, udp_timeout_ms=86400000,
                                   ring_size=655373, conntrack_size=67108864)),
        "pair-change": dumps(base) + b"\0" + dumps(changed),
        "pair-same": dumps(base) + b"\0" + dumps(base),
        "pair-empty": dumps(base) + b"\0" + dumps(small([])),
        "pair-back": dumps(changed) + b"\0" + dumps(base),
        # refused, one per rule
        "bad-syntax": b'{ "lb": { "gateway_mac": "02:00:00:00:00:01", } }',
        "bad-duplicate-key":
            b'{ "lb": { "gateway_mac": "02:00:00:00:00:01", "mtu": 1500, "mtu": 1400 } }',
        "bad-unknown-key": dumps(dict(small([]), extra=1)),
        "bad-ring-not-prime": dumps(small([], ring_size=65536)),
        "bad-mtu-float": dumps(small([], mtu=1500.0)),
        "bad-mac": dumps(small([], gateway_mac="02:00:00:00:00")),
        "bad-hash-key": dumps(small([], hash_key="0011")),
        "bad-src-family": dumps(small([], ipv4_src=P.LB6)),
        "bad-real-needs-src6": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real6(1)])], ipv6_src=None)),
        "bad-zero-addr": dumps(small([P.vip("0.0.0.0", "tcp", 80, [])])),
        "bad-dup-vip": dumps(small([P.vip(P.VIP6, "tcp", 80, []),
                                    P.vip("2001:DB8:100:0::1", "tcp", 80, [])])),
        "bad-dup-real": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(1)])])),
        "bad-sid-two-addrs": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(1), server_id=7),
                                                                   P.real(P.real4(2), server_id=7)])])),
        "bad-addr-two-sids": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(1), server_id=7)]),
                                          P.vip(P.VIP4, "udp", 80, [P.real(P.real4(1), server_id=8)])])),
        "bad-flags": dumps(small([P.vip(P.VIP4, "tcp", 80, [], flags=["no_sport", "dport_hash"])])),
        "bad-flag-twice": dumps(small([P.vip(P.VIP4, "tcp", 80, [], flags=["no_lru", "no_lru"])])),
        "bad-weight": dumps(small([P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(1), weight=65536)])])),
        "bad-protocol": dumps(small([P.vip(P.VIP4, "TCP", 80, [])])),
        "bad-control-char": b'{ "lb": { "gateway_mac": "02:00:00:00:00:01", "\\u001b[31m": 1 } }',
        "bad-top-level": b'[]',
    }
    return s


# --- ctl -----------------------------------------------------------------------

def lines(*reqs):
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in reqs)


def ctl_seeds():
    vip_new = {"address": P.VIP4_B, "port": 443, "protocol": "tcp", "reals": [{"address": P.real4(3)}]}
    vip_new2 = {"address": P.VIP6_B, "protocol": "udp", "encap": "gue"}
    s = {
        "show": lines({"cmd": "show"}),
        "stats": lines({"cmd": "stats"}),
        "reload": lines({"cmd": "real-del", "vip": "198.18.100.1:80/tcp", "real": P.real4(1)},
                        {"cmd": "reload"}),
        "vip-add": lines({"cmd": "vip-add", "vip": vip_new}),
        "vip-add-past-room": lines({"cmd": "vip-add", "vip": vip_new},
                                   {"cmd": "vip-add", "vip": vip_new2}),
        "vip-add-bad": lines({"cmd": "vip-add",
                              "vip": {"address": P.VIP4, "port": 80, "protocol": "tcp"}}),
        "vip-del": lines({"cmd": "vip-del", "vip": "[2001:db8:100::1]:443/tcp"}),
        "vip-del-missing": lines({"cmd": "vip-del", "vip": "198.18.100.9:80/tcp"}),
        "vip-del-bad-name": lines({"cmd": "vip-del", "vip": "198.18.100.1:80"}),
        "real-add": lines({"cmd": "real-add", "vip": "198.18.100.1:0/udp",
                           "real": {"address": P.real4(9), "weight": 3, "server_id": 109}}),
        "real-add-sid-taken": lines({"cmd": "real-add", "vip": "198.18.100.1:80/tcp",
                                     "real": {"address": P.real4(9), "server_id": 101}}),
        "real-del": lines({"cmd": "real-del", "vip": "198.18.100.1:80/tcp", "real": P.real4(2)}),
        "real-del-missing": lines({"cmd": "real-del", "vip": "198.18.100.1:80/tcp", "real": P.real4(7)}),
        "real-weight": lines({"cmd": "real-weight", "vip": "198.18.100.1:80/tcp", "real": P.real4(1),
                              "weight": 0}),
        "real-weight-range": lines({"cmd": "real-weight", "vip": "198.18.100.1:80/tcp",
                                    "real": P.real4(1), "weight": 70000}),
        "real-weight-string": lines({"cmd": "real-weight", "vip": "198.18.100.1:80/tcp",
                                     "real": P.real4(1), "weight": "1"}),
        "unknown-cmd": lines({"cmd": "explode"}),
        "no-cmd": lines({"vip": "x"}),
        "not-json": lines(b"show"),
        "not-object": lines(b"[1, 2]"),
        "duplicate-key": lines(b'{"cmd": "show", "cmd": "stats"}'),
        "blank-and-crlf": b"\n\r\n" + lines({"cmd": "show"}).replace(b"\n", b"\r\n"),
        "partial-last": lines({"cmd": "stats"}) + b'{"cmd": "sh',
        "control-char": lines({"cmd": "vip-del", "vip": "\x1b[2J:80/tcp"}),
        # an operator's session: changes, refusals, a reload that undoes them
        "session": lines(
            {"cmd": "vip-add", "vip": vip_new},
            {"cmd": "real-add", "vip": "198.18.100.2:443/tcp",
             "real": {"address": P.real6(4), "weight": 5}},
            {"cmd": "real-weight", "vip": "198.18.100.2:443/tcp", "real": P.real6(4), "weight": 0},
            {"cmd": "vip-add", "vip": vip_new2},
            {"cmd": "real-del", "vip": "[2001:db8:100::1]:443/tcp", "real": P.real6(1)},
            {"cmd": "vip-del", "vip": "198.18.100.1:0/udp"},
            {"cmd": "vip-add", "vip": vip_new2},
            {"cmd": "stats"}, {"cmd": "show"}, {"cmd": "reload"}, {"cmd": "show"}),
    }
    # The first byte: how many bytes arrive at a time (0: all at once).
    return {name: bytes([i % 3 * 7]) + body for i, (name, body) in enumerate(sorted(s.items()))}


def write(kind, seeds, ext):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.remove(os.path.join(d, f))
    for name, data in seeds.items():
        with open(os.path.join(d, "seed-%s.%s" % (name, ext)), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (d, len(seeds)))


if __name__ == "__main__":
    write("pipeline", pipeline_seeds(), "bin")
    write("config", config_seeds(), "json")
    write("ctl", ctl_seeds(), "txt")
