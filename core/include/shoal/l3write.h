/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing the headers the core builds: Ethernet (keeping a VLAN tag), and
 * fresh IPv4 and IPv6 headers. Shared by encapsulation and ICMP replies.
 */
#ifndef SHOAL_L3WRITE_H
#define SHOAL_L3WRITE_H

#include "shoal/csum.h"
#include "shoal/hdr.h"
#include "shoal/pkt.h"

#define SH_TTL 64 /* outer TTL / hop limit of everything the LB originates */

/*
 * A MAC address as a 32-bit and a 16-bit word, 2-byte aligned: Ethernet
 * headers (like the rest of the packet, see docs/design.md "Alignment") and
 * sh_lb's gateway_mac are. Copied this way a MAC address is two loads and two
 * stores on x86 and three of each in BPF, not six as a byte array is, and it
 * stays in registers.
 */
struct sh_mac {
	__u32 hi;
	__u16 lo;
} __attribute__((packed, aligned(2)));

/*
 * Write the L2 header (l2_len bytes: Ethernet, or Ethernet and one VLAN tag)
 * at the start of the packet from the one found at old_off. The frame is sent
 * back out of the interface it came in on: its source is the old destination
 * (this LB), its destination next_hop, or the old source when next_hop is NULL
 * (a reply). The VLAN tag is kept; proto is the new ethertype.
 */
SH_INLINE int sh_l2_write(struct sh_pkt *p, __u32 old_off, __u32 l2_len, const __u8 *next_hop,
			  __be16 proto)
{
	struct sh_ethhdr *old = sh_pkt_at(p, old_off, sizeof(*old)), *eth;
	struct sh_vlanhdr *vlan;
	struct sh_mac dst, src;
	__be16 tpid = 0, tci = 0;

	if (!old)
		return -1;
	eth = sh_pkt_at(p, 0, sizeof(*eth));
	if (!eth)
		return -1;
	if (l2_len > sizeof(*eth)) {
		vlan = sh_pkt_at(p, old_off + sizeof(*eth), sizeof(*vlan));
		if (!vlan)
			return -1;
		tpid = old->proto;
		tci = vlan->tci;
	}
	/* Both may be the same header (a reply): read both addresses first. */
	src = *(const struct sh_mac *)old->dst;
	dst = *(const struct sh_mac *)(next_hop ? next_hop : old->src);
	*(struct sh_mac *)eth->dst = dst;
	*(struct sh_mac *)eth->src = src;
	if (l2_len <= sizeof(*eth)) {
		eth->proto = proto;
		return 0;
	}
	vlan = sh_pkt_at(p, sizeof(*eth), sizeof(*vlan));
	if (!vlan)
		return -1;
	eth->proto = tpid;
	vlan->tci = tci;
	vlan->proto = proto;
	return 0;
}

/*
 * A 20-byte IPv4 header at off with a correct checksum, written as 32-bit
 * words. The checksum is summed from the words' values, not read back from
 * the bytes just written (a load over stores still in flight would stall on
 * store forwarding). A one's complement sum of 16-bit words is the sum of the
 * 32-bit words folded, in either byte order: the words are summed as they lie
 * in memory, so neither the addresses nor the result need a byte swap.
 */
SH_INLINE int sh_ip4_write(struct sh_pkt *p, __u32 off, __u8 tos, __u16 tot_len, __u8 proto,
			   __be32 saddr, __be32 daddr, int df)
{
	struct sh_iphdr *ip = sh_pkt_at(p, off, sizeof(*ip));
	__be32 w0 = sh_htonl(0x45u << 24 | (__u32)tos << 16 | tot_len);
	/* id 0: atomic datagrams (DF) need no id (RFC 6864); replies are small. */
	__be32 w1 = sh_htonl(df ? SH_IP_DF : 0);
	__be32 w2 = sh_htonl((__u32)SH_TTL << 24 | (__u32)proto << 16); /* checksum 0 */
	__u64 sum = (__u64)w0 + w1 + w2 + saddr + daddr;

	if (!ip)
		return -1;
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	__builtin_memcpy(ip, &w0, 4);
	__builtin_memcpy(&ip->id, &w1, 4);
	__builtin_memcpy(&ip->ttl, &w2, 4);
	ip->check = sh_csum_fold((__u32)sum);
	ip->saddr = saddr;
	ip->daddr = daddr;
	return 0;
}

/* A 40-byte IPv6 header at off. flow_label is the low 20 bits of flow. */
SH_INLINE int sh_ip6_write(struct sh_pkt *p, __u32 off, __u8 tclass, __u32 flow, __u16 payload_len,
			   __u8 nexthdr, const struct sh_addr *saddr, const struct sh_addr *daddr)
{
	struct sh_ip6hdr *ip6 = sh_pkt_at(p, off, sizeof(*ip6));

	if (!ip6)
		return -1;
	ip6->ver_tc_flow = sh_htonl(6u << 28 | (__u32)tclass << 20 | (flow & 0xfffff));
	ip6->payload_len = sh_htons(payload_len);
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = SH_TTL;
	__builtin_memcpy(ip6->saddr, saddr, 16);
	__builtin_memcpy(ip6->daddr, daddr, 16);
	return 0;
}

#endif /* SHOAL_L3WRITE_H */
