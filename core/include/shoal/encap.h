/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tunnelling a packet to its real: IPIP, IPv6-in-IPv6, IPv4-in-IPv6, IPv6-in-
 * IPv4, or GUE (variant 1: the inner IP packet directly in UDP). The inner
 * packet is not touched. The outer source is the LB's address; TTL is 64;
 * the inner TOS/traffic class (DSCP and ECN) is copied out; IPv4 outer
 * headers set DF. The GUE source port and the IPv6 flow label come from the
 * flow hash, so the real's NIC spreads flows over its queues.
 */
#ifndef SHOAL_ENCAP_H
#define SHOAL_ENCAP_H

#include "shoal/env.h"
#include "shoal/icmp.h"
#include "shoal/l3write.h"
#include "shoal/parse.h"

/*
 * GUE variant 1 has no GUE header; a variant 0 header (with private data for
 * the real) would sit between the UDP header and the inner packet, taking
 * this many bytes.
 */
#define SH_GUE_HDR_LEN 0

SH_INLINE __be16 sh_gue_sport(__u64 hash)
{
	return sh_htons(0xc000 | ((hash >> 48) & 0x3fff)); /* the dynamic port range */
}

SH_INLINE __u32 sh_encap_overhead(const struct sh_vip *v, const struct sh_real *r)
{
	__u32 ip = r->family == SH_AF_INET6 ? sizeof(struct sh_ip6hdr) : sizeof(struct sh_iphdr);

	if (v->encap == SH_ENCAP_GUE)
		return ip + sizeof(struct sh_udphdr) + SH_GUE_HDR_LEN;
	return ip;
}

SH_INLINE int sh_gue_write(struct sh_pkt *p, __u32 off, const struct sh_meta *m, __u16 port)
{
	struct sh_udphdr *udp = sh_pkt_at(p, off, sizeof(*udp));

	if (!udp)
		return -1;
	udp->source = sh_gue_sport(m->hash);
	udp->dest = sh_htons(port);
	udp->len = sh_htons(sizeof(*udp) + SH_GUE_HDR_LEN + m->l3_len);
	/* Zero: allowed for IPv4 (RFC 768) and for tunnels over IPv6 (RFC 6935). */
	udp->check = 0;
	return 0;
}

SH_INLINE int sh_encap(struct sh_env *e, struct sh_pkt *p, const struct sh_meta *m, __u32 real_idx,
		       const struct sh_real *r)
{
	const struct sh_lb *lb = sh_env_lb(e);
	int v6 = r->family == SH_AF_INET6, gue = m->vip->encap == SH_ENCAP_GUE;
	__u32 ovh = sh_encap_overhead(m->vip, r), l2 = m->l3_off;
	__u32 ip_payload = ovh - (v6 ? sizeof(struct sh_ip6hdr) : sizeof(struct sh_iphdr)) +
			   m->l3_len;
	__u8 inner = m->flow.family == SH_AF_INET6 ? SH_IPPROTO_IPV6 : SH_IPPROTO_IPIP;
	__u8 next = gue ? SH_IPPROTO_UDP : inner;
	int err;

	if (v6 ? !lb->has_src6 : !lb->has_src4)
		return sh_verdict_drop(e, SH_DROP_NO_SOURCE);
	if (m->l3_len + ovh > lb->mtu)
		return sh_icmp_too_big(e, p, m, lb->mtu - ovh);
	if (sh_env_push_head(e, p, ovh))
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	if (sh_l2_write(p, ovh, l2, lb->gateway_mac, sh_htons(v6 ? SH_ETH_P_IPV6 : SH_ETH_P_IP)))
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	if (v6)
		err = sh_ip6_write(p, l2, m->tos, (__u32)m->hash, ip_payload, next, &lb->src6,
				   &r->addr);
	else
		err = sh_ip4_write(p, l2, m->tos, sizeof(struct sh_iphdr) + ip_payload, next,
				   lb->src4.w[0], r->addr.w[0], 1);
	if (!err && gue)
		err = sh_gue_write(p, l2 + ovh - sizeof(struct sh_udphdr) - SH_GUE_HDR_LEN, m,
				   lb->gue_port);
	if (err)
		return sh_verdict_drop(e, SH_DROP_HEADROOM);

	if (m->kind == SH_K_FRAG)
		sh_env_count(e, SH_CTR_FRAG);
	else if (m->kind == SH_K_ICMP_ERR)
		sh_env_count(e, SH_CTR_ICMP_ERR_FWD);
	sh_env_count_real(e, real_idx, m->l3_len);
	return sh_verdict_tx(e);
}

#endif /* SHOAL_ENCAP_H */
