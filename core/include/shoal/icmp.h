/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP the LB originates: echo replies for VIP addresses, and too-big errors
 * (IPv4 fragmentation needed, IPv6 packet too big) when a packet would not
 * fit the MTU once encapsulated. Both are built in place in the packet's own
 * buffer and sent back out (SH_ACT_TX). Needs an environment (shoal/env.h).
 */
#ifndef SHOAL_ICMP_H
#define SHOAL_ICMP_H

#include "shoal/env.h"
#include "shoal/l3write.h"
#include "shoal/parse.h"

/* Quoted bytes of the offending packet: RFC 1812 (576 total) and RFC 4443 (1280 total). */
#define SH_ICMP4_QUOTE_MAX (576 - 20 - 8)
#define SH_ICMP6_QUOTE_MAX (1280 - 40 - 8)

/* The 16-bit word holding an ICMP header's type and code, as it lies in memory. */
SH_INLINE __u16 sh_icmp_type_word(const struct sh_icmphdr *icmp)
{
	return *(const __u16 *)icmp;
}

SH_INLINE int sh_icmp_echo_reply(struct sh_env *e, struct sh_pkt *p, const struct sh_meta *m)
{
	struct sh_icmphdr *icmp;
	__u32 l2 = m->l3_off;
	__u16 old_word;
	int v6 = m->flow.family == SH_AF_INET6;

	if (sh_l2_write(p, 0, l2, (void *)0, sh_htons(v6 ? SH_ETH_P_IPV6 : SH_ETH_P_IP)))
		return sh_verdict_drop(e, SH_DROP_ETH_TRUNC);
	if (v6) {
		struct sh_ip6hdr *ip6 = sh_pkt_at(p, l2, sizeof(*ip6));

		if (!ip6)
			return sh_verdict_drop(e, SH_DROP_IP6_MALFORMED);
		/* Swapping the addresses leaves the pseudo-header sum as it was. */
		__builtin_memcpy(ip6->saddr, &m->flow.dst, 16);
		__builtin_memcpy(ip6->daddr, &m->flow.src, 16);
		ip6->hop_limit = SH_TTL;
	} else {
		struct sh_iphdr *ip = sh_pkt_at(p, l2, sizeof(*ip));
		long sum;

		if (!ip)
			return sh_verdict_drop(e, SH_DROP_IP4_MALFORMED);
		ip->saddr = m->flow.dst.w[0];
		ip->daddr = m->flow.src.w[0];
		ip->ttl = SH_TTL;
		ip->check = 0;
		sum = sh_csum_pkt(p, l2, m->l4_off - l2);
		ip = sh_pkt_at(p, l2, sizeof(*ip));
		if (!ip || sum < 0)
			return sh_verdict_drop(e, SH_DROP_IP4_MALFORMED);
		ip->check = sh_csum_fold(sum);
	}
	icmp = sh_pkt_at(p, m->l4_off, sizeof(*icmp));
	if (!icmp)
		return sh_verdict_drop(e, SH_DROP_L4_MALFORMED);
	old_word = sh_icmp_type_word(icmp);
	icmp->type = v6 ? SH_ICMP6_ECHO_REPLY : SH_ICMP_ECHOREPLY;
	sh_csum_replace16(&icmp->check, old_word, sh_icmp_type_word(icmp));
	sh_env_count(e, SH_CTR_ICMP_ECHO);
	return sh_verdict_tx(e);
}

/*
 * Turn the packet into a too-big error to its sender advertising mtu: push
 * room for the new IP and ICMP headers in front of the original IP header,
 * which becomes the quote, then cut the quote to its maximum length.
 */
SH_INLINE int sh_icmp_too_big(struct sh_env *e, struct sh_pkt *p, const struct sh_meta *m,
			      __u32 mtu)
{
	int v6 = m->flow.family == SH_AF_INET6;
	__u32 l2 = m->l3_off, iphlen = v6 ? sizeof(struct sh_ip6hdr) : sizeof(struct sh_iphdr);
	__u32 hdrs = iphlen + sizeof(struct sh_icmphdr);
	__u32 quote = m->l3_len, len, pseudo = 0;
	struct sh_icmphdr *icmp;
	long sum;

	/* Never an error about an error, and IPv4 may still be fragmented on the way. */
	if (m->kind == SH_K_ICMP_ERR || (!v6 && !m->df))
		return sh_verdict_drop(e, SH_DROP_TOO_BIG);
	if (quote > (v6 ? SH_ICMP6_QUOTE_MAX : SH_ICMP4_QUOTE_MAX))
		quote = v6 ? SH_ICMP6_QUOTE_MAX : SH_ICMP4_QUOTE_MAX;
	if (sh_env_push_head(e, p, hdrs))
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	if (sh_l2_write(p, hdrs, l2, (void *)0, sh_htons(v6 ? SH_ETH_P_IPV6 : SH_ETH_P_IP)))
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	if (v6) {
		if (sh_ip6_write(p, l2, 0, 0, sizeof(*icmp) + quote, SH_IPPROTO_ICMPV6, &m->flow.dst,
				 &m->flow.src))
			return sh_verdict_drop(e, SH_DROP_HEADROOM);
		pseudo = sh_csum_addr(&m->flow.dst, 1) + sh_csum_addr(&m->flow.src, 1) +
			 sh_htons(sizeof(*icmp) + quote) + sh_htons(SH_IPPROTO_ICMPV6);
	} else if (sh_ip4_write(p, l2, 0, hdrs + quote, SH_IPPROTO_ICMP, m->flow.dst.w[0],
				m->flow.src.w[0], 0)) {
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	}
	icmp = sh_pkt_at(p, l2 + iphlen, sizeof(*icmp));
	if (!icmp)
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	icmp->type = v6 ? SH_ICMP6_PKT_TOOBIG : SH_ICMP_DEST_UNREACH;
	icmp->code = v6 ? 0 : SH_ICMP_FRAG_NEEDED;
	icmp->check = 0;
	if (v6) {
		icmp->un.mtu6 = sh_htonl(mtu);
	} else {
		icmp->un.frag.unused = 0;
		icmp->un.frag.mtu = sh_htons(mtu);
	}

	len = sh_pkt_len(p);
	if (len > l2 + hdrs + quote && sh_env_trim_tail(e, p, len - (l2 + hdrs + quote)))
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	sum = sh_csum_pkt(p, l2 + iphlen, sizeof(*icmp) + quote);
	icmp = sh_pkt_at(p, l2 + iphlen, sizeof(*icmp));
	if (!icmp || sum < 0)
		return sh_verdict_drop(e, SH_DROP_HEADROOM);
	icmp->check = sh_csum_fold(sum + pseudo);
	sh_env_count(e, SH_CTR_ICMP_TOO_BIG);
	return sh_verdict_tx(e);
}

#endif /* SHOAL_ICMP_H */
