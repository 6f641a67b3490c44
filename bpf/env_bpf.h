/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The BPF environment of the forwarding core: tables are maps, counters are
 * per-CPU arrays, conntrack is a per-CPU array of set-associative buckets,
 * the clock is bpf_ktime_get_ns(). Include first in a .bpf.c, then
 * shoal/pipeline.h. Map names are at most 15 characters: they are pinned by name.
 */
#ifndef SHOAL_ENV_BPF_H
#define SHOAL_ENV_BPF_H

#define SH_ENV_NAME "bpf"

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "shoal/counters.h"
#include "shoal/ct.h"
#include "shoal/types.h"
#include "shoal_xdp.h"

#define SH_BPF_MAX_VIPS 512
#define SH_BPF_MAX_REALS 4096

/* Sizes fixed when the loader opens the object. */
const volatile __u32 sh_ct_mask = 0; /* conntrack buckets per CPU, minus one */
/*
 * Replay only (BPF_PROG_TEST_RUN): the clock is sh_clock_ns, which the loader
 * sets to each packet's capture time, as the userspace replay does. Left 0 in
 * production, where the verifier drops the branch as dead code.
 */
const volatile __u8 sh_fixed_clock = 0;
__u64 sh_clock_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sh_lb);
} sh_lb SEC(".maps");

/*
 * VIPs and their aliases (3 entries a VIP at most), room for two whole
 * configs: a change adds the new entries before it deletes the old ones.
 * Not preallocated, so a replaced entry is freed only after an RCU grace
 * period: a packet holding the old value keeps reading the old value.
 * The value's ring_id is a slot of the ring pool (sh_rings), not a vip_id.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 6 * SH_BPF_MAX_VIPS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sh_vip_key);
	__type(value, struct sh_vip);
} sh_vips SEC(".maps");

/*
 * The ring pool: (max VIPs + 1) rings of ring_size slots, packed
 * SH_RING_CHUNK slots to a value (shoal_xdp.h), sized by the loader. A changed
 * ring is written into a free pool slot, then the VIP entry is switched to it
 * in one update: a packet never sees a half-written ring. Memory-mappable, so
 * the loader writes and reads rings without a syscall per slot.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sh_ring_chunk);
} sh_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SH_BPF_MAX_REALS);
	__type(key, __u32);
	__type(value, struct sh_real);
} sh_reals SEC(".maps");

/* server_id -> real index; room for two whole configs, as sh_vips. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * SH_BPF_MAX_REALS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
} sh_server_ids SEC(".maps");

/* Conntrack: (sh_ct_mask + 1) buckets per CPU; sized by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sh_ct_bucket);
} sh_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SH_CTR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} sh_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SH_BPF_MAX_VIPS);
	__type(key, __u32);
	__type(value, struct sh_counter);
} sh_vip_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SH_BPF_MAX_REALS);
	__type(key, __u32);
	__type(value, struct sh_counter);
} sh_real_stats SEC(".maps");

struct sh_pkt {
	void *data;
	void *data_end;
	struct xdp_md *ctx;
};

struct sh_env {
	const struct sh_lb *lb;
};

SH_INLINE const struct sh_lb *sh_env_lb(struct sh_env *e)
{
	return e->lb;
}

SH_INLINE const struct sh_vip *sh_env_vip_find(struct sh_env *e, const struct sh_vip_key *k)
{
	(void)e;
	return bpf_map_lookup_elem(&sh_vips, k);
}

/* ring_id is a pool slot (see sh_vips). */
SH_INLINE __u32 sh_env_ring_slot(struct sh_env *e, __u32 ring_id, __u32 slot)
{
	__u32 idx = ring_id * e->lb->ring_size + slot;
	__u32 key = idx / SH_RING_CHUNK;
	struct sh_ring_chunk *c = bpf_map_lookup_elem(&sh_rings, &key);

	return c ? c->real[idx % SH_RING_CHUNK] : SH_REAL_NONE;
}

SH_INLINE const struct sh_real *sh_env_real(struct sh_env *e, __u32 idx)
{
	(void)e;
	return bpf_map_lookup_elem(&sh_reals, &idx);
}

SH_INLINE __u32 sh_env_server_id(struct sh_env *e, __u32 server_id)
{
	__u32 *real = bpf_map_lookup_elem(&sh_server_ids, &server_id);

	(void)e;
	return real ? *real : SH_REAL_NONE;
}

SH_INLINE struct sh_ct_bucket *sh_env_ct_bucket(struct sh_env *e, __u64 hash)
{
	__u32 idx = sh_ct_index(hash, sh_ct_mask);

	(void)e;
	return bpf_map_lookup_elem(&sh_ct, &idx);
}

SH_INLINE void sh_env_ct_prefetch(struct sh_env *e, __u64 hash)
{
	(void)e;
	(void)hash;
}

SH_INLINE void sh_env_count(struct sh_env *e, enum sh_ctr ctr)
{
	__u32 key = ctr;
	__u64 *v = bpf_map_lookup_elem(&sh_stats, &key);

	(void)e;
	if (v)
		*v += 1;
}

SH_INLINE void sh_env_count_vip(struct sh_env *e, __u32 vip_id, __u32 bytes)
{
	struct sh_counter *c = bpf_map_lookup_elem(&sh_vip_stats, &vip_id);

	(void)e;
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

SH_INLINE void sh_env_count_real(struct sh_env *e, __u32 real, __u32 bytes)
{
	struct sh_counter *c = bpf_map_lookup_elem(&sh_real_stats, &real);

	(void)e;
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

SH_INLINE __u64 sh_env_now_ns(struct sh_env *e)
{
	(void)e;
	if (sh_fixed_clock)
		return sh_clock_ns;
	return bpf_ktime_get_ns();
}

SH_INLINE int sh_env_push_head(struct sh_env *e, struct sh_pkt *p, __u32 len)
{
	(void)e;
	if (bpf_xdp_adjust_head(p->ctx, -(int)len))
		return -1;
	p->data = (void *)(long)p->ctx->data;
	p->data_end = (void *)(long)p->ctx->data_end;
	return 0;
}

SH_INLINE int sh_env_trim_tail(struct sh_env *e, struct sh_pkt *p, __u32 len)
{
	(void)e;
	if (bpf_xdp_adjust_tail(p->ctx, -(int)len))
		return -1;
	p->data = (void *)(long)p->ctx->data;
	p->data_end = (void *)(long)p->ctx->data_end;
	return 0;
}

#include "shoal/env.h"

#endif /* SHOAL_ENV_BPF_H */
