/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seam between the forwarding core and a dataplane. A translation unit
 * includes exactly one environment first (bpf/env_bpf.h,
 * backends/user/env_user.h or tests/unit/env_test.h); it defines struct sh_env,
 * struct sh_pkt (with at least `void *data, *data_end`) and every function
 * declared below. The declarations repeat the contract, so an environment
 * with a missing or mistyped function fails to compile instead of misbehaving.
 */
#ifndef SHOAL_ENV_H
#define SHOAL_ENV_H

#ifndef SH_ENV_NAME
#error "include one environment (env_bpf.h, env_user.h or env_test.h) before shoal/env.h"
#endif

#include "shoal/counters.h"
#include "shoal/types.h"

struct sh_env;
struct sh_pkt;

/* LB-wide parameters (sources, gateway, MTU, ring size, hash key). Never NULL. */
SH_INLINE const struct sh_lb *sh_env_lb(struct sh_env *e);
/* The VIP table entry for k, or NULL. */
SH_INLINE const struct sh_vip *sh_env_vip_find(struct sh_env *e, const struct sh_vip_key *k);
/* Real index in slot of ring ring_id (slot < lb->ring_size), or SH_REAL_NONE. */
SH_INLINE __u32 sh_env_ring_slot(struct sh_env *e, __u32 ring_id, __u32 slot);
/* The real with index idx, or NULL when idx is out of range. */
SH_INLINE const struct sh_real *sh_env_real(struct sh_env *e, __u32 idx);
/* The real index a TCP server_id maps to, or SH_REAL_NONE. */
SH_INLINE __u32 sh_env_server_id(struct sh_env *e, __u32 server_id);
/* This worker's conntrack bucket for a flow hash, or NULL when there is none. */
SH_INLINE struct sh_ct_bucket *sh_env_ct_bucket(struct sh_env *e, __u64 hash);
/* Start loading a flow's bucket into cache (a no-op where that does not pay). */
SH_INLINE void sh_env_ct_prefetch(struct sh_env *e, __u64 hash);
/* Counters: global by enum sh_ctr, per VIP and per real with bytes. */
SH_INLINE void sh_env_count(struct sh_env *e, enum sh_ctr ctr);
SH_INLINE void sh_env_count_vip(struct sh_env *e, __u32 vip_id, __u32 bytes);
SH_INLINE void sh_env_count_real(struct sh_env *e, __u32 real, __u32 bytes);
/* Monotonic clock in nanoseconds. */
SH_INLINE __u64 sh_env_now_ns(struct sh_env *e);
/*
 * Grow the packet by len bytes at the front, or shrink it by len bytes at the
 * end. 0 or negative on failure. Both invalidate every pointer into the packet:
 * the core reloads p->data and p->data_end and works from offsets.
 */
SH_INLINE int sh_env_push_head(struct sh_env *e, struct sh_pkt *p, __u32 len);
SH_INLINE int sh_env_trim_tail(struct sh_env *e, struct sh_pkt *p, __u32 len);

#endif /* SHOAL_ENV_H */
