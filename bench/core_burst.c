// SPDX-License-Identifier: BSD-3-Clause
/*
 * The forwarding core in userspace, single core, packets prepared in memory,
 * bursts of SH_BURST_MAX (64) through sh_user_burst() (the AF_XDP/DPDK path). Each figure is
 * net of a baseline loop in the same process that prepares the same packets
 * without forwarding them, so only the core's cost remains.
 *
 * New flows are measured twice: into an empty table, and into a table full of
 * other flows, where every packet evicts one (the steady state of a busy LB).
 * Before each of those repetitions the table is pushed out of the caches, as
 * it would be when the packets that touched it last are long gone.
 *
 *   bench_core [--quick]
 *
 * Instructions per packet, with valgrind (deterministic, unlike the clock):
 *
 *   valgrind --tool=callgrind --toggle-collect='bench_counted_burst*' \
 *            bench_core --instr hit|new|full
 *
 * runs one scenario's packets (after its warm-up) through
 * bench_counted_burst() only (the * matches the copy gcc specializes it
 * into): divide the instructions collected by the packets it prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "config.h"
#include "env_user.h"
#include "shoal/hdr.h"
#include "tables.h"
#include "user_burst.h"
#include "worker.h"

#define HEADROOM 256
#define FRAME 64
#define N_REALS 100
#define EVICT_BYTES (128u << 20) /* more than the L3 one core can use, on common CPUs */

struct bench {
	struct sh_config cfg;
	struct sh_tables *t;
	struct sh_worker *w;
	__u8 template[FRAME];
	/*
	 * Frames start on a cache line, as a NIC's do; left to the linker, their
	 * alignment changed from build to build, and with it the cost of copying
	 * them by up to 1.5 ns a packet.
	 */
	__u8 bufs[SH_BURST_MAX][HEADROOM + FRAME] __attribute__((aligned(64)));
	__u32 *order; /* flow visiting order: a random permutation */
};

/* IPv4 TCP to the VIP, 64-byte frame. */
static void make_template(__u8 *f)
{
	struct sh_ethhdr *eth = (void *)f;
	struct sh_iphdr *ip = (void *)(eth + 1);
	struct sh_tcphdr *tcp = (void *)(ip + 1);

	memset(f, 0, FRAME);
	memcpy(eth->dst, "\x02\0\0\0\0\xbb", 6);
	memcpy(eth->src, "\x02\0\0\0\0\xaa", 6);
	eth->proto = sh_htons(SH_ETH_P_IP);
	ip->ver_ihl = 0x45;
	ip->tot_len = sh_htons(FRAME - sizeof(*eth));
	ip->frag_off = sh_htons(SH_IP_DF);
	ip->ttl = 64;
	ip->protocol = SH_IPPROTO_TCP;
	ip->daddr = sh_htonl(0xc6126401); /* 198.18.100.1 */
	tcp->dest = sh_htons(80);
	tcp->doff_res = 5 << 4;
}

/* Client of flow i: 198.19.x.y, port from i. Distinct for i < 2^24. */
static void set_flow(__u8 *f, __u32 i, __u8 tcp_flags)
{
	struct sh_iphdr *ip = (void *)(f + sizeof(struct sh_ethhdr));
	struct sh_tcphdr *tcp = (void *)(ip + 1);

	ip->saddr = sh_htonl(0xc6130000 | (i >> 8));
	tcp->source = sh_htons(1024 + (i & 0xff));
	tcp->flags = tcp_flags;
}

/* sh_user_burst() under a name of its own, for callgrind to count (--instr). */
static __attribute__((noinline)) void bench_counted_burst(struct bench *b, struct sh_pkt *pkts,
							   __u8 *action)
{
	sh_user_burst(b->t, b->w, 1, pkts, action, SH_BURST_MAX);
}

/*
 * Forward n_pkts packets over flows order[0..n_flows), cycling. forward=0 is
 * the baseline, 2 goes through bench_counted_burst().
 */
static double run(struct bench *b, __u32 n_flows, __u64 n_pkts, __u8 tcp_flags, int forward)
{
	struct sh_pkt pkts[SH_BURST_MAX];
	__u8 action[SH_BURST_MAX];
	__u64 sent = 0, k = 0;
	double t0 = now_s();

	while (sent < n_pkts) {
		for (int i = 0; i < SH_BURST_MAX; i++) {
			__u8 *frame = b->bufs[i] + HEADROOM;

			memcpy(frame, b->template, FRAME); /* as a NIC writes a frame */
			set_flow(frame, b->order[k], tcp_flags);
			if (++k == n_flows)
				k = 0;
			pkts[i] = (struct sh_pkt){ .head = b->bufs[i], .data = frame,
						   .data_end = frame + FRAME };
		}
		if (forward == 2)
			bench_counted_burst(b, pkts, action);
		else if (forward)
			sh_user_burst(b->t, b->w, 1, pkts, action, SH_BURST_MAX);
		else
			__asm__ volatile("" : : "r"(pkts) : "memory");
		sent += SH_BURST_MAX;
	}
	return (now_s() - t0) * 1e9 / (double)sent;
}

static int setup(struct bench *b, __u32 conntrack_size)
{
	char json[8192], err[SH_CFG_ERR_LEN];
	int n = snprintf(json, sizeof(json),
			 "{\"lb\":{\"ipv4_src\":\"198.18.0.10\",\"gateway_mac\":\"02:00:00:00:00:01\","
			 "\"conntrack_size\":%u},\"vips\":[{\"address\":\"198.18.100.1\",\"port\":80,"
			 "\"protocol\":\"tcp\",\"reals\":[",
			 conntrack_size);

	for (int r = 0; r < N_REALS; r++)
		n += snprintf(json + n, sizeof(json) - n, "%s{\"address\":\"198.18.%d.%d\"}",
			      r ? "," : "", 1 + r / 200, 1 + r % 200);
	snprintf(json + n, sizeof(json) - n, "]}]}");
	if (sh_config_load_string(json, "bench", &b->cfg, err, sizeof(err)) ||
	    sh_tables_build(&b->cfg, NULL, &b->t, err, sizeof(err))) {
		fprintf(stderr, "bench_core: %s\n", err);
		return -1;
	}
	if (sh_worker_create(conntrack_size, &b->w)) {
		fprintf(stderr, "bench_core: out of memory\n");
		return -1;
	}
	make_template(b->template);
	return 0;
}

static void teardown(struct bench *b)
{
	sh_worker_free(b->w);
	sh_tables_free(b->t);
	sh_config_free(&b->cfg);
	free(b->order);
}

/* Empty the conntrack table, or fill every way with some other flow. */
static void reset_ct(struct bench *b, int full)
{
	size_t n = (size_t)b->w->ct_mask + 1;

	memset(b->w->ct, 0, n * sizeof(*b->w->ct));
	for (size_t i = 0; full && i < n; i++)
		for (int j = 0; j < SH_CT_WAYS; j++)
			b->w->ct[i].way[j] = (struct sh_ct_way){ .tag = rng() | 1,
								 .real = rng() % N_REALS };
}

/* Read a buffer larger than the caches, so that the next run starts with them cold. */
static void evict_caches(void)
{
	static __u64 *junk;
	__u64 sum = 0;

	if (!junk) {
		junk = malloc(EVICT_BYTES);
		if (!junk)
			return;
		memset(junk, 1, EVICT_BYTES);
	}
	for (size_t i = 0; i < EVICT_BYTES / sizeof(*junk); i += 8)
		sum += junk[i];
	__asm__ volatile("" : : "r"(sum)); /* the reads must happen */
}

static double best_of(int reps, struct bench *b, __u32 flows, __u64 pkts, __u8 flags, int fwd)
{
	double best = 1e30;

	for (int r = 0; r < reps; r++) {
		double v = run(b, flows, pkts, flags, fwd);

		if (v < best)
			best = v;
	}
	return best;
}

/*
 * One scenario: prints gross, baseline and net ns/packet. new_flows: 0 every
 * flow is in conntrack, 1 none is and the table is empty, 2 none is and the
 * table is full of others. target 0: none.
 */
static int scenario(const char *name, __u32 flows, __u32 ct_size, int new_flows, __u64 pkts,
		    int reps, double target, int instr)
{
	static struct bench b;
	double base, gross;
	char tgt[16];
	__u64 hit0, miss0;

	memset(&b, 0, sizeof(b));
	if (setup(&b, ct_size))
		return -1;
	b.order = malloc(sizeof(*b.order) * flows);
	shuffle(b.order, flows);
	if (!new_flows)
		run(&b, flows, flows, SH_TCP_SYN, 1); /* every flow remembered */
	hit0 = b.w->ctr[SH_CTR_CT_HIT];
	miss0 = b.w->ctr[SH_CTR_CT_MISS];
	if (instr) {
		if (new_flows)
			reset_ct(&b, new_flows == 2);
		run(&b, flows, pkts, new_flows ? SH_TCP_SYN : SH_TCP_ACK, 2);
		printf("%s, %u flows: %llu packets through bench_counted_burst\n", name, flows,
		       (unsigned long long)pkts);
		teardown(&b);
		return 0;
	}
	base = best_of(reps, &b, flows, pkts, SH_TCP_SYN, 0);
	if (new_flows) {
		/* Every measured packet must be a new flow: a fresh table per repetition. */
		gross = 1e30;
		for (int r = 0; r < reps; r++) {
			double v;

			reset_ct(&b, new_flows == 2);
			evict_caches();
			v = run(&b, flows, pkts, SH_TCP_SYN, 1);
			gross = v < gross ? v : gross;
		}
	} else {
		gross = best_of(reps, &b, flows, pkts, SH_TCP_ACK, 1);
	}
	if (target > 0)
		snprintf(tgt, sizeof(tgt), "<= %.0f", target);
	else
		snprintf(tgt, sizeof(tgt), "-");
	printf("%-30s %9u %8.1f %8.1f %8.1f   %-8s ct hit %.3f\n", name, flows, gross, base,
	       gross - base, tgt,
	       (double)(b.w->ctr[SH_CTR_CT_HIT] - hit0) /
		       (double)(b.w->ctr[SH_CTR_CT_HIT] - hit0 + b.w->ctr[SH_CTR_CT_MISS] - miss0));
	teardown(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	__u64 pkts = quick ? 1 << 20 : 1 << 24;
	int reps = quick ? 2 : 5;

	if (argc > 2 && !strcmp(argv[1], "--instr")) {
		if (!strcmp(argv[2], "hit"))
			return !!scenario("conntrack hit", 1000, 4096, 0, 32768, 1, 0, 1);
		if (!strcmp(argv[2], "new"))
			return !!scenario("new flow", 1000000, 4 << 20, 1, 32768, 1, 0, 1);
		if (!strcmp(argv[2], "full"))
			return !!scenario("new flow, full table", 1000000, 4 << 20, 2, 32768, 1, 0,
					  1);
	}
	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: bench_core [--quick | --instr hit|new|full]\n");
		return 2;
	}
	printf("IPv4 TCP to a VIP of %d reals, IPIP, 64-byte frames, bursts of %d, one core.\n",
	       N_REALS, SH_BURST_MAX);
	printf("ns/packet: gross, baseline (packet preparation only), net = gross - baseline.\n\n");
	printf("%-30s %9s %8s %8s %8s   %s\n", "scenario", "flows", "gross", "base", "net",
	       "target");
	if (scenario("conntrack hit", 1000, 4096, 0, pkts, reps, 30, 0) ||
	    scenario("conntrack hit", 1000000, 4 << 20, 0, pkts, reps, 60, 0) ||
	    scenario("new flow (ring + insert)", 1000000, 4 << 20, 1, 1000000, reps, 80, 0) ||
	    scenario("new flow, full table (evicts)", 1000000, 4 << 20, 2, 1000000, reps, 0, 0))
		return 1;
	return 0;
}
