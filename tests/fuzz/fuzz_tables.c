// SPDX-License-Identifier: BSD-3-Clause
#include <netinet/in.h>
#include <stdint.h>

#include "fuzz_tables.h"
#include "fuzz_util.h"

/* Same family and address. */
static int addr_is(const struct sh_addr *a, __u8 fa, const struct sh_addr *b, __u8 fb)
{
	return fa == fb && !memcmp(a, b, sizeof(*a));
}

int fz_tables_affordable(const struct sh_config *cfg)
{
	/* The Maglev fill costs up to ring_size steps per real (maglev_build.c). */
	unsigned long long steps = 0;

	for (size_t i = 0; i < cfg->n_vips; i++)
		steps += (unsigned long long)cfg->lb.ring_size * (1 + cfg->vips[i].n_reals);
	return steps <= FZ_RING_BUDGET;
}

static int is_prime(__u32 n)
{
	for (__u32 d = 2; d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return n >= 2;
}

static int addr_is_zero(const struct sh_addr *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

static void check_family(const struct sh_addr *a, __u8 family)
{
	FZ_ASSERT(family == SH_AF_INET || family == SH_AF_INET6, "family %u", family);
	FZ_ASSERT(!addr_is_zero(a), "the unspecified address was accepted");
	if (family == SH_AF_INET)
		FZ_ASSERT(!(a->w[1] | a->w[2] | a->w[3]), "IPv4 address with bits past w[0]");
}

/* Rules between reals: one id per address, one address per id, no duplicate in a VIP. */
static void check_reals_across(const struct sh_config *cfg, size_t vi, size_t ri)
{
	const struct sh_cfg_real *r = &cfg->vips[vi].reals[ri];

	for (size_t vj = 0; vj <= vi; vj++) {
		const struct sh_cfg_vip *u = &cfg->vips[vj];

		for (size_t rj = 0; rj < (vj == vi ? ri : u->n_reals); rj++) {
			const struct sh_cfg_real *o = &u->reals[rj];
			int same = addr_is(&r->addr, r->family, &o->addr, o->family);

			FZ_ASSERT(!(same && vj == vi), "vips[%zu] lists a real twice", vi);
			if (same && r->server_id && o->server_id)
				FZ_ASSERT(r->server_id == o->server_id,
					  "one address with server_ids %u and %u", r->server_id,
					  o->server_id);
			if (!same && r->server_id)
				FZ_ASSERT(r->server_id != o->server_id,
					  "server_id %u on two addresses", r->server_id);
		}
	}
}

void fz_check_config(const struct sh_config *cfg)
{
	const struct sh_lb *lb = &cfg->lb;
	size_t distinct = 0;

	FZ_ASSERT(lb->ring_size >= 7 && lb->ring_size <= SH_MAX_RING_SIZE && is_prime(lb->ring_size),
		  "ring_size %u", lb->ring_size);
	FZ_ASSERT(cfg->conntrack_size >= 64 && cfg->conntrack_size <= (1u << 26),
		  "conntrack_size %u", cfg->conntrack_size);
	FZ_ASSERT(lb->mtu >= 576 && lb->mtu <= 9216, "mtu %u", lb->mtu);
	FZ_ASSERT(lb->gue_port >= 1, "gue_port 0");
	FZ_ASSERT(lb->udp_timeout_ms >= 1 && lb->udp_timeout_ms <= 86400000, "udp_timeout_ms %u",
		  lb->udp_timeout_ms);
	if (lb->has_src4)
		check_family(&lb->src4, SH_AF_INET);
	if (lb->has_src6)
		check_family(&lb->src6, SH_AF_INET6);
	FZ_ASSERT(cfg->n_vips <= SH_MAX_VIPS, "%zu VIPs", cfg->n_vips);
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct sh_cfg_vip *v = &cfg->vips[i];

		check_family(&v->addr, v->family);
		FZ_ASSERT(v->proto == IPPROTO_TCP || v->proto == IPPROTO_UDP, "proto %u", v->proto);
		FZ_ASSERT(v->encap == SH_ENCAP_IPIP || v->encap == SH_ENCAP_GUE, "encap %u", v->encap);
		FZ_ASSERT(v->hash == SH_HASH_MAGLEV || v->hash == SH_HASH_RENDEZVOUS, "hash %u",
			  v->hash);
		FZ_ASSERT(!(v->flags & ~(SH_VIP_F_NO_SPORT | SH_VIP_F_NO_LRU | SH_VIP_F_DPORT_HASH)),
			  "flags %#x", v->flags);
		FZ_ASSERT((v->flags & (SH_VIP_F_NO_SPORT | SH_VIP_F_DPORT_HASH)) !=
				  (SH_VIP_F_NO_SPORT | SH_VIP_F_DPORT_HASH),
			  "no_sport with dport_hash");
		for (size_t j = 0; j < i; j++) {
			const struct sh_cfg_vip *u = &cfg->vips[j];

			FZ_ASSERT(!(addr_is(&v->addr, v->family, &u->addr, u->family) &&
				    v->port == u->port && v->proto == u->proto),
				  "vips[%zu] and vips[%zu] are the same VIP", j, i);
		}
		for (size_t r = 0; r < v->n_reals; r++) {
			const struct sh_cfg_real *re = &v->reals[r];

			check_family(&re->addr, re->family);
			FZ_ASSERT(re->family == SH_AF_INET ? lb->has_src4 : lb->has_src6,
				  "a real without an LB source address of its family");
			FZ_ASSERT(re->weight <= 65535, "weight %u", re->weight);
			check_reals_across(cfg, i, r);
		}
	}
	/* Distinct real addresses: count each at its first occurrence. */
	for (size_t i = 0; i < cfg->n_vips; i++) {
		for (size_t r = 0; r < cfg->vips[i].n_reals; r++) {
			const struct sh_cfg_real *re = &cfg->vips[i].reals[r];
			int seen = 0;

			for (size_t j = 0; j < i && !seen; j++)
				for (size_t k = 0; k < cfg->vips[j].n_reals && !seen; k++)
					seen = addr_is(&re->addr, re->family, &cfg->vips[j].reals[k].addr,
						       cfg->vips[j].reals[k].family);
			distinct += !seen;
		}
	}
	FZ_ASSERT(distinct <= SH_MAX_REALS, "%zu distinct reals", distinct);
}

static void check_vip_entries(const struct sh_config *cfg, const struct sh_tables *t, size_t i)
{
	const struct sh_cfg_vip *v = &cfg->vips[i];
	struct sh_vip_key k = sh_tables_vip_key(v, v->port, v->proto);
	const struct sh_vip *e = sh_tables_vip_find(t, &k);
	__u32 id = t->vip_id[i];
	size_t lowest = i, port0 = SIZE_MAX;

	FZ_ASSERT(id < t->n_vip_ids && id < SH_MAX_VIPS && t->vip_id_used[id], "vips[%zu]: id %u", i,
		  id);
	FZ_ASSERT(sh_tables_vip_key_eq(&t->vip_id_key[id], &k), "vips[%zu]: id %u names another VIP",
		  i, id);
	for (size_t j = 0; j < i; j++)
		FZ_ASSERT(t->vip_id[j] != id, "vips[%zu] and vips[%zu] share id %u", j, i, id);
	FZ_ASSERT(e, "vips[%zu] is not in the table", i);
	FZ_ASSERT(e->vip_id == id && e->ring_id == id && e->flags == v->flags &&
			  e->encap == v->encap,
		  "vips[%zu]: entry (id %u ring %u flags %#x encap %u)", i, e->vip_id, e->ring_id,
		  e->flags, e->encap);

	k = sh_tables_vip_key(v, 0, 0);
	e = sh_tables_vip_find(t, &k);
	FZ_ASSERT(e && (e->flags & SH_VIP_F_ADDR_ONLY), "vips[%zu]: no address-only entry", i);

	/* Fragments: the port-0 VIP of this address and protocol, else the lowest port's. */
	for (size_t j = 0; j < cfg->n_vips; j++) {
		const struct sh_cfg_vip *o = &cfg->vips[j];

		if (!addr_is(&o->addr, o->family, &v->addr, v->family) || o->proto != v->proto)
			continue;
		if (o->port == 0)
			port0 = j;
		if (o->port < cfg->vips[lowest].port)
			lowest = j;
	}
	k = sh_tables_vip_key(v, 0, v->proto);
	e = sh_tables_vip_find(t, &k);
	FZ_ASSERT(e, "vips[%zu]: no fragment route", i);
	if (port0 != SIZE_MAX)
		FZ_ASSERT(e->vip_id == t->vip_id[port0] && !(e->flags & SH_VIP_F_FRAG_ONLY),
			  "vips[%zu]: fragments do not go to the port-0 VIP", i);
	else
		FZ_ASSERT(e->vip_id == t->vip_id[lowest] && (e->flags & SH_VIP_F_FRAG_ONLY),
			  "vips[%zu]: fragments do not go to the lowest port's VIP", i);
}

/* A member of v with positive weight has the address of real idx. */
static int ring_member(const struct sh_cfg_vip *v, const struct sh_tables *t, __u32 idx)
{
	for (size_t r = 0; r < v->n_reals; r++)
		if (v->reals[r].weight && addr_is(&v->reals[r].addr, v->reals[r].family,
						  &t->reals[idx].addr, t->reals[idx].family))
			return 1;
	return 0;
}

static void check_ring(const struct sh_config *cfg, const struct sh_tables *t, size_t i)
{
	const struct sh_cfg_vip *v = &cfg->vips[i];
	const __u32 *ring = &t->rings[(size_t)t->vip_id[i] * t->lb.ring_size];
	int weighted = 0;

	for (size_t r = 0; r < v->n_reals; r++)
		weighted |= v->reals[r].weight > 0;
	for (__u32 s = 0; s < t->lb.ring_size; s++) {
		__u32 idx = ring[s];

		if (!weighted) {
			FZ_ASSERT(idx == SH_REAL_NONE, "vips[%zu] has no weight, slot %u = %u", i, s,
				  idx);
			continue;
		}
		FZ_ASSERT(idx < t->n_reals && (t->reals[idx].flags & SH_REAL_F_ACTIVE),
			  "vips[%zu] slot %u: real %u of %u", i, s, idx, t->n_reals);
		FZ_ASSERT(ring_member(v, t, idx), "vips[%zu] slot %u: real %u is not a weighted real",
			  i, s, idx);
	}
}

/* Is the real with this index one cfg lists? */
static int in_config(const struct sh_config *cfg, const struct sh_real *re)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		for (size_t r = 0; r < cfg->vips[i].n_reals; r++)
			if (addr_is(&cfg->vips[i].reals[r].addr, cfg->vips[i].reals[r].family,
				    &re->addr, re->family))
				return 1;
	return 0;
}

void fz_check_tables(const struct sh_config *cfg, const struct sh_tables *t)
{
	FZ_ASSERT(!memcmp(&t->lb, &cfg->lb, sizeof(t->lb)), "LB settings differ from the config");
	FZ_ASSERT(t->n_vips == cfg->n_vips, "%u VIPs for %zu", t->n_vips, cfg->n_vips);
	FZ_ASSERT(t->n_reals <= SH_MAX_REALS && t->n_vip_ids <= SH_MAX_VIPS, "%u reals, %u ids",
		  t->n_reals, t->n_vip_ids);
	for (size_t i = 0; i < cfg->n_vips; i++) {
		check_vip_entries(cfg, t, i);
		check_ring(cfg, t, i);
		for (size_t r = 0; r < cfg->vips[i].n_reals; r++) {
			const struct sh_cfg_real *re = &cfg->vips[i].reals[r];
			__u32 idx = sh_tables_real_find(t, &re->addr, re->family);

			FZ_ASSERT(idx != SH_REAL_NONE && (t->reals[idx].flags & SH_REAL_F_ACTIVE),
				  "vips[%zu].reals[%zu] has no active index", i, r);
			if (re->server_id)
				FZ_ASSERT(sh_tables_sid_find(t, re->server_id) == idx,
					  "server_id %u maps to %u, not %u", re->server_id,
					  sh_tables_sid_find(t, re->server_id), idx);
		}
	}
	for (__u32 idx = 0; idx < t->n_reals; idx++) {
		const struct sh_real *re = &t->reals[idx];

		FZ_ASSERT(!(re->flags & SH_REAL_F_ACTIVE) || in_config(cfg, re),
			  "real %u is active but not in the config", idx);
		for (__u32 j = 0; j < idx; j++)
			FZ_ASSERT(!addr_is(&re->addr, re->family, &t->reals[j].addr, t->reals[j].family),
				  "reals %u and %u have one address", j, idx);
	}
}

void fz_check_stable(const struct sh_config *cfg, const struct sh_tables *t,
		     const struct sh_tables *prev)
{
	FZ_ASSERT(t->generation == prev->generation + 1, "generation %u after %u", t->generation,
		  prev->generation);
	FZ_ASSERT(t->n_reals >= prev->n_reals, "%u reals after %u", t->n_reals, prev->n_reals);
	/* A slot is reused only once every index is taken; below that, none moves. */
	for (__u32 idx = 0; idx < prev->n_reals && t->n_reals < SH_MAX_REALS; idx++) {
		const struct sh_real *p = &prev->reals[idx], *r = &t->reals[idx];

		FZ_ASSERT(addr_is(&p->addr, p->family, &r->addr, r->family), "real %u moved", idx);
		FZ_ASSERT(!(r->flags & SH_REAL_F_ACTIVE) == !in_config(cfg, r),
			  "real %u: active %d, in the config %d", idx, r->flags & SH_REAL_F_ACTIVE,
			  in_config(cfg, r));
	}
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct sh_cfg_vip *v = &cfg->vips[i];
		struct sh_vip_key k = sh_tables_vip_key(v, v->port, v->proto);

		for (__u32 id = 0; id < prev->n_vip_ids; id++)
			if (prev->vip_id_used[id] && sh_tables_vip_key_eq(&prev->vip_id_key[id], &k))
				FZ_ASSERT(t->vip_id[i] == id, "vips[%zu] had id %u, now %u", i, id,
					  t->vip_id[i]);
	}
}

void fz_check_same_rings(const struct sh_config *cfg, const struct sh_tables *a,
			 const struct sh_tables *b)
{
	__u32 size = cfg->lb.ring_size;

	for (size_t i = 0; i < cfg->n_vips; i++) {
		const __u32 *ra = &a->rings[(size_t)a->vip_id[i] * size];
		const __u32 *rb = &b->rings[(size_t)b->vip_id[i] * size];

		for (__u32 s = 0; s < size; s++) {
			if (ra[s] == SH_REAL_NONE || rb[s] == SH_REAL_NONE) {
				FZ_ASSERT(ra[s] == rb[s], "vips[%zu] slot %u: %u and %u", i, s, ra[s],
					  rb[s]);
				continue;
			}
			FZ_ASSERT(addr_is(&a->reals[ra[s]].addr, a->reals[ra[s]].family,
					  &b->reals[rb[s]].addr, b->reals[rb[s]].family),
				  "vips[%zu] slot %u: different reals", i, s);
		}
	}
}
