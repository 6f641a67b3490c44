/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One interface for every dataplane. The control plane keeps the running
 * config and its tables (core/tables.h); a change builds new tables aside
 * (sh_tables_build with the running ones as prev, so real indices and vip ids
 * stay put) and hands both to the backend, which makes its dataplane forward
 * by the new tables. A backend is chosen once at start-up; nothing here is
 * called per packet.
 */
#ifndef SHOAL_BACKEND_H
#define SHOAL_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "shoal/counters.h"
#include "shoal/types.h"
#include "tables.h"

enum sh_xdp_mode {
	SH_XDP_NATIVE = 0,
	SH_XDP_GENERIC = 1,
};

/* AF_XDP sockets: zero-copy or copy. */
enum sh_xsk_copy_mode {
	SH_XSK_AUTO = 0,  /* zero-copy where the driver offers it, else copy */
	SH_XSK_COPY,      /* --copy */
	SH_XSK_ZEROCOPY,  /* --zero-copy: fail rather than copy */
};

struct sh_backend_opts {
	const char *ifname;      /* the interface to forward on */
	enum sh_xdp_mode xdp_mode;
	const char *pin_root;    /* XDP: pins go to <pin_root>/<ifname>/ (default /sys/fs/bpf/shoal) */
	__u32 max_vips;          /* rings reserved for this many VIPs (the rest of memory is sized by the config) */
	__u32 ring_size;         /* from the config at start; fixed while running */
	__u32 conntrack_size;    /* from the config at start; fixed while running */
	/* AF_XDP */
	__u32 queues;            /* workers on receive queues 0..queues-1; 0: every queue */
	enum sh_xsk_copy_mode copy_mode;
	bool busy_poll;
	const char *state_dir;   /* conntrack kept across restarts in <state_dir>/<ifname>.state */
};

/* What `shoalctl show` says of the dataplane. */
struct sh_backend_info {
	__u32 queues;  /* receive queues served */
	char mode[256]; /* e.g. "native XDP", "copy mode: driver veth does not offer zero-copy" */
};

/* Counters summed over CPUs or workers. */
struct sh_stats {
	__u64 ctr[SH_CTR_COUNT];
	struct sh_counter vip[SH_MAX_VIPS];   /* by vip_id */
	struct sh_counter real[SH_MAX_REALS]; /* by real index */
};

struct sh_backend;

struct sh_backend_ops {
	const char *name;
	/* 0 when this backend can run on opts->ifname; else -errno and why in words. */
	int (*probe)(const struct sh_backend_opts *opts, char *why, size_t why_len);
	/*
	 * Set up the dataplane. When it finds state a previous run left (XDP: pinned
	 * maps), *recovered receives tables rebuilt from it (real indices, vip ids),
	 * to pass as prev to sh_tables_build so the next apply keeps flows; else NULL.
	 */
	int (*start)(const struct sh_backend_opts *opts, struct sh_backend **out,
		     struct sh_tables **recovered, char *err, size_t err_len);
	/*
	 * Forward by t from now on; prev are the tables it forwards by now (NULL at
	 * first). All or nothing as far as a packet can tell: a packet sees the old
	 * or the new ring of a VIP, never a mix. On failure the old tables stay.
	 */
	int (*apply)(struct sh_backend *b, const struct sh_tables *t, const struct sh_tables *prev,
		     char *err, size_t err_len);
	int (*read_stats)(struct sh_backend *b, struct sh_stats *out);
	void (*describe)(struct sh_backend *b, struct sh_backend_info *out);
	/* Stop. keep_forwarding: leave the dataplane running on its own (XDP: pinned). */
	void (*stop)(struct sh_backend *b, bool keep_forwarding);
	/* Remove a dataplane an earlier run left forwarding on opts->ifname (XDP: its pins). */
	int (*unload)(const struct sh_backend_opts *opts, char *err, size_t err_len);
};

extern const struct sh_backend_ops sh_backend_xdp;
extern const struct sh_backend_ops sh_backend_afxdp;

#endif /* SHOAL_BACKEND_H */
