/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a VIP's lookup table (its "ring") from its reals. Maglev (weighted)
 * or rendezvous hashing, both written into the same shape: ring_size slots,
 * each holding a real index. The result depends only on the set of members
 * (address, weight), never on the order they are given in.
 */
#ifndef SHOAL_MAGLEV_BUILD_H
#define SHOAL_MAGLEV_BUILD_H

#include <stddef.h>

#include "shoal/types.h"

struct sh_ring_member {
	struct sh_addr addr;
	__u8 family;
	__u32 weight;   /* 0: not placed in the ring */
	__u32 real_idx; /* value written into the slots this member owns */
};

/*
 * Fill ring[0..ring_size) for the given members with kind (enum sh_hash_kind).
 * ring_size must be prime for maglev. Members with weight 0 own no slot; with no
 * member of positive weight every slot is SH_REAL_NONE.
 * Returns 0, or -EINVAL (bad ring_size, duplicate member address) / -ENOMEM.
 */
int sh_ring_build(int kind, const struct sh_ring_member *members, size_t n, __u32 ring_size,
		  __u32 *ring);

#endif /* SHOAL_MAGLEV_BUILD_H */
