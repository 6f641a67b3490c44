// SPDX-License-Identifier: BSD-3-Clause
/*
 * Ring build benchmark: how long sh_ring_build() takes for Maglev, and how
 * balanced and how stable (disruption when one real leaves) both kinds are.
 * Single thread, CLOCK_MONOTONIC. Figures, not assertions: tests/unit checks
 * the properties, this program measures them.
 *
 *   bench_maglev [runs]     (runs of each timed build, default 21)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "maglev_build.h"

#define RING_SMALL 65537
#define RING_LARGE 655373

static const char *kind_name(int kind)
{
	return kind == SH_HASH_MAGLEV ? "maglev" : "rendezvous";
}

/* n reals 198.18.0.1, 198.18.0.2, ... real_idx = position, weight 1 or 1..4. */
static struct sh_ring_member *make_members(size_t n, int weighted)
{
	struct sh_ring_member *m = calloc(n, sizeof(*m));
	size_t i;

	if (!m)
		return NULL;
	for (i = 0; i < n; i++) {
		m[i].addr.w[0] = htonl(0xc6120000u + 1 + (__u32)i);
		m[i].family = SH_AF_INET;
		m[i].weight = weighted ? 1 + i % 4 : 1;
		m[i].real_idx = (__u32)i;
	}
	return m;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_maglev: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* Time `runs` builds; report best and median in ms. */
static void time_build(int kind, size_t n, int weighted, __u32 size, int runs, double *best,
		       double *median)
{
	struct sh_ring_member *m = make_members(n, weighted);
	__u32 *ring = malloc(size * sizeof(*ring));
	double *t = calloc(runs, sizeof(*t));
	int r, err;

	if (!m || !ring || !t)
		die("time_build", -ENOMEM);
	for (r = 0; r < runs; r++) {
		double t0 = now_ms();

		err = sh_ring_build(kind, m, n, size, ring);
		t[r] = now_ms() - t0;
		if (err)
			die("sh_ring_build", err);
	}
	qsort(t, runs, sizeof(*t), cmp_double);
	*best = t[0];
	*median = t[runs / 2];
	free(t);
	free(ring);
	free(m);
}

/* max share / mean share of a ring whose owners are 0..n-1. */
static double balance(const __u32 *ring, __u32 size, size_t n)
{
	__u32 *cnt = calloc(n, sizeof(*cnt)), max = 0, s;

	if (!cnt)
		die("balance", -ENOMEM);
	for (s = 0; s < size; s++)
		cnt[ring[s]]++;
	for (s = 0; s < n; s++)
		if (cnt[s] > max)
			max = cnt[s];
	free(cnt);
	return max / ((double)size / n);
}

/*
 * Remove `reps` different reals in turn (evenly spread over the list) and
 * count the slots that changed owner although they did not belong to the
 * removed real, as % of the ring. Reports the mean and the worst.
 */
static void disruption(int kind, size_t n, __u32 size, int reps, double *bal, double *mean,
		       double *worst)
{
	struct sh_ring_member *m = make_members(n, 0);
	__u32 *before = malloc(size * sizeof(*before)), *after = malloc(size * sizeof(*after));
	double sum = 0;
	int r, err;

	if (!m || !before || !after)
		die("disruption", -ENOMEM);
	err = sh_ring_build(kind, m, n, size, before);
	if (err)
		die("sh_ring_build", err);
	*bal = balance(before, size, n);
	*worst = 0;
	for (r = 0; r < reps; r++) {
		__u32 gone = (__u32)(r * n / reps), moved = 0, s;

		m[gone].weight = 0; /* weight 0 places nothing: same ring as removing it */
		err = sh_ring_build(kind, m, n, size, after);
		if (err)
			die("sh_ring_build", err);
		m[gone].weight = 1;
		for (s = 0; s < size; s++)
			if (before[s] != gone && after[s] != before[s])
				moved++;
		sum += 100.0 * moved / size;
		if (100.0 * moved / size > *worst)
			*worst = 100.0 * moved / size;
	}
	*mean = sum / reps;
	free(after);
	free(before);
	free(m);
}

int main(int argc, char **argv)
{
	static const size_t reals[] = { 10, 100, 1000 };
	static const struct {
		int kind;
		__u32 size;
		int weighted;
		int runs; /* 0: argv[1] */
		const char *target;
	} timed[] = {
		{ SH_HASH_MAGLEV, RING_SMALL, 0, 0, "<= 2 ms" },
		{ SH_HASH_MAGLEV, RING_LARGE, 0, 0, "<= 25 ms" },
		{ SH_HASH_MAGLEV, RING_SMALL, 1, 0, "" },
		{ SH_HASH_RENDEZVOUS, RING_SMALL, 0, 3, "~1 s" },
		{ SH_HASH_RENDEZVOUS, RING_SMALL, 1, 3, "~1 s" },
	};
	int runs = argc > 1 ? atoi(argv[1]) : 21;
	double best, median;
	unsigned int i, k;

	if (runs < 1)
		runs = 1;

	printf("Build time, 1000 reals, one thread\n");
	printf("%-11s %8s %-8s %5s %10s %10s  %s\n", "kind", "slots", "weights", "runs", "best ms",
	       "median ms", "target");
	for (i = 0; i < sizeof(timed) / sizeof(timed[0]); i++) {
		int r = timed[i].runs ? timed[i].runs : runs;

		time_build(timed[i].kind, 1000, timed[i].weighted, timed[i].size, r, &best,
			   &median);
		printf("%-11s %8u %-8s %5d %10.3f %10.3f  %s\n", kind_name(timed[i].kind),
		       timed[i].size, timed[i].weighted ? "1..4" : "all 1", r, best, median,
		       timed[i].target);
	}

	printf("\nBalance and disruption, ring %u, weight 1\n", RING_SMALL);
	printf("  balance: max share / mean share\n");
	printf("           (target < 1.01 for maglev when slots >= 100 x reals)\n");
	printf("  moved: slots that changed owner but were not the removed real's, %% of ring,\n");
	printf("         over `reps` removals\n");
	printf("         (target: small for maglev, exactly 0 for rendezvous)\n");
	printf("%-11s %6s %9s %6s %10s %10s\n", "kind", "reals", "balance", "reps", "moved avg",
	       "moved max");
	for (k = 0; k < 2; k++) {
		int kind = k ? SH_HASH_RENDEZVOUS : SH_HASH_MAGLEV;

		for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
			int reps = kind == SH_HASH_RENDEZVOUS && reals[i] == 1000 ? 3 : 10;
			double bal, mean, worst;

			disruption(kind, reals[i], RING_SMALL, reps, &bal, &mean, &worst);
			printf("%-11s %6zu %9.4f %6d %9.3f%% %9.3f%%\n", kind_name(kind), reals[i],
			       bal, reps, mean, worst);
		}
	}
	return 0;
}
