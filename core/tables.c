// SPDX-License-Identifier: BSD-3-Clause
/* Building the userspace tables from a validated config. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maglev_build.h"
#include "tables.h"

/* Smallest power of two holding n entries at most a quarter full. */
__u32 sh_tables_lookup_size(size_t n)
{
	__u32 size = 16;

	while (size < 4 * n)
		size <<= 1;
	return size;
}

__u32 sh_tables_real_find(const struct sh_tables *t, const struct sh_addr *addr, __u8 family)
{
	for (__u32 i = 0; i < t->n_reals; i++)
		if (t->reals[i].family == family && !memcmp(&t->reals[i].addr, addr, sizeof(*addr)))
			return i;
	return SH_REAL_NONE;
}

void sh_tables_vip_insert(struct sh_tables *t, const struct sh_vip_key *k, const struct sh_vip *v)
{
	__u32 i = sh_tables_vip_slot(k, t->vip_mask);

	while (t->vips[i].used && !sh_tables_vip_key_eq(&t->vips[i].key, k))
		i = (i + 1) & t->vip_mask;
	t->vips[i].key = *k;
	t->vips[i].val = *v;
	t->vips[i].used = 1;
}

void sh_tables_sid_insert(struct sh_tables *t, __u32 server_id, __u32 real)
{
	__u32 i = (server_id * 0x9e3779b1u) & t->sid_mask;

	while (t->sids[i].server_id && t->sids[i].server_id != server_id)
		i = (i + 1) & t->sid_mask;
	t->sids[i].server_id = server_id;
	t->sids[i].real = real;
}

struct sh_vip_key sh_tables_vip_key(const struct sh_cfg_vip *v, __u16 port, __u8 proto)
{
	struct sh_vip_key k;

	memset(&k, 0, sizeof(k));
	k.addr = v->addr;
	k.family = v->family;
	k.port = htons(port);
	k.proto = proto;
	return k;
}

/*
 * Give every VIP of cfg a vip_id, keeping the one prev gave to the same
 * (address, port, protocol). A new VIP takes the lowest free id; vip_id_key
 * tells a backend when an id changed hands (its counters start again).
 */
static int assign_vip_ids(struct sh_tables *t, const struct sh_config *cfg,
			  const struct sh_tables *prev)
{
	if (prev) {
		t->n_vip_ids = prev->n_vip_ids;
		memcpy(t->vip_id_key, prev->vip_id_key, prev->n_vip_ids * sizeof(*t->vip_id_key));
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->n_vips; i++) {
			const struct sh_cfg_vip *v = &cfg->vips[i];
			struct sh_vip_key k = sh_tables_vip_key(v, v->port, v->proto);
			__u32 id = SH_REAL_NONE;

			for (__u32 j = 0; pass == 0 && j < t->n_vip_ids; j++)
				if (sh_tables_vip_key_eq(&t->vip_id_key[j], &k))
					id = j;
			if (pass == 1) {
				if (t->vip_id[i] != SH_REAL_NONE)
					continue;
				for (id = 0; id < t->n_vip_ids && t->vip_id_used[id]; id++)
					;
				if (id == SH_MAX_VIPS)
					return -E2BIG;
				if (id == t->n_vip_ids)
					t->n_vip_ids++;
				t->vip_id_key[id] = k;
			}
			t->vip_id[i] = id;
			if (id != SH_REAL_NONE)
				t->vip_id_used[id] = 1;
		}
	}
	return 0;
}

static int same_addr(const struct sh_cfg_vip *a, const struct sh_cfg_vip *b)
{
	return a->family == b->family && !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/*
 * The entries beside the VIPs themselves: one address-only entry per VIP
 * address (echo, ICMP errors, malformed-packet verdicts), and, for an address
 * and protocol with no port-0 VIP, a fragment alias to its lowest-port VIP.
 */
static void add_aliases(struct sh_tables *t, const struct sh_config *cfg)
{
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct sh_cfg_vip *v = &cfg->vips[i];
		size_t first_same_addr = i, lowest_port = i;
		int has_port0 = 0;
		struct sh_vip val = { .vip_id = t->vip_id[i], .ring_id = t->vip_id[i] };
		struct sh_vip_key k;

		for (size_t j = 0; j < cfg->n_vips; j++) {
			const struct sh_cfg_vip *o = &cfg->vips[j];

			if (!same_addr(v, o))
				continue;
			if (j < first_same_addr)
				first_same_addr = j;
			if (o->proto != v->proto)
				continue;
			has_port0 |= o->port == 0;
			if (o->port < cfg->vips[lowest_port].port)
				lowest_port = j;
		}
		val.encap = v->encap;
		if (first_same_addr == i) {
			/* Also routes IPv6 fragments that do not name their protocol. */
			k = sh_tables_vip_key(v, 0, 0);
			val.flags = v->flags | SH_VIP_F_ADDR_ONLY;
			sh_tables_vip_insert(t, &k, &val);
		}
		if (!has_port0 && lowest_port == i) {
			k = sh_tables_vip_key(v, 0, v->proto);
			val.flags = v->flags | SH_VIP_F_FRAG_ONLY;
			sh_tables_vip_insert(t, &k, &val);
		}
	}
}

/* Conntrack ways keep a real's index in 16 bits (struct sh_ct_way). */
_Static_assert(SH_MAX_REALS <= 0xffff, "real indices must fit a conntrack way");

/* A slot for a real new to these tables: never used ones first, then the longest freed. */
static __u32 real_slot_alloc(struct sh_tables *t)
{
	__u32 best = SH_REAL_NONE;

	if (t->n_reals < SH_MAX_REALS)
		return t->n_reals++;
	for (__u32 i = 0; i < t->n_reals; i++) {
		if (t->reals[i].flags & SH_REAL_F_ACTIVE)
			continue;
		if (best == SH_REAL_NONE || t->real_freed_at[i] < t->real_freed_at[best])
			best = i;
	}
	return best;
}

/*
 * Give every real of cfg an index, keeping the ones prev gave, and fill the
 * server_id table. Reals of prev that are not in cfg stay, inactive. Known
 * reals are marked first, so a slot freed by this very change is the last
 * one a new real may take.
 */
static int add_reals(struct sh_tables *t, const struct sh_config *cfg, const struct sh_tables *prev)
{
	if (prev) {
		t->n_reals = prev->n_reals;
		memcpy(t->real_freed_at, prev->real_freed_at, prev->n_reals * sizeof(*t->real_freed_at));
		for (__u32 i = 0; i < prev->n_reals; i++) {
			t->reals[i] = prev->reals[i];
			t->reals[i].flags &= ~SH_REAL_F_ACTIVE;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->n_vips; i++) {
			for (size_t j = 0; j < cfg->vips[i].n_reals; j++) {
				const struct sh_cfg_real *r = &cfg->vips[i].reals[j];
				__u32 idx = sh_tables_real_find(t, &r->addr, r->family);

				if (idx == SH_REAL_NONE && pass == 1) {
					idx = real_slot_alloc(t);
					if (idx == SH_REAL_NONE)
						return -E2BIG;
					t->reals[idx].addr = r->addr;
					t->reals[idx].family = r->family;
				}
				if (idx != SH_REAL_NONE)
					t->reals[idx].flags |= SH_REAL_F_ACTIVE;
				if (pass == 1 && r->server_id)
					sh_tables_sid_insert(t, r->server_id, idx);
			}
		}
		for (__u32 i = 0; pass == 0 && prev && i < prev->n_reals; i++)
			if ((prev->reals[i].flags & SH_REAL_F_ACTIVE) &&
			    !(t->reals[i].flags & SH_REAL_F_ACTIVE))
				t->real_freed_at[i] = t->generation;
	}
	return 0;
}

static int build_ring(struct sh_tables *t, const struct sh_cfg_vip *v, __u32 *ring)
{
	struct sh_ring_member *m = calloc(v->n_reals ? v->n_reals : 1, sizeof(*m));
	int err;

	if (!m)
		return -ENOMEM;
	for (size_t j = 0; j < v->n_reals; j++) {
		m[j].addr = v->reals[j].addr;
		m[j].family = v->reals[j].family;
		m[j].weight = v->reals[j].weight;
		m[j].real_idx = sh_tables_real_find(t, &v->reals[j].addr, v->reals[j].family);
	}
	err = sh_ring_build(v->hash, m, v->n_reals, t->lb.ring_size, ring);
	free(m);
	return err;
}

int sh_tables_build(const struct sh_config *cfg, const struct sh_tables *prev,
		    struct sh_tables **out, char *err, size_t err_len)
{
	struct sh_tables *t = calloc(1, sizeof(*t));
	size_t n_sids = 0;
	int ret = -ENOMEM;

	*out = NULL;
	if (!t)
		goto fail;
	for (size_t i = 0; i < cfg->n_vips; i++)
		n_sids += cfg->vips[i].n_reals;
	t->lb = cfg->lb;
	t->n_vips = cfg->n_vips;
	t->vip_mask = sh_tables_lookup_size(3 * cfg->n_vips) - 1; /* VIPs and their two aliases */
	t->sid_mask = sh_tables_lookup_size(n_sids) - 1;
	t->vips = calloc(t->vip_mask + 1, sizeof(*t->vips));
	t->sids = calloc(t->sid_mask + 1, sizeof(*t->sids));
	t->generation = prev ? prev->generation + 1 : 1;
	t->reals = calloc(SH_MAX_REALS, sizeof(*t->reals));
	t->real_freed_at = calloc(SH_MAX_REALS, sizeof(*t->real_freed_at));
	t->vip_id = malloc((cfg->n_vips ? cfg->n_vips : 1) * sizeof(*t->vip_id));
	t->vip_id_key = calloc(SH_MAX_VIPS, sizeof(*t->vip_id_key));
	t->vip_id_used = calloc(SH_MAX_VIPS, sizeof(*t->vip_id_used));
	if (!t->vips || !t->sids || !t->reals || !t->real_freed_at || !t->vip_id ||
	    !t->vip_id_key || !t->vip_id_used)
		goto fail;
	memset(t->vip_id, 0xff, (cfg->n_vips ? cfg->n_vips : 1) * sizeof(*t->vip_id));

	ret = add_reals(t, cfg, prev);
	if (!ret)
		ret = assign_vip_ids(t, cfg, prev);
	if (ret)
		goto fail;
	t->rings = calloc((size_t)(t->n_vip_ids ? t->n_vip_ids : 1) * cfg->lb.ring_size,
			  sizeof(*t->rings));
	if (!t->rings) {
		ret = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct sh_cfg_vip *v = &cfg->vips[i];
		__u32 id = t->vip_id[i];
		struct sh_vip val = { .vip_id = id, .ring_id = id, .flags = v->flags,
				      .encap = v->encap };
		struct sh_vip_key k = sh_tables_vip_key(v, v->port, v->proto);

		ret = build_ring(t, v, &t->rings[(size_t)id * cfg->lb.ring_size]);
		if (ret) {
			char addr[SH_ADDR_STRLEN];

			snprintf(err, err_len, "vip %s port %u: building its ring: %s",
				 sh_addr_str(&v->addr, v->family, addr), v->port, strerror(-ret));
			goto fail_quiet;
		}
		sh_tables_vip_insert(t, &k, &val);
	}
	add_aliases(t, cfg);
	*out = t;
	return 0;
fail:
	snprintf(err, err_len, "building tables: %s", strerror(-ret));
fail_quiet:
	sh_tables_free(t);
	return ret;
}

void sh_tables_free(struct sh_tables *t)
{
	if (!t)
		return;
	free(t->vips);
	free(t->sids);
	free(t->reals);
	free(t->real_freed_at);
	free(t->vip_id);
	free(t->vip_id_key);
	free(t->vip_id_used);
	free(t->rings);
	free(t);
}
