// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal-replay: run every packet of a pcap through the forwarding core, write
 * the packets it transmits to another pcap in input order, and summarize.
 *
 *   shoal-replay --config lb.json --in in.pcap --out out.pcap [--json] [--backend user|xdp]
 *
 * --backend user (the default) runs the core over the userspace tables, as the
 * AF_XDP and DPDK backends do. --backend xdp runs the production XDP object in
 * the kernel with BPF_PROG_TEST_RUN, its maps filled from the same tables by
 * the XDP backend's own code (loaded, never attached); the summary is read from
 * its counters. The process stays on one CPU: conntrack is per CPU.
 *
 * The clock is the capture's: each packet is processed at its own timestamp,
 * so conntrack timeouts replay exactly as they were recorded (the XDP object
 * is loaded with its replay clock for that).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "config.h"
#include "counters_names.h"
#include "env_user.h"
#include "tables.h"
#include "user_burst.h"
#include "worker.h"
#include "xdp_replay.h"

/* Room in front of each frame for the largest encapsulation, as in an AF_XDP frame. */
#define REPLAY_HEADROOM 256
#define REPLAY_MAX_FRAME 65536

struct replay {
	const struct sh_config *cfg;
	const struct sh_tables *t;
	struct sh_worker *w;            /* --backend user */
	struct sh_xdp_replay *xdp;      /* --backend xdp */
	struct sh_stats *st;            /* counters, when the run is over */
	__u64 packets_in;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: shoal-replay --config lb.json --in in.pcap --out out.pcap [--json]\n"
		   "                    [--backend user|xdp]\n"
		   "Runs every packet of in.pcap through shoal's forwarding core and writes\n"
		   "the packets it transmits to out.pcap, in input order. --backend xdp runs\n"
		   "the XDP program in the kernel (BPF_PROG_TEST_RUN; needs root) instead of\n"
		   "the userspace core.\n");
}

/* The XDP program (loaded, not attached) with its maps filled from the tables, on one CPU. */
static int replay_xdp_setup(struct replay *r)
{
	char err[SH_CFG_ERR_LEN];
	cpu_set_t one;
	int ret, cpu = sched_getcpu();

	/* Conntrack and counters are per CPU: one CPU for the whole run. */
	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		ret = -errno;
		fprintf(stderr, "shoal-replay: staying on CPU %d: %s\n", cpu, strerror(-ret));
		return ret;
	}
	ret = sh_xdp_replay_open(r->cfg, r->t, &r->xdp, err, sizeof(err));
	if (ret)
		fprintf(stderr, "shoal-replay: --backend xdp: %s\n", err);
	return ret;
}

static int replay_run(struct replay *r, pcap_t *in, pcap_dumper_t *out, const char *in_path)
{
	static __u8 buf[REPLAY_HEADROOM + REPLAY_MAX_FRAME];
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	int rc;

	while ((rc = pcap_next_ex(in, &hdr, &bytes)) == 1) {
		struct sh_pkt pkt = { .head = buf, .data = buf + REPLAY_HEADROOM };
		__u64 now = (__u64)hdr->ts.tv_sec * 1000000000ull + (__u64)hdr->ts.tv_usec * 1000;
		__u32 len = hdr->caplen < REPLAY_MAX_FRAME ? hdr->caplen : REPLAY_MAX_FRAME;
		struct pcap_pkthdr oh = { .ts = hdr->ts };
		__u8 action;

		if (r->xdp) {
			char err[SH_CFG_ERR_LEN];

			if (sh_xdp_replay_run(r->xdp, bytes, len, now, buf, sizeof(buf), &oh.caplen,
					      err, sizeof(err))) {
				fprintf(stderr, "shoal-replay: %s: frame %llu: %s\n", in_path,
					r->packets_in + 1, err);
				return -EIO;
			}
			pkt.data = buf;
		} else {
			memcpy(pkt.data, bytes, len);
			pkt.data_end = (__u8 *)pkt.data + len;
			sh_user_burst(r->t, r->w, now, &pkt, &action, 1);
			if (action == SH_ACT_TX)
				oh.caplen = (__u32)((__u8 *)pkt.data_end - (__u8 *)pkt.data);
		}
		r->packets_in++;
		if (oh.caplen) {
			oh.len = oh.caplen;
			pcap_dump((u_char *)out, &oh, pkt.data);
		}
	}
	if (rc == -1) {
		fprintf(stderr, "shoal-replay: %s: %s\n", in_path, pcap_geterr(in));
		return -EIO;
	}
	return 0;
}

static json_t *summary_json(const struct replay *r)
{
	json_t *root = json_object(), *drops = json_object(), *counters = json_object();
	json_t *reals = json_array(), *vips = json_array();
	__u64 drop_total = 0;
	char addr[SH_ADDR_STRLEN];

	for (int c = 0; c < SH_CTR_COUNT; c++) {
		json_object_set_new(counters, sh_ctr_key(c), json_integer(r->st->ctr[c]));
		if (sh_ctr_is_drop(c)) {
			json_object_set_new(drops, sh_ctr_key(c), json_integer(r->st->ctr[c]));
			drop_total += r->st->ctr[c];
		}
	}
	for (__u32 i = 0; i < r->t->n_reals; i++) {
		const struct sh_real *re = &r->t->reals[i];

		json_array_append_new(reals, json_pack("{s:s, s:I, s:I}", "address",
						       sh_addr_str(&re->addr, re->family, addr),
						       "packets",
						       (json_int_t)r->st->real[i].packets, "bytes",
						       (json_int_t)r->st->real[i].bytes));
	}
	for (size_t i = 0; i < r->cfg->n_vips; i++) {
		const struct sh_cfg_vip *v = &r->cfg->vips[i];
		const struct sh_counter *c = &r->st->vip[r->t->vip_id[i]];

		json_array_append_new(vips, json_pack("{s:s, s:i, s:s, s:I, s:I}", "address",
						      sh_addr_str(&v->addr, v->family, addr), "port",
						      v->port, "protocol",
						      v->proto == 6 ? "tcp" : "udp", "packets",
						      (json_int_t)c->packets, "bytes",
						      (json_int_t)c->bytes));
	}
	json_object_set_new(root, "packets_in", json_integer(r->packets_in));
	json_object_set_new(root, "tx", json_integer(r->st->ctr[SH_CTR_TX]));
	json_object_set_new(root, "pass", json_integer(r->st->ctr[SH_CTR_PASS]));
	json_object_set_new(root, "drop", json_integer(drop_total));
	json_object_set_new(root, "drop_reasons", drops);
	json_object_set_new(root, "counters", counters);
	json_object_set_new(root, "reals", reals);
	json_object_set_new(root, "vips", vips);
	return root;
}

static void summary_print(json_t *s)
{
	const char *key;
	json_t *v;
	size_t i;

	printf("packets in %lld: tx %lld, pass %lld, drop %lld\n",
	       json_integer_value(json_object_get(s, "packets_in")),
	       json_integer_value(json_object_get(s, "tx")),
	       json_integer_value(json_object_get(s, "pass")),
	       json_integer_value(json_object_get(s, "drop")));
	json_object_foreach(json_object_get(s, "drop_reasons"), key, v)
		if (json_integer_value(v))
			printf("  drop %-16s %lld\n", key, json_integer_value(v));
	json_object_foreach(json_object_get(s, "counters"), key, v)
		if (json_integer_value(v))
			printf("  %-21s %lld\n", key, json_integer_value(v));
	json_array_foreach(json_object_get(s, "reals"), i, v)
		printf("real %-39s %lld packets %lld bytes\n",
		       json_string_value(json_object_get(v, "address")),
		       json_integer_value(json_object_get(v, "packets")),
		       json_integer_value(json_object_get(v, "bytes")));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },    { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, 'b' },
		{ 0 }
	};
	const char *backend = "user";
	const char *cfg_path = NULL, *in_path = NULL, *out_path = NULL;
	char err[SH_CFG_ERR_LEN], pcap_err[PCAP_ERRBUF_SIZE];
	struct sh_config cfg;
	struct sh_tables *t = NULL;
	struct replay r = { .cfg = &cfg };
	pcap_t *in = NULL, *dead = NULL;
	pcap_dumper_t *out = NULL;
	int json = 0, opt, ret = 1;
	json_t *summary;

	while ((opt = getopt_long(argc, argv, "c:i:o:jhb:", opts, NULL)) != -1) {
		switch (opt) {
		case 'b': backend = optarg; break;
		case 'c': cfg_path = optarg; break;
		case 'i': in_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!cfg_path || !in_path || !out_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(backend, "user") && strcmp(backend, "xdp")) {
		fprintf(stderr, "shoal-replay: --backend: user or xdp, not \"%s\"\n", backend);
		return 2;
	}
	if (sh_config_load_file(cfg_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "shoal-replay: %s\n", err);
		return 1;
	}
	if (sh_tables_build(&cfg, NULL, &t, err, sizeof(err))) {
		fprintf(stderr, "shoal-replay: %s: %s\n", cfg_path, err);
		goto out;
	}
	r.t = t;
	r.st = calloc(1, sizeof(*r.st));
	if (!r.st) {
		fprintf(stderr, "shoal-replay: out of memory\n");
		goto out;
	}
	if (!strcmp(backend, "xdp")) {
		if (replay_xdp_setup(&r))
			goto out;
	} else if (sh_worker_create(cfg.conntrack_size, &r.w)) {
		fprintf(stderr, "shoal-replay: conntrack of %u flows: out of memory\n",
			cfg.conntrack_size);
		goto out;
	}
	in = pcap_open_offline(in_path, pcap_err);
	if (!in) {
		fprintf(stderr, "shoal-replay: %s: %s\n", in_path, pcap_err);
		goto out;
	}
	if (pcap_datalink(in) != DLT_EN10MB) {
		fprintf(stderr, "shoal-replay: %s: link type %s, shoal needs Ethernet (EN10MB)\n",
			in_path, pcap_datalink_val_to_name(pcap_datalink(in)));
		goto out;
	}
	dead = pcap_open_dead(DLT_EN10MB, REPLAY_MAX_FRAME);
	out = dead ? pcap_dump_open(dead, out_path) : NULL;
	if (!out) {
		fprintf(stderr, "shoal-replay: %s: %s\n", out_path,
			dead ? pcap_geterr(dead) : "cannot open");
		goto out;
	}
	if (replay_run(&r, in, out, in_path))
		goto out;
	if (pcap_dump_flush(out)) {
		fprintf(stderr, "shoal-replay: %s: write failed\n", out_path);
		goto out;
	}
	if (r.xdp) {
		int rc = sh_xdp_replay_stats(r.xdp, r.st);

		if (rc) {
			fprintf(stderr, "shoal-replay: reading the XDP counters: %s\n",
				strerror(-rc));
			goto out;
		}
	} else {
		memcpy(r.st->ctr, r.w->ctr, sizeof(r.st->ctr));
		memcpy(r.st->vip, r.w->vip_ctr, sizeof(r.st->vip));
		memcpy(r.st->real, r.w->real_ctr, sizeof(r.st->real));
	}
	summary = summary_json(&r);
	if (json) {
		json_dumpf(summary, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		summary_print(summary);
	}
	json_decref(summary);
	ret = 0;
out:
	if (out)
		pcap_dump_close(out);
	if (dead)
		pcap_close(dead);
	if (in)
		pcap_close(in);
	sh_worker_free(r.w);
	sh_xdp_replay_close(r.xdp);
	free(r.st);
	sh_tables_free(t);
	sh_config_free(&cfg);
	return ret;
}
