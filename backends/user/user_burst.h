/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running the core over a burst of packets in userspace. Classify every
 * packet first and start loading each flow's conntrack bucket, then forward:
 * with a large table the bucket misses the cache, and overlapping those
 * misses across the burst is what keeps a million flows fast.
 */
#ifndef SHOAL_USER_BURST_H
#define SHOAL_USER_BURST_H

#include "tables.h"
#include "worker.h"

#define SH_BURST_MAX 64

struct sh_pkt;

/*
 * Process n (<= SH_BURST_MAX) packets with tables t on worker w at time now_ns.
 * action[i] receives SH_ACT_TX, SH_ACT_PASS or SH_ACT_DROP; a TX packet's
 * data and data_end may have moved.
 */
void sh_user_burst(const struct sh_tables *t, struct sh_worker *w, __u64 now_ns,
		   struct sh_pkt *pkts, __u8 *action, unsigned int n);

#endif /* SHOAL_USER_BURST_H */
