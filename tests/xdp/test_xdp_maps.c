// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP backend's map rendering (backends/xdp/xdp_maps.c) over hundreds of
 * random config changes, against the loaded program's real maps (not
 * attached): after every apply the maps hold exactly the tables (every entry,
 * its ring through the pool, reals, server_ids, LB settings), the pool
 * accounts for every ring, counters of a vip_id that changed hands restart
 * and the others do not, and tables recovered from the maps (as after a
 * restart) equal the applied ones; now and then the run goes on from the
 * recovered tables, as shoald does after a restart. Needs root (BPF).
 *
 *   test_xdp_maps [rounds] [seed]
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "shoal_xdp.h"
#include "shoal_xdp.skel.h"
#include "tables.h"
#include "xdp_maps.h"

#define RING 13
#define MAX_VIPS 6
#define SENTINEL 7

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                       \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			failures++;                                                                \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

static const char *const vip_addrs[] = { "198.18.100.1", "198.18.100.2", "2001:db8:100::1" };
static const int vip_ports[] = { 0, 80, 443 };
static const char *const real_addrs[] = {
	"198.18.1.1",	 "198.18.1.2",	  "198.18.1.3",	   "198.18.1.4",
	"198.18.1.5",	 "198.18.1.6",	  "198.18.1.7",	   "198.18.1.8",
	"2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:1::4",
};
static const char *const flag_sets[] = { "", "\"no_sport\"", "\"no_lru\"", "\"dport_hash\"",
					 "\"no_sport\",\"no_lru\"" };

#define N_REAL_ADDRS (sizeof(real_addrs) / sizeof(real_addrs[0]))

/* A random valid config of up to n_vips VIPs (ring_size and the rest fixed). */
static void random_config(char *buf, size_t len, int n_vips, __u32 ring_size)
{
	int used[3][3][2] = { 0 };
	size_t off;

	off = (size_t)snprintf(
		buf, len,
		"{\"lb\":{\"ipv4_src\":\"198.18.0.10\",\"ipv6_src\":\"2001:db8::10\","
		"\"gateway_mac\":\"02:00:00:00:00:01\",\"ring_size\":%u,"
		"\"conntrack_size\":64,\"mtu\":%d},\"vips\":[",
		ring_size, 1400 + rand() % 100);
	for (int v = 0; v < n_vips; v++) {
		int a = rand() % 3, p = rand() % 3, proto = rand() % 2, n_reals = rand() % 6;
		int taken[N_REAL_ADDRS] = { 0 };

		if (used[a][p][proto])
			continue;
		used[a][p][proto] = 1;
		off += (size_t)snprintf(
			buf + off, len - off,
			"%s{\"address\":\"%s\",\"port\":%d,\"protocol\":\"%s\","
			"\"encap\":\"%s\",\"hash\":\"%s\",\"flags\":[%s],\"reals\":[",
			off[buf - 1] == '[' ? "" : ",", vip_addrs[a], vip_ports[p],
			proto ? "udp" : "tcp", rand() % 2 ? "gue" : "ipip",
			rand() % 4 ? "maglev" : "rendezvous", flag_sets[rand() % 5]);
		for (int r = 0, first = 1; r < n_reals; r++) {
			int j = rand() % (int)N_REAL_ADDRS;

			if (taken[j])
				continue;
			taken[j] = 1;
			off += (size_t)snprintf(buf + off, len - off,
						"%s{\"address\":\"%s\",\"weight\":%d",
						first ? "" : ",", real_addrs[j], rand() % 4);
			if (rand() % 2)
				off += (size_t)snprintf(buf + off, len - off, ",\"server_id\":%d",
							100 + j);
			off += (size_t)snprintf(buf + off, len - off, "}");
			first = 0;
		}
		off += (size_t)snprintf(buf + off, len - off, "]}");
	}
	snprintf(buf + off, len - off, "]}");
}

static const __u32 *pool_ring(const struct sh_xdp_maps *m, __u32 slot)
{
	return &m->rings[(size_t)slot * m->sz.ring_size];
}

/* The maps, read through the kernel (not the shadow), hold exactly t. */
static int verify_maps(const struct sh_xdp_maps *m, const struct sh_tables *t, __u32 max_real)
{
	struct sh_vip_key key, *prev = NULL, keys[4 * SH_MAX_VIPS];
	__u32 n = 0, want = 0, zero = 0, sid, *psid = NULL;
	struct sh_lb lb;

	while (!bpf_map_get_next_key(m->vips_fd, prev, &key) && n < 4 * SH_MAX_VIPS) {
		const struct sh_vip *tv = sh_tables_vip_find(t, &key);
		struct sh_vip v;

		keys[n] = key;
		prev = &keys[n++];
		CHECK(!bpf_map_lookup_elem(m->vips_fd, &key, &v), "lookup: %s", strerror(errno));
		CHECK(tv, "sh_vips holds a key the tables do not (port %u proto %u)",
		      ntohs(key.port), key.proto);
		CHECK(v.vip_id == tv->vip_id && v.flags == tv->flags && v.encap == tv->encap,
		      "entry differs: vip_id %u/%u flags %#x/%#x", v.vip_id, tv->vip_id, v.flags,
		      tv->flags);
		CHECK(v.ring_id < m->sz.n_slots, "ring slot %u out of the pool", v.ring_id);
		CHECK(!memcmp(pool_ring(m, v.ring_id), &t->rings[(size_t)tv->ring_id * RING],
			      RING * sizeof(__u32)),
		      "vip_id %u: its ring in slot %u is not the tables' ring %u", v.vip_id,
		      v.ring_id, tv->ring_id);
	}
	for (__u32 i = 0; i <= t->vip_mask; i++)
		want += t->vips[i].used;
	CHECK(n == want, "sh_vips holds %u entries, the tables %u", n, want);
	for (__u32 i = 0; i < max_real; i++) {
		struct sh_real r, w = i < t->n_reals ? t->reals[i] : (struct sh_real){ 0 };

		CHECK(!bpf_map_lookup_elem(m->reals_fd, &i, &r), "reals lookup");
		if (i >= t->n_reals) {
			CHECK(!(r.flags & SH_REAL_F_ACTIVE), "real %u active beyond the tables", i);
			continue;
		}
		CHECK(!memcmp(&r, &w, sizeof(r)), "real %u differs (flags %u/%u)", i, r.flags,
		      w.flags);
	}
	n = want = 0;
	while (!bpf_map_get_next_key(m->sids_fd, psid, &sid)) {
		__u32 real;

		CHECK(!bpf_map_lookup_elem(m->sids_fd, &sid, &real), "sid lookup");
		CHECK(sh_tables_sid_find(t, sid) == real, "server_id %u -> %u, tables say %u", sid,
		      real, sh_tables_sid_find(t, sid));
		n++;
		psid = &sid;
	}
	for (__u32 i = 0; i <= t->sid_mask; i++)
		want += !!t->sids[i].server_id;
	CHECK(n == want, "sh_server_ids holds %u ids, the tables %u", n, want);
	CHECK(!bpf_map_lookup_elem(m->lb_fd, &zero, &lb) && !memcmp(&lb, &t->lb, sizeof(lb)),
	      "sh_lb differs");
	/* Every pool slot is free or holds a VIP's ring. */
	want = 0;
	for (__u32 id = 0; id < t->n_vip_ids; id++)
		want += t->vip_id_used[id];
	CHECK(m->n_free + want == m->sz.n_slots, "pool: %u free + %u used != %u slots", m->n_free,
	      want, m->sz.n_slots);
	return 0;
}

/* Tables rebuilt from the maps equal t where a restart needs them to. */
static int verify_recovered(const struct sh_tables *r, const struct sh_tables *t)
{
	CHECK(r, "nothing recovered");
	CHECK(r->n_reals == t->n_reals &&
		      !memcmp(r->reals, t->reals, t->n_reals * sizeof(*r->reals)),
	      "recovered reals differ (%u / %u)", r->n_reals, t->n_reals);
	CHECK(!memcmp(&r->lb, &t->lb, sizeof(r->lb)), "recovered lb differs");
	for (__u32 id = 0; id < t->n_vip_ids; id++) {
		if (!t->vip_id_used[id])
			continue;
		CHECK(id < r->n_vip_ids && r->vip_id_used[id] &&
			      sh_tables_vip_key_eq(&r->vip_id_key[id], &t->vip_id_key[id]),
		      "vip_id %u not recovered", id);
		CHECK(!memcmp(&r->rings[(size_t)id * RING], &t->rings[(size_t)id * RING],
			      RING * sizeof(__u32)),
		      "vip_id %u: recovered ring differs", id);
	}
	for (__u32 i = 0; i <= t->vip_mask; i++) {
		const struct sh_vip *v;

		if (!t->vips[i].used)
			continue;
		v = sh_tables_vip_find(r, &t->vips[i].key);
		CHECK(v && !memcmp(v, &t->vips[i].val, sizeof(*v)), "entry not recovered");
	}
	for (__u32 i = 0; i <= t->sid_mask; i++)
		if (t->sids[i].server_id)
			CHECK(sh_tables_sid_find(r, t->sids[i].server_id) == t->sids[i].real,
			      "server_id %u not recovered", t->sids[i].server_id);
	return 0;
}

static int counters_set(const struct sh_xdp_maps *m, __u64 packets)
{
	struct sh_counter *c = calloc(m->n_cpus, sizeof(*c));

	for (__u32 id = 0; c && id < SH_MAX_VIPS; id++) {
		c[0].packets = packets;
		if (bpf_map_update_elem(m->vip_stats_fd, &id, c, BPF_ANY))
			break;
	}
	free(c);
	return 0;
}

static int verify_counters(const struct sh_xdp_maps *m, const struct sh_tables *t,
			   const struct sh_tables *prev)
{
	struct sh_stats *st = calloc(1, sizeof(*st));

	CHECK(st && !sh_xdp_maps_read_stats(m, st), "read_stats");
	for (__u32 id = 0; id < t->n_vip_ids; id++) {
		bool moved = !prev || id >= prev->n_vip_ids ||
			     !sh_tables_vip_key_eq(&prev->vip_id_key[id], &t->vip_id_key[id]);
		__u64 got;

		if (!t->vip_id_used[id])
			continue;
		got = st->vip[id].packets;

		if (got != (moved ? 0 : SENTINEL)) {
			free(st);
			CHECK(0, "vip_id %u (%s hands): counter %llu", id,
			      moved ? "changed" : "kept", (unsigned long long)got);
		}
	}
	free(st);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 400, seed = argc > 2 ? atoi(argv[2]) : 1;
	struct sh_xdp_sizes sz = sh_xdp_sizes_for(RING, 64, MAX_VIPS);
	struct sh_tables *prev = NULL, *t = NULL, *rec = NULL;
	struct shoal_xdp_bpf *skel;
	struct sh_xdp_maps m, m2;
	char err[512], json[16384];
	__u32 max_real = 0;
	int restarts = 0, refused = 0;

	if (geteuid()) {
		printf("SKIP: needs root (BPF)\n");
		return 77;
	}
	srand(seed);
	if (sh_xdp_skel_open(&sz, false, &skel, err, sizeof(err)) || shoal_xdp_bpf__load(skel) ||
	    sh_xdp_maps_init(&m, skel, RING, false, err, sizeof(err))) {
		fprintf(stderr, "FAIL: loading: %s\n", err);
		return 1;
	}
	for (int round = 0; round < rounds && !failures; round++) {
		struct sh_config cfg;

		random_config(json, sizeof(json), 1 + rand() % (MAX_VIPS + 2), RING);
		if (sh_config_load_string(json, "random", &cfg, err, sizeof(err))) {
			fprintf(stderr, "FAIL: generator made a bad config: %s\n%s\n", err, json);
			return 1;
		}
		if (sh_tables_build(&cfg, prev, &t, err, sizeof(err))) {
			sh_config_free(&cfg);
			continue; /* e.g. more reals than slots: not this test's business */
		}
		counters_set(&m, SENTINEL);
		if (cfg.n_vips > MAX_VIPS) {
			/* Too many for the pool: refused whole, the maps stay as they were. */
			if (!sh_xdp_maps_apply(&m, t, prev, err, sizeof(err)) ||
			    (prev && verify_maps(&m, prev, max_real)))
				fprintf(stderr,
					"FAIL: %zu VIPs for a pool of %d not refused cleanly\n",
					cfg.n_vips, MAX_VIPS),
					failures++;
			refused++;
			sh_tables_free(t);
			sh_config_free(&cfg);
			continue;
		}
		if (sh_xdp_maps_apply(&m, t, prev, err, sizeof(err))) {
			fprintf(stderr, "FAIL round %d: apply: %s\n%s\n", round, err, json);
			return 1;
		}
		if (t->n_reals > max_real)
			max_real = t->n_reals;
		if (verify_maps(&m, t, max_real) || verify_counters(&m, t, prev)) {
			fprintf(stderr, "  round %d, config %s\n", round, json);
			break;
		}
		/* A restart: tables from the maps alone. */
		if (sh_xdp_maps_init(&m2, skel, RING, true, err, sizeof(err)) ||
		    sh_xdp_maps_recover(&m2, &rec, err, sizeof(err))) {
			fprintf(stderr, "FAIL: recovering: %s\n", err);
			return 1;
		}
		if (verify_recovered(rec, t)) {
			fprintf(stderr, "  round %d, config %s\n", round, json);
			break;
		}
		sh_tables_free(prev);
		if (rand() % 4 == 0) { /* go on as the restarted daemon would */
			sh_xdp_maps_fini(&m);
			m = m2;
			prev = rec;
			sh_tables_free(t);
			restarts++;
		} else {
			sh_xdp_maps_fini(&m2);
			sh_tables_free(rec);
			prev = t;
		}
		rec = t = NULL;
		sh_config_free(&cfg);
	}
	if (!failures) {
		/* Another ring size is refused before anything is written. */
		struct sh_tables bad = *prev;

		bad.lb.ring_size = RING + 4;
		if (sh_xdp_maps_apply(&m, &bad, prev, err, sizeof(err)) != -EINVAL ||
		    verify_maps(&m, prev, max_real))
			fprintf(stderr, "FAIL: another ring_size not refused cleanly\n"),
				failures++;
	}
	sh_tables_free(prev);
	sh_xdp_maps_fini(&m);
	shoal_xdp_bpf__destroy(skel);
	if (failures)
		return 1;
	printf("ok: %d rounds (%d restarts from recovered tables, %d configs refused for size)\n",
	       rounds, restarts, refused);
	return 0;
}
