/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where the XDP backend keeps what outlives the daemon: the maps and the
 * bpf_link, pinned under <pin_root>/<ifname>/ on a bpf filesystem.
 */
#ifndef SHOAL_XDP_PIN_H
#define SHOAL_XDP_PIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SH_XDP_PIN_ROOT "/sys/fs/bpf/shoal"
#define SH_XDP_LINK_PIN "link"

/*
 * dir = <pin_root>/<ifname>; create: make it (and mount bpffs on /sys/fs/bpf
 * when nothing is mounted there), and check it is on a bpf filesystem.
 */
int sh_xdp_pin_dir(const char *pin_root, const char *ifname, bool create, char *dir, size_t dir_len,
		   char *err, size_t err_len);

/* path = dir/name; 0 or -ENAMETOOLONG. */
int sh_xdp_pin_path(const char *dir, const char *name, char *path, size_t path_len);

/* Does dir/name exist? */
bool sh_xdp_pinned(const char *dir, const char *name);

#endif /* SHOAL_XDP_PIN_H */
