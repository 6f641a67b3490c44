/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keyed hashing. SipHash-1-3 (one compression round, three finalization rounds)
 * over whole 64-bit words: a keyed PRF, so a client cannot aim its flows at
 * one real without the fleet's hash_key, yet cheap enough for every packet
 * (2 words for IPv4, 5 for IPv6). The word encoding of a flow is fixed below,
 * so every LB of a fleet, in BPF or userspace, computes the same value.
 */
#ifndef SHOAL_HASH_H
#define SHOAL_HASH_H

#include "shoal/types.h"

SH_INLINE __u64 sh_rotl64(__u64 x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

struct sh_sip {
	__u64 v0, v1, v2, v3;
};

SH_INLINE void sh_sip_round(struct sh_sip *s)
{
	s->v0 += s->v1;
	s->v1 = sh_rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = sh_rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = sh_rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = sh_rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = sh_rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = sh_rotl64(s->v2, 32);
}

SH_INLINE void sh_sip_init(struct sh_sip *s, const __u64 key[2])
{
	s->v0 = key[0] ^ 0x736f6d6570736575ULL;
	s->v1 = key[1] ^ 0x646f72616e646f6dULL;
	s->v2 = key[0] ^ 0x6c7967656e657261ULL;
	s->v3 = key[1] ^ 0x7465646279746573ULL;
}

SH_INLINE void sh_sip_word(struct sh_sip *s, __u64 m)
{
	s->v3 ^= m;
	sh_sip_round(s);
	s->v0 ^= m;
}

/* n_words is folded into the last block, as SipHash folds the byte length. */
SH_INLINE __u64 sh_sip_final(struct sh_sip *s, __u32 n_words)
{
	sh_sip_word(s, (__u64)(n_words * 8) << 56);
	s->v2 ^= 0xff;
	sh_sip_round(s);
	sh_sip_round(s);
	sh_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* Hash a fixed array of words; n is a compile-time constant at every call site. */
SH_INLINE __u64 sh_hash_words(const __u64 key[2], const __u64 *words, __u32 n)
{
	struct sh_sip s;
	__u32 i;

	sh_sip_init(&s, key);
	for (i = 0; i < n; i++)
		sh_sip_word(&s, words[i]);
	return sh_sip_final(&s, n);
}

/* Map a 64-bit hash uniformly onto [0, n) without a division (Lemire's reduction). */
SH_INLINE __u32 sh_hash_range(__u64 h, __u32 n)
{
	return (__u32)(((h >> 32) * (__u64)n) >> 32);
}

#endif /* SHOAL_HASH_H */
