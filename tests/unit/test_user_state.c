// SPDX-License-Identifier: BSD-3-Clause
/*
 * The state file a userspace dataplane keeps across restarts
 * (backends/user/user_state.c): conntrack and counters written by one
 * "daemon" are there for the next, the tables' identity rebuilt from it keeps
 * real indices and vip ids, and a file of another shape starts afresh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tables.h"
#include "user_state.h"

#define LB "\"lb\":{\"ipv4_src\":\"198.18.0.10\",\"gateway_mac\":\"02:00:00:00:00:01\"}"
#define VIP(port, reals) "{\"address\":\"198.18.100.1\",\"port\":" #port ",\"protocol\":\"tcp\",\"reals\":[" reals "]}"
#define R(a) "{\"address\":\"" a "\"}"

static char path[64];

static int make_path(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/shoal-test-state.%d", (int)getpid());
	unlink(path);
	return 0;
}

static int remove_path(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static struct sh_tables *build(const char *json, const struct sh_tables *prev)
{
	char err[SH_CFG_ERR_LEN];
	struct sh_config cfg;
	struct sh_tables *t;

	if (sh_config_load_string(json, "test", &cfg, err, sizeof(err)))
		fail_msg("config: %s", err);
	if (sh_tables_build(&cfg, prev, &t, err, sizeof(err)))
		fail_msg("tables: %s", err);
	sh_config_free(&cfg);
	return t;
}

static struct sh_user_state *open_state(__u32 workers, __u32 conntrack, bool expect_reused)
{
	struct sh_user_state *s;
	char err[256];
	bool reused;

	if (sh_user_state_open(path, workers, conntrack, &s, &reused, err, sizeof(err)))
		fail_msg("open: %s", err);
	assert_int_equal(reused, expect_reused);
	return s;
}

static void test_flows_and_counters_survive(void **state)
{
	struct sh_user_state *s = open_state(2, 1024, false);
	struct sh_worker *w = sh_user_state_worker(s, 1);

	(void)state;
	assert_int_equal(w->ct_mask, 255); /* 1024 flows, 4 ways: 256 buckets */
	w->ct[17].way[2].tag = 0x1234567890abcdefull;
	w->ctr[SH_CTR_TX] = 42;
	sh_user_state_worker(s, 0)->real_ctr[3].packets = 7;
	sh_user_state_close(s, false); /* as a kill -9 would: nothing more written */

	s = open_state(2, 1024, true);
	w = sh_user_state_worker(s, 1);
	assert_int_equal(w->ct[17].way[2].tag, 0x1234567890abcdefull);
	assert_int_equal(w->ctr[SH_CTR_TX], 42);
	assert_int_equal(sh_user_state_worker(s, 0)->real_ctr[3].packets, 7);
	/* The mapping is the table: the worker's pointer is into this mapping. */
	assert_ptr_equal(w->ct, (char *)w + ((sizeof(*w) + 4095) / 4096 * 4096));
	sh_user_state_close(s, true);
}

static void test_identity_keeps_indices(void **state)
{
	struct sh_user_state *s = open_state(1, 64, false);
	struct sh_tables *a, *prev, *b;

	(void)state;
	assert_int_equal(sh_user_state_identity(s, &prev), 0);
	assert_null(prev); /* a new file holds no identity */
	a = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.1") "," R("198.18.1.2")) ","
		  VIP(81, R("198.18.1.3")) "]}", NULL);
	sh_user_state_save(s, a);
	sh_user_state_close(s, false);

	s = open_state(1, 64, true);
	assert_int_equal(sh_user_state_identity(s, &prev), 0);
	assert_non_null(prev);
	/* The next daemon's config lists the reals in another order and drops port 80. */
	b = build("{" LB ",\"vips\":[" VIP(81, R("198.18.1.3") "," R("198.18.1.1")) "]}", prev);
	for (__u32 i = 0; i < a->n_reals; i++)
		assert_int_equal(sh_tables_real_find(b, &a->reals[i].addr, a->reals[i].family), i);
	assert_int_equal(b->vip_id[0], a->vip_id[1]); /* port 81 keeps its counters' index */
	assert_int_equal(b->generation, a->generation + 1);
	sh_tables_free(a);
	sh_tables_free(b);
	sh_tables_free(prev);
	sh_user_state_close(s, true);
}

static void test_other_shape_starts_afresh(void **state)
{
	struct sh_user_state *s = open_state(2, 1024, false);
	struct sh_tables *t = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.1")) "]}", NULL), *prev;

	(void)state;
	sh_user_state_worker(s, 0)->ctr[SH_CTR_RX] = 5;
	sh_user_state_save(s, t);
	sh_user_state_close(s, false);
	/* One more worker: the old conntrack cannot be read as the new one. */
	s = open_state(3, 1024, false);
	assert_int_equal(sh_user_state_worker(s, 0)->ctr[SH_CTR_RX], 0);
	assert_int_equal(sh_user_state_identity(s, &prev), 0);
	assert_null(prev);
	sh_user_state_close(s, false);
	/* A larger conntrack: the same. */
	s = open_state(3, 4096, false);
	sh_user_state_close(s, true);
	sh_tables_free(t);
}

static void test_one_daemon_per_file(void **state)
{
	struct sh_user_state *s = open_state(1, 64, false), *second;
	char err[256];
	bool reused;

	(void)state;
	assert_int_not_equal(sh_user_state_open(path, 1, 64, &second, &reused, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "another shoald uses it"));
	sh_user_state_close(s, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flows_and_counters_survive, make_path, remove_path),
		cmocka_unit_test_setup_teardown(test_identity_keeps_indices, make_path, remove_path),
		cmocka_unit_test_setup_teardown(test_other_shape_starts_afresh, make_path, remove_path),
		cmocka_unit_test_setup_teardown(test_one_daemon_per_file, make_path, remove_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
