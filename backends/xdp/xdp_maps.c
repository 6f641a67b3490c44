// SPDX-License-Identifier: BSD-3-Clause
/* Rendering the userspace tables into the XDP program's maps (see xdp_maps.h). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shoal_xdp.h"
#include "shoal_xdp.skel.h"
#include "xdp_maps.h"

#define VIP_STR_LEN (SH_ADDR_STRLEN + 32)

struct sh_xdp_sizes sh_xdp_sizes_for(__u32 ring_size, __u32 conntrack_size, __u32 max_vips)
{
	struct sh_xdp_sizes sz = { .ring_size = ring_size, .ct_buckets = 1 };

	/* As backends/user/worker.c: equal sizes give equal bucket choices. */
	while ((__u64)sz.ct_buckets * SH_CT_WAYS < conntrack_size)
		sz.ct_buckets <<= 1;
	if (!max_vips || max_vips > SH_MAX_VIPS)
		max_vips = SH_MAX_VIPS;
	sz.n_slots = max_vips + 1;
	return sz;
}

int sh_xdp_skel_open(const struct sh_xdp_sizes *sz, bool fixed_clock, struct shoal_xdp_bpf **out,
		     char *err, size_t err_len)
{
	struct shoal_xdp_bpf *skel;
	int ret;

	*out = NULL;
	if (!sz->ring_size || (__u64)sz->ring_size * sz->n_slots > 0xffffffffull / sizeof(__u32)) {
		snprintf(err, err_len, "ring pool of %u rings of %u slots: too large", sz->n_slots,
			 sz->ring_size);
		return -E2BIG;
	}
	skel = shoal_xdp_bpf__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, err_len, "opening the XDP program: %s", strerror(-ret));
		return ret;
	}
	skel->rodata->sh_ct_mask = sz->ct_buckets - 1;
	skel->rodata->sh_fixed_clock = fixed_clock;
	ret = bpf_map__set_max_entries(skel->maps.sh_ct, sz->ct_buckets);
	if (!ret)
		ret = bpf_map__set_max_entries(skel->maps.sh_rings,
					       sh_ring_chunks((__u64)sz->n_slots * sz->ring_size));
	if (ret) {
		snprintf(err, err_len, "sizing the XDP program's maps: %s", strerror(-ret));
		shoal_xdp_bpf__destroy(skel);
		return ret;
	}
	*out = skel;
	return 0;
}

static const char *vip_str(const struct sh_vip_key *k, const struct sh_vip *v, char *buf)
{
	char a[SH_ADDR_STRLEN];
	const char *proto = k->proto == 6 ? "tcp" : k->proto == 17 ? "udp" : "any";

	sh_addr_str(&k->addr, k->family, a);
	if (v && (v->flags & SH_VIP_F_ADDR_ONLY))
		snprintf(buf, VIP_STR_LEN, "%s (address entry)", a);
	else
		snprintf(buf, VIP_STR_LEN, k->family == SH_AF_INET6 ? "[%s]:%u/%s%s" : "%s:%u/%s%s",
			 a, ntohs(k->port), proto,
			 v && (v->flags & SH_VIP_F_FRAG_ONLY) ? " (fragment entry)" : "");
	return buf;
}

/* --- the shadow of sh_vips and the ring pool ---------------------------- */

static void slot_ref(struct sh_xdp_maps *m, __u32 slot, int delta)
{
	if (slot < m->sz.n_slots)
		m->slot_refs[slot] += delta;
}

static void slot_release(struct sh_xdp_maps *m, __u32 slot)
{
	if (slot >= m->sz.n_slots || m->slot_is_free[slot])
		return;
	m->free_slots[(m->free_head + m->n_free) % m->sz.n_slots] = slot;
	m->n_free++;
	m->slot_is_free[slot] = 1;
}

static __u32 slot_take(struct sh_xdp_maps *m)
{
	__u32 slot;

	if (!m->n_free)
		return SH_XDP_SLOT_NONE;
	slot = m->free_slots[m->free_head];
	m->free_head = (m->free_head + 1) % m->sz.n_slots;
	m->n_free--;
	m->slot_is_free[slot] = 0;
	return slot;
}

/* Free every slot no entry points at and no VIP of t owns. */
static void slots_sweep(struct sh_xdp_maps *m, const struct sh_tables *t)
{
	__u8 *owned = calloc(m->sz.n_slots, 1);

	if (!owned)
		return; /* freed at the next sweep */
	for (__u32 id = 0; id < SH_MAX_VIPS; id++)
		if (m->slot_of[id] < m->sz.n_slots &&
		    (!t || (id < t->n_vip_ids && t->vip_id_used[id])))
			owned[m->slot_of[id]] = 1;
	for (__u32 s = 0; s < m->sz.n_slots; s++)
		if (!m->slot_refs[s] && !owned[s])
			slot_release(m, s);
	free(owned);
}

static struct sh_xdp_vip_ent *ent_find(struct sh_xdp_maps *m, const struct sh_vip_key *k)
{
	for (__u32 i = 0; i < m->n_ents; i++)
		if (sh_tables_vip_key_eq(&m->ents[i].key, k))
			return &m->ents[i];
	return NULL;
}

static int ents_reserve(struct sh_xdp_maps *m)
{
	__u32 cap = m->cap_ents ? 2 * m->cap_ents : 64;
	struct sh_xdp_vip_ent *e;

	if (m->n_ents < m->cap_ents)
		return 0;
	e = realloc(m->ents, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	m->ents = e;
	m->cap_ents = cap;
	return 0;
}

static int ent_append(struct sh_xdp_maps *m, const struct sh_vip_key *k, const struct sh_vip *v)
{
	int ret = ents_reserve(m);

	if (ret)
		return ret;
	m->ents[m->n_ents].key = *k;
	m->ents[m->n_ents].val = *v;
	m->n_ents++;
	slot_ref(m, v->ring_id, 1);
	return 0;
}

/* Write one VIP entry (a no-op when the map holds it already). */
static int ent_put(struct sh_xdp_maps *m, const struct sh_vip_key *k, const struct sh_vip *v,
		   char *err, size_t err_len)
{
	struct sh_xdp_vip_ent *e = ent_find(m, k);
	char buf[VIP_STR_LEN];
	int ret;

	if (e && !memcmp(&e->val, v, sizeof(*v)))
		return 0;
	/* Room in the shadow first: never a map entry the shadow does not know. */
	ret = e ? 0 : ents_reserve(m);
	if (ret)
		goto fail;
	if (bpf_map_update_elem(m->vips_fd, k, v, BPF_ANY)) {
		ret = -errno;
		goto fail;
	}
	if (!e)
		return ent_append(m, k, v);
	slot_ref(m, e->val.ring_id, -1);
	slot_ref(m, v->ring_id, 1);
	e->val = *v;
	return 0;
fail:
	snprintf(err, err_len, "vip %s: writing it into map sh_vips: %s", vip_str(k, v, buf),
		 strerror(-ret));
	return ret;
}

static int ent_del(struct sh_xdp_maps *m, __u32 i, char *err, size_t err_len)
{
	struct sh_xdp_vip_ent *e = &m->ents[i];
	char buf[VIP_STR_LEN];
	int ret;

	if (bpf_map_delete_elem(m->vips_fd, &e->key) && errno != ENOENT) {
		ret = -errno;
		snprintf(err, err_len, "vip %s: deleting it from map sh_vips: %s",
			 vip_str(&e->key, &e->val, buf), strerror(-ret));
		return ret;
	}
	slot_ref(m, e->val.ring_id, -1);
	*e = m->ents[--m->n_ents];
	return 0;
}

/* Delete the entries t does not have; only those of vip_id `only` unless it is NONE. */
static int ents_del_stale(struct sh_xdp_maps *m, const struct sh_tables *t, __u32 only, char *err,
			  size_t err_len)
{
	for (__u32 i = m->n_ents; i-- > 0;) {
		const struct sh_xdp_vip_ent *e = &m->ents[i];
		int ret;

		if (only != SH_XDP_SLOT_NONE && e->val.vip_id != only)
			continue;
		if (sh_tables_vip_find(t, &e->key))
			continue;
		ret = ent_del(m, i, err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

/* t's value for an entry, with its ring as a pool slot. */
static struct sh_vip render(const struct sh_xdp_maps *m, const struct sh_vip *tv)
{
	struct sh_vip v = *tv;

	v.ring_id = tv->ring_id < SH_MAX_VIPS ? m->slot_of[tv->ring_id] : SH_XDP_SLOT_NONE;
	return v;
}

/* A free slot; when there is none, removed VIPs let go of theirs first. */
static int slot_alloc(struct sh_xdp_maps *m, const struct sh_tables *t, __u32 *out, char *err,
		      size_t err_len)
{
	int ret;

	if (!m->n_free) {
		ret = ents_del_stale(m, t, SH_XDP_SLOT_NONE, err, err_len);
		if (ret)
			return ret;
		slots_sweep(m, t);
	}
	*out = slot_take(m);
	if (*out == SH_XDP_SLOT_NONE) {
		snprintf(err, err_len,
			 "no free ring in the pool of %u: more VIPs than it was made for",
			 m->sz.n_slots);
		return -ENOSPC;
	}
	return 0;
}

static int vip_counters_zero(struct sh_xdp_maps *m, __u32 vip_id, char *err, size_t err_len)
{
	void *zero = calloc(m->n_cpus, sizeof(struct sh_counter));
	int ret = 0;

	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->vip_stats_fd, &vip_id, zero, BPF_ANY)) {
		ret = -errno;
		snprintf(err, err_len, "vip_id %u: zeroing its counters: %s", vip_id,
			 strerror(-ret));
	}
	free(zero);
	return ret;
}

/*
 * Give vip_id id its ring from t: unchanged, its slot stays; else the ring
 * goes into a free slot and every entry of t using it is switched. Entries
 * still pointing at the old slot (aliases whose VIP changed, VIPs being
 * removed) are switched or deleted, then the old slot is freed.
 */
static int vip_ring_switch(struct sh_xdp_maps *m, const struct sh_tables *t, __u32 id, char *err,
			   size_t err_len)
{
	size_t ring_bytes = (size_t)m->sz.ring_size * sizeof(__u32);
	const __u32 *ring = &t->rings[(size_t)id * m->sz.ring_size];
	__u32 old = m->slot_of[id], slot = old;
	int ret;

	if (old == SH_XDP_SLOT_NONE ||
	    memcmp(&m->rings[(size_t)old * m->sz.ring_size], ring, ring_bytes)) {
		ret = slot_alloc(m, t, &slot, err, err_len);
		if (ret)
			return ret;
		memcpy(&m->rings[(size_t)slot * m->sz.ring_size], ring, ring_bytes);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	m->slot_of[id] = slot;
	for (__u32 i = 0; i <= t->vip_mask; i++) {
		const struct sh_vip_slot *s = &t->vips[i];
		struct sh_vip v;

		if (!s->used || s->val.ring_id != id)
			continue;
		v = render(m, &s->val);
		ret = ent_put(m, &s->key, &v, err, err_len);
		if (ret)
			goto undo;
	}
	if (old == SH_XDP_SLOT_NONE || old == slot)
		return 0;
	for (__u32 i = m->n_ents; i-- > 0;) {
		struct sh_xdp_vip_ent *e = &m->ents[i];
		const struct sh_vip *tv;
		struct sh_vip v;

		if (e->val.ring_id != old)
			continue;
		tv = sh_tables_vip_find(t, &e->key);
		if (!tv) {
			ret = ent_del(m, i, err, err_len);
		} else {
			/* Its VIP in t may not have a ring yet: until then, this VIP's new one. */
			v = render(m, tv);
			if (v.ring_id == SH_XDP_SLOT_NONE) {
				v = e->val;
				v.ring_id = slot;
			}
			ret = ent_put(m, &e->key, &v, err, err_len);
		}
		if (ret)
			return ret; /* slot_of[id] is slot: entries already switched stay valid */
	}
	if (!m->slot_refs[old])
		slot_release(m, old);
	return 0;
undo:
	/* Nothing of t's may point at the new slot unless it is id's: keep the old one. */
	if (slot != old && !m->slot_refs[slot]) {
		m->slot_of[id] = old;
		slot_release(m, slot);
	}
	return ret;
}

static int lb_write(struct sh_xdp_maps *m, const struct sh_lb *lb, char *err, size_t err_len)
{
	__u32 zero = 0;
	int ret;

	if (!memcmp(&m->lb, lb, sizeof(*lb)))
		return 0;
	if (bpf_map_update_elem(m->lb_fd, &zero, lb, BPF_ANY)) {
		ret = -errno;
		snprintf(err, err_len, "writing the LB settings into map sh_lb: %s",
			 strerror(-ret));
		return ret;
	}
	m->lb = *lb;
	return 0;
}

static int real_write(struct sh_xdp_maps *m, __u32 idx, const struct sh_real *r, char *err,
		      size_t err_len)
{
	char a[SH_ADDR_STRLEN];
	int ret;

	if (!memcmp(&m->reals[idx], r, sizeof(*r)))
		return 0;
	if (bpf_map_update_elem(m->reals_fd, &idx, r, BPF_ANY)) {
		ret = -errno;
		snprintf(err, err_len, "real %s (index %u): writing it into map sh_reals: %s",
			 sh_addr_str(&r->addr, r->family, a), idx, strerror(-ret));
		return ret;
	}
	m->reals[idx] = *r;
	if (idx >= m->n_reals)
		m->n_reals = idx + 1;
	return 0;
}

/* The reals t has active, active; a slot given to a new address is written inactive first. */
static int reals_activate(struct sh_xdp_maps *m, const struct sh_tables *t, char *err,
			  size_t err_len)
{
	for (__u32 i = 0; i < t->n_reals; i++) {
		const struct sh_real *r = &t->reals[i];
		int ret;

		if (!(r->flags & SH_REAL_F_ACTIVE))
			continue;
		if (m->reals[i].family != r->family ||
		    memcmp(&m->reals[i].addr, &r->addr, sizeof(r->addr))) {
			struct sh_real off = *r;

			off.flags &= ~SH_REAL_F_ACTIVE;
			ret = real_write(m, i, &off, err, err_len);
			if (ret)
				return ret;
		}
		ret = real_write(m, i, r, err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

static int reals_deactivate(struct sh_xdp_maps *m, const struct sh_tables *t, char *err,
			    size_t err_len)
{
	for (__u32 i = 0; i < m->n_reals; i++) {
		struct sh_real r = i < t->n_reals ? t->reals[i] : m->reals[i];
		int ret;

		if (i >= t->n_reals)
			r.flags &= ~SH_REAL_F_ACTIVE;
		if (r.flags & SH_REAL_F_ACTIVE)
			continue;
		ret = real_write(m, i, &r, err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

/* Every server_id of t into sh_server_ids, then the ones t does not have out. */
static int server_ids_write(struct sh_xdp_maps *m, const struct sh_tables *t, char *err,
			    size_t err_len)
{
	__u32 cap = 2 * SH_MAX_REALS, n = 0, key, *prev_key = NULL, *keys;
	int ret = 0;

	keys = calloc(cap, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	while (n < cap && !bpf_map_get_next_key(m->sids_fd, prev_key, &key)) {
		keys[n] = key;
		prev_key = &keys[n++];
	}
	for (__u32 i = 0; i <= t->sid_mask; i++) {
		const struct sh_sid_slot *s = &t->sids[i];
		__u32 cur;

		if (!s->server_id)
			continue;
		if (!bpf_map_lookup_elem(m->sids_fd, &s->server_id, &cur) && cur == s->real)
			continue;
		if (bpf_map_update_elem(m->sids_fd, &s->server_id, &s->real, BPF_ANY)) {
			ret = -errno;
			snprintf(err, err_len,
				 "server_id %u: writing it into map sh_server_ids: %s",
				 s->server_id, strerror(-ret));
			goto out;
		}
	}
	for (__u32 i = 0; i < n; i++) {
		if (sh_tables_sid_find(t, keys[i]) != SH_REAL_NONE)
			continue;
		if (bpf_map_delete_elem(m->sids_fd, &keys[i]) && errno != ENOENT) {
			ret = -errno;
			snprintf(err, err_len,
				 "server_id %u: deleting it from map sh_server_ids: %s", keys[i],
				 strerror(-ret));
			goto out;
		}
	}
out:
	free(keys);
	return ret;
}

static bool vip_id_changed_hands(const struct sh_tables *t, const struct sh_tables *prev, __u32 id)
{
	return !prev || id >= prev->n_vip_ids ||
	       !sh_tables_vip_key_eq(&prev->vip_id_key[id], &t->vip_id_key[id]);
}

/*
 * One pass towards t, in the order that keeps every packet's view whole:
 * LB settings; reals t uses, active; each VIP's ring and entries; server_ids;
 * reals t dropped, inactive; entries t dropped, deleted; free rings freed.
 */
static int apply_once(struct sh_xdp_maps *m, const struct sh_tables *t,
		      const struct sh_tables *prev, bool restart_counters, char *err,
		      size_t err_len)
{
	__u32 n_used = 0;
	int ret;

	if (t->lb.ring_size != m->sz.ring_size) {
		snprintf(err, err_len,
			 "lb.ring_size %u: the XDP dataplane's rings were made for %u; a new size "
			 "needs a cold start (shoald --unload, then start again)",
			 t->lb.ring_size, m->sz.ring_size);
		return -EINVAL;
	}
	for (__u32 id = 0; id < t->n_vip_ids; id++)
		n_used += t->vip_id_used[id];
	if (n_used > m->sz.n_slots - 1 || t->n_vip_ids > SH_MAX_VIPS) {
		snprintf(err, err_len,
			 "%u VIPs: the XDP dataplane was started with room for %u (--max-vips)",
			 n_used, m->sz.n_slots - 1);
		return -E2BIG;
	}
	if (t->n_reals > SH_MAX_REALS) {
		snprintf(err, err_len, "%u reals: the XDP dataplane holds %u", t->n_reals,
			 SH_MAX_REALS);
		return -E2BIG;
	}
	ret = lb_write(m, &t->lb, err, err_len);
	if (!ret)
		ret = reals_activate(m, t, err, err_len);
	/* VIPs that keep a ring first: each frees a slot the new ones may take. */
	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (__u32 id = 0; id < t->n_vip_ids && !ret; id++) {
			if (!t->vip_id_used[id] || (m->slot_of[id] == SH_XDP_SLOT_NONE) != pass)
				continue;
			if (restart_counters && vip_id_changed_hands(t, prev, id)) {
				/* The id's former VIP goes first, so nothing counts into it after.
				 */
				ret = ents_del_stale(m, t, id, err, err_len);
				if (!ret)
					ret = vip_counters_zero(m, id, err, err_len);
				if (ret)
					break;
			}
			ret = vip_ring_switch(m, t, id, err, err_len);
		}
	}
	/* The rest of t's entries: new aliases, flags changed on an unchanged ring. */
	for (__u32 i = 0; i <= t->vip_mask && !ret; i++) {
		const struct sh_vip_slot *s = &t->vips[i];
		struct sh_vip v;

		if (!s->used)
			continue;
		v = render(m, &s->val);
		ret = ent_put(m, &s->key, &v, err, err_len);
	}
	if (!ret)
		ret = server_ids_write(m, t, err, err_len);
	if (!ret)
		ret = reals_deactivate(m, t, err, err_len);
	if (!ret)
		ret = ents_del_stale(m, t, SH_XDP_SLOT_NONE, err, err_len);
	if (ret)
		return ret;
	for (__u32 id = 0; id < SH_MAX_VIPS; id++)
		if (id >= t->n_vip_ids || !t->vip_id_used[id])
			m->slot_of[id] = SH_XDP_SLOT_NONE;
	slots_sweep(m, t);
	return 0;
}

int sh_xdp_maps_apply(struct sh_xdp_maps *m, const struct sh_tables *t,
		      const struct sh_tables *prev, char *err, size_t err_len)
{
	char again[256];
	int ret = apply_once(m, t, prev, true, err, err_len);

	if (!ret || !prev || ret == -EINVAL || ret == -E2BIG)
		return ret; /* -EINVAL, -E2BIG: refused before anything was written */
	if (apply_once(m, prev, NULL, false, again, sizeof(again))) {
		size_t len = strlen(err);

		snprintf(err + len, err_len - len,
			 "; putting the previous config back failed too: %s", again);
	}
	return ret;
}

/* --- maps in, tables out ------------------------------------------------ */

static int shadow_read(struct sh_xdp_maps *m, char *err, size_t err_len)
{
	struct sh_vip_key key, *prev_key = NULL;
	__u32 zero = 0;
	int ret;

	if (bpf_map_lookup_elem(m->lb_fd, &zero, &m->lb))
		goto fail_errno;
	while (!bpf_map_get_next_key(m->vips_fd, prev_key, &key)) {
		struct sh_vip v;

		if (bpf_map_lookup_elem(m->vips_fd, &key, &v))
			goto fail_errno;
		ret = ent_append(m, &key, &v);
		if (ret)
			return ret;
		if (!(v.flags & (SH_VIP_F_FRAG_ONLY | SH_VIP_F_ADDR_ONLY)) &&
		    v.vip_id < SH_MAX_VIPS && v.ring_id < m->sz.n_slots)
			m->slot_of[v.vip_id] = v.ring_id;
		prev_key = &m->ents[m->n_ents - 1].key;
	}
	for (__u32 i = 0; i < SH_MAX_REALS; i++) {
		if (bpf_map_lookup_elem(m->reals_fd, &i, &m->reals[i]))
			goto fail_errno;
		if (m->reals[i].family)
			m->n_reals = i + 1;
	}
	return 0;
fail_errno:
	ret = -errno;
	snprintf(err, err_len, "reading the pinned maps: %s", strerror(-ret));
	return ret;
}

int sh_xdp_maps_init(struct sh_xdp_maps *m, struct shoal_xdp_bpf *skel, __u32 ring_size,
		     bool with_contents, char *err, size_t err_len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int ret = -ENOMEM;

	memset(m, 0, sizeof(*m));
	m->lb_fd = bpf_map__fd(skel->maps.sh_lb);
	m->vips_fd = bpf_map__fd(skel->maps.sh_vips);
	m->rings_fd = bpf_map__fd(skel->maps.sh_rings);
	m->reals_fd = bpf_map__fd(skel->maps.sh_reals);
	m->sids_fd = bpf_map__fd(skel->maps.sh_server_ids);
	m->stats_fd = bpf_map__fd(skel->maps.sh_stats);
	m->vip_stats_fd = bpf_map__fd(skel->maps.sh_vip_stats);
	m->real_stats_fd = bpf_map__fd(skel->maps.sh_real_stats);
	/* Maps may be pinned ones an earlier run sized: their sizes are the truth. */
	m->sz.ring_size = ring_size;
	m->sz.n_slots = (__u32)((__u64)bpf_map__max_entries(skel->maps.sh_rings) * SH_RING_CHUNK /
				ring_size);
	m->sz.ct_buckets = bpf_map__max_entries(skel->maps.sh_ct);
	for (__u32 i = 0; i < SH_MAX_VIPS; i++)
		m->slot_of[i] = SH_XDP_SLOT_NONE;
	m->n_cpus = libbpf_num_possible_cpus();
	if (m->n_cpus <= 0) {
		ret = m->n_cpus ? m->n_cpus : -EINVAL;
		snprintf(err, err_len, "counting CPUs: %s", strerror(-ret));
		return ret;
	}
	if (bpf_map__value_size(skel->maps.sh_rings) != sizeof(struct sh_ring_chunk) ||
	    m->sz.n_slots < 2) {
		ret = -EINVAL;
		snprintf(err, err_len, "ring pool: %u values of %u bytes, not rings of %u slots",
			 bpf_map__max_entries(skel->maps.sh_rings),
			 bpf_map__value_size(skel->maps.sh_rings), ring_size);
		return ret;
	}
	m->rings_len =
		(size_t)bpf_map__max_entries(skel->maps.sh_rings) * sizeof(struct sh_ring_chunk);
	m->rings_len = (m->rings_len + page - 1) / page * page;
	m->rings = mmap(NULL, m->rings_len, PROT_READ | PROT_WRITE, MAP_SHARED, m->rings_fd, 0);
	if (m->rings == MAP_FAILED) {
		ret = -errno;
		m->rings = NULL;
		snprintf(err, err_len, "mapping the ring pool (%zu bytes): %s", m->rings_len,
			 strerror(-ret));
		return ret;
	}
	m->slot_refs = calloc(m->sz.n_slots, sizeof(*m->slot_refs));
	m->free_slots = calloc(m->sz.n_slots, sizeof(*m->free_slots));
	m->slot_is_free = calloc(m->sz.n_slots, 1);
	if (!m->slot_refs || !m->free_slots || !m->slot_is_free)
		goto fail;
	if (with_contents) {
		ret = shadow_read(m, err, err_len);
		if (ret)
			goto fail_quiet;
	}
	slots_sweep(m, NULL);
	return 0;
fail:
	snprintf(err, err_len, "XDP maps: %s", strerror(-ret));
fail_quiet:
	sh_xdp_maps_fini(m);
	return ret;
}

void sh_xdp_maps_fini(struct sh_xdp_maps *m)
{
	if (m->rings)
		munmap(m->rings, m->rings_len);
	free(m->slot_refs);
	free(m->free_slots);
	free(m->slot_is_free);
	free(m->ents);
	memset(m, 0, sizeof(*m));
}

static int sids_recover(const struct sh_xdp_maps *m, struct sh_tables *t)
{
	__u32 cap = 2 * SH_MAX_REALS, n = 0, key, *prev_key = NULL,
	      *keys = calloc(cap, sizeof(*keys));

	if (!keys)
		return -ENOMEM;
	while (n < cap && !bpf_map_get_next_key(m->sids_fd, prev_key, &key)) {
		keys[n] = key;
		prev_key = &keys[n++];
	}
	t->sid_mask = sh_tables_lookup_size(n) - 1;
	t->sids = calloc(t->sid_mask + 1, sizeof(*t->sids));
	for (__u32 j = 0; t->sids && j < n; j++) {
		__u32 real;

		if (!bpf_map_lookup_elem(m->sids_fd, &keys[j], &real))
			sh_tables_sid_insert(t, keys[j], real);
	}
	free(keys);
	return t->sids ? 0 : -ENOMEM;
}

int sh_xdp_maps_recover(const struct sh_xdp_maps *m, struct sh_tables **out, char *err,
			size_t err_len)
{
	struct sh_tables *t;
	__u32 n_main = 0;
	int ret = -ENOMEM;

	*out = NULL;
	if (!m->lb.ring_size)
		return 0; /* never configured */
	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	for (__u32 i = 0; i < m->n_ents; i++)
		if (!(m->ents[i].val.flags & (SH_VIP_F_FRAG_ONLY | SH_VIP_F_ADDR_ONLY)))
			n_main++;
	t->lb = m->lb;
	t->generation = 1;
	t->vip_mask = sh_tables_lookup_size(m->n_ents) - 1;
	t->vips = calloc(t->vip_mask + 1, sizeof(*t->vips));
	t->vip_id = calloc(n_main ? n_main : 1, sizeof(*t->vip_id));
	t->vip_id_key = calloc(SH_MAX_VIPS, sizeof(*t->vip_id_key));
	t->vip_id_used = calloc(SH_MAX_VIPS, sizeof(*t->vip_id_used));
	t->reals = calloc(SH_MAX_REALS, sizeof(*t->reals));
	t->real_freed_at = calloc(SH_MAX_REALS, sizeof(*t->real_freed_at));
	if (!t->vips || !t->vip_id || !t->vip_id_key || !t->vip_id_used || !t->reals ||
	    !t->real_freed_at)
		goto fail;
	for (__u32 i = 0; i < m->n_ents; i++) {
		const struct sh_xdp_vip_ent *e = &m->ents[i];
		struct sh_vip v = e->val;

		if (v.vip_id >= SH_MAX_VIPS)
			continue;
		/* In the userspace tables an entry's ring is its vip_id's. */
		v.ring_id = v.vip_id;
		sh_tables_vip_insert(t, &e->key, &v);
		if (v.flags & (SH_VIP_F_FRAG_ONLY | SH_VIP_F_ADDR_ONLY))
			continue;
		t->vip_id[t->n_vips++] = v.vip_id;
		t->vip_id_key[v.vip_id] = e->key;
		t->vip_id_used[v.vip_id] = 1;
		if (v.vip_id >= t->n_vip_ids)
			t->n_vip_ids = v.vip_id + 1;
	}
	t->rings = calloc((size_t)(t->n_vip_ids ? t->n_vip_ids : 1) * m->sz.ring_size,
			  sizeof(*t->rings));
	if (!t->rings)
		goto fail;
	for (__u32 id = 0; id < t->n_vip_ids; id++)
		if (t->vip_id_used[id] && m->slot_of[id] < m->sz.n_slots)
			memcpy(&t->rings[(size_t)id * m->sz.ring_size],
			       &m->rings[(size_t)m->slot_of[id] * m->sz.ring_size],
			       (size_t)m->sz.ring_size * sizeof(__u32));
	memcpy(t->reals, m->reals, sizeof(m->reals));
	t->n_reals = m->n_reals;
	ret = sids_recover(m, t);
	if (ret)
		goto fail;
	*out = t;
	return 0;
fail:
	snprintf(err, err_len, "rebuilding tables from the pinned maps: %s", strerror(-ret));
	sh_tables_free(t);
	return ret;
}

static int percpu_sum(int fd, __u32 key, int n_cpus, size_t words, __u64 *buf, __u64 *sum)
{
	if (bpf_map_lookup_elem(fd, &key, buf))
		return -errno;
	for (int c = 0; c < n_cpus; c++)
		for (size_t w = 0; w < words; w++)
			sum[w] += buf[c * words + w];
	return 0;
}

int sh_xdp_maps_read_stats(const struct sh_xdp_maps *m, struct sh_stats *out)
{
	__u64 *buf = calloc(m->n_cpus, sizeof(struct sh_counter));
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -ENOMEM;
	for (__u32 c = 0; c < SH_CTR_COUNT && !ret; c++)
		ret = percpu_sum(m->stats_fd, c, m->n_cpus, 1, buf, &out->ctr[c]);
	for (__u32 v = 0; v < SH_MAX_VIPS && !ret; v++)
		ret = percpu_sum(m->vip_stats_fd, v, m->n_cpus, 2, buf, &out->vip[v].packets);
	for (__u32 r = 0; r < m->n_reals && !ret; r++)
		ret = percpu_sum(m->real_stats_fd, r, m->n_cpus, 2, buf, &out->real[r].packets);
	free(buf);
	return ret;
}
