// SPDX-License-Identifier: BSD-3-Clause
/* The pin directory of an interface (see xdp_pin.h). */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "log.h"
#include "xdp_pin.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* mkdir -p, up to and including path. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int sh_xdp_pin_path(const char *dir, const char *name, char *path, size_t path_len)
{
	int n = snprintf(path, path_len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= path_len ? -ENAMETOOLONG : 0;
}

bool sh_xdp_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return !sh_xdp_pin_path(dir, name, path, sizeof(path)) && !access(path, F_OK);
}

int sh_xdp_pin_dir(const char *pin_root, const char *ifname, bool create, char *dir, size_t dir_len,
		   char *err, size_t err_len)
{
	int n, ret;

	if (!pin_root || !*pin_root)
		pin_root = SH_XDP_PIN_ROOT;
	n = snprintf(dir, dir_len, "%s/%s", pin_root, ifname);
	if (n < 0 || (size_t)n >= dir_len) {
		snprintf(err, err_len, "pin directory %s/%s: name too long", pin_root, ifname);
		return -ENAMETOOLONG;
	}
	if (!create)
		return 0;
	if (!strncmp(pin_root, BPFFS_DEFAULT, strlen(BPFFS_DEFAULT)) && !is_bpffs(BPFFS_DEFAULT)) {
		if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700")) {
			ret = -errno;
			snprintf(err, err_len, "%s: no bpf filesystem there, and mounting one: %s",
				 BPFFS_DEFAULT, strerror(-ret));
			return ret;
		}
		sh_log_info("mounted a bpf filesystem on %s", BPFFS_DEFAULT);
	}
	ret = mkdir_p(dir);
	if (ret) {
		snprintf(err, err_len, "pin directory %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (!is_bpffs(dir)) {
		snprintf(
			err, err_len,
			"pin directory %s: not on a bpf filesystem (mount one: "
			 "mount -t bpf bpf DIR)",
			dir);
		return -EINVAL;
	}
	return 0;
}
