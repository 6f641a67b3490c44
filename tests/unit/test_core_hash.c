// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal/hash.h and shoal/flow.h: the keyed flow hash every LB of a fleet must
 * compute identically. sh_hash_words() is checked against a straightforward
 * SipHash written here from the paper (byte message, c compression rounds,
 * d finalization rounds), itself checked against published vectors; then key
 * and input sensitivity, sh_hash_range(), and the flow word encoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "env_user.h"
#include "shoal/flow.h"
#include "shoal/hash.h"
#include "pkt_build.h"

/* ---- reference SipHash-c-d over bytes (Aumasson & Bernstein, 2012) ---- */

static __u64 ref_rotl(__u64 x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static __u64 ref_le64(const __u8 *p)
{
	__u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void ref_put_le64(__u8 *p, __u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (__u8)(v >> (8 * i));
}

static void ref_sipround(__u64 v[4])
{
	v[0] += v[1];
	v[1] = ref_rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = ref_rotl(v[0], 32);
	v[2] += v[3];
	v[3] = ref_rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ref_rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ref_rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = ref_rotl(v[2], 32);
}

static __u64 ref_siphash(const __u8 key[16], const __u8 *m, size_t len, int c, int d)
{
	__u64 k0 = ref_le64(key), k1 = ref_le64(key + 8), v[4], b;
	size_t i, full = len / 8 * 8;
	int r;

	v[0] = k0 ^ 0x736f6d6570736575ULL; /* "somepseu" */
	v[1] = k1 ^ 0x646f72616e646f6dULL; /* "dorandom" */
	v[2] = k0 ^ 0x6c7967656e657261ULL; /* "lygenera" */
	v[3] = k1 ^ 0x7465646279746573ULL; /* "tedbytes" */
	for (i = 0; i < full; i += 8) {
		__u64 mi = ref_le64(m + i);

		v[3] ^= mi;
		for (r = 0; r < c; r++)
			ref_sipround(v);
		v[0] ^= mi;
	}
	/* Last block: the remaining bytes, and the length mod 256 in the top byte. */
	b = (__u64)(len & 0xff) << 56;
	for (i = full; i < len; i++)
		b |= (__u64)m[i] << (8 * (i - full));
	v[3] ^= b;
	for (r = 0; r < c; r++)
		ref_sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		ref_sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* SipHash-1-3 of n 64-bit words, as their little-endian byte encoding. */
static __u64 ref_sip13_words(const __u64 key[2], const __u64 *w, size_t n)
{
	__u8 k[16], m[8 * 16];
	size_t i;

	assert_true(n <= 16);
	ref_put_le64(k, key[0]);
	ref_put_le64(k + 8, key[1]);
	for (i = 0; i < n; i++)
		ref_put_le64(m + 8 * i, w[i]);
	return ref_siphash(k, m, 8 * n, 1, 3);
}

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;

static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const __u8 vec_key[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* The reference itself, as SipHash-2-4: the paper's / reference code's vectors. */
static void test_reference_siphash24_vectors(void **state)
{
	static const struct {
		size_t len;
		__u64 h;
	} vec[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },  { 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL },  { 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL }, { 16, 0x3f2acc7f57c29bdbULL },
		{ 63, 0x958a324ceb064572ULL },
	};
	__u8 m[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (__u8)i;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		assert_int_equal(ref_siphash(vec_key, m, vec[i].len, 2, 4), vec[i].h);
}

/*
 * The reference as SipHash-1-3: Linux's lib/siphash test vectors for hsiphash on
 * 64-bit machines, which is SipHash-1-3 truncated to 32 bits (key 00..0f,
 * message 00 01 02 .. of length i).
 */
static const __u32 hsiphash64_vectors[64] = {
	0x050fc4dc, 0x7d57ca93, 0x4dc7d44d, 0xe7ddf7fb, 0x88d38328, 0x49533b67, 0xc59f22a7,
	0x9bb11140, 0x8d299a8e, 0x6c063de4, 0x92ff097f, 0xf94dc352, 0x57b4d9a2, 0x1229ffa7,
	0xc0f95d34, 0x2a519956, 0x7d908b66, 0x63dbd80c, 0xb473e63e, 0x8d297d1c, 0xa6cce040,
	0x2b45f844, 0xa320872e, 0xdae6c123, 0x67349c8c, 0x705b0979, 0xca9913a5, 0x4ade3b35,
	0xef6cd00d, 0x4ab1e1f4, 0x43c5e663, 0x8c21d1bc, 0x16a7b60d, 0x7a8ff9bf, 0x1f2a753e,
	0xbf186b91, 0xada26206, 0xa3c33057, 0xae3a36a1, 0x7b108392, 0x99e41531, 0x3f1ad944,
	0xc8138825, 0xc28949a6, 0xfaf8876b, 0x9f042196, 0x68b1d623, 0x8b5114fd, 0xdf074c46,
	0x12cc86b3, 0x0a52098f, 0x9d292f9a, 0xa2f41f12, 0x43a71ed0, 0x73f0bce6, 0x70a7e980,
	0x243c6d75, 0xfdb71513, 0xa67d8a08, 0xb7e8f148, 0xf7a644ee, 0x0f1837f2, 0x4b6694e0,
	0xb7bbb3a8,
};

static void test_reference_siphash13_vectors(void **state)
{
	__u8 m[64], zero[16] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (__u8)i;
	for (i = 0; i < 64; i++)
		assert_int_equal((__u32)ref_siphash(vec_key, m, i, 1, 3), hsiphash64_vectors[i]);
	/* Full 64 bits: the veorq/SipHash 1-3 value for the zero key and empty message. */
	assert_int_equal(ref_siphash(zero, m, 0, 1, 3), 0xd1fba762150c532cULL);
}

/* The core on the published vectors: n words are the message 00 01 .. 8n-1. */
static void test_hash_words_vectors(void **state)
{
	const __u64 key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	__u8 m[64];
	__u64 w[8];
	__u32 n;

	(void)state;
	for (n = 0; n < sizeof(m); n++)
		m[n] = (__u8)n;
	for (n = 0; n < 8; n++)
		w[n] = ref_le64(m + 8 * n);
	for (n = 0; n < 8; n++)
		assert_int_equal((__u32)sh_hash_words(key, w, n), hsiphash64_vectors[8 * n]);
}

/* The core against the reference for random keys and words, every length it may see. */
static void test_hash_words_reference(void **state)
{
	__u64 key[2], w[16];
	int trial;
	__u32 n, i;

	(void)state;
	for (trial = 0; trial < 20000; trial++) {
		key[0] = rng();
		key[1] = rng();
		n = trial % 17;
		for (i = 0; i < n; i++)
			w[i] = rng();
		assert_int_equal(sh_hash_words(key, w, n), ref_sip13_words(key, w, n));
	}
	/* Edge values. */
	key[0] = key[1] = 0;
	w[0] = 0;
	assert_int_equal(sh_hash_words(key, w, 1), ref_sip13_words(key, w, 1));
	key[0] = key[1] = ~0ULL;
	w[0] = w[1] = ~0ULL;
	assert_int_equal(sh_hash_words(key, w, 2), ref_sip13_words(key, w, 2));
}

static int popcount64(__u64 x)
{
	return __builtin_popcountll(x);
}

/* Every key bit and every input bit changes the hash, by about half its bits. */
static void test_hash_sensitivity(void **state)
{
	__u64 key[2] = { 0x0011223344556677ULL, 0x8899aabbccddeeffULL }, k2[2];
	__u64 w[5] = { 0xc6120001c6126401ULL, 0x3039005000000604ULL, 1, 2, 3 }, w2[5];
	__u64 base = sh_hash_words(key, w, 5), h;
	long total = 0;
	int bit, flips = 0;

	(void)state;
	for (bit = 0; bit < 128; bit++) {
		memcpy(k2, key, sizeof(k2));
		k2[bit / 64] ^= 1ULL << (bit % 64);
		h = sh_hash_words(k2, w, 5);
		assert_int_not_equal(h, base);
		total += popcount64(h ^ base);
		flips++;
	}
	for (bit = 0; bit < 5 * 64; bit++) {
		memcpy(w2, w, sizeof(w2));
		w2[bit / 64] ^= 1ULL << (bit % 64);
		h = sh_hash_words(key, w2, 5);
		assert_int_not_equal(h, base);
		total += popcount64(h ^ base);
		flips++;
	}
	/* 448 flips of a good 64-bit PRF: mean 32 bits changed, sd of the mean ~0.19. */
	assert_true(total > 31L * flips && total < 33L * flips);
	/* The word count is part of the input: a trailing zero word is not free. */
	w2[0] = 7;
	w2[1] = 0;
	assert_int_not_equal(sh_hash_words(key, w2, 1), sh_hash_words(key, w2, 2));
}

static void test_hash_range_bounds(void **state)
{
	static const __u32 ns[] = { 1, 2, 3, 7, 10, 65537, 655373, 0x80000000u, 0xffffffffu };
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		__u32 n = ns[i];

		assert_int_equal(sh_hash_range(0, n), 0);
		assert_int_equal(sh_hash_range(0xffffffffull, n), 0); /* low half ignored */
		assert_int_equal(sh_hash_range(~0ULL, n), n - 1);
		assert_int_equal(sh_hash_range(1ULL << 63, n), n / 2);
		for (k = 0; k < 10000; k++)
			assert_true(sh_hash_range(rng(), n) < n);
	}
	/* Exact values of floor(h / 2^64 * n). */
	assert_int_equal(sh_hash_range(0x4000000000000000ULL, 10), 2);
	assert_int_equal(sh_hash_range(0x4000000000000000ULL, 11), 2);
	assert_int_equal(sh_hash_range(0xc000000000000000ULL, 10), 7);
	assert_int_equal(sh_hash_range(0x1999999a00000000ULL, 10), 1);
	assert_int_equal(sh_hash_range(0x1999999900000000ULL, 10), 0);
	assert_int_equal(sh_hash_range(0xffffffff00000000ULL, 65537), 65536);
}

/* Hashes of consecutive flows spread evenly over a ring. */
static void test_hash_range_uniform(void **state)
{
	enum { N = 97, PER = 10000 };
	static __u32 cnt[N];
	__u64 w[2];
	double chi2 = 0;
	__u32 i;

	(void)state;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < N * PER; i++) {
		w[0] = 0xc6120000c6126401ULL + ((__u64)i << 32); /* clients 198.18.x.y */
		w[1] = 0x3039005000000604ULL;
		cnt[sh_hash_range(sh_hash_words(pb_hash_key, w, 2), N)]++;
	}
	for (i = 0; i < N; i++)
		chi2 += (double)((long)cnt[i] - PER) * ((long)cnt[i] - PER) / PER;
	/* 96 degrees of freedom: mean 96, sd 13.9; 200 is beyond 7 sd. */
	assert_true(chi2 < 200.0);
}

/* IPv4: words (src << 32 | dst) and the ports word, host-order values. */
static void test_flow_hash_v4(void **state)
{
	struct sh_flow f = pb_flow("198.18.0.1", "198.18.100.1", 12345, 80, SH_IPPROTO_TCP);
	const __u64 w[2] = { 0xc6120001c6126401ULL,
			     (__u64)12345 << 48 | (__u64)80 << 32 | 6 << 8 | 4 };
	struct sh_flow g;
	__u64 h = sh_flow_hash(pb_hash_key, &f);

	(void)state;
	assert_int_equal(sh_flow_ports_word(&f), w[1]);
	assert_int_equal(h, ref_sip13_words(pb_hash_key, w, 2));
	assert_int_equal(h, sh_flow_hash(pb_hash_key, &f)); /* deterministic */
	/* Unused address words and padding do not matter. */
	g = f;
	g.src.w[1] = g.dst.w[3] = 0xdeadbeef;
	g.pad = 0x5a5a;
	assert_int_equal(sh_flow_hash(pb_hash_key, &g), h);
	/* The key does. */
	{
		const __u64 k2[2] = { pb_hash_key[0], pb_hash_key[1] ^ 1 };

		assert_int_not_equal(sh_flow_hash(k2, &f), h);
	}
}

static void test_flow_hash_v6(void **state)
{
	struct sh_flow f = pb_flow("2001:db8:5::1", "2001:db8:100::1", 40000, 443, SH_IPPROTO_TCP);
	const __u64 w[5] = {
		0x20010db800050000ULL, 0x0000000000000001ULL, 0x20010db801000000ULL,
		0x0000000000000001ULL, (__u64)40000 << 48 | (__u64)443 << 32 | 6 << 8 | 6,
	};
	__u64 h = sh_flow_hash(pb_hash_key, &f);

	(void)state;
	assert_int_equal(sh_addr_word(&f.src, 0), w[0]);
	assert_int_equal(sh_addr_word(&f.src, 1), w[1]);
	assert_int_equal(sh_addr_word(&f.dst, 0), w[2]);
	assert_int_equal(sh_addr_word(&f.dst, 1), w[3]);
	assert_int_equal(h, ref_sip13_words(pb_hash_key, w, 5));
	assert_int_equal(h, sh_flow_hash(pb_hash_key, &f));
}

/* The reverse direction, swapped ports, another protocol: all different flows. */
static void test_flow_hash_direction(void **state)
{
	struct sh_flow f = pb_flow("198.18.0.1", "198.18.100.1", 12345, 80, SH_IPPROTO_TCP);
	struct sh_flow r = pb_flow("198.18.100.1", "198.18.0.1", 80, 12345, SH_IPPROTO_TCP);
	struct sh_flow s = pb_flow("198.18.0.1", "198.18.100.1", 80, 12345, SH_IPPROTO_TCP);
	struct sh_flow u = pb_flow("198.18.0.1", "198.18.100.1", 12345, 80, SH_IPPROTO_UDP);
	struct sh_flow f6 = pb_flow("2001:db8::1", "2001:db8::2", 1, 2, SH_IPPROTO_UDP);
	struct sh_flow r6 = pb_flow("2001:db8::2", "2001:db8::1", 2, 1, SH_IPPROTO_UDP);
	__u64 h = sh_flow_hash(pb_hash_key, &f);

	(void)state;
	assert_int_not_equal(h, sh_flow_hash(pb_hash_key, &r));
	assert_int_not_equal(h, sh_flow_hash(pb_hash_key, &s));
	assert_int_not_equal(h, sh_flow_hash(pb_hash_key, &u));
	assert_int_not_equal(sh_flow_hash(pb_hash_key, &f6), sh_flow_hash(pb_hash_key, &r6));
}

/* The ports word: sport, dport, protocol, family at fixed bit positions. */
static void test_flow_ports_word(void **state)
{
	struct sh_flow f;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.sport = htons(0xabcd);
	f.dport = htons(0x1234);
	f.proto = SH_IPPROTO_UDP;
	f.family = SH_AF_INET6;
	assert_int_equal(sh_flow_ports_word(&f), 0xabcd123400001106ULL);
	f.sport = htons(0xffff);
	f.dport = 0;
	f.proto = 0xff;
	f.family = SH_AF_INET;
	assert_int_equal(sh_flow_ports_word(&f), 0xffff00000000ff04ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_siphash24_vectors),
		cmocka_unit_test(test_reference_siphash13_vectors),
		cmocka_unit_test(test_hash_words_vectors),
		cmocka_unit_test(test_hash_words_reference),
		cmocka_unit_test(test_hash_sensitivity),
		cmocka_unit_test(test_hash_range_bounds),
		cmocka_unit_test(test_hash_range_uniform),
		cmocka_unit_test(test_flow_hash_v4),
		cmocka_unit_test(test_flow_hash_v6),
		cmocka_unit_test(test_flow_hash_direction),
		cmocka_unit_test(test_flow_ports_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
