// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal-real, the BPF side: load the decap program through its skeleton,
 * fill its maps, attach it with a pinned bpf_link, detach it, report on it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "decap.skel.h"
#include "real.h"

static const char *const sh_real_ctr_names[] = {
#define SH_DECAP_X(name, text, help) text,
	SH_DECAP_COUNTERS(SH_DECAP_X)
#undef SH_DECAP_X
};
_Static_assert(sizeof(sh_real_ctr_names) / sizeof(sh_real_ctr_names[0]) == SH_DECAP_CTR_COUNT,
	       "a name per counter");

/* Refuses to mount in a mount namespace other than the host's (as under `ip netns exec`):
 * pins made there would die with this process. */
int sh_real_bpffs(bool may_mount)
{
	struct statfs fs;

	if (!statfs(SH_REAL_BPFFS, &fs) && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (sh_real_foreign_ns("mnt")) {
		sh_real_err("%s: no bpffs in this mount namespace (under `ip netns exec`?): "
			    "pins would vanish with it; run shoal-real with "
			    "nsenter --net=/var/run/netns/NAME", SH_REAL_BPFFS);
		return -ENOENT;
	}
	if (!may_mount)
		return 1;
	if ((mkdir(SH_REAL_BPFFS, 0700) && errno != EEXIST) ||
	    mount("bpf", SH_REAL_BPFFS, "bpf", 0, "mode=0700")) {
		int err = -errno;

		sh_real_err("%s: cannot mount bpffs: %s", SH_REAL_BPFFS, strerror(-err));
		return err;
	}
	return 0;
}

static void sh_real_key(struct sh_decap_key *k, const struct sh_real_addr *a)
{
	memset(k, 0, sizeof(*k));
	if (a->family == AF_INET) {
		k->family = SH_AF_INET;
		k->addr.w[0] = a->a.v4.s_addr;
	} else {
		k->family = SH_AF_INET6;
		memcpy(k->addr.w, &a->a.v6, sizeof(k->addr.w));
	}
}

static void sh_real_key_text(const struct sh_decap_key *k, char *buf, size_t size)
{
	inet_ntop(k->family == SH_AF_INET ? AF_INET : AF_INET6, k->addr.w, buf, size);
}

/* Makes sh_dtun hold exactly the --tunnel-addr set and sh_dcfg the GUE port. */
static int sh_real_fill_maps(struct sh_decap_bpf *skel, const struct sh_real_opts *o)
{
	struct sh_decap_key want[SH_DECAP_MAX_TUNNEL_ADDRS], stale[SH_DECAP_MAX_TUNNEL_ADDRS];
	int tun_fd = bpf_map__fd(skel->maps.sh_dtun);
	struct sh_decap_cfg cfg = { .gue_port = htons(o->gue_port) };
	struct sh_decap_key k, next, *prev = NULL;
	int i, j, err, n_stale = 0;
	__u32 zero = 0;
	__u8 one = 1;

	for (i = 0; i < o->n_tuns; i++)
		sh_real_key(&want[i], &o->tuns[i]);
	while (!bpf_map_get_next_key(tun_fd, prev, &next) && n_stale < SH_DECAP_MAX_TUNNEL_ADDRS) {
		for (j = 0; j < o->n_tuns && memcmp(&want[j], &next, sizeof(next)); j++)
			;
		if (j == o->n_tuns)
			stale[n_stale++] = next;
		k = next;
		prev = &k;
	}
	for (i = 0; i < n_stale; i++)
		bpf_map_delete_elem(tun_fd, &stale[i]);
	for (i = 0; i < o->n_tuns; i++) {
		err = bpf_map_update_elem(tun_fd, &want[i], &one, BPF_ANY); /* libbpf: -errno */
		if (err) {
			sh_real_err("--tunnel-addr %s: cannot add to the map: %s", o->tuns[i].text,
				    strerror(-err));
			return err;
		}
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.sh_dcfg), &zero, &cfg, BPF_ANY);
	if (err)
		sh_real_err("--gue-port %d: cannot set: %s", o->gue_port, strerror(-err));
	return err;
}

/* The id of the XDP program attached to ifindex in mode generic or native, or 0. */
static __u32 sh_real_xdp_prog_id(int ifindex, bool generic)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return generic ? q.skb_prog_id : q.drv_prog_id;
}

/* Explains why the kernel refused to attach the decap program. */
static void sh_real_attach_error(const struct sh_real_opts *o, int ifindex, int err)
{
	__u32 other = sh_real_xdp_prog_id(ifindex, false) ?: sh_real_xdp_prog_id(ifindex, true);

	if (err == -EOPNOTSUPP && !o->generic)
		sh_real_err("--iface %s: THE DRIVER DOES NOT SUPPORT NATIVE XDP; rerun with "
			    "--xdp-mode generic to decapsulate in the slower generic (skb) mode",
			    o->iface);
	else if ((err == -EBUSY || err == -EEXIST) && other)
		sh_real_err("--iface %s: another XDP program (id %u) is attached; shoal-real will "
			    "not replace it", o->iface, other);
	else
		sh_real_err("--iface %s: cannot attach the decap program in %s mode: %s", o->iface,
			    o->generic ? "generic" : "native", strerror(-err));
}

/*
 * Attaches prog_fd to ifindex through a pinned bpf_link: replaces the program
 * of the link already pinned there (same maps, no gap), else creates one.
 */
static int sh_real_attach(const struct sh_real_opts *o, int ifindex, int prog_fd,
			  const char *link_path)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = o->generic ? XDP_FLAGS_SKB_MODE
								      : XDP_FLAGS_DRV_MODE);
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(link_path);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    info.xdp.ifindex == (__u32)ifindex) {
			if (sh_real_xdp_prog_id(ifindex, o->generic) != info.prog_id) {
				sh_real_err("--iface %s: the decap program is attached in %s "
					    "mode; run teardown before changing --xdp-mode",
					    o->iface, o->generic ? "native" : "generic");
				close(fd);
				return -EEXIST;
			}
			err = bpf_link_update(fd, prog_fd, NULL); /* libbpf: -errno */
			close(fd);
			if (err)
				sh_real_err("--iface %s: cannot replace the decap program: %s",
					    o->iface, strerror(-err));
			return err;
		}
		/* The interface it was attached to went away: start over. */
		close(fd);
		unlink(link_path);
	}
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = fd; /* libbpf: -errno */
		sh_real_attach_error(o, ifindex, err);
		return err;
	}
	err = bpf_obj_pin(fd, link_path) ? -errno : 0;
	if (err)
		sh_real_err("%s: cannot pin the link: %s", link_path, strerror(-err));
	close(fd); /* the pin holds the link; without it the program detaches now */
	return err;
}

int sh_real_bpf_attach(const struct sh_real_opts *o, int ifindex, const struct sh_real_paths *p)
{
	struct sh_decap_bpf *skel;
	struct bpf_map *map;
	char path[200];
	int err;

	err = sh_real_mkdirs(p->pin_dir);
	if (err) {
		sh_real_err("%s: cannot create: %s", p->pin_dir, strerror(-err));
		return err;
	}
	skel = sh_decap_bpf__open();
	if (!skel) {
		err = -errno;
		sh_real_err("cannot open the decap program: %s", strerror(-err));
		return err;
	}
	bpf_object__for_each_map(map, skel->obj) {
		snprintf(path, sizeof(path), "%s/%s", p->pin_dir, bpf_map__name(map));
		bpf_map__set_pin_path(map, path);
	}
	err = sh_decap_bpf__load(skel);
	if (err) {
		sh_real_err("cannot load the decap program (pins in %s from another version? "
			    "teardown first; -v shows libbpf's reason): %s", p->pin_dir,
			    strerror(-err));
		goto out;
	}
	err = sh_real_fill_maps(skel, o);
	if (!err)
		err = sh_real_attach(o, ifindex, bpf_program__fd(skel->progs.sh_decap), p->link);
out:
	sh_decap_bpf__destroy(skel);
	return err;
}

int sh_real_bpf_link_attached(const char *path)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path), err = 0;

	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	return err ? err : info.xdp.ifindex != 0;
}

int sh_real_bpf_detach(const struct sh_real_paths *p, bool *found)
{
	static const char *const names[] = { "sh_dtun", "sh_dcfg", "sh_dstats" };
	char path[200];
	int fd, err = 0;
	size_t i;

	fd = bpf_obj_get(p->link);
	if (fd >= 0) {
		*found = true;
		bpf_link_detach(fd); /* now, even if something else holds the link */
		close(fd);
	}
	if (unlink(p->link) && errno != ENOENT)
		err = -errno;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->pin_dir, names[i]);
		if (unlink(path) && errno != ENOENT)
			err = -errno;
	}
	if (rmdir(p->pin_dir) && errno != ENOENT)
		err = -errno;
	else if (!err)
		sh_real_rmdirs(p->pin_root, SH_REAL_PIN_ROOT); /* while empty */
	if (err)
		sh_real_err("%s: cannot remove the pins: %s", p->pin_dir, strerror(-err));
	return err;
}

static void sh_real_status_counters(int fd)
{
	int i, cpu, ncpus = libbpf_num_possible_cpus();
	__u64 *vals;

	vals = ncpus > 0 ? calloc(ncpus, sizeof(*vals)) : NULL;
	if (!vals)
		return;
	printf("counters (packets):\n");
	for (i = 0; i < SH_DECAP_CTR_COUNT; i++) {
		__u32 key = i;
		__u64 sum = 0;

		if (!bpf_map_lookup_elem(fd, &key, vals))
			for (cpu = 0; cpu < ncpus; cpu++)
				sum += vals[cpu];
		printf("  %-16s %llu\n", sh_real_ctr_names[i], (unsigned long long)sum);
	}
	free(vals);
}

int sh_real_bpf_status(const char *iface, const struct sh_real_paths *p)
{
	struct sh_decap_key k, *prev = NULL;
	struct sh_decap_cfg cfg = { 0 };
	struct bpf_link_info info;
	__u32 len = sizeof(info), zero = 0;
	char path[200], text[INET6_ADDRSTRLEN];
	int fd;

	fd = bpf_obj_get(p->link);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.xdp.ifindex) {
		printf("%s: not set up (no attached link pinned at %s)\n", iface, p->link);
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	close(fd);
	printf("%s: decap program id %u attached in %s XDP mode (link id %u, ifindex %u)\n",
	       iface, info.prog_id,
	       sh_real_xdp_prog_id(info.xdp.ifindex, false) == info.prog_id ? "native" : "generic",
	       info.id, info.xdp.ifindex);
	printf("pins: %s\n", p->pin_dir);

	snprintf(path, sizeof(path), "%s/sh_dcfg", p->pin_dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &cfg);
		close(fd);
	}
	printf("gue port: %u%s\n", ntohs(cfg.gue_port), cfg.gue_port ? "" : " (off)");

	printf("tunnel addresses:");
	snprintf(path, sizeof(path), "%s/sh_dtun", p->pin_dir);
	fd = bpf_obj_get(path);
	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &k)) {
		sh_real_key_text(&k, text, sizeof(text));
		printf(" %s", text);
		prev = &k;
	}
	printf("\n");
	if (fd >= 0)
		close(fd);

	snprintf(path, sizeof(path), "%s/sh_dstats", p->pin_dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		sh_real_status_counters(fd);
		close(fd);
	}
	return 0;
}
