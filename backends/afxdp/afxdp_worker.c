// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <time.h>

#include "afxdp_worker.h"
#include "env_user.h"
#include "user_burst.h"

/* How long an idle worker sleeps before looking at the stop flag again. */
#define IDLE_POLL_MS 100

static __u64 now_ns(void)
{
	struct timespec ts;

	/* The clock bpf_ktime_get_ns() reads: conntrack ages alike in every backend. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* One burst: rx, the core, tx or back to the fill ring. Returns the frames taken. */
static unsigned int burst(struct sh_afxdp_worker *aw, const struct sh_tables *t)
{
	struct sh_xsk *x = &aw->xsk;
	struct sh_pkt pkts[SH_BURST_MAX];
	__u8 action[SH_BURST_MAX];
	void *tx_data[SH_BURST_MAX];
	__u32 tx_len[SH_BURST_MAX];
	unsigned int n, n_tx = 0, sent;
	__u32 idx;

	n = xsk_ring_cons__peek(&x->rx, SH_BURST_MAX, &idx);
	if (!n)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		char *data = xsk_umem__get_data(x->area, d->addr);

		pkts[i] = (struct sh_pkt){ .data = data, .data_end = data + d->len,
					   .head = sh_xsk_frame(x, d->addr) };
	}
	xsk_ring_cons__release(&x->rx, n);
	sh_user_burst(t, aw->w, now_ns(), pkts, action, n);
	for (unsigned int i = 0; i < n; i++) {
		if (action[i] == SH_ACT_TX) {
			tx_data[n_tx] = pkts[i].data;
			tx_len[n_tx++] = (__u32)((char *)pkts[i].data_end - (char *)pkts[i].data);
		} else {
			/* Dropped, or for the host: the steering program sends the host its
			 * frames itself, so one here is a race with a config change. */
			sh_xsk_recycle(x, (__u64)((char *)pkts[i].head - (char *)x->area));
		}
	}
	sent = sh_xsk_send(x, tx_data, tx_len, n_tx);
	for (unsigned int i = sent; i < n_tx; i++) /* the tx ring was full */
		sh_xsk_recycle(x, (__u64)((char *)tx_data[i] - (char *)x->area));
	return n;
}

static void *worker_main(void *arg)
{
	struct sh_afxdp_worker *aw = arg;
	struct sh_afxdp_shared *s = aw->shared;
	struct pollfd pfd = { .fd = aw->xsk.fd, .events = POLLIN };

	atomic_store(&aw->seen, atomic_load(&s->epoch));
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		const struct sh_tables *t = atomic_load_explicit(&s->tables, memory_order_acquire);
		unsigned int n = burst(aw, t);

		sh_xsk_complete(&aw->xsk);
		sh_xsk_refill(&aw->xsk);
		/* A burst boundary: nothing of t is held past here. */
		atomic_store(&aw->seen, atomic_load(&s->epoch));
		if (aw->xsk.tx_in_flight)
			sh_xsk_kick_tx(&aw->xsk); /* the rest of a burst beyond one send batch */
		if (n)
			continue;
		sh_xsk_kick_rx(&aw->xsk);
		if (aw->xsk.busy_poll)
			continue;
		atomic_store(&aw->seen, SH_AFXDP_IDLE);
		/* Frames still to send: back soon to kick again; else sleep until rx. */
		poll(&pfd, 1, aw->xsk.tx_in_flight ? 1 : IDLE_POLL_MS);
		/* Awake: seen before the next load of the tables (both sequentially consistent). */
		atomic_store(&aw->seen, atomic_load(&s->epoch));
	}
	atomic_store(&aw->seen, SH_AFXDP_IDLE);
	return NULL;
}

int sh_afxdp_worker_start(struct sh_afxdp_worker *w)
{
	int ret = pthread_create(&w->thread, NULL, worker_main, w);

	w->running = !ret;
	return -ret;
}

void sh_afxdp_worker_join(struct sh_afxdp_worker *w)
{
	if (w->running)
		pthread_join(w->thread, NULL);
	w->running = false;
}

void sh_afxdp_swap(struct sh_afxdp_shared *s, struct sh_afxdp_worker *workers, __u32 n,
		   const struct sh_tables *t)
{
	__u64 epoch;

	atomic_store(&s->tables, t);
	epoch = atomic_fetch_add(&s->epoch, 1) + 1;
	for (__u32 i = 0; i < n; i++)
		while (workers[i].running && atomic_load(&workers[i].seen) < epoch)
			sched_yield();
}
