// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal-flood: a bounded flood of new TCP flows out of one interface, for
 * the load tests. The kernel is the generator: BPF_PROG_RUN in live-frames
 * mode runs flood.bpf.c on a template frame COUNT times, and each run sends
 * the next flow (XDP_TX) out IFACE. Flow n comes from source address
 * template + n % SOURCES and port template + n / SOURCES % PORTS.
 *
 *   shoal-flood --iface IF --frame FILE --count N [--sources S] [--ports P]
 *
 * FILE holds one Ethernet + IPv4 (no options) + TCP frame, checksums right
 * (the test builds it with scapy). Prints the flows sent and the rate. The
 * peer of IF needs an XDP program (XDP_PASS will do) for veth to take XDP_TX
 * frames. Root only.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flood.skel.h"

#define FRAME_MAX 1514
#define SADDR_OFF 26 /* Ethernet 14 + IPv4 source at 12 */
#define SPORT_OFF 34 /* Ethernet 14 + IPv4 20 */
#define RUN_CHUNK (1u << 16) /* runs per syscall: stop on a signal within one chunk */

struct flood_opts {
	const char *iface, *frame_path;
	unsigned long long count;
	unsigned long sources, ports;
};

static void usage(const char *why)
{
	fprintf(stderr, "shoal-flood: %s\nusage: shoal-flood --iface IF --frame FILE --count N "
			"[--sources S] [--ports P]\n", why);
	exit(2);
}

static unsigned long long number(const char *opt, const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !*s || v == 0 || v > max) {
		fprintf(stderr, "shoal-flood: --%s: not a number in 1..%llu (got %s)\n", opt, max, s);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct flood_opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },  { "frame", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },  { "sources", required_argument, NULL, 's' },
		{ "ports", required_argument, NULL, 'p' },  { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct flood_opts){ .sources = 1, .ports = 1 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'f': o->frame_path = optarg; break;
		case 'c': o->count = number("count", optarg, 1ull << 40); break;
		case 's': o->sources = number("sources", optarg, 1ul << 24); break;
		case 'p': o->ports = number("ports", optarg, 65535); break;
		default: usage("unknown option");
		}
	}
	if (optind != argc || !o->iface || !o->frame_path || !o->count)
		usage("--iface, --frame and --count are required");
}

static size_t read_frame(const char *path, unsigned char *buf)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "shoal-flood: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, FRAME_MAX + 1, f);
	fclose(f);
	if (n < SPORT_OFF + 20 || n > FRAME_MAX) {
		fprintf(stderr, "shoal-flood: %s: %zu bytes, not an Ethernet/IPv4/TCP frame of "
				"%d..%d bytes\n", path, n, SPORT_OFF + 20, FRAME_MAX);
		exit(1);
	}
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned char frame[FRAME_MAX + 1];
	struct flood_opts o;
	struct flood_bpf *skel;
	struct xdp_md ctx = { 0 };
	unsigned long long left;
	unsigned int ifindex;
	__u32 saddr;
	__u16 sport;
	double t0, secs;
	size_t len;
	int err = 0;

	parse_args(argc, argv, &o);
	len = read_frame(o.frame_path, frame);
	ifindex = if_nametoindex(o.iface);
	if (!ifindex) {
		fprintf(stderr, "shoal-flood: --iface %s: %s\n", o.iface, strerror(errno));
		return 1;
	}
	skel = flood_bpf__open();
	if (!skel) {
		fprintf(stderr, "shoal-flood: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	memcpy(&saddr, frame + SADDR_OFF, sizeof(saddr));
	memcpy(&sport, frame + SPORT_OFF, sizeof(sport));
	skel->rodata->src_base = ntohl(saddr);
	skel->rodata->n_sources = (__u32)o.sources;
	skel->rodata->sport_base = ntohs(sport);
	skel->rodata->n_sports = (__u32)o.ports;
	if (flood_bpf__load(skel)) {
		fprintf(stderr, "shoal-flood: cannot load the BPF program: %s\n", strerror(errno));
		flood_bpf__destroy(skel);
		return 1;
	}
	ctx.data_end = (__u32)len;
	ctx.ingress_ifindex = ifindex;
	t0 = now_s();
	for (left = o.count; left && !err; ) {
		__u32 runs = left < RUN_CHUNK ? (__u32)left : RUN_CHUNK;
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = (__u32)len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = runs,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.flood), &run);
		if (err)
			fprintf(stderr, "shoal-flood: BPF_PROG_RUN (live frames) on %s: %s\n", o.iface,
				strerror(errno));
		left -= runs;
	}
	secs = now_s() - t0;
	printf("shoal-flood: %llu flows sent out %s in %.2f s (%.0f per second)\n",
	       (unsigned long long)skel->bss->flows_sent, o.iface, secs,
	       skel->bss->flows_sent / (secs > 0 ? secs : 1));
	flood_bpf__destroy(skel);
	return err ? 1 : 0;
}
