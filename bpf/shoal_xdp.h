/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP forwarder (env_bpf.h) and its loader (backends/xdp) share
 * beyond core/include/shoal/types.h: the layout of the ring pool.
 */
#ifndef SHOAL_XDP_H
#define SHOAL_XDP_H

#include "shoal/types.h"

/*
 * The ring pool (map sh_rings) is one flat array of real indices: ring r,
 * slot s is entry r * ring_size + s. The kernel stores array values 8 bytes
 * apart at least, so entries are packed SH_RING_CHUNK to a map value: half
 * the memory of one __u32 a value, and a memory-mapped pool is a plain __u32
 * array the loader writes with memcpy.
 */
#define SH_RING_CHUNK 16

struct sh_ring_chunk {
	__u32 real[SH_RING_CHUNK];
};

_Static_assert(sizeof(struct sh_ring_chunk) == 4 * SH_RING_CHUNK, "sh_ring_chunk layout");

/* Map values for a pool of n entries. */
static inline __u32 sh_ring_chunks(__u64 n)
{
	return (__u32)((n + SH_RING_CHUNK - 1) / SH_RING_CHUNK);
}

#endif /* SHOAL_XDP_H */
