// SPDX-License-Identifier: BSD-3-Clause
/*
 * The production XDP program (bpf/shoal_xdp.bpf.c, production clock) under
 * BPF_PROG_TEST_RUN: repeat = 1 a call, the kernel's reported duration
 * averaged over many calls, as the reference figures quoted in
 * docs/performance-xdp.md were taken. Each call is followed by one of a
 * trivial XDP_PASS program on the same frame, so every figure has its
 * baseline from the same moments of the same run, and the table reports
 * shoal / XDP_PASS. Figures and how to read them: docs/performance-xdp.md.
 *
 * Flows are distinct (1k, 50k, 200k), visited in a random order, cycled.
 * The maps are filled by the XDP backend's own renderer (backends/xdp) from a
 * config parsed by sh_config_load_string, as the daemon fills them. Frames
 * are built in memory (addresses from 198.18.0.0/15 and 2001:db8::/32).
 * Conntrack and counters are per CPU: the process is pinned to one CPU.
 *
 *   bench_bpf [--quick] [--cpu N] [--prog-stats] [--only WORD]     (root: loads BPF)
 *
 * --only runs the scenarios whose name contains WORD (to profile one, e.g.
 * under perf record -e cpu-clock).
 * --prog-stats turns the kernel's BPF run-time statistics on for the run
 * (BPF_ENABLE_STATS: system wide until the process exits) and adds each
 * program's own run time, without the test-run call around it. It adds two
 * clock reads to every call, so the main columns grow; compare them with a
 * run without it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "config.h"
#include "log.h"
#include "shoal/ct.h"
#include "shoal/flow.h"
#include "shoal/hdr.h"
#include "shoal_xdp.skel.h"
#include "tables.h"
#include "xdp_maps.h"

#define N_REALS 100
#define SID_BASE 1000 /* reals' server_ids: SID_BASE + r */
#define PAYLOAD 10    /* TCP payload bytes: a 64-byte IPv4 frame */
#define FRAME_MAX 128
#define OUT_MAX 512 /* room for the encapsulated frame BPF_PROG_TEST_RUN copies out */
#define RESET_CHUNK 4096
/* The server_id option (shoal/tcpopt.h, which wants an env): kind, length, 32-bit id. */
#define OPT_SERVER_ID 0xB7
#define OPT_SERVER_ID_LEN 6
#define OPT_NOP 1

/* VIPs of the config (bench_config()). */
#define VIP4_IPIP 0xc6126401u /* 198.18.100.1:80 tcp, ipip */
#define VIP4_GUE 0xc6126402u  /* 198.18.100.2:80 tcp, gue */
#define NOT_VIP4 0xc612c801u  /* 198.18.200.1: no VIP */
#define VIP_PORT 80

enum kind {
	K_NEW, /* SYN of a flow conntrack does not hold */
	K_CT,  /* ACK of a flow a SYN pass put in conntrack */
	K_SID, /* ACK carrying a configured server_id option */
	K_MISS /* not for a VIP: parse, VIP lookup, XDP_PASS */
};

struct scen {
	const char *name;
	enum kind kind;
	int v6;
	__u32 vip4;	  /* IPv4 destination (v6 = 0) */
	double target;	  /* ratio to XDP_PASS, 0: none */
	__u32 expect_act; /* XDP action the program must return */
};

struct result {
	double shoal_mean, pass_mean, shoal_p50, pass_p50;
	double shoal_prog, pass_prog; /* --prog-stats: run_time_ns / run_cnt */
	__u64 pkts;
	__u64 d_ct_hit, d_ct_miss, d_sid_hit, d_tx, d_pass;
};

struct bench {
	struct sh_config cfg;
	struct sh_tables *t;
	struct shoal_xdp_bpf *skel;
	struct sh_xdp_maps maps;
	int maps_ready;
	int shoal_fd, pass_fd, ct_fd;
	__u32 ct_mask;
	size_t ct_value_size; /* a bucket for every possible CPU */
	int prog_stats;
	struct sh_stats *st;
	__u32 *dur_shoal, *dur_pass, *scratch;
	__u64 dur_cap;
	double load_s;
};

/* --- frames ------------------------------------------------------------- */

static const __be32 vip6[4] = { 0x20010db8, 0, 0, 0x100 };     /* 2001:db8::100 (host order) */
static const __be32 client6[4] = { 0x20010db8, 0xffff, 0, 0 }; /* 2001:db8:ffff::/64 */

/* Client of flow i: 198.19.x.y or 2001:db8:ffff::x, port from i. Distinct for i < 2^24. */
static __be32 client4(__u32 i)
{
	return sh_htonl(0xc6130000 | (i >> 8));
}

static __be16 client_port(__u32 i)
{
	return sh_htons(1024 + (i & 0xff));
}

/* The frame of flow i for scenario s; returns its length. */
static __u32 make_frame(__u8 *f, const struct scen *s, __u32 i, __u8 tcp_flags)
{
	struct sh_ethhdr *eth = (void *)f;
	__u32 tcp_len = sizeof(struct sh_tcphdr) + (s->kind == K_SID ? 8 : 0);
	__u32 l3_len = (s->v6 ? sizeof(struct sh_ip6hdr) : sizeof(struct sh_iphdr)) + tcp_len +
		       PAYLOAD;
	struct sh_tcphdr *tcp;

	memset(f, 0, sizeof(*eth) + l3_len);
	memcpy(eth->dst, "\x02\0\0\0\0\xbb", 6);
	memcpy(eth->src, "\x02\0\0\0\0\xaa", 6);
	if (s->v6) {
		struct sh_ip6hdr *ip6 = (void *)(eth + 1);

		eth->proto = sh_htons(SH_ETH_P_IPV6);
		ip6->ver_tc_flow = sh_htonl(6u << 28);
		ip6->payload_len = sh_htons(tcp_len + PAYLOAD);
		ip6->nexthdr = SH_IPPROTO_TCP;
		ip6->hop_limit = 64;
		for (int w = 0; w < 4; w++) {
			ip6->saddr[w] = sh_htonl(client6[w]);
			ip6->daddr[w] = sh_htonl(vip6[w]);
		}
		ip6->saddr[3] = sh_htonl(i >> 8);
		tcp = (void *)(ip6 + 1);
	} else {
		struct sh_iphdr *ip = (void *)(eth + 1);

		eth->proto = sh_htons(SH_ETH_P_IP);
		ip->ver_ihl = 0x45;
		ip->tot_len = sh_htons(l3_len);
		ip->frag_off = sh_htons(SH_IP_DF);
		ip->ttl = 64;
		ip->protocol = SH_IPPROTO_TCP;
		ip->saddr = client4(i);
		ip->daddr = sh_htonl(s->vip4);
		tcp = (void *)(ip + 1);
	}
	tcp->source = client_port(i);
	tcp->dest = sh_htons(VIP_PORT);
	tcp->doff_res = (tcp_len / 4) << 4;
	tcp->flags = tcp_flags;
	tcp->window = sh_htons(65535);
	if (s->kind == K_SID) {
		__u8 *opt = (__u8 *)(tcp + 1);
		__be32 id = sh_htonl(SID_BASE + i % N_REALS);

		opt[0] = OPT_SERVER_ID;
		opt[1] = OPT_SERVER_ID_LEN;
		memcpy(opt + 2, &id, 4);
		opt[6] = OPT_NOP;
		opt[7] = OPT_NOP;
	}
	return sizeof(*eth) + l3_len;
}

/* The conntrack bucket of an IPv4 flow i to vip4, as the program computes it. */
static __u32 ct_bucket4(const struct bench *b, __u32 vip4, __u32 i)
{
	struct sh_flow f = {
		.src = sh_addr4(client4(i)),
		.dst = sh_addr4(sh_htonl(vip4)),
		.sport = client_port(i),
		.dport = sh_htons(VIP_PORT),
		.proto = SH_IPPROTO_TCP,
		.family = SH_AF_INET,
	};

	return sh_ct_index(sh_flow_hash(b->t->lb.hash_key, &f), b->ct_mask);
}

/* --- the programs -------------------------------------------------------- */

/* r0 = XDP_PASS; exit */
static const struct bpf_insn pass_insns[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int run_prog(int fd, const void *frame, __u32 len, __u32 *duration, __u32 *retval)
{
	static __u8 out[OUT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*duration = o.duration;
	*retval = o.retval;
	return 0;
}

static int prog_run_stats(int fd, __u64 *run_ns, __u64 *runs)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*runs = info.run_cnt;
	return 0;
}

static const char bench_json_head[] =
	"{\"lb\":{\"ipv4_src\":\"198.18.0.10\",\"ipv6_src\":\"2001:db8::10\","
	"\"gateway_mac\":\"02:00:00:00:00:01\"},\"vips\":[";

/* Three VIPs of N_REALS reals each: IPv4 ipip, IPv4 gue, IPv6 (IP6IP6). */
static int bench_config(struct bench *b)
{
	static char json[65536];
	char err[SH_CFG_ERR_LEN];
	int n = snprintf(json, sizeof(json), "%s", bench_json_head);

	for (int v = 0; v < 3; v++) {
		n += snprintf(json + n, sizeof(json) - n,
			      "%s{\"address\":\"%s\",\"port\":%d,\"protocol\":\"tcp\","
			      "\"encap\":\"%s\",\"reals\":[",
			      v ? "," : "",
			      v == 0 ? "198.18.100.1" : v == 1 ? "198.18.100.2" : "2001:db8::100",
			      VIP_PORT, v == 1 ? "gue" : "ipip");
		for (int r = 0; r < N_REALS; r++) {
			if (v < 2)
				n += snprintf(json + n, sizeof(json) - n,
					      "%s{\"address\":\"198.18.%d.%d\",\"server_id\":%d}",
					      r ? "," : "", 1 + r / 200, 1 + r % 200, SID_BASE + r);
			else
				n += snprintf(json + n, sizeof(json) - n,
					      "%s{\"address\":\"2001:db8:1::%x\"}", r ? "," : "",
					      1 + r);
		}
		n += snprintf(json + n, sizeof(json) - n, "]}");
	}
	snprintf(json + n, sizeof(json) - n, "]}");
	if (sh_config_load_string(json, "bench", &b->cfg, err, sizeof(err)) ||
	    sh_tables_build(&b->cfg, NULL, &b->t, err, sizeof(err))) {
		fprintf(stderr, "bench_bpf: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * What sh_xdp_replay_open() does, but with the production clock
 * (bpf_ktime_get_ns, part of the per-packet cost) and the program's fd in
 * hand, to read each call's duration.
 */
static int bench_load(struct bench *b)
{
	struct sh_xdp_sizes sz = sh_xdp_sizes_for(b->cfg.lb.ring_size, b->cfg.conntrack_size,
						  (__u32)b->cfg.n_vips);
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_XDP);
	char err[SH_CFG_ERR_LEN];
	double t0;
	int ret;

	ret = sh_xdp_skel_open(&sz, false, &b->skel, err, sizeof(err));
	if (ret)
		goto fail;
	t0 = now_s();
	ret = shoal_xdp_bpf__load(b->skel);
	b->load_s = now_s() - t0;
	if (ret) {
		snprintf(err, sizeof(err), "loading the XDP program: %s%s", strerror(-ret),
			 ret == -EPERM ? " (run as root)" : "");
		goto fail;
	}
	ret = sh_xdp_maps_init(&b->maps, b->skel, sz.ring_size, false, err, sizeof(err));
	if (ret)
		goto fail;
	b->maps_ready = 1;
	ret = sh_xdp_maps_apply(&b->maps, b->t, NULL, err, sizeof(err));
	if (ret)
		goto fail;
	b->shoal_fd = bpf_program__fd(b->skel->progs.shoal_xdp);
	b->ct_fd = bpf_map__fd(b->skel->maps.sh_ct);
	b->ct_mask = sz.ct_buckets - 1;
	b->ct_value_size = sizeof(struct sh_ct_bucket) * (size_t)libbpf_num_possible_cpus();
	b->pass_fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "sh_xdp_pass", "GPL", pass_insns,
				   sizeof(pass_insns) / sizeof(pass_insns[0]), &po);
	if (b->pass_fd < 0) {
		ret = -errno;
		snprintf(err, sizeof(err), "loading the XDP_PASS program: %s", strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "bench_bpf: %s\n", err);
	return ret;
}

static void bench_free(struct bench *b)
{
	if (b->pass_fd > 0)
		close(b->pass_fd);
	if (b->maps_ready)
		sh_xdp_maps_fini(&b->maps);
	shoal_xdp_bpf__destroy(b->skel);
	sh_tables_free(b->t);
	sh_config_free(&b->cfg);
	free(b->st);
	free(b->dur_shoal);
	free(b->dur_pass);
	free(b->scratch);
}

/* Forget the flows whose buckets are listed: zero those buckets on every CPU. */
static int ct_reset(struct bench *b, const __u32 *buckets, __u32 n)
{
	static void *zeros;

	if (!zeros && !(zeros = calloc(RESET_CHUNK, b->ct_value_size)))
		return -ENOMEM;
	for (__u32 at = 0; at < n; at += RESET_CHUNK) {
		__u32 count = n - at < RESET_CHUNK ? n - at : RESET_CHUNK;

		if (bpf_map_update_batch(b->ct_fd, buckets + at, zeros, &count, NULL))
			return -errno;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void mean_p50(struct bench *b, const __u32 *d, __u64 n, double *mean, double *p50)
{
	__u64 sum = 0;

	for (__u64 i = 0; i < n; i++)
		sum += d[i];
	memcpy(b->scratch, d, n * sizeof(*d));
	qsort(b->scratch, n, sizeof(*d), cmp_u32);
	*mean = (double)sum / (double)n;
	*p50 = b->scratch[n / 2];
}

static int read_ctrs(struct bench *b, __u64 *ctr)
{
	int ret = sh_xdp_maps_read_stats(&b->maps, b->st);

	if (!ret)
		memcpy(ctr, b->st->ctr, sizeof(b->st->ctr));
	return ret;
}

/*
 * Flows order[from..to) through shoal; when timed, each frame then through
 * XDP_PASS too, durations at index *k on.
 */
static int run_span(struct bench *b, const struct scen *s, const __u32 *order, __u32 from,
		    __u32 to, __u8 tcp_flags, int timed, __u64 *k)
{
	__u8 frame[FRAME_MAX];
	__u32 scratch;
	int ret;

	for (__u32 i = from; i < to; i++) {
		__u32 len = make_frame(frame, s, order[i], tcp_flags), act = 0;

		ret = run_prog(b->shoal_fd, frame, len, timed ? &b->dur_shoal[*k] : &scratch, &act);
		if (ret)
			return ret;
		if (act != s->expect_act) {
			fprintf(stderr, "bench_bpf: %s: shoal returned %u, not %u\n", s->name, act,
				s->expect_act);
			return -EPROTO;
		}
		if (!timed)
			continue;
		ret = run_prog(b->pass_fd, frame, len, &b->dur_pass[*k], &act);
		if (ret)
			return ret;
		(*k)++;
	}
	return 0;
}

/*
 * One cell: n_flows flows of scenario s, passes over them (in one random
 * order) until at least min_pkts packets; each packet through shoal, then the
 * same frame through XDP_PASS.
 *
 * New flows: the flows are two halves, and each half's conntrack buckets are
 * zeroed right after its pass, so every SYN misses. A half's buckets are then
 * last touched (by the reset) a half-pass of packets before they are used
 * again: about as recently as in a conntrack hit pass over the same flows.
 * Resetting just before a pass would warm every bucket it is about to use.
 */
static int cell(struct bench *b, const struct scen *s, __u32 n_flows, __u64 min_pkts,
		struct result *r)
{
	__u32 passes = (__u32)((min_pkts + n_flows - 1) / n_flows), *order, *buckets = NULL;
	__u64 ctr0[SH_CTR_COUNT], ctr1[SH_CTR_COUNT], sns0 = 0, sruns0 = 0, pns0 = 0, pruns0 = 0;
	__u8 tcp_flags = s->kind == K_NEW ? SH_TCP_SYN : SH_TCP_ACK;
	__u32 half[3] = { 0, n_flows / 2, n_flows };
	__u64 k = 0;
	int ret = -ENOMEM;

	memset(r, 0, sizeof(*r));
	r->pkts = (__u64)passes * n_flows;
	if (r->pkts > b->dur_cap) {
		free(b->dur_shoal);
		free(b->dur_pass);
		free(b->scratch);
		b->dur_cap = r->pkts;
		b->dur_shoal = malloc(r->pkts * sizeof(__u32));
		b->dur_pass = malloc(r->pkts * sizeof(__u32));
		b->scratch = malloc(r->pkts * sizeof(__u32));
		if (!b->dur_shoal || !b->dur_pass || !b->scratch) {
			b->dur_cap = 0;
			return -ENOMEM;
		}
	}
	order = malloc(n_flows * sizeof(*order));
	if (!order)
		return -ENOMEM;
	shuffle(order, n_flows);
	if (s->kind == K_NEW) {
		buckets = malloc(n_flows * sizeof(*buckets));
		if (!buckets)
			goto out;
		for (__u32 i = 0; i < n_flows; i++)
			buckets[i] = ct_bucket4(b, s->vip4, order[i]);
		/* One untimed round, so the first timed one starts as every other does. */
		for (int h = 0; h < 2; h++) {
			ret = run_span(b, s, order, half[h], half[h + 1], tcp_flags, 0, &k) ?:
				      ct_reset(b, buckets + half[h], half[h + 1] - half[h]);
			if (ret)
				goto out;
		}
	} else if (s->kind != K_MISS) {
		/* Every flow remembered (and every path warm) before the timing starts. */
		ret = run_span(b, s, order, 0, n_flows, SH_TCP_SYN, 0, &k);
		if (ret)
			goto out;
	}
	ret = read_ctrs(b, ctr0);
	if (!ret && b->prog_stats)
		ret = prog_run_stats(b->shoal_fd, &sns0, &sruns0) ?:
			      prog_run_stats(b->pass_fd, &pns0, &pruns0);
	if (ret)
		goto out;
	for (__u32 p = 0; p < passes; p++) {
		if (s->kind != K_NEW) {
			ret = run_span(b, s, order, 0, n_flows, tcp_flags, 1, &k);
			if (ret)
				goto out;
			continue;
		}
		for (int h = 0; h < 2; h++) {
			ret = run_span(b, s, order, half[h], half[h + 1], tcp_flags, 1, &k) ?:
				      ct_reset(b, buckets + half[h], half[h + 1] - half[h]);
			if (ret)
				goto out;
		}
	}
	ret = read_ctrs(b, ctr1);
	if (ret)
		goto out;
	if (b->prog_stats) {
		__u64 ns = 0, runs = 0;

		ret = prog_run_stats(b->shoal_fd, &ns, &runs);
		if (ret)
			goto out;
		r->shoal_prog = runs > sruns0 ? (double)(ns - sns0) / (double)(runs - sruns0) : 0;
		ret = prog_run_stats(b->pass_fd, &ns, &runs);
		if (ret)
			goto out;
		r->pass_prog = runs > pruns0 ? (double)(ns - pns0) / (double)(runs - pruns0) : 0;
	}
	mean_p50(b, b->dur_shoal, k, &r->shoal_mean, &r->shoal_p50);
	mean_p50(b, b->dur_pass, k, &r->pass_mean, &r->pass_p50);
	r->d_ct_hit = ctr1[SH_CTR_CT_HIT] - ctr0[SH_CTR_CT_HIT];
	r->d_ct_miss = ctr1[SH_CTR_CT_MISS] - ctr0[SH_CTR_CT_MISS];
	r->d_sid_hit = ctr1[SH_CTR_SID_HIT] - ctr0[SH_CTR_SID_HIT];
	r->d_tx = ctr1[SH_CTR_TX] - ctr0[SH_CTR_TX];
	r->d_pass = ctr1[SH_CTR_PASS] - ctr0[SH_CTR_PASS];
out:
	free(buckets);
	free(order);
	return ret;
}

/* What the counters say about the measured packets: each must have taken the path named. */
static void check_str(const struct scen *s, const struct result *r, char *buf, size_t len)
{
	double n = (double)r->pkts;

	switch (s->kind) {
	case K_NEW:
		snprintf(buf, len, "ct miss %.4f", (double)r->d_ct_miss / n);
		break;
	case K_CT:
		snprintf(buf, len, "ct hit %.4f", (double)r->d_ct_hit / n);
		break;
	case K_SID:
		snprintf(buf, len, "sid hit %.4f", (double)r->d_sid_hit / n);
		break;
	case K_MISS:
		snprintf(buf, len, "passed %.4f", (double)r->d_pass / n);
		break;
	}
}

static void print_head(int prog_stats)
{
	printf("%-26s %7s %9s %8s %6s %7s %4s | %7s %9s | %-14s", "scenario", "flows", "shoal ns",
	       "pass ns", "ratio", "target", "met", "net ns", "p50 ratio", "path check");
	if (prog_stats)
		printf(" | %9s %9s", "prog-only", "pass-only");
	printf("\n");
}

static void print_row(const struct scen *s, __u32 flows, const struct result *r, int prog_stats)
{
	double ratio = r->shoal_mean / r->pass_mean;
	char target[16] = "-", check[32];

	if (s->target)
		snprintf(target, sizeof(target), "<= %.1fx", s->target);
	check_str(s, r, check, sizeof(check));
	printf("%-26s %7u %9.1f %8.1f %5.2fx %7s %4s | %7.1f %8.2fx | %-14s", s->name, flows,
	       r->shoal_mean, r->pass_mean, ratio, target,
	       !s->target ? "" : ratio <= s->target ? "yes" : "no", r->shoal_mean - r->pass_mean,
	       r->shoal_p50 / r->pass_p50, check);
	if (prog_stats)
		printf(" | %9.1f %9.1f", r->shoal_prog, r->pass_prog);
	printf("\n");
	fflush(stdout);
}

/* The XDP_PASS program with repeat = n in one call: the kernel's loop without the per-call part. */
static int pass_repeat(struct bench *b, __u32 repeat, double *ns)
{
	static __u8 out[OUT_MAX];
	struct scen s = { .vip4 = VIP4_IPIP, .kind = K_CT };
	__u8 frame[FRAME_MAX];
	__u32 len = make_frame(frame, &s, 0, SH_TCP_ACK);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = repeat);

	if (bpf_prog_test_run_opts(b->pass_fd, &o))
		return -errno;
	*ns = o.duration;
	return 0;
}

/* A CLOCK_MONOTONIC read through the vDSO (best of 5): the clocksource read of ktime_get_ns(). */
static double clock_read_ns(void)
{
	double best = 1e30;
	struct timespec ts;
	int n = 200000;

	for (int r = 0; r < 5; r++) {
		double t0 = now_s(), v;

		for (int i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (now_s() - t0) * 1e9 / n;
		best = v < best ? v : best;
	}
	return best;
}

static void print_loadavg(const char *when)
{
	char buf[128] = "?";
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			strcpy(buf, "?\n");
		fclose(f);
	}
	printf("load average %s: %s", when, buf);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_bpf [--quick] [--cpu N] [--prog-stats] [--only WORD]\n"
		   "BPF_PROG_TEST_RUN cost per packet of the shoal XDP program against XDP_PASS\n"
		   "(repeat=1 a call, kernel-reported duration averaged). Needs root.\n");
}

int main(int argc, char **argv)
{
	static const struct scen scens[] = {
		{ "new flow (SYN)", K_NEW, 0, VIP4_IPIP, 2.5, XDP_TX },
		{ "conntrack hit (ACK)", K_CT, 0, VIP4_IPIP, 2.0, XDP_TX },
		{ "server_id hit (ACK+0xB7)", K_SID, 0, VIP4_IPIP, 2.0, XDP_TX },
		{ "GUE, conntrack hit", K_CT, 0, VIP4_GUE, 2.0, XDP_TX },
		{ "IPv6 IP6IP6, ct hit", K_CT, 1, 0, 2.0, XDP_TX },
	};
	static const struct scen diag[] = {
		{ "conntrack hit, one flow", K_CT, 0, VIP4_IPIP, 0, XDP_TX },
		{ "not a VIP (XDP_PASS)", K_MISS, 0, NOT_VIP4, 0, XDP_PASS },
	};
	static const __u32 flows[] = { 1000, 50000, 200000 };
	static struct bench b;
	int quick = 0, cpu = -1, bpf_stats_fd = -1, ret = 1;
	const char *only = NULL;
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	struct utsname un;
	struct result r;
	__u64 min_pkts;
	cpu_set_t one;
	double t0 = now_s(), repn = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--prog-stats"))
			b.prog_stats = 1;
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			int help = !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help");

			usage(help ? stdout : stderr);
			return help ? 0 : 2;
		}
	}
	min_pkts = quick ? 20000 : 400000;
	if (cpu < 0)
		cpu = sched_getcpu() < 0 ? 0 : sched_getcpu();
	/* Conntrack and counters are per CPU: the SYN pass and the ACKs must share one. */
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		fprintf(stderr, "bench_bpf: pinning to CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	sh_log_route_libbpf();
	b.st = malloc(sizeof(*b.st));
	if (!b.st || bench_config(&b) || bench_load(&b))
		goto out;
	if (b.prog_stats) {
		bpf_stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (bpf_stats_fd < 0) {
			fprintf(stderr, "bench_bpf: --prog-stats: BPF_ENABLE_STATS: %s\n",
				strerror(errno));
			goto out;
		}
	}
	uname(&un);
	bpf_obj_get_info_by_fd(b.shoal_fd, &info, &info_len);
	printf("shoal XDP program under BPF_PROG_TEST_RUN, repeat=1 a call, kernel-reported "
	       "duration;\neach frame then runs through an XDP_PASS program the same way. "
	       "CPU %d, kernel %s, %s.\n",
	       cpu, un.release, quick ? "--quick" : "default run");
	printf("program: %u instructions (%u bytes JITed), verifier processed %u in %.2f s; "
	       "conntrack %u buckets of %d ways a CPU,\nring %u slots, %d reals a VIP, %s.\n",
	       info.xlated_prog_len / 8, info.jited_prog_len, info.verified_insns, b.load_s,
	       b.ct_mask + 1, SH_CT_WAYS, b.cfg.lb.ring_size, N_REALS,
	       b.prog_stats ? "kernel BPF stats ON (adds two clock reads to every call)"
				   : "kernel BPF stats off");
	print_loadavg("at start");
	printf("ns/packet: mean of the per-call durations; ratio = shoal / XDP_PASS; net = shoal "
	       "- XDP_PASS\n(the program's own cost, the call around it taken out); p50 ratio: of "
	       "the medians.\nTargets: <= 2.0x XDP_PASS for a remembered flow, <= 2.5x for a new "
	       "one. For scale, the best-known\nXDP LB measured this way costs 5-11x XDP_PASS "
	       "for a remembered flow, 13-17x for a new one.\n\n");
	print_head(b.prog_stats);
	for (size_t s = 0; s < sizeof(scens) / sizeof(scens[0]); s++)
		for (size_t f = 0; f < sizeof(flows) / sizeof(flows[0]); f++) {
			int err;

			if (only && !strstr(scens[s].name, only))
				continue;
			err = cell(&b, &scens[s], flows[f],
				   min_pkts > flows[f] ? min_pkts : flows[f], &r);
			if (err) {
				fprintf(stderr, "bench_bpf: %s, %u flows: %s\n", scens[s].name,
					flows[f], strerror(-err));
				goto out;
			}
			print_row(&scens[s], flows[f], &r, b.prog_stats);
		}
	printf("\nWhere the time goes:\n");
	print_head(b.prog_stats);
	for (size_t s = 0; s < sizeof(diag) / sizeof(diag[0]); s++) {
		__u32 n = diag[s].kind == K_MISS ? 1000 : 1;
		int err;

		if (only && !strstr(diag[s].name, only))
			continue;
		err = cell(&b, &diag[s], n, min_pkts, &r);
		if (err) {
			fprintf(stderr, "bench_bpf: %s: %s\n", diag[s].name, strerror(-err));
			goto out;
		}
		print_row(&diag[s], n, &r, b.prog_stats);
	}
	if (pass_repeat(&b, quick ? 100000 : 1000000, &repn))
		goto out;
	printf("XDP_PASS, one call of repeat=%d: %.0f ns a run (the loop without the per-call "
	       "part);\na CLOCK_MONOTONIC read (vDSO, the clocksource ktime_get_ns reads): %.1f "
	       "ns.\n",
	       quick ? 100000 : 1000000, repn, clock_read_ns());
	print_loadavg("at end");
	printf("total %.1f s\n", now_s() - t0);
	ret = 0;
out:
	if (bpf_stats_fd >= 0)
		close(bpf_stats_fd);
	bench_free(&b);
	return ret;
}
