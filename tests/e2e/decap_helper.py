#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Both ends of tests/e2e/test_decap.sh.

  decap_helper.py server --vip A [--vip B] --udp-port N --tcp-port N --log FILE --seconds S
      (in the real's namespace) UDP sockets and TCP listeners on the VIPs; every
      datagram received is logged as "payload src_addr src_port"; FILE.ready once bound.
  decap_helper.py send ...   (in the LB's namespace) sends the encapsulated packets
      of every case, captures the SYN-ACKs coming back and prints them as JSON.
  decap_helper.py neigh ...  (in the LB's namespace) asks ARP/ND for the VIPs and
      the tunnel addresses; prints who answered as JSON.
  decap_helper.py ping ...   (in the LB's namespace) ICMP echo to the tunnel addresses.

Only addresses from 198.18.0.0/15 and 2001:db8::/32, on the test's own veth.
"""
import argparse
import json
import logging
import select
import socket
import sys
import time

CASES = [
    # name, outer family, GUE?, inner family
    ("ipip", 4, False, 4),
    ("6in4", 4, False, 6),
    ("ip6ip6", 6, False, 6),
    ("4in6", 6, False, 4),
    ("gue-4in4", 4, True, 4),
    ("gue-6in4", 4, True, 6),
    ("gue-4in6", 6, True, 4),
    ("gue-6in6", 6, True, 6),
]
UDP_SPORT = 41000  # + case index
TCP_SPORT = 42000  # + case index


logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # no route warnings for ND


def server(a):
    socks = []
    for vip in a.vip:
        fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((vip, a.udp_port))
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        t.bind((vip, a.tcp_port))
        t.listen(64)  # never accepts: the kernel's SYN-ACK is what the test looks for
        socks += [u, t]
    udp = [s for s in socks if s.type == socket.SOCK_DGRAM]
    open(a.log + ".ready", "w").close()
    deadline = time.monotonic() + a.seconds
    with open(a.log, "a", buffering=1) as log:
        while time.monotonic() < deadline:
            ready, _, _ = select.select(udp, [], [], 0.2)
            for s in ready:
                data, src = s.recvfrom(2048)
                log.write("%s %s %d\n" % (data.decode(errors="replace"), src[0], src[1]))


def outer(fam, a, dst=None):
    from scapy.all import IP, IPv6
    if fam == 4:
        return IP(src=a.lb4, dst=dst or a.tun4)
    return IPv6(src=a.lb6, dst=dst or a.tun6)


def inner(fam, a, l4):
    from scapy.all import IP, IPv6
    if fam == 4:
        return IP(src=a.client4, dst=a.vip4) / l4
    return IPv6(src=a.client6, dst=a.vip6) / l4


def encap(ofam, gue, ifam, a, l4, dst=None, gue_port=None):
    from scapy.all import UDP, Raw
    o = outer(ofam, a, dst)
    i = inner(ifam, a, l4)
    if gue:
        return o / UDP(sport=50000, dport=gue_port or a.gue_port) / Raw(bytes(i))
    return o / i


def send(a):
    from scapy.all import (IP, IPv6, TCP, UDP, Raw, Ether, AsyncSniffer, IPOption_NOP, sendp,
                           conf)
    conf.verb = 0
    eth = Ether(src=a.src_mac, dst=a.dst_mac)
    pkts = []
    for n, (name, ofam, gue, ifam) in enumerate(CASES):
        pkts.append(encap(ofam, gue, ifam, a, UDP(sport=UDP_SPORT + n, dport=a.udp_port) /
                          Raw(name.encode())))
        pkts.append(encap(ofam, gue, ifam, a, TCP(sport=TCP_SPORT + n, dport=a.tcp_port,
                                                  flags="S", seq=1000 + n)))
    # An outer IPv4 header with options (IHL 6): the inner packet starts after them.
    pkts.append(IP(src=a.lb4, dst=a.tun4, options=[IPOption_NOP()] * 4) /
                inner(4, a, UDP(sport=41100, dport=a.udp_port) / Raw(b"ipip-opts")))
    # Must not be decapsulated: outer destinations that are ours but not tunnel
    # addresses, and GUE to another port.
    pkts.append(encap(4, False, 4, a, UDP(sport=43000, dport=a.udp_port) / Raw(b"neg-foreign4"),
                      dst=a.foreign4))
    pkts.append(encap(6, False, 6, a, UDP(sport=43001, dport=a.udp_port) / Raw(b"neg-foreign6"),
                      dst=a.foreign6))
    pkts.append(encap(4, True, 4, a, UDP(sport=43002, dport=a.udp_port) / Raw(b"neg-gueport"),
                      gue_port=a.gue_port + 1))
    # Malformed tunnel packets to us: dropped and counted.
    bad = bytearray(bytes(inner(4, a, UDP(sport=43003, dport=a.udp_port) / Raw(b"neg-bad1"))))
    bad[0] = 0x55  # inner version 5
    pkts.append(IP(src=a.lb4, dst=a.tun4, proto=4) / Raw(bytes(bad)))
    g = encap(4, True, 4, a, UDP(sport=43004, dport=a.udp_port) / Raw(b"neg-bad2"))
    g[UDP].len = 9  # shorter than the datagram
    pkts.append(g)
    longer = inner(6, a, UDP(sport=43005, dport=a.udp_port) / Raw(b"neg-bad3"))
    longer.plen = 200  # the inner packet claims more than the tunnel carries
    pkts.append(IPv6(src=a.lb6, dst=a.tun6, nh=41) / Raw(bytes(longer)))
    # Fragments of tunnel packets to us (IPIP, GUE): dropped and counted.
    pkts.append(IP(src=a.lb4, dst=a.tun4, flags="MF", id=7) /
                inner(4, a, UDP(sport=43006, dport=a.udp_port) / Raw(b"neg-frag")))
    f = encap(4, True, 4, a, UDP(sport=43007, dport=a.udp_port) / Raw(b"neg-frag-gue"))
    f.flags = "MF"
    f.id = 8
    pkts.append(f)

    def synack(p):
        t = p.getlayer(TCP)
        return t is not None and (int(t.flags) & 0x12) == 0x12

    sniffer = AsyncSniffer(iface=a.iface, lfilter=synack, store=True)
    sniffer.start()
    time.sleep(0.5)
    sendp([eth / p for p in pkts], iface=a.iface, inter=0.01)
    time.sleep(a.wait)
    sniffer.stop()

    names = {TCP_SPORT + n: c[0] for n, c in enumerate(CASES)}
    seen = []
    for p in sniffer.results or []:
        l3 = p.payload
        if not isinstance(l3, (IP, IPv6)) or not isinstance(l3.payload, TCP):
            continue  # a SYN-ACK inside a tunnel would not be direct server return
        t = l3.payload
        seen.append({"case": names.get(t.dport, "?"), "src": l3.src, "dst": l3.dst,
                     "sport": t.sport, "dport": t.dport, "ack": t.ack})
    print(json.dumps({"sent": len(pkts), "synacks": seen}))


def neigh(a):
    from scapy.all import ARP, Ether, ICMPv6ND_NS, ICMPv6ND_NA, IPv6, srp1, conf
    from scapy.layers.inet6 import in6_getnsma, in6_getnsmac, inet_pton
    conf.verb = 0
    out = {}
    for name, addr in (("vip4", a.vip4), ("tun4", a.tun4)):
        r = srp1(Ether(src=a.src_mac, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=1, hwsrc=a.src_mac, psrc=a.lb4, pdst=addr),
                 iface=a.iface, timeout=1)
        out["arp_" + name] = bool(r is not None and r.haslayer(ARP) and r[ARP].op == 2)
    for name, addr in (("vip6", a.vip6), ("tun6", a.tun6)):
        nsma = in6_getnsma(inet_pton(socket.AF_INET6, addr))
        dst = socket.inet_ntop(socket.AF_INET6, nsma)
        r = srp1(Ether(src=a.src_mac, dst=in6_getnsmac(nsma)) /
                 IPv6(src=a.lb6, dst=dst, hlim=255) / ICMPv6ND_NS(tgt=addr),
                 iface=a.iface, timeout=1)
        out["nd_" + name] = bool(r is not None and r.haslayer(ICMPv6ND_NA))
    print(json.dumps(out))


def ping(a):
    """Plain (non-tunnel) traffic: ICMP echo to the real's own addresses."""
    from scapy.all import ICMP, IP, IPv6, ICMPv6EchoRequest, ICMPv6EchoReply, sr1, conf
    conf.verb = 0
    out = {}
    for name, probe in (("ping4", IP(dst=a.tun4) / ICMP(id=4242, seq=1)),
                        ("ping6", IPv6(dst=a.tun6) / ICMPv6EchoRequest(id=4242, seq=1))):
        r = None
        for _ in range(3):
            r = sr1(probe, timeout=1)
            if r is not None:
                break
        out[name] = bool(r is not None and (
            (r.haslayer(ICMP) and r[ICMP].type == 0) or r.haslayer(ICMPv6EchoReply)))
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server")
    s.add_argument("--vip", action="append", required=True)
    s.add_argument("--udp-port", type=int, required=True)
    s.add_argument("--tcp-port", type=int, required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--seconds", type=float, default=60)
    for name in ("send", "neigh", "ping"):
        p = sub.add_parser(name)
        for opt in ("iface", "src-mac", "dst-mac", "lb4", "lb6", "tun4", "tun6", "vip4",
                    "vip6", "client4", "client6", "foreign4", "foreign6"):
            p.add_argument("--" + opt, required=True)
        p.add_argument("--udp-port", type=int, default=9000)
        p.add_argument("--tcp-port", type=int, default=8080)
        p.add_argument("--gue-port", type=int, default=6080)
        p.add_argument("--wait", type=float, default=1.5)
    a = ap.parse_args()
    {"server": server, "send": send, "neigh": neigh, "ping": ping}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
