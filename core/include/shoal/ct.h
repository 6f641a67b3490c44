/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conntrack: flow -> real, in a set-associative table. A flow's hash picks one
 * 64-byte bucket of SH_CT_WAYS ways; a flow is identified in its bucket by
 * its full 64-bit keyed hash (the tag). The table never grows. Each worker
 * (each CPU in BPF) owns its table: no locks, no sharing.
 *
 * A new flow takes an empty way; else the way idle longest among the flows
 * that never sent a second packet; else the way idle longest. A flood of new
 * flows (spoofed SYNs, one-packet UDP) thus recycles its own ways: a bucket's
 * confirmed flows lose at most one way to it, and the flows that keep sending
 * keep their real however fast the flood comes (docs/design.md, "Conntrack").
 *
 * Identifying flows by a 64-bit keyed hash instead of the whole tuple keeps a
 * bucket in one cache line; two live flows of one bucket would both need the
 * same 64-bit hash to be confused (about 2^-60 for a million flows).
 */
#ifndef SHOAL_CT_H
#define SHOAL_CT_H

#include "shoal/types.h"

SH_INLINE __u64 sh_ct_tag(__u64 hash)
{
	return hash | 1;
}

/* Index of a flow's bucket in a table of (mask + 1) buckets, a power of two. */
SH_INLINE __u32 sh_ct_index(__u64 hash, __u32 mask)
{
	/* Low bits: the ring slot uses the high ones, keep the two independent. */
	return (__u32)(hash >> 1) & mask;
}

SH_INLINE __u32 sh_ct_tick(__u64 now_ns)
{
	return (__u32)(now_ns >> SH_CT_TICK_SHIFT);
}

/* Milliseconds to ticks, rounded up so a timeout never becomes 0 (no limit). */
SH_INLINE __u32 sh_ct_ticks_ms(__u32 ms)
{
	return (__u32)(((__u64)ms * 1000000 + (1u << SH_CT_TICK_SHIFT) - 1) >> SH_CT_TICK_SHIFT);
}

/*
 * The real remembered for a flow, or SH_REAL_NONE. An entry idle for more
 * than max_idle ticks (0: no limit) has expired and is forgotten. A hit
 * refreshes the entry's stamp and confirms the flow.
 */
SH_INLINE __u32 sh_ct_get(struct sh_ct_bucket *b, __u64 hash, __u32 now, __u32 max_idle)
{
	__u64 tag = sh_ct_tag(hash);
	int i;

	for (i = 0; i < SH_CT_WAYS; i++) {
		struct sh_ct_way *w = &b->way[i];

		if (w->tag != tag)
			continue;
		if (max_idle && now - w->stamp > max_idle) {
			w->tag = 0;
			return SH_REAL_NONE;
		}
		w->stamp = now;
		w->flags |= SH_CT_F_CONFIRMED;
		return w->real;
	}
	return SH_REAL_NONE;
}

/*
 * How much a way deserves eviction: empty ways most, then unconfirmed flows,
 * then confirmed ones; within a class, the longer idle the more.
 */
SH_INLINE __u64 sh_ct_evict_score(const struct sh_ct_way *w, __u32 now)
{
	if (!w->tag)
		return ~0ull;
	return (__u64)!(w->flags & SH_CT_F_CONFIRMED) << 32 | (__u32)(now - w->stamp);
}

/*
 * Remember real for a flow, unconfirmed: in its own way if present, else in
 * the way sh_ct_evict_score() ranks first. Returns 1 when that replaced
 * another live flow (an eviction), else 0.
 */
SH_INLINE int sh_ct_put(struct sh_ct_bucket *b, __u64 hash, __u32 real, __u32 now)
{
	__u64 tag = sh_ct_tag(hash), score, worst = 0;
	__u32 victim = 0;
	int i;

	for (i = 0; i < SH_CT_WAYS; i++) {
		struct sh_ct_way *w = &b->way[i];

		if (w->tag == tag) {
			victim = i;
			worst = ~0ull; /* not an eviction */
			break;
		}
		score = sh_ct_evict_score(w, now);
		if (score > worst) { /* ties: the first way */
			worst = score;
			victim = i;
		}
	}
	victim &= SH_CT_WAYS - 1;
	b->way[victim].tag = tag;
	b->way[victim].real = (__u16)real;
	b->way[victim].flags = 0;
	b->way[victim].stamp = now;
	return worst != ~0ull;
}

#endif /* SHOAL_CT_H */
