/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An AF_XDP worker: one thread, one receive queue, one socket. It takes a
 * burst from the rx ring, runs the core over it (backends/user), sends what
 * the core sends on the same socket and gives the rest of the frames back
 * to the fill ring. It never stops for the control plane: a config change
 * is a pointer to new tables, which the worker picks up between bursts.
 *
 * Reclaiming old tables is quiescent-state based (QSBR, as userspace RCU):
 * after each burst a worker publishes the epoch it has seen; before it
 * sleeps in poll() it says it holds nothing. sh_afxdp_swap() returns once
 * every worker has passed a burst boundary since the swap, so the old tables
 * are no longer read by anyone and the control plane may free them.
 */
#ifndef SHOAL_AFXDP_WORKER_H
#define SHOAL_AFXDP_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "afxdp_xsk.h"
#include "tables.h"
#include "worker.h"

/* What the workers share with the control plane: written by it, read by them. */
struct sh_afxdp_shared {
	_Atomic(const struct sh_tables *) tables;
	_Atomic __u64 epoch;
	atomic_bool stop;
};

struct sh_afxdp_worker {
	struct sh_xsk xsk;
	struct sh_worker *w; /* conntrack and counters, in the state file */
	struct sh_afxdp_shared *shared;
	_Atomic __u64 seen;  /* the epoch this worker last saw; SH_AFXDP_IDLE while asleep */
	pthread_t thread;
	bool running;
	__u32 queue;
} __attribute__((aligned(64)));

#define SH_AFXDP_IDLE UINT64_MAX

/* Start w's thread. 0 or -errno. */
int sh_afxdp_worker_start(struct sh_afxdp_worker *w);
/* Ask every worker to stop (shared->stop) first; this waits for w. */
void sh_afxdp_worker_join(struct sh_afxdp_worker *w);

/* Make t the tables of all n workers; returns once none reads the previous ones. */
void sh_afxdp_swap(struct sh_afxdp_shared *s, struct sh_afxdp_worker *workers, __u32 n,
		   const struct sh_tables *t);

#endif /* SHOAL_AFXDP_WORKER_H */
