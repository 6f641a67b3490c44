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

/*
 * Filling lookup tables by hand (a backend rebuilding tables from its own
 * state): the power-of-two size holding n entries at most a quarter full, and
 * inserting into tables of that size.
 */
__u32 sh_tables_lookup_size(size_t n);
void sh_tables_vip_insert(struct sh_tables *t, const struct sh_vip_key *k, const struct sh_vip *v);
void sh_tables_sid_insert(struct sh_tables *t, __u32 server_id, __u32 real);

/* The lookup key of VIP v's address with port (host order) and protocol. */
struct sh_vip_key sh_tables_vip_key(const struct sh_cfg_vip *v, __u16 port, __u8 proto);

/* The index of the real with this address, or SH_REAL_NONE. */
__u32 sh_tables_real_find(const struct sh_tables *t, const struct sh_addr *addr, __u8 family);

/*
 * The port, protocol and family of a key being looked up, as one word in the
 * bytes' memory order, built from the fields. That key was just written field
 * by field, and a wider load over narrow stores still in flight would stall
 * on store forwarding; a key in the table is old and is loaded whole.
 */
static inline __u32 sh_tables_vip_key_tail(const struct sh_vip_key *k)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u32)k->port | (__u32)k->proto << 16 | (__u32)k->family << 24;
#else
	return (__u32)k->port << 16 | (__u32)k->proto << 8 | k->family;
#endif
}

static inline __u32 sh_tables_vip_slot_tail(const struct sh_vip_slot *s)
{
	__u32 tail;

	__builtin_memcpy(&tail, &s->key.port, sizeof(tail));
	return tail;
}

/* The key's home slot: each half multiplied into the high word, which every input bit reaches. */
static inline __u32 sh_tables_vip_slot(const struct sh_vip_key *k, __u32 mask)
{
	__u32 a = k->addr.w[0] ^ k->addr.w[1] ^ k->addr.w[2] ^ k->addr.w[3];
	__u64 h = a * 0x9e3779b97f4a7c15ULL ^ sh_tables_vip_key_tail(k) * 0xc2b2ae3d27d4eb4fULL;

	return (__u32)(h >> 32) & mask;
}

/* Are two keys equal? For building tables; lookups use sh_tables_vip_slot_holds(). */
static inline int sh_tables_vip_key_eq(const struct sh_vip_key *a, const struct sh_vip_key *b)
{
	return a->addr.w[0] == b->addr.w[0] && a->addr.w[1] == b->addr.w[1] &&
	       a->addr.w[2] == b->addr.w[2] && a->addr.w[3] == b->addr.w[3] &&
	       a->port == b->port && a->proto == b->proto && a->family == b->family;
}

/*
 * Does slot s (in use) hold key k? Without branches; k's address word by
 * word, for the same reason as its tail.
 */
static inline int sh_tables_vip_slot_holds(const struct sh_vip_slot *s, const struct sh_vip_key *k)
{
	return ((s->key.addr.w[0] ^ k->addr.w[0]) | (s->key.addr.w[1] ^ k->addr.w[1]) |
		(s->key.addr.w[2] ^ k->addr.w[2]) | (s->key.addr.w[3] ^ k->addr.w[3]) |
		(sh_tables_vip_slot_tail(s) ^ sh_tables_vip_key_tail(k))) == 0;
}

/*
 * Linear probing, with the home slot checked before the loop: most keys sit
 * there (the table is at most a quarter full), and the hot path then has no
 * loop to keep registers live around.
 */
static inline const struct sh_vip *sh_tables_vip_find(const struct sh_tables *t,
						      const struct sh_vip_key *k)
{
	__u32 i = sh_tables_vip_slot(k, t->vip_mask);
	const struct sh_vip_slot *s = &t->vips[i];

	if (!s->used)
		return NULL;
	if (__builtin_expect(sh_tables_vip_slot_holds(s, k), 1))
		return &s->val;
	for (;;) {
		i = (i + 1) & t->vip_mask;
		s = &t->vips[i];
		if (!s->used)
			return NULL;
		if (sh_tables_vip_slot_holds(s, k))
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
