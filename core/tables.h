/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The userspace tables: what the AF_XDP and DPDK workers and shoal-replay
 * read per packet, built whole from a validated config. They are immutable
 * once built; a config change builds new tables aside and swaps a pointer,
 * so a packet never sees a half-built ring.
 */
#ifndef SHOAL_TABLES_H
#define SHOAL_TABLES_H

#include <stddef.h>

#include "config.h"
#include "shoal/types.h"

struct sh_vip_slot {
	struct sh_vip_key key;
	struct sh_vip val;
	__u32 used;
};

struct sh_sid_slot {
	__u32 server_id; /* 0: empty */
	__u32 real;
};

struct sh_tables {
	struct sh_lb lb;
	struct sh_vip_slot *vips; /* open addressing, linear probing */
	__u32 vip_mask;
	__u32 n_vips;             /* VIPs in the config */
	__u32 *vip_id;            /* per config VIP (in config order): its vip_id, also its ring */
	struct sh_vip_key *vip_id_key; /* per vip_id: the VIP that holds it, or held it last */
	__u8 *vip_id_used;        /* per vip_id: held by a VIP of this config */
	__u32 n_vip_ids;          /* vip_ids ever used: every vip_id is below it */
	__u32 *rings;             /* n_vip_ids rings of lb.ring_size slots */
	struct sh_real *reals;
	__u32 n_reals;            /* slots ever used: every real index is below it */
	__u32 *real_freed_at;     /* per slot: generation its real left the config (0: never) */
	__u32 generation;         /* 1 for the first tables, +1 for each rebuild */
	struct sh_sid_slot *sids; /* open addressing, linear probing */
	__u32 sid_mask;
};

/*
 * Build tables for cfg. prev (or NULL) are the tables running now: a real
 * keeps its index from one build to the next, because conntrack entries name
 * reals by index. A real that left the config keeps its slot, inactive, so its
 * flows miss instead of reaching whoever took the index; slots are reused,
 * least recently freed first, only once every index has been used. A VIP keeps
 * its vip_id (its counters' index) the same way. Rings
 * depend on the set of reals only. Returns 0 or -errno with a message in err.
 */
int sh_tables_build(const struct sh_config *cfg, const struct sh_tables *prev,
		    struct sh_tables **out, char *err, size_t err_len);
void sh_tables_free(struct sh_tables *t);

/* The index of the real with this address, or SH_REAL_NONE. */
__u32 sh_tables_real_find(const struct sh_tables *t, const struct sh_addr *addr, __u8 family);

/*
 * Hash and compare VIP keys field by field, with loads the size of the stores
 * that built the key: wider loads over a key just written field by field
 * would stall on store forwarding.
 */
static inline __u32 sh_tables_vip_slot(const struct sh_vip_key *k, __u32 mask)
{
	__u64 a = (__u64)k->addr.w[0] << 32 | k->addr.w[1];
	__u64 b = (__u64)k->addr.w[2] << 32 | k->addr.w[3];
	__u64 c = (__u64)k->port << 16 | (__u64)k->proto << 8 | k->family;
	__u64 h = a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^ c * 0x165667b19e3779f9ULL;

	return (__u32)(h ^ h >> 29 ^ h >> 47) & mask;
}

static inline int sh_tables_vip_key_eq(const struct sh_vip_key *a, const struct sh_vip_key *b)
{
	return a->addr.w[0] == b->addr.w[0] && a->addr.w[1] == b->addr.w[1] &&
	       a->addr.w[2] == b->addr.w[2] && a->addr.w[3] == b->addr.w[3] &&
	       a->port == b->port && a->proto == b->proto && a->family == b->family;
}

static inline const struct sh_vip *sh_tables_vip_find(const struct sh_tables *t,
						      const struct sh_vip_key *k)
{
	__u32 i = sh_tables_vip_slot(k, t->vip_mask);

	for (;; i = (i + 1) & t->vip_mask) {
		const struct sh_vip_slot *s = &t->vips[i];

		if (!s->used)
			return NULL;
		if (sh_tables_vip_key_eq(&s->key, k))
			return &s->val;
	}
}

static inline __u32 sh_tables_sid_find(const struct sh_tables *t, __u32 server_id)
{
	__u32 i = (server_id * 0x9e3779b1u) & t->sid_mask;

	for (;; i = (i + 1) & t->sid_mask) {
		if (!t->sids[i].server_id)
			return SH_REAL_NONE;
		if (t->sids[i].server_id == server_id)
			return t->sids[i].real;
	}
}

#endif /* SHOAL_TABLES_H */
