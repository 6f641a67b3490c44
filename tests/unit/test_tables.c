// SPDX-License-Identifier: BSD-3-Clause
/* Building tables across config changes: indices that conntrack and counters rely on stay put. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tables.h"

#define LB "\"lb\":{\"ipv4_src\":\"198.18.0.10\",\"gateway_mac\":\"02:00:00:00:00:01\"}"

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

static __u32 real_idx(const struct sh_tables *t, const char *addr)
{
	struct sh_addr a;
	__u8 family;

	assert_int_equal(sh_addr_parse(addr, &a, &family), 0);
	return sh_tables_real_find(t, &a, family);
}

#define VIP(port, reals) "{\"address\":\"198.18.100.1\",\"port\":" #port ",\"protocol\":\"tcp\",\"reals\":[" reals "]}"
#define R(a) "{\"address\":\"" a "\"}"

static void test_vip_ids_stay(void **state)
{
	struct sh_tables *a, *b, *c;

	(void)state;
	a = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.1")) "," VIP(81, R("198.18.1.1")) ","
		  VIP(82, R("198.18.1.1")) "]}", NULL);
	assert_int_equal(a->vip_id[0], 0);
	assert_int_equal(a->vip_id[2], 2);
	/* Port 80 leaves: 81 and 82 keep ids 1 and 2. */
	b = build("{" LB ",\"vips\":[" VIP(81, R("198.18.1.1")) "," VIP(82, R("198.18.1.1")) "]}", a);
	assert_int_equal(b->vip_id[0], 1);
	assert_int_equal(b->vip_id[1], 2);
	assert_false(b->vip_id_used[0]);
	/* A new VIP takes the free id 0; its key says it changed hands. */
	c = build("{" LB ",\"vips\":[" VIP(83, R("198.18.1.1")) "," VIP(81, R("198.18.1.1")) ","
		  VIP(82, R("198.18.1.1")) "]}", b);
	assert_int_equal(c->vip_id[0], 0);
	assert_int_equal(c->vip_id[1], 1);
	assert_int_equal(ntohs(c->vip_id_key[0].port), 83);
	sh_tables_free(a);
	sh_tables_free(b);
	sh_tables_free(c);
}

static void test_real_indices_stay(void **state)
{
	struct sh_tables *a, *b, *c;

	(void)state;
	a = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.1") "," R("198.18.1.2") "," R("198.18.1.3")) "]}",
		  NULL);
	b = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.3") "," R("198.18.1.1")) "]}", a);
	assert_int_equal(real_idx(b, "198.18.1.1"), real_idx(a, "198.18.1.1"));
	assert_int_equal(real_idx(b, "198.18.1.3"), real_idx(a, "198.18.1.3"));
	/* The removed real keeps its slot, inactive, so its conntrack entries miss. */
	assert_int_equal(real_idx(b, "198.18.1.2"), real_idx(a, "198.18.1.2"));
	assert_false(b->reals[real_idx(b, "198.18.1.2")].flags & SH_REAL_F_ACTIVE);
	/* A new real takes a never-used slot, not the freed one. */
	c = build("{" LB ",\"vips\":[" VIP(80, R("198.18.1.3") "," R("198.18.1.1") "," R("198.18.1.4")) "]}", b);
	assert_int_equal(real_idx(c, "198.18.1.4"), 3);
	assert_true(c->reals[3].flags & SH_REAL_F_ACTIVE);
	sh_tables_free(a);
	sh_tables_free(b);
	sh_tables_free(c);
}

/* Once all 4096 slots have been used, the slot freed longest ago is reused first. */
static void test_real_slot_reuse_oldest_first(void **state)
{
	size_t cap = 64 * SH_MAX_REALS + 256;
	char *json = malloc(cap);
	struct sh_tables *t[4];
	const int drop[2] = { 7, 9 }; /* real 7 leaves first, then real 9 */
	int step;

	(void)state;
	for (step = 0; step < 4; step++) {
		size_t n = snprintf(json, cap, "{" LB ",\"vips\":[{\"address\":\"198.18.100.1\","
					       "\"port\":80,\"protocol\":\"tcp\",\"reals\":[");

		const char *sep = "";

		for (int r = 0; r < SH_MAX_REALS; r++) {
			if ((step >= 1 && r == drop[0]) || (step >= 2 && r == drop[1]))
				continue;
			n += snprintf(json + n, cap - n, "%s{\"address\":\"198.18.%d.%d\"}", sep,
				      16 + r / 250, 1 + r % 250);
			sep = ",";
		}
		if (step == 3) /* one newcomer, with every slot used: it gets real 7's slot */
			n += snprintf(json + n, cap - n, ",{\"address\":\"198.19.0.1\"}");
		snprintf(json + n, cap - n, "]}]}");
		t[step] = build(json, step ? t[step - 1] : NULL);
	}
	assert_int_equal(real_idx(t[3], "198.19.0.1"), drop[0]);
	assert_false(t[3]->reals[drop[1]].flags & SH_REAL_F_ACTIVE);
	for (step = 0; step < 4; step++)
		sh_tables_free(t[step]);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vip_ids_stay),
		cmocka_unit_test(test_real_indices_stay),
		cmocka_unit_test(test_real_slot_reuse_oldest_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
