/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host side of shoal-real: addresses on lo (rtnetlink), sysctls, and the
 * state files that remember what setup changed so that teardown can restore it.
 * Functions return 0 (or a documented positive value) or -errno, and print
 * nothing: the caller names the input in its message.
 */
#ifndef SHOAL_REAL_HOST_H
#define SHOAL_REAL_HOST_H

#include <netinet/in.h>
#include <stdbool.h>

#define SH_REAL_MAX_VIPS 256
#define SH_REAL_MAX_SYSCTLS 16
#define SH_REAL_STATE_DIR "/run/shoal-real"

/* An address as given on the command line. */
struct sh_real_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	char text[INET6_ADDRSTRLEN];
};

/* A sysctl under /proc/sys ("net/ipv4/conf/all/arp_ignore") and a value. */
struct sh_real_sysctl {
	char key[96];
	int value;
};

/* What one state file records: sysctl values to restore, VIPs to remove. */
struct sh_real_state {
	int n_sysctls;
	struct sh_real_sysctl sysctls[SH_REAL_MAX_SYSCTLS];
	int n_vips;
	struct sh_real_addr vips[SH_REAL_MAX_VIPS];
};

/* Parses an IPv4 or IPv6 address; -EINVAL if it is neither. */
int sh_real_addr_parse(const char *text, struct sh_real_addr *out);
bool sh_real_addr_equal(const struct sh_real_addr *a, const struct sh_real_addr *b);

/* Adds a as a /32 or /128 on lo: 0 if added, 1 if it was there already. */
int sh_real_lo_addr_add(const struct sh_real_addr *a);
/* Removes a from lo: 0 if removed, 1 if it was not there. */
int sh_real_lo_addr_del(const struct sh_real_addr *a);
/* 1 if lo is up, 0 if down. */
int sh_real_lo_is_up(void);

int sh_real_sysctl_read(const char *key, int *value);
int sh_real_sysctl_write(const char *key, int value);

/* Loads a state file; an absent file is an empty state. */
int sh_real_state_load(const char *path, struct sh_real_state *st);
/* Writes a state file atomically (write aside, rename). */
int sh_real_state_save(const char *path, const struct sh_real_state *st);
int sh_real_state_add_vip(struct sh_real_state *st, const struct sh_real_addr *a);
bool sh_real_state_has_vip(const struct sh_real_state *st, const struct sh_real_addr *a);
void sh_real_state_del_vip(struct sh_real_state *st, const struct sh_real_addr *a);

/*
 * The inode of our namespace of kind ns ("net", "mnt") if it is not the
 * host's, else 0.
 */
unsigned long sh_real_foreign_ns(const char *ns);

/* mkdir -p (mode 0700); -errno naming no path: the caller has it. */
int sh_real_mkdirs(const char *path);
/* rmdir of path and of its parents up to top, as long as they are empty. */
void sh_real_rmdirs(const char *path, const char *top);

#endif /* SHOAL_REAL_HOST_H */
