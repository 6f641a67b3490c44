// SPDX-License-Identifier: BSD-3-Clause
/*
 * afxdp-echo: the AF_XDP benchmark's baseline (bench/afxdp.sh). A plain
 * forwarder, no core: every frame received on IFACE is sent back out of it
 * with its MAC addresses swapped. It opens its sockets with shoal's own
 * helpers (backends/afxdp/afxdp_xsk.h) and runs the AF_XDP worker's loop, so
 * against shoal-afxdp only the per-packet work differs: a MAC swap here, the
 * core there. One thread a queue; bench/xsk_echo.bpf.c sends every frame to
 * its queue's socket.
 *
 *   afxdp-echo --iface IF [--queues N] [--copy|--zero-copy] [--busy-poll]
 *
 * Runs until SIGINT or SIGTERM, then prints the frames each queue echoed.
 * Root only.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afxdp_xsk.h"
#include "xsk_echo.skel.h"

#define ECHO_BURST 64       /* the AF_XDP worker's burst (SH_BURST_MAX) */
#define ECHO_MAX_QUEUES 64  /* the size of xsk_echo.bpf.c's XSKMAP */
#define IDLE_POLL_MS 100    /* as the AF_XDP worker: look at the stop flag this often */

struct echo_queue {
	struct sh_xsk xsk;
	pthread_t thread;
	__u64 echoed;
	char why[128];
} __attribute__((aligned(64)));

static atomic_bool stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static void usage(const char *why)
{
	fprintf(stderr, "afxdp-echo: %s\nusage: afxdp-echo --iface IF [--queues N] "
			"[--copy|--zero-copy] [--busy-poll]\n", why);
	exit(2);
}

static void swap_macs(unsigned char *eth)
{
	unsigned char tmp[ETH_ALEN];

	memcpy(tmp, eth, ETH_ALEN);
	memcpy(eth, eth + ETH_ALEN, ETH_ALEN);
	memcpy(eth + ETH_ALEN, tmp, ETH_ALEN);
}

/* One burst: rx, swap, tx. The AF_XDP worker's burst() with the core taken out. */
static unsigned int burst(struct echo_queue *q)
{
	struct sh_xsk *x = &q->xsk;
	void *tx_data[ECHO_BURST];
	__u32 tx_len[ECHO_BURST];
	unsigned int n, n_tx = 0, sent;
	__u32 idx;

	n = xsk_ring_cons__peek(&x->rx, ECHO_BURST, &idx);
	if (!n)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + i);
		unsigned char *data = xsk_umem__get_data(x->area, d->addr);

		if (d->len < ETH_HLEN) {
			sh_xsk_recycle(x, d->addr);
			continue;
		}
		swap_macs(data);
		tx_data[n_tx] = data;
		tx_len[n_tx++] = d->len;
	}
	xsk_ring_cons__release(&x->rx, n);
	sent = sh_xsk_send(x, tx_data, tx_len, n_tx);
	for (unsigned int i = sent; i < n_tx; i++) /* the tx ring was full */
		sh_xsk_recycle(x, (__u64)((char *)tx_data[i] - (char *)x->area));
	q->echoed += sent;
	return n;
}

static void *queue_main(void *arg)
{
	struct echo_queue *q = arg;
	struct pollfd pfd = { .fd = q->xsk.fd, .events = POLLIN };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned int n = burst(q);

		sh_xsk_complete(&q->xsk);
		sh_xsk_refill(&q->xsk);
		if (n)
			continue;
		sh_xsk_kick_rx(&q->xsk);
		if (!q->xsk.busy_poll)
			poll(&pfd, 1, IDLE_POLL_MS);
	}
	return NULL;
}

static void parse_args(int argc, char **argv, struct sh_xsk_opts *o, unsigned int *n_queues)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "queues", required_argument, NULL, 'q' },
		{ "copy", no_argument, NULL, 'C' },        { "zero-copy", no_argument, NULL, 'Z' },
		{ "busy-poll", no_argument, NULL, 'B' },   { NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct sh_xsk_opts){ .copy_mode = SH_XSK_AUTO };
	*n_queues = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->ifname = optarg; break;
		case 'q':
			*n_queues = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !*n_queues || *n_queues > ECHO_MAX_QUEUES)
				usage("--queues: not a number in 1..64");
			break;
		case 'C': case 'Z':
			if (o->copy_mode)
				usage("--copy and --zero-copy: one or the other");
			o->copy_mode = c == 'Z' ? SH_XSK_ZEROCOPY : SH_XSK_COPY;
			break;
		case 'B': o->busy_poll = true; break;
		default: usage("unknown option");
		}
	}
	if (optind != argc || !o->ifname)
		usage("--iface is required");
}

/* The sockets, each in the XSKMAP, and their threads. Returns the queues running. */
static unsigned int queues_start(struct echo_queue *qs, unsigned int n, struct sh_xsk_opts *o,
				 int xsks_fd)
{
	char err[256];

	for (unsigned int i = 0; i < n; i++) {
		struct echo_queue *q = &qs[i];
		int ret, fd;

		o->queue = i;
		ret = sh_xsk_open(&q->xsk, o, q->why, sizeof(q->why), err, sizeof(err));
		if (ret) {
			fprintf(stderr, "afxdp-echo: %s\n", err);
			return i;
		}
		fd = q->xsk.fd;
		if (bpf_map_update_elem(xsks_fd, &o->queue, &fd, 0)) {
			fprintf(stderr, "afxdp-echo: queue %u: the XSKMAP: %s\n", i, strerror(errno));
			sh_xsk_close(&q->xsk);
			return i;
		}
		ret = pthread_create(&q->thread, NULL, queue_main, q);
		if (ret) {
			fprintf(stderr, "afxdp-echo: queue %u: thread: %s\n", i, strerror(ret));
			sh_xsk_close(&q->xsk);
			return i;
		}
		printf("afxdp-echo: %s queue %u: %s\n", o->ifname, i, q->why);
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct echo_queue qs[ECHO_MAX_QUEUES];
	struct sh_xsk_opts o;
	struct xsk_echo_bpf *skel;
	unsigned int n_queues, running;
	int ifindex, ret;
	__u64 total = 0;

	parse_args(argc, argv, &o, &n_queues);
	ifindex = (int)if_nametoindex(o.ifname);
	if (!ifindex) {
		fprintf(stderr, "afxdp-echo: --iface %s: %s\n", o.ifname, strerror(errno));
		return 1;
	}
	skel = xsk_echo_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "afxdp-echo: loading the XDP program: %s\n", strerror(errno));
		return 1;
	}
	ret = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xsk_echo), XDP_FLAGS_DRV_MODE,
			     NULL);
	if (ret) {
		fprintf(stderr, "afxdp-echo: %s: attaching the XDP program (native): %s\n", o.ifname,
			strerror(-ret));
		xsk_echo_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	running = queues_start(qs, n_queues, &o, bpf_map__fd(skel->maps.echo_xsks));
	if (running == n_queues) {
		fflush(stdout);
		while (!atomic_load(&stop))
			poll(NULL, 0, IDLE_POLL_MS);
	}
	atomic_store(&stop, true);
	for (unsigned int i = 0; i < running; i++) {
		pthread_join(qs[i].thread, NULL);
		printf("afxdp-echo: queue %u: %llu frames echoed\n", i,
		       (unsigned long long)qs[i].echoed);
		total += qs[i].echoed;
		sh_xsk_close(&qs[i].xsk);
	}
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xsk_echo_bpf__destroy(skel);
	if (running == n_queues)
		printf("afxdp-echo: %llu frames echoed\n", (unsigned long long)total);
	return running == n_queues ? 0 : 1;
}
