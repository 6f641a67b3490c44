/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet pipeline: classify (parse, VIP, flow hash), pick a real
 * (server_id option, conntrack, ring), encapsulate. One function a dataplane
 * calls per packet, sh_process(); or, to hide memory latency over a burst,
 * sh_classify() on every packet, sh_env_ct_prefetch(), then sh_forward().
 */
#ifndef SHOAL_PIPELINE_H
#define SHOAL_PIPELINE_H

#include "shoal/ct.h"
#include "shoal/encap.h"
#include "shoal/env.h"
#include "shoal/icmp.h"
#include "shoal/parse.h"
#include "shoal/tcpopt.h"

SH_INLINE const struct sh_real *sh_real_usable(struct sh_env *e, __u32 idx)
{
	const struct sh_real *r = sh_env_real(e, idx);

	return r && (r->flags & SH_REAL_F_ACTIVE) ? r : (void *)0;
}

/* The VIP's ring slot for this packet, hashed as the VIP's flags ask. */
SH_INLINE __u32 sh_ring_pick(struct sh_env *e, const struct sh_meta *m, const struct sh_lb *lb)
{
	__u16 flags = m->vip->flags;
	__u64 hash = m->hash;

	if (m->kind != SH_K_FRAG && (flags & (SH_VIP_F_NO_SPORT | SH_VIP_F_DPORT_HASH))) {
		struct sh_flow f = m->flow;

		f.sport = 0;
		if (flags & SH_VIP_F_DPORT_HASH)
			__builtin_memset(&f.src, 0, sizeof(f.src));
		hash = sh_flow_hash(lb->hash_key, &f);
	}
	return sh_env_ring_slot(e, m->vip->ring_id, sh_hash_range(hash, lb->ring_size));
}

/*
 * Which real gets the packet: the one a TCP server_id option names; else the
 * one conntrack remembers; else the ring's choice, remembered for TCP (but
 * not for a RST) and UDP. A SYN starts a new flow: it never reads conntrack,
 * so a client reusing a port lands where the ring says, not on the real (maybe
 * drained since) its old flow had. Fragments and no_lru VIPs use the ring alone;
 * ICMP errors read conntrack but never add to it. Returns the real, active,
 * with its index in *idx; or NULL when the choice is no usable real.
 */
SH_INLINE const struct sh_real *sh_pick_real(struct sh_env *e, const struct sh_pkt *p,
					     const struct sh_meta *m, __u32 *idx)
{
	const struct sh_lb *lb = sh_env_lb(e);
	struct sh_ct_bucket *b = (void *)0;
	const struct sh_real *r;
	__u32 now = 0, max_idle = 0;

	if (m->kind == SH_K_FLOW && m->flow.proto == SH_IPPROTO_TCP &&
	    !(m->tcp_flags & SH_TCP_SYN)) {
		/* The header was checked by the parse: walk its options only. */
		__u32 server_id = sh_tcpopt_server_id_walk(p, m->l4_off + sizeof(struct sh_tcphdr),
							   m->l4_off + (m->tcp_doff & 0xf) * 4);

		if (server_id) {
			*idx = sh_env_server_id(e, server_id);
			r = sh_real_usable(e, *idx);
			if (r) {
				sh_env_count(e, SH_CTR_SID_HIT);
				return r;
			}
			sh_env_count(e, SH_CTR_SID_MISS);
		}
	}
	if ((m->kind == SH_K_FLOW || m->kind == SH_K_ICMP_ERR) &&
	    !(m->vip->flags & SH_VIP_F_NO_LRU)) {
		b = sh_env_ct_bucket(e, m->hash);
		now = sh_ct_tick(sh_env_now_ns(e));
		if (m->flow.proto == SH_IPPROTO_UDP)
			max_idle = sh_ct_ticks_ms(lb->udp_timeout_ms);
		*idx = b && !(m->tcp_flags & SH_TCP_SYN) ? sh_ct_get(b, m->hash, now, max_idle)
								  : SH_REAL_NONE;
		r = sh_real_usable(e, *idx);
		if (r) {
			sh_env_count(e, SH_CTR_CT_HIT);
			return r;
		}
		sh_env_count(e, SH_CTR_CT_MISS);
	}
	*idx = sh_ring_pick(e, m, lb);
	if (b && *idx != SH_REAL_NONE && m->kind == SH_K_FLOW && !(m->tcp_flags & SH_TCP_RST) &&
	    sh_ct_put(b, m->hash, *idx, now))
		sh_env_count(e, SH_CTR_CT_EVICT);
	return sh_real_usable(e, *idx);
}

/* Act on a classified packet (sh_classify() returned SH_ACT_NEXT). */
SH_INLINE int sh_forward(struct sh_env *e, struct sh_pkt *p, const struct sh_meta *m)
{
	const struct sh_real *r;
	__u32 idx;

	if (m->kind == SH_K_ECHO)
		return sh_icmp_echo_reply(e, p, m);
	sh_env_count_vip(e, m->vip->vip_id, m->l3_len);
	r = sh_pick_real(e, p, m, &idx);
	if (!r)
		return sh_verdict_drop(e, SH_DROP_NO_REAL);
	return sh_encap(e, p, m, idx, r);
}

/* The whole pipeline for one packet: SH_ACT_TX, SH_ACT_PASS or SH_ACT_DROP. */
SH_INLINE int sh_process(struct sh_env *e, struct sh_pkt *p)
{
	struct sh_meta m;
	int act = sh_classify(e, p, &m);

	if (act != SH_ACT_NEXT)
		return act;
	return sh_forward(e, p, &m);
}

#endif /* SHOAL_PIPELINE_H */
