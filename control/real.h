/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the parts of shoal-real share: the parsed command, where pins and
 * state live, and the BPF side (real_bpf.c). The host side is real_host.h.
 */
#ifndef SHOAL_REAL_H
#define SHOAL_REAL_H

#include <stdbool.h>

#include "decap.h"
#include "real_host.h"

#define SH_REAL_BPFFS "/sys/fs/bpf"
#define SH_REAL_PIN_ROOT SH_REAL_BPFFS "/shoal-real"

struct sh_real_opts {
	const char *iface;
	int n_vips;
	struct sh_real_addr vips[SH_REAL_MAX_VIPS];
	int n_tuns;
	struct sh_real_addr tuns[SH_DECAP_MAX_TUNNEL_ADDRS];
	int gue_port; /* 0: GUE off */
	bool generic; /* --xdp-mode generic */
};

/*
 * Where an interface's pins and state live. Interface names and the ipv4/conf
 * sysctls are per network namespace: outside the host's, both sit under a
 * netns-<cookie>/ directory of their own. The cookie, unlike the namespace's
 * inode, is never reused while the host runs, so the leftovers of a namespace
 * deleted before its teardown are never mistaken for the state of a new one.
 */
struct sh_real_paths {
	char pin_root[64];   /* /sys/fs/bpf/shoal-real[/netns-N] */
	char pin_dir[96];    /* pin_root/IF: link, sh_dtun, sh_dcfg, sh_dstats */
	char link[128];      /* pin_dir/link */
	char state_dir[64];  /* /run/shoal-real[/netns-N] */
	char if_state[128];  /* state_dir/if-IF.state: IF's sysctls, the VIPs IF uses */
	char host_state[96]; /* state_dir/host.state: all/lo sysctls, the VIPs we added */
};

/* "shoal-real: <message>" on stderr. */
__attribute__((format(printf, 1, 2))) void sh_real_err(const char *fmt, ...);

/*
 * 0 if a bpffs is mounted at /sys/fs/bpf, mounting one if may_mount; 1 if
 * none is and may_mount is false; -errno (message printed) otherwise.
 */
int sh_real_bpffs(bool may_mount);
/*
 * Loads the decap program (reusing the maps pinned by an earlier setup), fills
 * its maps from o, and attaches it to ifindex through the link pinned in p.
 */
int sh_real_bpf_attach(const struct sh_real_opts *o, int ifindex, const struct sh_real_paths *p);
/* Detaches the program and removes the pins; *found tells if there was a link. */
int sh_real_bpf_detach(const struct sh_real_paths *p, bool *found);
/*
 * 1 if the link pinned at path is attached to a device, 0 if its device went
 * away (its namespace was deleted, say), -errno if it cannot be told.
 */
int sh_real_bpf_link_attached(const char *path);
/* Prints what is attached, the maps and the counters; -ENOENT if nothing is attached. */
int sh_real_bpf_status(const char *iface, const struct sh_real_paths *p);

#endif /* SHOAL_REAL_H */
