/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program's maps, driven from userspace: render struct sh_tables into
 * them, read them back after a restart, sum their per-CPU counters. Used by
 * the XDP backend (pinned maps, attached program) and by shoal-replay
 * --backend xdp (the same maps behind BPF_PROG_TEST_RUN).
 *
 * The userspace tables give each VIP a ring at index vip_id; the BPF maps
 * keep rings in a pool (bpf/env_bpf.h) and a VIP entry's ring_id is its pool
 * slot. A changed ring is written into a free slot, then every entry that
 * uses it is switched in one update each, then the old slot is freed (least
 * recently freed slots are reused first). Every entry always points at a
 * complete ring.
 *
 * A shadow of what the maps hold (VIP entries, reals, slots in use) is kept
 * here, so a change writes only what differs.
 */
#ifndef SHOAL_XDP_MAPS_H
#define SHOAL_XDP_MAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "tables.h"

struct shoal_xdp_bpf;

#define SH_XDP_SLOT_NONE 0xffffffffu

/* What the maps are sized for; fixed while they live. */
struct sh_xdp_sizes {
	__u32 ring_size;  /* slots a ring */
	__u32 n_slots;	  /* rings in the pool: max VIPs + 1 */
	__u32 ct_buckets; /* conntrack buckets a CPU (a power of two) */
};

struct sh_xdp_vip_ent {
	struct sh_vip_key key;
	struct sh_vip val; /* as in the map: ring_id is a pool slot */
};

struct sh_xdp_maps {
	int lb_fd, vips_fd, rings_fd, reals_fd, sids_fd;
	int stats_fd, vip_stats_fd, real_stats_fd;
	int n_cpus;
	struct sh_xdp_sizes sz;
	__u32 *rings; /* the pool, mapped: n_slots * ring_size slots */
	size_t rings_len;
	/* Shadow of the maps' contents. */
	struct sh_lb lb;
	struct sh_xdp_vip_ent *ents;
	__u32 n_ents, cap_ents;
	__u32 slot_of[SH_MAX_VIPS]; /* per vip_id: its pool slot, or SH_XDP_SLOT_NONE */
	__u32 *slot_refs;	    /* per pool slot: VIP entries pointing at it */
	__u32 *free_slots;	    /* FIFO of free pool slots, least recently freed first */
	__u8 *slot_is_free;
	__u32 free_head, n_free;
	struct sh_real reals[SH_MAX_REALS];
	__u32 n_reals; /* real slots written so far */
};

/* Sizes for a ring size, a conntrack size (flows a CPU) and a VIP count (0: the maximum). */
struct sh_xdp_sizes sh_xdp_sizes_for(__u32 ring_size, __u32 conntrack_size, __u32 max_vips);

/*
 * Open the skeleton and size it (rodata and map sizes) for sz, without
 * loading. fixed_clock: the program reads its clock from .bss (replay).
 */
int sh_xdp_skel_open(const struct sh_xdp_sizes *sz, bool fixed_clock, struct shoal_xdp_bpf **out,
		     char *err, size_t err_len);

/*
 * Take the maps of a loaded skeleton whose rings have ring_size slots
 * (the pool holds as many rings as the map has room for). with_contents: read what the maps
 * already hold (pinned maps of an earlier run) into the shadow; else they
 * are taken to be empty, as new maps are.
 */
int sh_xdp_maps_init(struct sh_xdp_maps *m, struct shoal_xdp_bpf *skel, __u32 ring_size,
		     bool with_contents, char *err, size_t err_len);
void sh_xdp_maps_fini(struct sh_xdp_maps *m);

/*
 * Make the maps forward by t. prev: the tables forwarded by now (NULL: none
 * known); used only to tell which vip_ids changed hands (their counters
 * restart). On failure the maps are put back to prev when it is given; either
 * way every VIP entry points at a complete ring of its own or of its
 * previous config.
 */
int sh_xdp_maps_apply(struct sh_xdp_maps *m, const struct sh_tables *t,
		      const struct sh_tables *prev, char *err, size_t err_len);

/*
 * Tables rebuilt from what the maps hold (after sh_xdp_maps_init with
 * with_contents): reals with their indices and flags, VIPs with their
 * vip_ids, rings, server_ids, lb. *out is NULL when nothing was ever applied.
 */
int sh_xdp_maps_recover(const struct sh_xdp_maps *m, struct sh_tables **out, char *err,
			size_t err_len);

/* Counters summed over CPUs. */
int sh_xdp_maps_read_stats(const struct sh_xdp_maps *m, struct sh_stats *out);

#endif /* SHOAL_XDP_MAPS_H */
