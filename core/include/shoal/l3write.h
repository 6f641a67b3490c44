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
	__u8 dst[SH_ETH_ALEN], src[SH_ETH_ALEN];
	__be16 tpid = 0, tci = 0;

	if (!old)
		return -1;
	__builtin_memcpy(src, old->dst, SH_ETH_ALEN);
	__builtin_memcpy(dst, next_hop ? next_hop : old->src, SH_ETH_ALEN);
	if (l2_len > sizeof(*eth)) {
		vlan = sh_pkt_at(p, old_off + sizeof(*eth), sizeof(*vlan));
		if (!vlan)
			return -1;
		tpid = old->proto;
		tci = vlan->tci;
	}
	eth = sh_pkt_at(p, 0, sizeof(*eth));
	if (!eth)
		return -1;
	__builtin_memcpy(eth->dst, dst, SH_ETH_ALEN);
	__builtin_memcpy(eth->src, src, SH_ETH_ALEN);
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
 * A 20-byte IPv4 header at off with a correct checksum. The checksum is summed
 * from the field values, in host order (a one's complement sum is byte-order
 * neutral), not read back from the bytes just written: loads that straddle
 * those narrow stores would stall on store forwarding.
 */
SH_INLINE int sh_ip4_write(struct sh_pkt *p, __u32 off, __u8 tos, __u16 tot_len, __u8 proto,
			   __be32 saddr, __be32 daddr, int df)
{
	struct sh_iphdr *ip = sh_pkt_at(p, off, sizeof(*ip));
	__u16 frag_off = df ? SH_IP_DF : 0;
	__u32 s = sh_ntohl(saddr), d = sh_ntohl(daddr);
	__u32 sum = (0x45u << 8 | tos) + tot_len + frag_off + ((__u32)SH_TTL << 8 | proto) +
		    (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff);

	if (!ip)
		return -1;
	ip->ver_ihl = 0x45;
	ip->tos = tos;
	ip->tot_len = sh_htons(tot_len);
	ip->id = 0; /* atomic datagrams (DF) need no id (RFC 6864); replies are small */
	ip->frag_off = sh_htons(frag_off);
	ip->ttl = SH_TTL;
	ip->protocol = proto;
	ip->check = sh_htons((__u16)sh_csum_fold(sum));
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
