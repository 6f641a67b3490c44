// SPDX-License-Identifier: BSD-3-Clause
/*
 * AF_XDP steering: the core's own classify (shoal/parse.h) over a copy of the
 * VIP table decides which frames are shoal's. Those go to the AF_XDP socket
 * of the queue they arrived on, where the userspace core forwards them;
 * everything else goes on to the kernel (XDP_PASS, which the libxdp
 * dispatcher hands to the next program), so the host keeps its SSH, ARP/ND
 * and routing. Using classify itself, not a second opinion on what a VIP
 * packet is, keeps the two sides from ever disagreeing.
 *
 * A frame this program passes or drops never reaches userspace, so it counts
 * it here (the same counters the core counts); the backend adds these to its
 * workers' and the totals equal what the XDP program or shoal-replay count.
 */
#define SH_ENV_NAME "steer"

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "shoal/counters.h"
#include "shoal/types.h"
#include "xsk_steer.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sh_lb);
} steer_lb SEC(".maps");

/* The running tables' VIP entries (key and flags are what classify reads). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SH_STEER_MAX_KEYS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sh_vip_key);
	__type(value, struct sh_vip);
} steer_vips SEC(".maps");

/* rx queue -> that queue's worker's socket. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SH_STEER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} steer_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SH_CTR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} steer_stats SEC(".maps");

struct sh_pkt {
	void *data;
	void *data_end;
};

/*
 * Counts are held back until the verdict: a frame redirected to a socket is
 * counted there, by the core that forwards it. Classify counts two at most
 * (rx, then the verdict).
 */
#define STEER_HELD_MAX 4

struct sh_env {
	const struct sh_lb *lb;
	__u32 n_held;
	__u32 held[STEER_HELD_MAX];
};

SH_INLINE const struct sh_lb *sh_env_lb(struct sh_env *e)
{
	return e->lb;
}

SH_INLINE const struct sh_vip *sh_env_vip_find(struct sh_env *e, const struct sh_vip_key *k)
{
	(void)e;
	return bpf_map_lookup_elem(&steer_vips, k);
}

SH_INLINE void sh_env_count(struct sh_env *e, enum sh_ctr ctr)
{
	if (e->n_held < STEER_HELD_MAX)
		e->held[e->n_held++] = ctr;
}

#include "shoal/parse.h"

static __always_inline void count_held(struct sh_env *e)
{
	for (__u32 i = 0; i < STEER_HELD_MAX; i++) {
		__u64 *c;

		if (i >= e->n_held)
			break;
		c = bpf_map_lookup_elem(&steer_stats, &e->held[i]);
		if (c)
			*c += 1;
	}
}

SEC("xdp")
int xsk_steer(struct xdp_md *ctx)
{
	struct sh_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};
	__u32 zero = 0;
	struct sh_env e = { .lb = bpf_map_lookup_elem(&steer_lb, &zero) };
	struct sh_meta m;
	int act;

	if (!e.lb)
		return XDP_PASS;
	act = sh_classify(&e, &p, &m);
	if (act == SH_ACT_NEXT) {
		long ret = bpf_redirect_map(&steer_xsks, ctx->rx_queue_index, 0);

		if (ret == XDP_REDIRECT)
			return ret;
		/* Ours, but no worker serves this queue: the kernel must not route it. */
		e.n_held = 0;
		sh_env_count(&e, SH_CTR_RX);
		sh_env_count(&e, SH_DROP_NO_WORKER);
		act = SH_ACT_DROP;
	}
	count_held(&e);
	return act == SH_ACT_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
