// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal/ct.h: the set-associative conntrack. get/put on one bucket, stamps
 * refreshed on hits, idle expiry, which way a new flow takes (empty first,
 * then the unconfirmed one idle longest, then the one idle longest), what
 * a flood of one-packet flows can evict, updates in place, and the tick
 * arithmetic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "env_user.h"
#include "shoal/ct.h"

#define H(n) (0x1000000000000000ULL * (n) + 0x0123456789abcdeULL) /* distinct tags */

static void test_tag_and_index(void **state)
{
	(void)state;
	assert_int_equal(sh_ct_tag(0), 1);
	assert_int_equal(sh_ct_tag(0x10), 0x11);
	assert_int_equal(sh_ct_tag(0x11), 0x11);
	assert_int_equal(sh_ct_tag(~0ULL), ~0ULL);
	/* Index from the bits above bit 0. */
	assert_int_equal(sh_ct_index(0x0, 0xff), 0);
	assert_int_equal(sh_ct_index(0x1, 0xff), 0);
	assert_int_equal(sh_ct_index(0x2, 0xff), 1);
	assert_int_equal(sh_ct_index(0x3fe, 0xff), 0xff);
	assert_int_equal(sh_ct_index(0x400, 0xff), 0);
	assert_int_equal(sh_ct_index(0xffffffffffffffffULL, 0x3ff), 0x3ff);
}

static void test_get_put(void **state)
{
	struct sh_ct_bucket b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(sh_ct_get(&b, H(1), 100, 0), SH_REAL_NONE);
	sh_ct_put(&b, H(1), 5, 100);
	assert_int_equal(b.way[0].tag, H(1) | 1);
	assert_int_equal(b.way[0].real, 5);
	assert_int_equal(b.way[0].stamp, 100);
	assert_int_equal(sh_ct_get(&b, H(1), 150, 0), 5);
	/* A hit refreshes the stamp. */
	assert_int_equal(b.way[0].stamp, 150);
	/* Another flow is not found, and a miss changes nothing. */
	assert_int_equal(sh_ct_get(&b, H(2), 160, 0), SH_REAL_NONE);
	assert_int_equal(b.way[0].stamp, 150);
	assert_int_equal(b.way[1].tag, 0);
	/* Hashes differing only in bit 0 are the same flow (the tag forces it to 1). */
	assert_int_equal(sh_ct_get(&b, H(1) ^ 1, 170, 0), 5);
	/* Real index 0 is a real like any other. */
	sh_ct_put(&b, H(3), 0, 170);
	assert_int_equal(sh_ct_get(&b, H(3), 171, 0), 0);
}

/* max_idle: an entry idle for more than max_idle ticks is forgotten; exactly max_idle is kept. */
static void test_idle_expiry(void **state)
{
	struct sh_ct_bucket b;

	(void)state;
	memset(&b, 0, sizeof(b));
	sh_ct_put(&b, H(1), 7, 1000);
	assert_int_equal(sh_ct_get(&b, H(1), 1000 + 50, 50), 7);
	assert_int_equal(b.way[0].stamp, 1050);
	assert_int_equal(sh_ct_get(&b, H(1), 1050 + 51, 50), SH_REAL_NONE);
	assert_int_equal(b.way[0].tag, 0); /* forgotten, the way is free */
	assert_int_equal(sh_ct_get(&b, H(1), 1050 + 51, 0), SH_REAL_NONE);
	/* max_idle 0: no limit at all. */
	sh_ct_put(&b, H(2), 8, 1000);
	assert_int_equal(sh_ct_get(&b, H(2), 1000u + 0x7fffffffu, 0), 8);
	/* Stamps wrap around: the idle time is computed modulo 2^32. */
	memset(&b, 0, sizeof(b));
	sh_ct_put(&b, H(3), 9, 0xfffffff0u);
	assert_int_equal(sh_ct_get(&b, H(3), 0x10, 0x20), 9);      /* idle 0x20 */
	assert_int_equal(sh_ct_get(&b, H(3), 0x10 + 0x21, 0x20), SH_REAL_NONE);
}

/* A new flow fills the empty ways in order. */
static void test_put_fills_empty_ways(void **state)
{
	struct sh_ct_bucket b;
	int i;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++) {
		sh_ct_put(&b, H(i + 1), 10 + i, 100 + i);
		assert_int_equal(b.way[i].tag, H(i + 1) | 1);
		assert_int_equal(b.way[i].real, 10 + i);
	}
	for (i = 0; i < SH_CT_WAYS; i++)
		assert_int_equal(sh_ct_get(&b, H(i + 1), 200, 0), 10 + i);
	/* A way freed by expiry in the middle is the one reused. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++)
		sh_ct_put(&b, H(i + 1), 10 + i, 100);
	assert_int_equal(sh_ct_get(&b, H(3), 200, 50), SH_REAL_NONE); /* way 2 expires */
	sh_ct_put(&b, H(9), 99, 200);
	assert_int_equal(b.way[2].tag, H(9) | 1);
	assert_int_equal(b.way[0].tag, H(1) | 1);
	assert_int_equal(b.way[1].tag, H(2) | 1);
	assert_int_equal(b.way[3].tag, H(4) | 1);
}

/* A full bucket: the way idle longest is replaced, and only it. */
static void test_put_evicts_stalest(void **state)
{
	static const __u32 stamps[][SH_CT_WAYS] = {
		{ 100, 200, 300, 400 }, /* way 0 idle longest */
		{ 400, 300, 200, 100 }, /* way 3 */
		{ 300, 100, 400, 200 }, /* way 1 */
		{ 300, 400, 50, 200 },  /* way 2 */
	};
	static const int victim[] = { 0, 3, 1, 2 };
	struct sh_ct_bucket b;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof(victim) / sizeof(victim[0]); k++) {
		memset(&b, 0, sizeof(b));
		for (i = 0; i < SH_CT_WAYS; i++)
			sh_ct_put(&b, H(i + 1), 10 + i, stamps[k][i]);
		sh_ct_put(&b, H(9), 99, 500);
		for (i = 0; i < SH_CT_WAYS; i++) {
			if (i == victim[k]) {
				assert_int_equal(b.way[i].tag, H(9) | 1);
				assert_int_equal(b.way[i].real, 99);
				assert_int_equal(b.way[i].stamp, 500);
			} else {
				assert_int_equal(b.way[i].tag, H(i + 1) | 1);
				assert_int_equal(b.way[i].real, 10 + i);
				assert_int_equal(b.way[i].stamp, stamps[k][i]);
			}
		}
		assert_int_equal(sh_ct_get(&b, H(victim[k] + 1), 500, 0), SH_REAL_NONE);
	}
	/* Hits keep a flow alive: refresh way 0, then way 1 is the oldest. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++)
		sh_ct_put(&b, H(i + 1), 10 + i, 100 + i);
	assert_int_equal(sh_ct_get(&b, H(1), 450, 0), 10);
	sh_ct_put(&b, H(9), 99, 500);
	assert_int_equal(b.way[1].tag, H(9) | 1);
	assert_int_equal(sh_ct_get(&b, H(1), 501, 0), 10);
	/* Idle times across a stamp wrap: 0xfffffff0 is older than 0x5 at now 0x10. */
	memset(&b, 0, sizeof(b));
	sh_ct_put(&b, H(1), 1, 0x5);
	sh_ct_put(&b, H(2), 2, 0xfffffff0u);
	sh_ct_put(&b, H(3), 3, 0x8);
	sh_ct_put(&b, H(4), 4, 0x6);
	sh_ct_put(&b, H(9), 9, 0x10);
	assert_int_equal(b.way[1].tag, H(9) | 1);
	/* Equal idle times: the first of them goes. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++)
		sh_ct_put(&b, H(i + 1), 10 + i, 100);
	assert_int_equal(sh_ct_put(&b, H(9), 99, 100), 1);
	assert_int_equal(b.way[0].tag, H(9) | 1);
}

/*
 * A flood of one-packet flows (spoofed SYNs) into a bucket: the flows that
 * sent a second packet stay, however long idle, and the flood recycles the
 * one way it got. With every way confirmed, the flood takes the stalest one
 * way and no more.
 */
static void test_flood_keeps_confirmed_flows(void **state)
{
	struct sh_ct_bucket b;
	__u32 t;
	int i, kept;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++)
		assert_int_equal(sh_ct_put(&b, H(i + 1), 10 + i, 100), 0); /* empty ways */
	for (i = 0; i < SH_CT_WAYS - 1; i++)
		assert_int_equal(sh_ct_get(&b, H(i + 1), 101, 0), 10 + i); /* confirmed */
	for (t = 200; t < 200 + 10000; t++)
		assert_int_equal(sh_ct_put(&b, H(100) + ((__u64)t << 8), 99, t), 1);
	for (i = 0; i < SH_CT_WAYS - 1; i++)
		assert_int_equal(sh_ct_get(&b, H(i + 1), 20000, 0), 10 + i);

	/* All four confirmed: way 2 is the stalest and the only one the flood takes. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++) {
		sh_ct_put(&b, H(i + 1), 10 + i, 100);
		sh_ct_get(&b, H(i + 1), i == 2 ? 101 : 150, 0);
	}
	for (t = 200; t < 200 + 10000; t++)
		assert_int_equal(sh_ct_put(&b, H(100) + ((__u64)t << 8), 99, t), 1);
	for (i = kept = 0; i < SH_CT_WAYS; i++)
		kept += sh_ct_get(&b, H(i + 1), 20000, 0) == 10u + i;
	assert_int_equal(kept, SH_CT_WAYS - 1);
	assert_int_equal(sh_ct_get(&b, H(3), 20000, 0), SH_REAL_NONE);

	/* A new pick for a known flow (its SYN again) starts it unconfirmed. */
	memset(&b, 0, sizeof(b));
	sh_ct_put(&b, H(1), 1, 100);
	sh_ct_get(&b, H(1), 101, 0);
	assert_true(b.way[0].flags & SH_CT_F_CONFIRMED);
	assert_int_equal(sh_ct_put(&b, H(1), 2, 102), 0);
	assert_false(b.way[0].flags & SH_CT_F_CONFIRMED);
	assert_int_equal(b.way[0].real, 2);
}

/* Putting a flow already present updates its way: no duplicate, even past an empty way. */
static void test_put_updates_in_place(void **state)
{
	struct sh_ct_bucket b;
	int i, n = 0;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (i = 0; i < SH_CT_WAYS; i++)
		sh_ct_put(&b, H(i + 1), 10 + i, 100);
	sh_ct_put(&b, H(3), 42, 300);
	assert_int_equal(b.way[2].real, 42);
	assert_int_equal(b.way[2].stamp, 300);
	for (i = 0; i < SH_CT_WAYS; i++)
		assert_int_equal(b.way[i].tag, H(i + 1) | 1);
	/* Way 0 free, the flow in way 3: the update goes to way 3, way 0 stays free. */
	assert_int_equal(sh_ct_get(&b, H(1), 400, 50), SH_REAL_NONE);
	sh_ct_put(&b, H(4), 77, 400);
	assert_int_equal(b.way[0].tag, 0);
	assert_int_equal(b.way[3].real, 77);
	for (i = 0; i < SH_CT_WAYS; i++)
		n += b.way[i].tag == (H(4) | 1);
	assert_int_equal(n, 1);
	assert_int_equal(sh_ct_get(&b, H(4), 401, 0), 77);
}

static void test_ticks(void **state)
{
	__u32 ms, t;

	(void)state;
	assert_int_equal(sh_ct_tick(0), 0);
	assert_int_equal(sh_ct_tick((1ULL << 20) - 1), 0);
	assert_int_equal(sh_ct_tick(1ULL << 20), 1);
	assert_int_equal(sh_ct_tick(1000000000ULL), 953); /* 1 s */
	assert_int_equal(sh_ct_tick(0xffffffffULL << 20), 0xffffffffu);
	assert_int_equal(sh_ct_tick(1ULL << 52), 0); /* the tick counter wraps */

	assert_int_equal(sh_ct_ticks_ms(0), 0);
	assert_int_equal(sh_ct_ticks_ms(1), 1);
	assert_int_equal(sh_ct_ticks_ms(2), 2);
	assert_int_equal(sh_ct_ticks_ms(3), 3);
	assert_int_equal(sh_ct_ticks_ms(30000), 28611);
	assert_int_equal(sh_ct_ticks_ms(86400000), 82397461);
	assert_int_equal(sh_ct_ticks_ms(0xffffffffu), 4096000000u);
	/* Rounded up: the smallest t with t ticks >= ms, never 0. */
	for (ms = 1; ms < 200000; ms++) {
		t = sh_ct_ticks_ms(ms);
		assert_true(t >= 1);
		assert_true((__u64)t << 20 >= (__u64)ms * 1000000);
		assert_true((__u64)(t - 1) << 20 < (__u64)ms * 1000000);
	}
	/* A tick is 2^20 ns = 1.048576 ms: 1048576 ms are exactly 10^6 ticks. */
	assert_int_equal(sh_ct_ticks_ms(1048576), 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_and_index),
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_idle_expiry),
		cmocka_unit_test(test_put_fills_empty_ways),
		cmocka_unit_test(test_put_evicts_stalest),
		cmocka_unit_test(test_flood_keeps_confirmed_flows),
		cmocka_unit_test(test_put_updates_in_place),
		cmocka_unit_test(test_ticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
