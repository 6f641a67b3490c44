// SPDX-License-Identifier: BSD-3-Clause
/*
 * Building a VIP's ring: ring_size slots, each holding the real index of the
 * member that owns it. Cold path (control plane), so plain C with malloc'd
 * scratch; but it runs on every config change for every VIP, so the Maglev
 * fill is written with its cache behaviour in mind.
 *
 * Both kinds depend only on the set of members: members are sorted by
 * (family, address) first, and every hash is over the member's address with a
 * fixed key (not the fleet hash_key), so any two machines build the same ring.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "maglev_build.h"
#include "shoal/hash.h"

/*
 * Fixed keys of the ring hashes, the ASCII of "shoal-maglev-v1!" and
 * "shoal-rendezvous". Changing either changes every ring of every fleet.
 */
static const __u64 maglev_key[2] = { 0x73686f616c2d6d61ULL, 0x676c65762d763121ULL };
static const __u64 rendezvous_key[2] = { 0x73686f616c2d7265ULL, 0x6e64657a766f7573ULL };

/*
 * A member as hashed: the address as numbers (so the byte order of the host
 * does not matter), then the family. 3 words.
 */
static void member_words(const struct sh_ring_member *m, __u64 w[3])
{
	w[0] = (__u64)ntohl(m->addr.w[0]) << 32 | ntohl(m->addr.w[1]);
	w[1] = (__u64)ntohl(m->addr.w[2]) << 32 | ntohl(m->addr.w[3]);
	w[2] = m->family;
}

static int member_cmp(const void *pa, const void *pb)
{
	const struct sh_ring_member *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static int is_prime(__u32 n)
{
	__u32 d;

	if (n < 2)
		return 0;
	for (d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

/*
 * Weighted Maglev (the paper's population, with Katran's weighting): members
 * take turns in address order; each turn a member earns its weight as credit
 * and places one slot per max_weight of credit, at the next free slot of its
 * permutation offset, offset + skip, offset + 2 * skip, ... (mod M). The
 * heaviest member places exactly one slot per round, so a member's share is
 * within n * weight / sum_of_weights + 1 slots of exact proportion (equal
 * weights: M / n or M / n + 1 each). Rounds cost O(n) each, so a weight far
 * above all others makes the fill slower (~M * n steps at worst), not worse.
 *
 * The permutation is walked incrementally (no table, no division) and
 * occupancy is a bitmap: M / 8 bytes (82 KB at 655373) stays in L2 while the
 * fill probes it ~M ln M times at random. The ring is only written, once per slot.
 */
struct maglev_state {
	__u32 cur;  /* next slot this member tries */
	__u32 skip; /* permutation step, in [1, M) */
	__u64 credit;
	__u32 weight;
	__u32 real_idx;
};

static int maglev_fill(const struct sh_ring_member *m, size_t n, __u32 size, __u32 *ring)
{
	struct maglev_state *st;
	__u64 *used, w[3], h, max_weight = 0;
	__u32 filled = 0;
	size_t i;

	st = calloc(n, sizeof(*st));
	used = calloc((size + 63) / 64, sizeof(*used));
	if (!st || !used) {
		free(st);
		free(used);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		member_words(&m[i], w);
		h = sh_hash_words(maglev_key, w, 3);
		/* The two halves of one SipHash output serve as the paper's h1 and h2. */
		st[i].cur = (__u32)h % size;
		st[i].skip = (__u32)(h >> 32) % (size - 1) + 1;
		st[i].weight = m[i].weight;
		st[i].real_idx = m[i].real_idx;
		if (m[i].weight > max_weight)
			max_weight = m[i].weight;
	}

	for (;;) {
		for (i = 0; i < n; i++) {
			struct maglev_state *s = &st[i];
			__u32 cur = s->cur;

			s->credit += s->weight;
			while (s->credit >= max_weight) {
				s->credit -= max_weight;
				/* M prime: the walk visits every slot, so a free one is found. */
				while (used[cur / 64] & (1ULL << (cur % 64))) {
					cur += s->skip;
					if (cur >= size)
						cur -= size;
				}
				used[cur / 64] |= 1ULL << (cur % 64);
				ring[cur] = s->real_idx;
				if (++filled == size)
					goto out;
				cur += s->skip;
				if (cur >= size)
					cur -= size;
			}
			s->cur = cur;
		}
	}
out:
	free(st);
	free(used);
	return 0;
}

/*
 * Weighted rendezvous (highest random weight) per slot: slot s goes to the
 * member with the smallest -ln(u) / weight, u = hash(member, s) in (0, 1) (the
 * logarithmic method: the minimum of exponential clocks of rate weight, so
 * P(win) = weight / sum of weights). Removing a member moves only its own slots.
 *
 * -log2(u) is computed in Q32 fixed point from a table rather than with
 * libm's log(): integers give the same ring on every machine and compiler
 * (no libm version or FMA contraction differences), and they are faster.
 */
#define LOG_TAB_BITS 10
#define LOG_TAB_SIZE (1u << LOG_TAB_BITS)

/* tab[j] = log2(1 + j / LOG_TAB_SIZE) in Q32, one bit per squaring. */
static void log2_table(__u64 *tab)
{
	__u32 j;
	int bit;

	for (j = 0; j < LOG_TAB_SIZE; j++) {
		__u64 y = (__u64)(LOG_TAB_SIZE + j) << (62 - LOG_TAB_BITS); /* Q62, in [1, 2) */
		__u64 f = 0;

		for (bit = 31; bit >= 0; bit--) {
			y = (__u64)(((unsigned __int128)y * y) >> 62);
			if (y >= 1ULL << 63) {
				f |= 1ULL << bit;
				y >>= 1;
			}
		}
		tab[j] = f;
	}
	tab[LOG_TAB_SIZE] = 1ULL << 32;
}

/*
 * -log2(x / 2^64) in Q32, linearly interpolated in the table (error < 2e-7).
 * Non-increasing in x, so with equal weights the winner is the largest hash.
 */
static __u64 neg_log2(__u64 x, const __u64 *tab)
{
	unsigned int k = __builtin_clzll(x | 1); /* x = 0 is taken as 1 */
	__u64 m = x << k;                        /* 1.63 fixed point, in [1, 2) */
	__u32 idx = (m >> (63 - LOG_TAB_BITS)) & (LOG_TAB_SIZE - 1);
	__u64 frac = (m >> (31 - LOG_TAB_BITS)) & 0xffffffffULL;
	__u64 f = tab[idx] + (((tab[idx + 1] - tab[idx]) * frac) >> 32);

	return ((__u64)(k + 1) << 32) - f;
}

/*
 * hash(member, s): output s + 1 of SplitMix64 seeded with the member's SipHash.
 * Not keyed per slot, but the ring is public knowledge anyway (fixed key); what
 * matters is statistical quality, and this costs a fraction of a SipHash per slot.
 */
static __u64 slot_hash(__u64 seed, __u32 s)
{
	__u64 z = seed + (s + 1ULL) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rdv_state {
	__u64 seed;
	__u64 weight;
	__u32 real_idx;
};

static int rendezvous_fill(const struct sh_ring_member *m, size_t n, __u32 size, __u32 *ring)
{
	__u64 tab[LOG_TAB_SIZE + 1], w[3];
	struct rdv_state *st;
	int equal = 1;
	__u32 s;
	size_t i;

	st = calloc(n, sizeof(*st));
	if (!st)
		return -ENOMEM;
	log2_table(tab);
	for (i = 0; i < n; i++) {
		member_words(&m[i], w);
		st[i].seed = sh_hash_words(rendezvous_key, w, 3);
		st[i].weight = m[i].weight;
		st[i].real_idx = m[i].real_idx;
		if (m[i].weight != m[0].weight)
			equal = 0;
	}

	for (s = 0; s < size; s++) {
		__u64 best_x = slot_hash(st[0].seed, s), best_l = 0;
		size_t best = 0;

		if (!equal)
			best_l = neg_log2(best_x, tab);
		for (i = 1; i < n; i++) {
			__u64 x = slot_hash(st[i].seed, s), l;
			unsigned __int128 a, b;

			/*
			 * Equal weights: smallest -log2(u) is the largest hash, which is
			 * also the tie-break below, so this gives the same ring, faster.
			 */
			if (equal) {
				if (x > best_x) {
					best = i;
					best_x = x;
				}
				continue;
			}
			/* l / w < best_l / best_w; ties: larger hash, then address order */
			l = neg_log2(x, tab);
			a = (unsigned __int128)l * st[best].weight;
			b = (unsigned __int128)best_l * st[i].weight;
			if (a < b || (a == b && x > best_x)) {
				best = i;
				best_x = x;
				best_l = l;
			}
		}
		ring[s] = st[best].real_idx;
	}
	free(st);
	return 0;
}

int sh_ring_build(int kind, const struct sh_ring_member *members, size_t n, __u32 ring_size,
		  __u32 *ring)
{
	struct sh_ring_member *sorted;
	size_t i, n_pos = 0;
	__u32 s;
	int err;

	if (kind != SH_HASH_MAGLEV && kind != SH_HASH_RENDEZVOUS)
		return -EINVAL;
	if (ring_size < 1 || ring_size > SH_MAX_RING_SIZE || !ring || (n && !members))
		return -EINVAL;
	if (kind == SH_HASH_MAGLEV && !is_prime(ring_size))
		return -EINVAL;

	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (n)
		memcpy(sorted, members, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), member_cmp);
	for (i = 1; i < n; i++) {
		if (!member_cmp(&sorted[i - 1], &sorted[i])) {
			err = -EINVAL; /* the same address twice */
			goto out;
		}
	}
	/* Only members with a positive weight take part (compacted in place, order kept). */
	for (i = 0; i < n; i++)
		if (sorted[i].weight)
			sorted[n_pos++] = sorted[i];

	if (!n_pos) {
		for (s = 0; s < ring_size; s++)
			ring[s] = SH_REAL_NONE;
		err = 0;
	} else if (kind == SH_HASH_MAGLEV) {
		err = maglev_fill(sorted, n_pos, ring_size, ring);
	} else {
		err = rendezvous_fill(sorted, n_pos, ring_size, ring);
	}
out:
	free(sorted);
	return err;
}
