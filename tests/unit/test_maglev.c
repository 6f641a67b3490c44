// SPDX-License-Identifier: BSD-3-Clause
/*
 * Unit tests of sh_ring_build(): balance, weights, order independence,
 * disruption when a real leaves, and the error cases, for both kinds.
 * Addresses come from 198.18.0.0/15 and 2001:db8::/32.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "maglev_build.h"

#define RING 65537 /* >= 100 x the reals of every balance test below */

static const int kinds[] = { SH_HASH_MAGLEV, SH_HASH_RENDEZVOUS };
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* 198.18.0.0 + host */
static void set_v4(struct sh_ring_member *m, __u32 host, __u32 weight, __u32 real_idx)
{
	memset(m, 0, sizeof(*m));
	m->addr.w[0] = htonl(0xc6120000u + host);
	m->family = SH_AF_INET;
	m->weight = weight;
	m->real_idx = real_idx;
}

/* 2001:db8::host */
static void set_v6(struct sh_ring_member *m, __u32 host, __u32 weight, __u32 real_idx)
{
	memset(m, 0, sizeof(*m));
	m->addr.w[0] = htonl(0x20010db8u);
	m->addr.w[3] = htonl(host);
	m->family = SH_AF_INET6;
	m->weight = weight;
	m->real_idx = real_idx;
}

/* n members with real_idx 0..n-1, every third one IPv6 when mixed. */
static struct sh_ring_member *make_members(size_t n, int mixed, __u32 weight)
{
	struct sh_ring_member *m = calloc(n, sizeof(*m));
	size_t i;

	assert_non_null(m);
	for (i = 0; i < n; i++) {
		if (mixed && i % 3 == 0)
			set_v6(&m[i], 0x100 + (__u32)i, weight, (__u32)i);
		else
			set_v4(&m[i], 1 + (__u32)i, weight, (__u32)i);
	}
	return m;
}

static __u32 *build(int kind, const struct sh_ring_member *m, size_t n, __u32 size)
{
	__u32 *ring = malloc(size * sizeof(*ring));

	assert_non_null(ring);
	assert_int_equal(sh_ring_build(kind, m, n, size, ring), 0);
	return ring;
}

/* Slots owned by each real_idx in [0, n); fails on any other value. */
static __u32 *shares(const __u32 *ring, __u32 size, size_t n)
{
	__u32 *cnt = calloc(n, sizeof(*cnt)), s;

	assert_non_null(cnt);
	for (s = 0; s < size; s++) {
		assert_true(ring[s] < n);
		cnt[ring[s]]++;
	}
	return cnt;
}

/* max share / mean share, and min share / mean share. */
static void spread(const __u32 *cnt, size_t n, __u32 size, double *max, double *min)
{
	double mean = (double)size / n;
	__u32 hi = 0, lo = UINT32_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		hi = cnt[i] > hi ? cnt[i] : hi;
		lo = cnt[i] < lo ? cnt[i] : lo;
	}
	*max = hi / mean;
	*min = lo / mean;
}

/* Deterministic Fisher-Yates shuffle (xorshift64). */
static void shuffle(struct sh_ring_member *m, size_t n, __u64 seed)
{
	struct sh_ring_member t;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = seed % (i + 1);
		t = m[i];
		m[i] = m[j];
		m[j] = t;
	}
}

/* Maglev, equal weights: every real gets M / n or M / n + 1 slots. */
static void test_maglev_balance(void **state)
{
	static const size_t ns[] = { 1, 10, 100, 655 };
	double max, min;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		struct sh_ring_member *m = make_members(ns[k], k % 2, 1);
		__u32 *ring = build(SH_HASH_MAGLEV, m, ns[k], RING);
		__u32 *cnt = shares(ring, RING, ns[k]);

		spread(cnt, ns[k], RING, &max, &min);
		assert_true(max < 1.01);
		assert_true(min > 0.99);
		free(cnt);
		free(ring);
		free(m);
	}
}

/*
 * Rendezvous decides each slot independently, so a share is binomial: with
 * 100 reals at 65537 slots the mean is 655 and sigma ~25.5 (3.9 %); 1.25 is
 * over 6 sigma off the mean, far outside what 100 draws reach.
 */
static void test_rendezvous_balance(void **state)
{
	struct sh_ring_member *m = make_members(100, 1, 1);
	__u32 *ring = build(SH_HASH_RENDEZVOUS, m, 100, RING);
	__u32 *cnt = shares(ring, RING, 100);
	double max, min;

	(void)state;
	spread(cnt, 100, RING, &max, &min);
	assert_true(max < 1.25);
	assert_true(min > 0.75);
	free(cnt);
	free(ring);
	free(m);
}

/* 1:1:2 gives 25 / 25 / 50 %, for IPv4 and IPv6 members. */
static void test_weights_1_1_2(void **state)
{
	static const __u32 w[3] = { 1, 1, 2 };
	struct sh_ring_member m[3];
	unsigned int k, v6, i;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < 3; i++) {
			if (v6)
				set_v6(&m[i], 7 + i, w[i], i);
			else
				set_v4(&m[i], 7 + i, w[i], i);
		}
		for (k = 0; k < N_KINDS; k++) {
			__u32 *ring = build(kinds[k], m, 3, RING);
			__u32 *cnt = shares(ring, RING, 3);

			for (i = 0; i < 3; i++) {
				double want = RING * w[i] / 4.0;
				/* maglev: within 3 slots; rendezvous: 1 % (sigma is 0.17 %) */
				double tol = kinds[k] == SH_HASH_MAGLEV ? 3 : 0.01 * RING;

				assert_true(cnt[i] > want - tol && cnt[i] < want + tol);
			}
			free(cnt);
			free(ring);
		}
	}
}

/*
 * Mixed weights 1..10 over 40 reals. Maglev: within n * w / W + 1 slots of the
 * exact share (at most one turn per real in the last, partial round). Rendezvous:
 * within 6 binomial sigmas.
 */
static void test_weights_mixed(void **state)
{
	struct sh_ring_member *m = make_members(40, 1, 1);
	__u32 i, sum = 0;
	unsigned int k;

	(void)state;
	for (i = 0; i < 40; i++) {
		m[i].weight = 1 + (i * 7) % 10;
		sum += m[i].weight;
	}
	for (k = 0; k < N_KINDS; k++) {
		__u32 *ring = build(kinds[k], m, 40, RING);
		__u32 *cnt = shares(ring, RING, 40);

		for (i = 0; i < 40; i++) {
			double p = (double)m[i].weight / sum, want = RING * p, tol;

			if (kinds[k] == SH_HASH_MAGLEV)
				tol = 40.0 * m[i].weight / sum + 1;
			else /* squared: 6 sigma, sigma^2 = M p (1 - p) */
				tol = 36 * RING * p * (1 - p);
			if (kinds[k] == SH_HASH_MAGLEV)
				assert_true(cnt[i] >= want - tol && cnt[i] <= want + tol);
			else
				assert_true((cnt[i] - want) * (cnt[i] - want) <= tol);
		}
		free(cnt);
		free(ring);
	}
	free(m);
}

/* Only weight ratios matter: 2:2:4:6 builds the same ring as 1:1:2:3. */
static void test_weights_scale(void **state)
{
	struct sh_ring_member *m = make_members(4, 1, 1);
	unsigned int k, i;

	(void)state;
	for (k = 0; k < N_KINDS; k++) {
		__u32 *a, *b;

		for (i = 0; i < 4; i++)
			m[i].weight = i < 2 ? 1 : i;
		a = build(kinds[k], m, 4, RING);
		for (i = 0; i < 4; i++)
			m[i].weight *= 2;
		b = build(kinds[k], m, 4, RING);
		assert_memory_equal(a, b, RING * sizeof(*a));
		free(a);
		free(b);
	}
	free(m);
}

/* Shuffled input (mixed families and weights) builds a byte-identical ring. */
static void test_order_independence(void **state)
{
	struct sh_ring_member *m = make_members(50, 1, 1);
	unsigned int k, i;

	(void)state;
	for (i = 0; i < 50; i++)
		m[i].weight = 1 + i % 4;
	for (k = 0; k < N_KINDS; k++) {
		__u32 *a = build(kinds[k], m, 50, RING), *b;

		for (i = 0; i < 3; i++) {
			shuffle(m, 50, 0x9e3779b97f4a7c15ULL + i);
			b = build(kinds[k], m, 50, RING);
			assert_memory_equal(a, b, RING * sizeof(*a));
			free(b);
		}
		free(a);
	}
	free(m);
}

/*
 * One of 100 reals leaves: count the slots that changed owner although they
 * were not the leaving real's. Maglev measures ~0.55 % here; rendezvous must
 * move none. Weight 0 must give exactly the ring without the member.
 */
static void test_disruption(void **state)
{
	struct sh_ring_member *m = make_members(100, 1, 1);
	unsigned int k, gone;

	(void)state;
	for (k = 0; k < N_KINDS; k++) {
		__u32 *before = build(kinds[k], m, 100, RING);

		for (gone = 0; gone < 100; gone += 33) {
			struct sh_ring_member saved = m[gone];
			__u32 *after, *drained, s, moved = 0;

			m[gone].weight = 0;
			drained = build(kinds[k], m, 100, RING);
			m[gone] = m[99]; /* remove it for real: the last one takes its place */
			after = build(kinds[k], m, 99, RING);
			m[gone] = saved;

			assert_memory_equal(after, drained, RING * sizeof(*after));
			for (s = 0; s < RING; s++) {
				assert_int_not_equal(after[s], gone);
				if (before[s] != gone && after[s] != before[s])
					moved++;
			}
			if (kinds[k] == SH_HASH_MAGLEV)
				assert_true(moved < RING / 50); /* < 2 % */
			else
				assert_int_equal(moved, 0);
			free(after);
			free(drained);
		}
		free(before);
	}
	free(m);
}

/* Rendezvous: raising one real's weight only moves slots to that real. */
static void test_rendezvous_weight_change(void **state)
{
	struct sh_ring_member *m = make_members(20, 0, 1);
	__u32 *before, *after, s, gained = 0;

	(void)state;
	before = build(SH_HASH_RENDEZVOUS, m, 20, RING);
	m[5].weight = 3;
	after = build(SH_HASH_RENDEZVOUS, m, 20, RING);
	for (s = 0; s < RING; s++) {
		if (after[s] != before[s]) {
			assert_int_equal(after[s], 5);
			gained++;
		}
	}
	/* from 1/20 to 3/22 of the ring: ~5600 slots gained */
	assert_true(gained > RING / 20 && gained < RING / 5);
	free(before);
	free(after);
	free(m);
}

/* Weight 0 owns nothing; all-zero and empty sets give SH_REAL_NONE everywhere. */
static void test_weight_zero(void **state)
{
	struct sh_ring_member *m = make_members(10, 1, 1);
	__u32 ring[101], s, i;
	unsigned int k;

	(void)state;
	for (k = 0; k < N_KINDS; k++) {
		m[3].weight = 0;
		assert_int_equal(sh_ring_build(kinds[k], m, 10, 101, ring), 0);
		for (s = 0; s < 101; s++)
			assert_true(ring[s] < 10 && ring[s] != 3);

		for (i = 0; i < 10; i++)
			m[i].weight = 0;
		assert_int_equal(sh_ring_build(kinds[k], m, 10, 101, ring), 0);
		for (s = 0; s < 101; s++)
			assert_int_equal(ring[s], SH_REAL_NONE);

		memset(ring, 0, sizeof(ring));
		assert_int_equal(sh_ring_build(kinds[k], NULL, 0, 101, ring), 0);
		for (s = 0; s < 101; s++)
			assert_int_equal(ring[s], SH_REAL_NONE);
		for (i = 0; i < 10; i++)
			m[i].weight = 1;
	}
	free(m);
}

/* Rings smaller than the member set: every slot owned, each by a distinct real. */
static void test_tiny_rings(void **state)
{
	struct sh_ring_member *m = make_members(5, 0, 1);
	__u32 ring[3];
	unsigned int k;

	(void)state;
	for (k = 0; k < N_KINDS; k++) {
		assert_int_equal(sh_ring_build(kinds[k], m, 5, 2, ring), 0);
		assert_true(ring[0] < 5 && ring[1] < 5);
		assert_int_equal(sh_ring_build(kinds[k], m, 5, 3, ring), 0);
		assert_true(ring[0] < 5 && ring[1] < 5 && ring[2] < 5);
		if (kinds[k] == SH_HASH_MAGLEV) /* one turn each: three distinct owners */
			assert_true(ring[0] != ring[1] && ring[1] != ring[2] && ring[0] != ring[2]);
	}
	free(m);
}

/* Bad sizes, kinds and duplicates fail with -EINVAL and leave the ring untouched. */
static void test_invalid(void **state)
{
	static const __u32 bad_maglev[] = { 0, 1, 4, 100, 65536, 65535, SH_MAX_RING_SIZE + 2 };
	struct sh_ring_member m[4];
	__u32 *ring = malloc((SH_MAX_RING_SIZE + 2) * sizeof(*ring));
	unsigned int i, k;

	(void)state;
	assert_non_null(ring);
	set_v4(&m[0], 1, 1, 0);
	set_v4(&m[1], 2, 1, 1);
	set_v6(&m[2], 1, 1, 2);
	set_v6(&m[3], 2, 1, 3);
	memset(ring, 0xab, 101 * sizeof(*ring));

	for (i = 0; i < sizeof(bad_maglev) / sizeof(bad_maglev[0]); i++)
		assert_int_equal(sh_ring_build(SH_HASH_MAGLEV, m, 4, bad_maglev[i], ring), -EINVAL);
	/* rendezvous needs no prime, but the same bounds */
	assert_int_equal(sh_ring_build(SH_HASH_RENDEZVOUS, m, 4, 0, ring), -EINVAL);
	assert_int_equal(sh_ring_build(SH_HASH_RENDEZVOUS, m, 4, SH_MAX_RING_SIZE + 1, ring),
			 -EINVAL);
	assert_int_equal(sh_ring_build(2, m, 4, 101, ring), -EINVAL);
	assert_int_equal(sh_ring_build(-1, m, 4, 101, ring), -EINVAL);
	assert_int_equal(sh_ring_build(SH_HASH_MAGLEV, NULL, 4, 101, ring), -EINVAL);
	assert_int_equal(sh_ring_build(SH_HASH_MAGLEV, m, 4, 101, NULL), -EINVAL);

	for (k = 0; k < N_KINDS; k++) {
		set_v4(&m[1], 1, 0, 1); /* same address as m[0], even drained, is a duplicate */
		assert_int_equal(sh_ring_build(kinds[k], m, 4, 101, ring), -EINVAL);
		set_v4(&m[1], 2, 1, 1);
		set_v6(&m[3], 1, 5, 3); /* IPv6 duplicate */
		assert_int_equal(sh_ring_build(kinds[k], m, 4, 101, ring), -EINVAL);
		set_v6(&m[3], 2, 1, 3);
	}
	for (i = 0; i < 101; i++)
		assert_int_equal(ring[i], 0xabababab);

	/* the largest size, non-prime rendezvous sizes and same bytes in two families are fine */
	assert_int_equal(sh_ring_build(SH_HASH_MAGLEV, m, 4, SH_MAX_RING_SIZE, ring), 0);
	assert_int_equal(sh_ring_build(SH_HASH_RENDEZVOUS, m, 4, 1000, ring), 0);
	set_v4(&m[2], 1, 1, 2);
	m[2].family = SH_AF_INET6;
	assert_int_equal(sh_ring_build(SH_HASH_MAGLEV, m, 4, 101, ring), 0);
	free(ring);
}

/*
 * Every LB of a fleet, whatever its version or CPU, must build the same ring:
 * pin a digest of two rings. If this fails after an intended change to the
 * algorithm or its keys, a fleet running mixed versions splits its flows.
 */
#define GOLDEN_MAGLEV 0xe685cdb54741976bULL
#define GOLDEN_RENDEZVOUS 0xe9907d372fd95ceeULL

static __u64 fnv1a(const __u32 *ring, __u32 size)
{
	__u64 h = 0xcbf29ce484222325ULL;
	__u32 s;

	for (s = 0; s < size; s++) {
		h ^= ring[s];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void test_golden(void **state)
{
	struct sh_ring_member *m = make_members(30, 1, 1);
	__u32 i;
	unsigned int k;

	(void)state;
	for (i = 0; i < 30; i++)
		m[i].weight = 1 + i % 3;
	for (k = 0; k < N_KINDS; k++) {
		__u32 *ring = build(kinds[k], m, 30, 4099);
		__u64 want = kinds[k] == SH_HASH_MAGLEV ? GOLDEN_MAGLEV : GOLDEN_RENDEZVOUS;

		assert_int_equal(fnv1a(ring, 4099), want);
		free(ring);
	}
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maglev_balance),
		cmocka_unit_test(test_rendezvous_balance),
		cmocka_unit_test(test_weights_1_1_2),
		cmocka_unit_test(test_weights_mixed),
		cmocka_unit_test(test_weights_scale),
		cmocka_unit_test(test_order_independence),
		cmocka_unit_test(test_disruption),
		cmocka_unit_test(test_rendezvous_weight_change),
		cmocka_unit_test(test_weight_zero),
		cmocka_unit_test(test_tiny_rings),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_golden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
