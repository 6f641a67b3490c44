// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal/tcpopt.h: finding the server_id option (kind 0xB7, length 6) among
 * other TCP options, and every way the walk must stop: the end of the
 * header, EOL, a length below 2, an option running past the header, the
 * walk limit, and a frame shorter than its TCP header says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "env_user.h"
#include "shoal/tcpopt.h"
#include "pkt_build.h"

#define L4_OFF 34 /* Ethernet + 20-byte IPv4 header */

static __u8 frame[PB_MAX];

/* A TCP/IPv4 ACK carrying opts (padded with EOL to a multiple of 4). */
static size_t build(const __u8 *opts, size_t len)
{
	__u8 padded[40];
	struct pb_spec s = {
		.src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_TCP,
		.sport = 40000, .dport = 80, .tcp_flags = SH_TCP_ACK,
		.tcp_opts = padded, .tcp_opts_len = (__u32)((len + 3) / 4 * 4),
	};

	assert_true(len <= sizeof(padded));
	memset(padded, SH_TCPOPT_EOL, sizeof(padded));
	if (len)
		memcpy(padded, opts, len);
	return pb_build(&s, frame, sizeof(frame));
}

/* The walk over frame[0..len) in an exact-size buffer. */
static __u32 walk(size_t len)
{
	struct sh_pkt p = pb_pkt_new(frame, len, 0);
	__u32 id = sh_tcpopt_server_id(&p, L4_OFF);

	pb_pkt_free(&p);
	return id;
}

static __u32 sid_of(const __u8 *opts, size_t len)
{
	return walk(build(opts, len));
}

static void test_no_options(void **state)
{
	(void)state;
	assert_int_equal(sid_of(NULL, 0), 0);
	/* No TCP header in the frame at all. */
	assert_int_equal(walk(L4_OFF + 19), 0);
}

/* The usual mix: NOP, NOP, MSS, SACK-permitted, timestamps, then server_id. */
static void test_found_among_others(void **state)
{
	static const __u8 o1[] = {
		1, 1, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
		0, 0, 0, 2, 0xb7, 6, 0xde, 0xad, 0xbe, 0xef,
	};
	static const __u8 o2[] = { 0xb7, 6, 0, 0, 0x01, 0x02, 2, 4, 0x05, 0xb4 };
	static const __u8 o3[] = { 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0xb7, 6, 0x80, 0, 0, 1 };

	(void)state;
	assert_int_equal(sid_of(o1, sizeof(o1)), 0xdeadbeef);
	assert_int_equal(sid_of(o2, sizeof(o2)), 0x0102);
	assert_int_equal(sid_of(o3, sizeof(o3)), 0x80000001);
}

/* The walk examines 15 options: a server_id 15th is found, 16th is not. */
static void test_walk_limit(void **state)
{
	__u8 o[40];
	int i;

	(void)state;
	for (i = 0; i < 14; i++)
		o[i] = SH_TCPOPT_NOP;
	memcpy(o + 14, (const __u8[]){ 0xb7, 6, 0, 0, 0, 15 }, 6);
	assert_int_equal(sid_of(o, 20), 15);
	for (i = 0; i < 15; i++)
		o[i] = SH_TCPOPT_NOP;
	memcpy(o + 15, (const __u8[]){ 0xb7, 6, 0, 0, 0, 16 }, 6);
	assert_int_equal(sid_of(o, 21), 0);
	/* Longer options count one each: 4 SACK-permitted + 10 NOPs, then the id (15th). */
	for (i = 0; i < 4; i++)
		memcpy(o + 2 * i, (const __u8[]){ 4, 2 }, 2);
	for (i = 8; i < 18; i++)
		o[i] = SH_TCPOPT_NOP;
	memcpy(o + 18, (const __u8[]){ 0xb7, 6, 0, 0, 0, 15 }, 6);
	assert_int_equal(sid_of(o, 24), 15);
	o[18] = SH_TCPOPT_NOP; /* one more option before it: 16th */
	memcpy(o + 19, (const __u8[]){ 0xb7, 6, 0, 0, 0, 16 }, 6);
	assert_int_equal(sid_of(o, 25), 0);
}

/* An option length of 0 or 1 cannot advance the walk: it stops with 0. */
static void test_bad_length_stops(void **state)
{
	static const __u8 len0[] = { 0x22, 0, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 len1[] = { 0x22, 1, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 sid0[] = { 0xb7, 0, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 sid1[] = { 0xb7, 1, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 len2[] = { 0x22, 2, 0xb7, 6, 0, 0, 0, 9 }; /* 2 is fine */

	(void)state;
	assert_int_equal(sid_of(len0, sizeof(len0)), 0);
	assert_int_equal(sid_of(len1, sizeof(len1)), 0);
	assert_int_equal(sid_of(sid0, sizeof(sid0)), 0);
	assert_int_equal(sid_of(sid1, sizeof(sid1)), 0);
	assert_int_equal(sid_of(len2, sizeof(len2)), 9);
}

/* An option longer than what is left of the header stops the walk, even if the bytes exist. */
static void test_option_past_header(void **state)
{
	/* MSS claiming 11 bytes where 10 are left of a 12-byte option area. */
	static const __u8 mss[] = { 1, 1, 2, 11, 0xb7, 6, 0, 0, 0, 9, 0, 0 };
	__u8 o[12];
	size_t len;

	(void)state;
	assert_int_equal(sid_of(mss, sizeof(mss)), 0);
	/* A server_id cut by the header end (doff 6: 4 option bytes) with its bytes after it. */
	memcpy(o, (const __u8[]){ 0xb7, 6, 0, 0, 0, 9, 0, 0 }, 8);
	len = build(o, 8);
	assert_int_equal(walk(len), 9);
	frame[L4_OFF + 12] = 6 << 4;
	assert_int_equal(walk(len), 0);
	/* Ending exactly at the header end is fine. */
	memcpy(o, (const __u8[]){ 1, 1, 0xb7, 6, 0, 0, 0, 9 }, 8);
	len = build(o, 8);
	assert_int_equal(walk(len), 9);
	/* The walk stops at the header end: data after it is no option. */
	memcpy(o, (const __u8[]){ 1, 1, 1, 1, 0xb7, 6, 0, 0, 0, 9, 0, 0 }, 12);
	len = build(o, 12);
	frame[L4_OFF + 12] = 6 << 4;
	assert_int_equal(walk(len), 0);
}

static void test_eol_stops(void **state)
{
	static const __u8 o1[] = { 0, 1, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 o2[] = { 2, 4, 0x05, 0xb4, 0, 0xb7, 6, 0, 0, 0, 9, 0 };

	(void)state;
	assert_int_equal(sid_of(o1, sizeof(o1)), 0);
	assert_int_equal(sid_of(o2, sizeof(o2)), 0);
}

/* Kind 0xB7 with another length is someone else's option: skipped, not taken. */
static void test_wrong_length_ignored(void **state)
{
	static const __u8 l4[] = { 0xb7, 4, 0, 1, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 l8[] = { 0xb7, 8, 0, 0, 0, 1, 0, 2, 0xb7, 6, 0, 0, 0, 9 };
	static const __u8 only[] = { 0xb7, 8, 0, 0, 0, 1, 0, 2 };
	static const __u8 l2[] = { 0xb7, 2, 0xb7, 6, 0x12, 0x34, 0x56, 0x78 };

	(void)state;
	assert_int_equal(sid_of(l4, sizeof(l4)), 9);
	assert_int_equal(sid_of(l8, sizeof(l8)), 9);
	assert_int_equal(sid_of(only, sizeof(only)), 0);
	assert_int_equal(sid_of(l2, sizeof(l2)), 0x12345678);
}

/* The TCP header says 60 bytes but the frame ends earlier: 0, and no read past the end. */
static void test_truncated_frame(void **state)
{
	__u8 o[40];
	size_t len, cut;
	int i;

	(void)state;
	for (i = 0; i < 34; i++)
		o[i] = SH_TCPOPT_NOP;
	memcpy(o + 34, (const __u8[]){ 0xb7, 6, 0, 0, 0, 9 }, 6);
	len = build(o, 40);
	assert_int_equal(walk(len), 0); /* the 35th option: past the walk limit */
	/* The id as the 15th option, NOPs up to the 60-byte header's end. */
	memcpy(o + 14, (const __u8[]){ 0xb7, 6, 0, 0, 0, 9 }, 6);
	len = build(o, 40);
	assert_int_equal(walk(len), 9);
	for (cut = 0; cut < len; cut++) {
		__u32 id = walk(cut);

		/* Found only once all of the option's bytes are in the frame. */
		assert_int_equal(id, cut >= L4_OFF + 20 + 20 ? 9 : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_options),
		cmocka_unit_test(test_found_among_others),
		cmocka_unit_test(test_walk_limit),
		cmocka_unit_test(test_bad_length_stops),
		cmocka_unit_test(test_option_past_header),
		cmocka_unit_test(test_eol_stops),
		cmocka_unit_test(test_wrong_length_ignored),
		cmocka_unit_test(test_truncated_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
