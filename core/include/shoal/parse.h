/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Classifying a packet: parse Ethernet (one VLAN tag), IPv4 (options allowed)
 * or IPv6 (bounded extension-header walk), then TCP, UDP or ICMP; find the
 * VIP; hash the flow. The result is a struct sh_meta the forwarding step
 * (pipeline.h) acts on. Needs an environment (shoal/env.h).
 *
 * What is not for a VIP passes to the host stack untouched. What is malformed
 * is dropped with a reason when the host stack could not use it either (bad
 * IP header) or when it is addressed to a VIP (our traffic); otherwise passed.
 */
#ifndef SHOAL_PARSE_H
#define SHOAL_PARSE_H

#include "shoal/env.h"
#include "shoal/flow.h"
#include "shoal/pkt.h"
#include "shoal/vip.h"

/* Extension headers walked before giving up (hop-by-hop, routing, dest. options, fragment, AH). */
#define SH_IP6_EXT_MAX 6

enum sh_kind {
	SH_K_FLOW = 0,     /* TCP or UDP to a VIP */
	SH_K_FRAG = 1,     /* an IP fragment to a VIP: routed by addresses and protocol */
	SH_K_ECHO = 2,     /* echo request to a VIP address: answered here */
	SH_K_ICMP_ERR = 3, /* ICMP error quoting a VIP flow: goes to that flow's real */
};

/* Internal verdict of the classify step: the packet is ours, forward it. */
#define SH_ACT_NEXT 3

struct sh_meta {
	struct sh_flow flow; /* client -> VIP (for ICMP errors: the quoted flow, reversed) */
	__u64 hash;          /* keyed hash of flow: the conntrack key */
	const struct sh_vip *vip;
	__u16 l3_off;        /* where the IP header starts */
	__u16 l4_off;        /* where the TCP/UDP/ICMP header starts */
	__u16 l3_len;        /* IP packet length from its header */
	__u8 kind;           /* enum sh_kind */
	__u8 tcp_flags;
	__u8 tcp_doff;       /* TCP data offset in 32-bit words: options follow when above 5 */
	__u8 tos;            /* IPv4 TOS / IPv6 traffic class: copied to the outer header */
	__u8 df;             /* IPv4 don't-fragment set */
};

SH_INLINE int sh_verdict_pass(struct sh_env *e)
{
	sh_env_count(e, SH_CTR_PASS);
	return SH_ACT_PASS;
}

SH_INLINE int sh_verdict_tx(struct sh_env *e)
{
	sh_env_count(e, SH_CTR_TX);
	return SH_ACT_TX;
}

SH_INLINE int sh_verdict_drop(struct sh_env *e, enum sh_ctr reason)
{
	sh_env_count(e, reason);
	return SH_ACT_DROP;
}

/* A bad L4 header: our problem if it is addressed to a VIP, the host's otherwise. */
SH_INLINE int sh_l4_malformed(struct sh_env *e, const struct sh_meta *m, enum sh_ctr reason)
{
	if (sh_vip_addr_lookup(e, &m->flow.dst, m->flow.family))
		return sh_verdict_drop(e, reason);
	return sh_verdict_pass(e);
}

SH_INLINE int sh_is_ip6_ext(__u8 nh)
{
	return nh == SH_IPPROTO_HOPOPTS || nh == SH_IPPROTO_ROUTING || nh == SH_IPPROTO_DSTOPTS ||
	       nh == SH_IPPROTO_FRAGMENT || nh == SH_IPPROTO_AH;
}

/* The VIP found, the flow hashed: hand over to the forwarding step. */
SH_INLINE int sh_classified(struct sh_env *e, struct sh_meta *m, __u8 kind)
{
	if (!m->vip)
		return sh_verdict_pass(e);
	m->kind = kind;
	m->hash = sh_flow_hash(sh_env_lb(e)->hash_key, &m->flow);
	return SH_ACT_NEXT;
}

/*
 * The flow an ICMP error is about. The quoted packet went from the VIP to the
 * client (a real's reply), so the flow is the quote reversed. quote is the
 * offset of the quoted IP header; 4 bytes of ports must follow it, all inside
 * the ICMP packet. An error is ours only when sent to the VIP it quotes.
 */
SH_INLINE int sh_parse_icmp_quote(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m,
				  __u32 quote)
{
	__u32 l3_end = (__u32)m->l3_off + m->l3_len;
	struct sh_flow *f = &m->flow;
	struct sh_addr outer_dst = f->dst;
	__be16 *ports;
	__u32 l4;

	if (f->family == SH_AF_INET) {
		struct sh_iphdr *ip = sh_pkt_at(p, quote, sizeof(*ip));

		if (!ip || quote + sizeof(*ip) > l3_end || (ip->ver_ihl >> 4) != 4 ||
		    (ip->ver_ihl & 0xf) < 5)
			return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
		l4 = quote + (ip->ver_ihl & 0xf) * 4;
		f->src = sh_addr4(ip->daddr);
		f->dst = sh_addr4(ip->saddr);
		f->proto = ip->protocol;
	} else {
		struct sh_ip6hdr *ip6 = sh_pkt_at(p, quote, sizeof(*ip6));

		if (!ip6 || quote + sizeof(*ip6) > l3_end ||
		    (sh_ntohl(ip6->ver_tc_flow) >> 28) != 6)
			return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
		l4 = quote + sizeof(*ip6);
		__builtin_memcpy(&f->src, ip6->daddr, 16);
		__builtin_memcpy(&f->dst, ip6->saddr, 16);
		f->proto = ip6->nexthdr;
	}
	if (!sh_addr_eq(&f->dst, &outer_dst) ||
	    (f->proto != SH_IPPROTO_TCP && f->proto != SH_IPPROTO_UDP))
		return sh_verdict_pass(e);
	ports = sh_pkt_at(p, l4, 4);
	if (!ports || l4 + 4 > l3_end)
		return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
	f->sport = ports[1];
	f->dport = ports[0];
	m->vip = sh_vip_lookup(e, f, 0);
	return sh_classified(e, m, SH_K_ICMP_ERR);
}

SH_INLINE int sh_parse_icmp(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m)
{
	struct sh_icmphdr *icmp = sh_pkt_at(p, m->l4_off, sizeof(*icmp));
	int v6 = m->flow.family == SH_AF_INET6;

	if (!icmp || m->l4_off + sizeof(*icmp) > (__u32)m->l3_off + m->l3_len)
		return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
	if (icmp->type == (v6 ? SH_ICMP6_ECHO_REQUEST : SH_ICMP_ECHO)) {
		m->vip = sh_vip_addr_lookup(e, &m->flow.dst, m->flow.family);
		if (!m->vip)
			return sh_verdict_pass(e);
		m->kind = SH_K_ECHO;
		return SH_ACT_NEXT;
	}
	if (v6 ? (icmp->type == SH_ICMP6_DEST_UNREACH || icmp->type == SH_ICMP6_PKT_TOOBIG)
	       : icmp->type == SH_ICMP_DEST_UNREACH)
		return sh_parse_icmp_quote(e, p, m, m->l4_off + sizeof(*icmp));
	return sh_verdict_pass(e);
}

/*
 * TCP, UDP or ICMP at m->l4_off, inside the IP packet. The ports are read
 * once, after the header checks, through an access checked where it is made:
 * with a read in each branch the compiler may merge the two and rebuild the
 * pointer, and the BPF verifier does not carry a branch's check over to it.
 */
SH_INLINE int sh_parse_l4(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m)
{
	__u32 l3_end = (__u32)m->l3_off + m->l3_len;
	struct sh_flow *f = &m->flow;
	__be16 *ports;

	if (f->proto == SH_IPPROTO_TCP) {
		struct sh_tcphdr *tcp = sh_pkt_at(p, m->l4_off, sizeof(*tcp));

		if (!tcp || m->l4_off + sizeof(*tcp) > l3_end || (tcp->doff_res >> 4) < 5 ||
		    m->l4_off + (__u32)(tcp->doff_res >> 4) * 4 > l3_end)
			return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
		m->tcp_flags = tcp->flags;
		m->tcp_doff = tcp->doff_res >> 4;
	} else if (f->proto == SH_IPPROTO_UDP) {
		if (!sh_pkt_at(p, m->l4_off, sizeof(struct sh_udphdr)) ||
		    m->l4_off + sizeof(struct sh_udphdr) > l3_end)
			return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
	} else if (f->proto == (f->family == SH_AF_INET ? SH_IPPROTO_ICMP : SH_IPPROTO_ICMPV6)) {
		return sh_parse_icmp(e, p, m);
	} else {
		return sh_verdict_pass(e);
	}
	ports = sh_pkt_at(p, m->l4_off, 4);
	if (!ports) /* checked above with the whole header */
		return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
	f->sport = ports[0];
	f->dport = ports[1];
	m->vip = sh_vip_lookup(e, f, 0);
	return sh_classified(e, m, SH_K_FLOW);
}

/*
 * A fragment goes by the port-0 VIP (or fragment alias) of its protocol. An
 * IPv6 fragment whose fragment header names an extension header, not the
 * upper protocol, goes by the address's designated VIP (its address-only entry).
 */
SH_INLINE int sh_parse_frag(struct sh_env *e, struct sh_meta *m)
{
	m->vip = sh_vip_lookup(e, &m->flow, 1);
	if (!m->vip && m->flow.family == SH_AF_INET6 && sh_is_ip6_ext(m->flow.proto))
		m->vip = sh_vip_addr_lookup(e, &m->flow.dst, m->flow.family);
	return sh_classified(e, m, SH_K_FRAG);
}

SH_INLINE int sh_parse_ip4(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m)
{
	struct sh_iphdr *ip = sh_pkt_at(p, m->l3_off, sizeof(*ip));
	__u32 hlen, tot;

	if (!ip || (ip->ver_ihl >> 4) != 4)
		return sh_verdict_drop(e, SH_DROP_IP4_MALFORMED);
	hlen = (ip->ver_ihl & 0xf) * 4;
	tot = sh_ntohs(ip->tot_len);
	if (hlen < sizeof(*ip) || tot < hlen || !sh_pkt_has(p, m->l3_off, tot))
		return sh_verdict_drop(e, SH_DROP_IP4_MALFORMED);
	m->flow.family = SH_AF_INET;
	m->flow.src = sh_addr4(ip->saddr);
	m->flow.dst = sh_addr4(ip->daddr);
	m->flow.proto = ip->protocol;
	m->l3_len = tot;
	m->l4_off = m->l3_off + hlen;
	m->tos = ip->tos;
	m->df = !!(ip->frag_off & sh_htons(SH_IP_DF));
	if (ip->frag_off & sh_htons(SH_IP_MF | SH_IP_OFFMASK))
		return sh_parse_frag(e, m);
	return sh_parse_l4(e, p, m);
}

SH_INLINE int sh_parse_ip6(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m)
{
	struct sh_ip6hdr *ip6 = sh_pkt_at(p, m->l3_off, sizeof(*ip6));
	__u32 off, l3_end, i;
	int frag = 0;
	__u8 nh;

	if (!ip6 || (sh_ntohl(ip6->ver_tc_flow) >> 28) != 6)
		return sh_verdict_drop(e, SH_DROP_IP6_MALFORMED);
	/* 32 bits: a payload length near 64k must not wrap the 16-bit l3_len. */
	l3_end = sizeof(*ip6) + sh_ntohs(ip6->payload_len);
	if (!sh_pkt_has(p, m->l3_off, l3_end))
		return sh_verdict_drop(e, SH_DROP_IP6_MALFORMED);
	m->l3_len = l3_end;
	m->flow.family = SH_AF_INET6;
	__builtin_memcpy(&m->flow.src, ip6->saddr, 16);
	__builtin_memcpy(&m->flow.dst, ip6->daddr, 16);
	m->tos = (sh_ntohl(ip6->ver_tc_flow) >> 20) & 0xff;
	nh = ip6->nexthdr;
	off = m->l3_off + sizeof(*ip6);
	l3_end = (__u32)m->l3_off + m->l3_len;

	for (i = 0; i < SH_IP6_EXT_MAX; i++) {
		if (!sh_is_ip6_ext(nh))
			break;
		if (nh == SH_IPPROTO_FRAGMENT) {
			struct sh_ip6_frag *fh = sh_pkt_at(p, off, sizeof(*fh));

			if (!fh || off + sizeof(*fh) > l3_end)
				goto malformed;
			nh = fh->nexthdr;
			off += sizeof(*fh);
			/*
			 * Offset 0 without M is an "atomic fragment": a whole datagram,
			 * walked on. A real fragment stops the walk: what follows is
			 * payload in all but the first, and every fragment must hash
			 * alike, so all take the fragment header's next header.
			 */
			if (fh->frag_off & sh_htons(SH_IP6_OFFMASK | SH_IP6_MF)) {
				frag = 1;
				break;
			}
		} else {
			struct sh_ip6_ext *ext = sh_pkt_at(p, off, sizeof(*ext));

			if (!ext || off + 8 > l3_end)
				goto malformed;
			if (nh == SH_IPPROTO_AH)
				off += (ext->hdrlen + 2) * 4;
			else
				off += (ext->hdrlen + 1) * 8;
			nh = ext->nexthdr;
		}
	}
	m->flow.proto = nh;
	m->l4_off = off;
	if (sh_is_ip6_ext(nh) && !frag)
		return sh_l4_malformed(e, m, SH_DROP_IP6_EXT_LIMIT);
	if (off > l3_end)
		goto malformed;
	if (frag)
		return sh_parse_frag(e, m);
	return sh_parse_l4(e, p, m);
malformed:
	return sh_l4_malformed(e, m, SH_DROP_L4_MALFORMED);
}

/*
 * Parse the packet and find its VIP. Returns SH_ACT_NEXT with m filled when
 * the packet is ours to forward; otherwise the final SH_ACT_PASS or SH_ACT_DROP
 * (already counted).
 */
SH_INLINE int sh_classify(struct sh_env *e, struct sh_pkt *p, struct sh_meta *m)
{
	struct sh_ethhdr *eth = sh_pkt_at(p, 0, sizeof(*eth));
	__be16 proto;

	__builtin_memset(m, 0, sizeof(*m));
	sh_env_count(e, SH_CTR_RX);
	if (!eth)
		return sh_verdict_drop(e, SH_DROP_ETH_TRUNC);
	proto = eth->proto;
	m->l3_off = sizeof(*eth);
	if (proto == sh_htons(SH_ETH_P_8021Q) || proto == sh_htons(SH_ETH_P_8021AD)) {
		struct sh_vlanhdr *vlan = sh_pkt_at(p, sizeof(*eth), sizeof(*vlan));

		if (!vlan)
			return sh_verdict_drop(e, SH_DROP_ETH_TRUNC);
		proto = vlan->proto;
		m->l3_off += sizeof(*vlan);
	}
	if (proto == sh_htons(SH_ETH_P_IP))
		return sh_parse_ip4(e, p, m);
	if (proto == sh_htons(SH_ETH_P_IPV6))
		return sh_parse_ip6(e, p, m);
	return sh_verdict_pass(e);
}

#endif /* SHOAL_PARSE_H */
