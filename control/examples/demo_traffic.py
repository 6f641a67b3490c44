#!/usr/bin/python3
"""Demo traffic for shoal-replay: many client flows to the example VIPs.

    demo_traffic.py OUT.pcap [FLOWS]

Each TCP flow is a SYN and two data segments to 198.18.100.1:80; UDP flows go
to [2001:db8:100::1]:53; plus a ping to the VIP, a too-big segment and traffic
for the host itself. Addresses are from 198.18.0.0/15 and 2001:db8::/32 only.
"""
import sys

from scapy.all import IP, TCP, UDP, Ether, ICMP, IPv6, Raw, wrpcap

LB_MAC, ROUTER_MAC = "02:00:00:00:00:0b", "02:00:00:00:00:01"


def frame(l3):
    return Ether(src=ROUTER_MAC, dst=LB_MAC) / l3


def demo(flows):
    pkts = []
    for i in range(flows):
        client = f"198.19.{i // 250}.{i % 250 + 1}"
        sport = 20000 + i % 40000
        for flags, payload in (("S", b""), ("A", b"GET / HTTP/1.1\r\n\r\n"), ("FA", b"")):
            pkts.append(frame(IP(src=client, dst="198.18.100.1", flags="DF") /
                              TCP(sport=sport, dport=80, flags=flags) / Raw(payload)))
        pkts.append(frame(IPv6(src=f"2001:db8:50::{i + 1:x}", dst="2001:db8:100::1") /
                          UDP(sport=sport, dport=53) / Raw(b"query")))
    pkts.append(frame(IP(src="198.19.0.1", dst="198.18.100.1") / ICMP()))
    pkts.append(frame(IP(src="198.19.0.1", dst="198.18.100.1", flags="DF") /
                      TCP(sport=20000, dport=80, flags="A") / Raw(b"x" * 1460)))
    pkts.append(frame(IP(src="198.19.0.1", dst="198.18.0.10") / TCP(dport=22, flags="S")))
    return pkts


if __name__ == "__main__":
    wrpcap(sys.argv[1], demo(int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
