/* SPDX-License-Identifier: BSD-3-Clause */
/* Internet checksums (RFC 1071) and their incremental update (RFC 1624). */
#ifndef SHOAL_CSUM_H
#define SHOAL_CSUM_H

#include "shoal/hdr.h"
#include "shoal/pkt.h"

/* Fold a 32-bit one's complement sum to 16 bits and complement it. */
SH_INLINE __sum16 sh_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__sum16)~sum;
}

/* Sum of an address's 16-bit words as they lie in memory (4 or 16 bytes). */
SH_INLINE __u32 sh_csum_addr(const struct sh_addr *a, int v6)
{
	__u32 sum = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i > 0 && !v6)
			break;
		sum += (a->w[i] & 0xffff) + (a->w[i] >> 16);
	}
	return sum;
}

/*
 * One's complement sum of len bytes of the packet from off, as they lie in
 * memory (an odd last byte is padded with zero); fold it with sh_csum_fold().
 * 32-bit steps into a 64-bit sum keep the loop short for the verifier.
 * Returns -1 when the bytes are not all in the packet.
 */
#define SH_CSUM_MAX_LEN 1240
SH_INLINE long sh_csum_pkt(const struct sh_pkt *p, __u32 off, __u32 len)
{
	__u64 sum = 0;
	__u32 i;
	__u8 *b;

	if (len > SH_CSUM_MAX_LEN)
		return -1;
	for (i = 0; i < SH_CSUM_MAX_LEN / 4; i++) {
		__u32 *w;

		if (4 * i + 4 > len)
			break;
		w = sh_pkt_at(p, off + 4 * i, 4);
		if (!w)
			return -1;
		sum += *w;
	}
	if (len & 2) {
		__u16 *h = sh_pkt_at(p, off + (len & ~3u), 2);

		if (!h)
			return -1;
		sum += *h;
	}
	if (len & 1) {
		b = sh_pkt_at(p, off + len - 1, 1);
		if (!b)
			return -1;
		/* The missing pad byte is zero; the data byte is the word's first in memory. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		sum += *b;
#else
		sum += (__u32)*b << 8;
#endif
	}
	/* Fold 64 -> 32 bits; the result still fits the caller's additions. */
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	return (long)sum;
}

/*
 * Replace a 16-bit word covered by checksum *check (RFC 1624, eqn. 3). When
 * everything covered is zero the only checksum that verifies is 0xffff, but
 * the update yields 0x0000 there; 0xffff verifies in every case a 0x0000
 * would, so a zero result is written as 0xffff.
 */
SH_INLINE void sh_csum_replace16(__sum16 *check, __u16 old_word, __u16 new_word)
{
	__u32 sum = (__u16)~*check;
	__sum16 folded;

	sum += (__u16)~old_word;
	sum += new_word;
	folded = sh_csum_fold(sum);
	*check = folded ? folded : 0xffff;
}

#endif /* SHOAL_CSUM_H */
