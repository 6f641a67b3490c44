/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounds-checked packet access, the one way the core touches packet bytes.
 * Every access compares against data_end right where the pointer is made,
 * the shape the BPF verifier can follow, and the same check protects the
 * userspace build: there are no BPF-only guards.
 */
#ifndef SHOAL_PKT_H
#define SHOAL_PKT_H

#include "shoal/types.h"

/*
 * Offsets into a packet stay below this. Headers sit in the first few hundred
 * bytes and checksummed ICMP quotes end by ~1300, so the bound costs nothing;
 * it keeps offsets provably small for the verifier.
 */
#define SH_PKT_MAX_OFF 4095

/* Pointer to len bytes at offset off, or NULL when the packet is shorter. */
#define sh_pkt_at(p, off, len)                                                                     \
	({                                                                                         \
		__u32 __off = (off);                                                               \
		__u8 *__ptr = (__u8 *)(p)->data + (__off & SH_PKT_MAX_OFF);                        \
		(__off > SH_PKT_MAX_OFF || __ptr + (len) > (__u8 *)(p)->data_end) ? (void *)0      \
										  : (void *)__ptr; \
	})

/* Does the packet hold len bytes starting at off? (len may be variable) */
SH_INLINE int sh_pkt_has(const struct sh_pkt *p, __u32 off, __u32 len)
{
	__u8 *ptr;

	if (off > SH_PKT_MAX_OFF || len > 0xffff)
		return 0;
	ptr = (__u8 *)p->data + off;
	return ptr + len <= (__u8 *)p->data_end;
}

/* Length of the frame in bytes. */
SH_INLINE __u32 sh_pkt_len(const struct sh_pkt *p)
{
	return (__u32)((__u8 *)p->data_end - (__u8 *)p->data);
}

#endif /* SHOAL_PKT_H */
