// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal/csum.h: the Internet checksum over packet bytes (odd and even lengths,
 * any offset, bounds), folding, address sums, and the incremental update
 * checked against recomputing the whole checksum. The reference is
 * pkt_build.h's byte-by-byte network-order sum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "env_user.h"
#include "shoal/csum.h"
#include "pkt_build.h"

static __u64 rng_state = 0x2545f4914f6cdd1dULL;

static __u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (__u32)(rng_state >> 16);
}

/* The core's checksum of bytes [off, off + len) of p, folded, as a host-order value. */
static __u16 core_csum(const struct sh_pkt *p, __u32 off, __u32 len)
{
	long sum = sh_csum_pkt(p, off, len);

	assert_true(sum >= 0);
	return sh_ntohs(sh_csum_fold((__u32)sum));
}

/* RFC 1071's worked example, and a single odd byte. */
static void test_known_values(void **state)
{
	static const __u8 rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const __u8 one[] = { 0x01 };
	static const __u8 three[] = { 0xab, 0xcd, 0xef };
	struct sh_pkt p;

	(void)state;
	p = pb_pkt_new(rfc, sizeof(rfc), 0);
	assert_int_equal(core_csum(&p, 0, 8), (__u16)~0xddf2); /* sum 0x2ddf0 folds to 0xddf2 */
	assert_int_equal(core_csum(&p, 0, 0), 0xffff);
	pb_pkt_free(&p);
	p = pb_pkt_new(one, sizeof(one), 0);
	assert_int_equal(core_csum(&p, 0, 1), 0xfeff); /* 0x0100 */
	pb_pkt_free(&p);
	p = pb_pkt_new(three, sizeof(three), 0);
	assert_int_equal(core_csum(&p, 0, 3), (__u16)~(0xabcd + 0xef00 - 0xffff)); /* 0x9ace */
	assert_int_equal(core_csum(&p, 1, 2), (__u16)~0xcdef);
	assert_int_equal(core_csum(&p, 1, 1), (__u16)~0xcd00);
	pb_pkt_free(&p);
}

/* Every length 0..1240 at even and odd offsets against the reference. */
static void test_against_reference(void **state)
{
	static __u8 buf[1400];
	static const __u32 offs[] = { 0, 1, 2, 13, 14, 15, 33 };
	struct sh_pkt p;
	size_t i, k;
	__u32 len;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (__u8)rng();
	p = pb_pkt_new(buf, sizeof(buf), 0);
	for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
		for (len = 0; len <= SH_CSUM_MAX_LEN; len++) {
			__u16 ref = pb_fold(pb_sum(buf + offs[k], len, 0));

			assert_int_equal(core_csum(&p, offs[k], len), ref);
		}
	}
	pb_pkt_free(&p);
	/* All-0xff data: the carries fold all the way around. */
	memset(buf, 0xff, sizeof(buf));
	p = pb_pkt_new(buf, sizeof(buf), 0);
	for (len = 0; len <= SH_CSUM_MAX_LEN; len += 7)
		assert_int_equal(core_csum(&p, 3, len), pb_fold(pb_sum(buf, len, 0)));
	pb_pkt_free(&p);
}

/* Bytes outside the packet or above the length bound: -1, never a read past the end. */
static void test_bounds(void **state)
{
	static __u8 buf[1300];
	struct sh_pkt p;
	__u32 len;

	(void)state;
	p = pb_pkt_new(buf, 1250, 0);
	assert_true(sh_csum_pkt(&p, 0, SH_CSUM_MAX_LEN) >= 0);
	assert_int_equal(sh_csum_pkt(&p, 0, SH_CSUM_MAX_LEN + 1), -1);
	assert_int_equal(sh_csum_pkt(&p, 0, 0xffffffffu), -1);
	assert_int_equal(sh_csum_pkt(&p, 10, SH_CSUM_MAX_LEN), 0); /* ends exactly at the end */
	assert_int_equal(sh_csum_pkt(&p, 11, SH_CSUM_MAX_LEN), -1);
	assert_int_equal(sh_csum_pkt(&p, 1249, 1), 0);
	assert_int_equal(sh_csum_pkt(&p, 1249, 2), -1);
	assert_int_equal(sh_csum_pkt(&p, 1250, 0), 0);
	assert_int_equal(sh_csum_pkt(&p, 1250, 1), -1);
	assert_int_equal(sh_csum_pkt(&p, 5000, 2), -1);
	pb_pkt_free(&p);
	for (len = 0; len < 40; len++) {
		p = pb_pkt_new(buf, len, 0);
		assert_int_equal(sh_csum_pkt(&p, 0, len), 0);
		assert_int_equal(sh_csum_pkt(&p, 0, len + 1), -1);
		if (len >= 1)
			assert_int_equal(sh_csum_pkt(&p, 1, len), -1);
		pb_pkt_free(&p);
	}
}

static void test_fold(void **state)
{
	(void)state;
	assert_int_equal(sh_csum_fold(0), 0xffff);
	assert_int_equal(sh_csum_fold(0xffff), 0);
	assert_int_equal(sh_csum_fold(0x10000), 0xfffe);
	assert_int_equal(sh_csum_fold(0x2ddf0), (__u16)~0xddf2);
	assert_int_equal(sh_csum_fold(0x1fffe), 0); /* fffe + 1 = ffff */
	assert_int_equal(sh_csum_fold(0xffffffffu), 0);
	assert_int_equal(sh_csum_fold(0xfffeffffu), 0x0001); /* ffff + fffe = 1fffd -> fffe */
}

static void test_addr_sum(void **state)
{
	struct sh_addr a;
	__u32 v4, v6;

	(void)state;
	pb_addr("198.18.100.1", &a);
	a.w[1] = 0x12345678; /* not part of an IPv4 address */
	v4 = sh_csum_addr(&a, 0);
	assert_int_equal(sh_ntohs(sh_csum_fold(v4)), pb_fold(pb_sum((const __u8 *)&a, 4, 0)));
	pb_addr("2001:db8:ffff::ffff:1", &a);
	v6 = sh_csum_addr(&a, 1);
	assert_int_equal(sh_ntohs(sh_csum_fold(v6)), pb_fold(pb_sum((const __u8 *)&a, 16, 0)));
}

/* A 16-bit word of b as it lies in memory (the core's view of packet bytes). */
static __u16 mem16(const __u8 *b, int w)
{
	__u16 v;

	memcpy(&v, b + 2 * w, 2);
	return v;
}

static void set_mem16(__u8 *b, int w, __u16 v)
{
	memcpy(b + 2 * w, &v, 2);
}

/* RFC 1624 update of one 16-bit word == recomputing the checksum from scratch. */
static void test_replace16(void **state)
{
	__u8 hdr[20];
	int trial, i;

	(void)state;
	for (trial = 0; trial < 200000; trial++) {
		__u16 old, new_word;
		__sum16 check;
		int w = 1 + rng() % 9; /* any word but the checksum itself (word 5) */

		if (w == 5)
			w = 0;
		for (i = 0; i < 20; i++)
			hdr[i] = (__u8)rng();
		if (trial % 1000 == 0)
			memset(hdr, trial % 2000 ? 0xff : 0, 20); /* extremes */
		hdr[10] = hdr[11] = 0;
		pb_put16(hdr, 10, pb_fold(pb_sum(hdr, 20, 0)));
		check = mem16(hdr, 5);
		old = mem16(hdr, w);
		new_word = (__u16)rng();
		if (trial % 7 == 0)
			new_word = old; /* no change: the checksum stays valid */
		set_mem16(hdr, w, new_word);
		sh_csum_replace16(&check, old, new_word);
		set_mem16(hdr, 5, 0);
		if (pb_sum(hdr, 20, 0) == 0)
			continue; /* all-zero data: test_replace16_zero_data */
		/* Equal to a recompute, except that a 0x0000 result is written as
		 * 0xffff (both verify for data that is not all zero). */
		if (pb_fold(pb_sum(hdr, 20, 0)) == 0)
			assert_int_equal(sh_ntohs(check), 0xffff);
		else
			assert_int_equal(sh_ntohs(check), pb_fold(pb_sum(hdr, 20, 0)));
		set_mem16(hdr, 5, check);
		assert_true(pb_csum_ok(hdr, 20, 0));
	}
}

/*
 * Data that sums to +0 (all zero) after the update: its checksum must be 0xffff,
 * the only value that verifies (sum + check == -0). An ICMPv4 echo request
 * "08 00 f7 ff 00 00 00 00" (id 0, seq 0, zero payload) turned into a reply has
 * all-zero data.
 */
static void test_replace16_zero_data(void **state)
{
	__u8 icmp[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };
	__sum16 check;
	__u16 old;

	(void)state;
	assert_true(pb_csum_ok(icmp, 8, 0));
	check = mem16(icmp, 1);
	old = mem16(icmp, 0);
	icmp[0] = 0; /* echo reply */
	sh_csum_replace16(&check, old, mem16(icmp, 0));
	set_mem16(icmp, 1, check);
	assert_int_equal(pb_get16(icmp, 2), 0xffff);
	assert_true(pb_csum_ok(icmp, 8, 0));
	/* A no-op update of all-zero data keeps its (valid) checksum 0xffff. */
	check = 0xffff;
	sh_csum_replace16(&check, 0, 0);
	assert_int_equal(check, 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_addr_sum),
		cmocka_unit_test(test_replace16),
		cmocka_unit_test(test_replace16_zero_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
