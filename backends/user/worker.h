/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * State one userspace worker owns: its conntrack table and its counters.
 * Nothing here is shared between workers, so the hot path takes no lock and
 * writes no shared cache line; the control plane sums counters when asked.
 */
#ifndef SHOAL_WORKER_H
#define SHOAL_WORKER_H

#include "config.h"
#include "shoal/counters.h"
#include "shoal/types.h"

struct sh_worker {
	struct sh_ct_bucket *ct;
	__u32 ct_mask;
	__u64 now_ns; /* the clock, read once per burst */
	__u64 ctr[SH_CTR_COUNT];
	struct sh_counter vip_ctr[SH_MAX_VIPS];
	struct sh_counter real_ctr[SH_MAX_REALS];
} __attribute__((aligned(64)));

/* Conntrack buckets (a power of two) that hold conntrack_size flows. */
__u32 sh_worker_ct_buckets(__u32 conntrack_size);

/* A worker remembering up to conntrack_size flows. 0 or -ENOMEM. */
int sh_worker_create(__u32 conntrack_size, struct sh_worker **out);
void sh_worker_free(struct sh_worker *w);

#endif /* SHOAL_WORKER_H */
