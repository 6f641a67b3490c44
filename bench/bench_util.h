/* SPDX-License-Identifier: BSD-3-Clause */
/* What every benchmark needs: a clock, and a repeatable flow order. */
#ifndef SHOAL_BENCH_UTIL_H
#define SHOAL_BENCH_UTIL_H

#include <linux/types.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* xorshift64, fixed seed: every run visits flows in the same order. */
static __u64 rng_state = 0x9e3779b97f4a7c15ull;
static inline __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* a[0..n) = a random permutation of 0..n-1 (Fisher-Yates). */
static inline void shuffle(__u32 *a, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		a[i] = i;
	for (__u32 i = n - 1; i > 0; i--) {
		__u32 j = rng() % (i + 1), tmp = a[i];

		a[i] = a[j];
		a[j] = tmp;
	}
}

#endif /* SHOAL_BENCH_UTIL_H */
