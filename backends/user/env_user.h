/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The userspace environment of the forwarding core, shared by the AF_XDP and
 * DPDK backends and by shoal-replay: plain C tables (core/tables.h) that the
 * control plane swaps whole, and a worker's own conntrack and counters.
 * Include this first, then shoal/pipeline.h.
 */
#ifndef SHOAL_ENV_USER_H
#define SHOAL_ENV_USER_H

#define SH_ENV_NAME "user"

#include "shoal/ct.h"
#include "shoal/types.h"
#include "tables.h"
#include "worker.h"

/*
 * A packet in a userspace buffer. head is where the buffer starts: the
 * headroom in front of data is what encapsulation may grow into. AF_XDP sets
 * it to the UMEM frame, DPDK to the mbuf's buffer.
 */
struct sh_pkt {
	void *data;
	void *data_end;
	void *head;
};

struct sh_env {
	const struct sh_tables *t;
	struct sh_worker *w;
};

SH_INLINE const struct sh_lb *sh_env_lb(struct sh_env *e)
{
	return &e->t->lb;
}

SH_INLINE const struct sh_vip *sh_env_vip_find(struct sh_env *e, const struct sh_vip_key *k)
{
	return sh_tables_vip_find(e->t, k);
}

SH_INLINE __u32 sh_env_ring_slot(struct sh_env *e, __u32 ring_id, __u32 slot)
{
	return e->t->rings[(size_t)ring_id * e->t->lb.ring_size + slot];
}

SH_INLINE const struct sh_real *sh_env_real(struct sh_env *e, __u32 idx)
{
	return idx < e->t->n_reals ? &e->t->reals[idx] : NULL;
}

SH_INLINE __u32 sh_env_server_id(struct sh_env *e, __u32 server_id)
{
	return sh_tables_sid_find(e->t, server_id);
}

SH_INLINE struct sh_ct_bucket *sh_env_ct_bucket(struct sh_env *e, __u64 hash)
{
	return &e->w->ct[sh_ct_index(hash, e->w->ct_mask)];
}

SH_INLINE void sh_env_ct_prefetch(struct sh_env *e, __u64 hash)
{
	__builtin_prefetch(&e->w->ct[sh_ct_index(hash, e->w->ct_mask)], 1);
}

SH_INLINE void sh_env_count(struct sh_env *e, enum sh_ctr ctr)
{
	e->w->ctr[ctr]++;
}

SH_INLINE void sh_env_count_vip(struct sh_env *e, __u32 vip_id, __u32 bytes)
{
	if (vip_id < SH_MAX_VIPS) {
		e->w->vip_ctr[vip_id].packets++;
		e->w->vip_ctr[vip_id].bytes += bytes;
	}
}

SH_INLINE void sh_env_count_real(struct sh_env *e, __u32 real, __u32 bytes)
{
	if (real < SH_MAX_REALS) {
		e->w->real_ctr[real].packets++;
		e->w->real_ctr[real].bytes += bytes;
	}
}

SH_INLINE __u64 sh_env_now_ns(struct sh_env *e)
{
	return e->w->now_ns;
}

SH_INLINE int sh_env_push_head(struct sh_env *e, struct sh_pkt *p, __u32 len)
{
	(void)e;
	if ((size_t)((__u8 *)p->data - (__u8 *)p->head) < len)
		return -1;
	p->data = (__u8 *)p->data - len;
	return 0;
}

SH_INLINE int sh_env_trim_tail(struct sh_env *e, struct sh_pkt *p, __u32 len)
{
	(void)e;
	if ((size_t)((__u8 *)p->data_end - (__u8 *)p->data) < len)
		return -1;
	p->data_end = (__u8 *)p->data_end - len;
	return 0;
}

#include "shoal/env.h"

#endif /* SHOAL_ENV_USER_H */
