// SPDX-License-Identifier: BSD-3-Clause
/*
 * The XDP backend: the forwarding core as a native XDP program, driven
 * through its maps. Maps and the bpf_link are pinned under
 * <pin_root>/<ifname>/, so the program keeps forwarding while no daemon runs.
 *
 * start() on an interface with pinned maps takes them over (warm start): the
 * new program is loaded over the same maps and swapped into the pinned link
 * in one step, and the tables the maps hold are handed back, so real indices
 * and conntrack survive. Without pins (cold start) new maps are made; they
 * are pinned and the program attached once the first config is in them.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log.h"
#include "shoal_xdp.h"
#include "shoal_xdp.skel.h"
#include "xdp_maps.h"
#include "xdp_pin.h"
#include "xdp_probe.h"

struct sh_backend {
	struct shoal_xdp_bpf *skel;
	struct sh_xdp_maps maps;
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum sh_xdp_mode mode;
	char dir[PATH_MAX];
	bool maps_pinned; /* the maps are pinned (a warm start, or once live) */
	int link_fd;	  /* the pinned link, or -1 */
	bool live;	  /* the link runs this program */
};

static const char *mode_name(enum sh_xdp_mode mode)
{
	return mode == SH_XDP_GENERIC ? "generic" : "native";
}

static void cold_hint(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len,
		 "a cold start is needed: shoald --iface %s --unload (forwarding stops until the "
		 "next start, conntrack is lost), then start again",
		 ifname);
}

static int xdp_probe(const struct sh_backend_opts *opts, char *why, size_t why_len)
{
	return sh_xdp_probe_native(opts->ifname, opts->xdp_mode == SH_XDP_GENERIC, why, why_len);
}

/* The maps shoal pins: every map of the object but libbpf's internal ones. */
#define for_each_pinned_map(map, skel)                                                             \
	bpf_object__for_each_map (map, (skel)->obj)                                                \
		if (!bpf_map__is_internal(map))

/* Rings of ring_size slots a pool of `chunks` map values holds. */
static __u32 pool_rings(__u32 chunks, __u32 ring_size)
{
	return (__u32)((__u64)chunks * SH_RING_CHUNK / ring_size);
}

/* Was a pool of `chunks` values made for rings of ring_size slots (as far as its size tells)? */
static bool pool_fits(__u32 chunks, __u32 ring_size)
{
	__u32 n = pool_rings(chunks, ring_size);

	return n >= 2 && sh_ring_chunks((__u64)n * ring_size) == chunks;
}

/*
 * Take over the maps pinned in b->dir: each must have the layout this program
 * expects, and the sizes the config asks for (ring_size, conntrack_size).
 */
static int maps_reuse(struct sh_backend *b, const struct sh_xdp_sizes *sz, char *err,
		      size_t err_len)
{
	char path[PATH_MAX], hint[192];
	struct bpf_map *map;
	struct sh_lb lb;
	__u32 zero = 0;
	int ret;

	cold_hint(b->ifname, hint, sizeof(hint));
	for_each_pinned_map (map, b->skel) {
		struct bpf_map_info info;
		__u32 info_len = sizeof(info), want = bpf_map__max_entries(map);
		const char *name = bpf_map__name(map);
		int fd;

		sh_xdp_pin_path(b->dir, name, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			ret = -errno;
			snprintf(err, err_len, "pinned map %s: %s", path, strerror(-ret));
			return ret;
		}
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &info_len)) {
			ret = -errno;
			snprintf(err, err_len, "pinned map %s: %s", path, strerror(-ret));
			close(fd);
			return ret;
		}
		ret = -EINVAL;
		if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.map_flags != bpf_map__map_flags(map)) {
			snprintf(err, err_len,
				 "pinned map %s: another layout than this shoal's (made by another "
				 "version?); %s",
				 path, hint);
		} else if (!strcmp(name, "sh_rings") &&
			   !pool_fits(info.max_entries, sz->ring_size)) {
			snprintf(err, err_len,
				 "%s: the pinned rings were made for another ring_size than %u; %s",
				 b->dir, sz->ring_size, hint);
		} else if (!strcmp(name, "sh_ct") && info.max_entries != want) {
			snprintf(
				err, err_len,
				"%s: the pinned conntrack has %u buckets a CPU, "
				"conntrack_size asks for %u; %s",
				b->dir, info.max_entries, want, hint);
		} else if (strcmp(name, "sh_rings") && strcmp(name, "sh_ct") &&
			   info.max_entries != want) {
			snprintf(err, err_len, "pinned map %s: %u entries, this shoal makes %u; %s",
				 path, info.max_entries, want, hint);
		} else {
			ret = bpf_map__reuse_fd(map, fd);
			if (ret)
				snprintf(err, err_len, "pinned map %s: reusing it: %s", path,
					 strerror(-ret));
		}
		close(fd);
		if (ret)
			return ret;
		/* bpf_map__reuse_fd() freed the old name: ask the map again. */
		if (!strcmp(bpf_map__name(map), "sh_rings") &&
		    pool_rings(info.max_entries, sz->ring_size) != sz->n_slots)
			sh_log_info("%s: keeping the pinned ring pool, room for %u VIPs", b->ifname,
				    pool_rings(info.max_entries, sz->ring_size) - 1);
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.sh_lb), &zero, &lb) && lb.ring_size &&
	    lb.ring_size != sz->ring_size) {
		snprintf(err, err_len,
			 "%s: the pinned rings have %u slots, the config asks for %u; %s", b->dir,
			 lb.ring_size, sz->ring_size, hint);
		return -EINVAL;
	}
	return 0;
}

/* Open the link pinned in b->dir when it is a live XDP link on our interface. */
static int link_open(struct sh_backend *b, char *err, size_t err_len)
{
	struct bpf_link_info info;
	__u32 info_len = sizeof(info);
	char path[PATH_MAX];
	int fd, ret;

	b->link_fd = -1;
	if (!sh_xdp_pinned(b->dir, SH_XDP_LINK_PIN))
		return 0;
	sh_xdp_pin_path(b->dir, SH_XDP_LINK_PIN, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, err_len, "pinned link %s: %s", path, strerror(-ret));
		return ret;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) || info.type != BPF_LINK_TYPE_XDP) {
		snprintf(err, err_len,
			 "%s: not an XDP link; remove it (shoald --iface %s --unload)", path,
			 b->ifname);
		close(fd);
		return -EINVAL;
	}
	if ((int)info.xdp.ifindex != b->ifindex) {
		/* The interface went away (and maybe came back): that link is dead. */
		sh_log_info("%s: the pinned link is for ifindex %u, %s is %d now: making a new one",
			    b->ifname, info.xdp.ifindex, b->ifname, b->ifindex);
		close(fd);
		unlink(path);
		return 0;
	}
	b->link_fd = fd;
	return 0;
}

static void mode_check(struct sh_backend *b)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	enum sh_xdp_mode now;

	if (bpf_xdp_query(b->ifindex, 0, &q))
		return;
	now = q.attach_mode == XDP_ATTACHED_SKB ? SH_XDP_GENERIC : SH_XDP_NATIVE;
	if (now != b->mode)
		sh_log_warn("%s: the pinned link runs %s XDP, %s was asked for; it stays %s until "
			    "a cold start (--unload, then start)",
			    b->ifname, mode_name(now), mode_name(b->mode), mode_name(now));
	if (now == SH_XDP_GENERIC)
		sh_log_warn("%s: GENERIC XDP (skb mode): every packet pays for an skb; for tests, "
			    "not production",
			    b->ifname);
	b->mode = now;
}

static int xdp_start(const struct sh_backend_opts *opts, struct sh_backend **out,
		     struct sh_tables **recovered, char *err, size_t err_len)
{
	struct sh_xdp_sizes sz;
	struct sh_backend *b;
	struct bpf_map *map;
	int n_maps = 0, n_pinned = 0, ret;

	*out = NULL;
	*recovered = NULL;
	if (!opts->ifname || !opts->ring_size || !opts->conntrack_size) {
		snprintf(err, err_len,
			 "XDP backend: interface, ring_size and conntrack_size needed");
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->link_fd = -1;
	b->mode = opts->xdp_mode;
	snprintf(b->ifname, sizeof(b->ifname), "%s", opts->ifname);
	b->ifindex = (int)if_nametoindex(opts->ifname);
	if (!b->ifindex) {
		ret = -ENODEV;
		snprintf(err, err_len, "interface %s: no such interface", opts->ifname);
		goto fail;
	}
	ret = sh_xdp_pin_dir(opts->pin_root, b->ifname, true, b->dir, sizeof(b->dir), err, err_len);
	if (ret)
		goto fail;
	sz = sh_xdp_sizes_for(opts->ring_size, opts->conntrack_size, opts->max_vips);
	ret = sh_xdp_skel_open(&sz, false, &b->skel, err, err_len);
	if (ret)
		goto fail;
	for_each_pinned_map (map, b->skel) {
		n_maps++;
		n_pinned += sh_xdp_pinned(b->dir, bpf_map__name(map));
	}
	if (n_pinned && n_pinned != n_maps) {
		ret = -EINVAL;
		snprintf(err, err_len,
			 "%s: %d of shoal's %d maps are pinned there (an interrupted run?); remove "
			 "them: shoald --iface %s --unload",
			 b->dir, n_pinned, n_maps, b->ifname);
		goto fail;
	}
	b->maps_pinned = n_pinned;
	if (b->maps_pinned) {
		ret = maps_reuse(b, &sz, err, err_len);
		if (ret)
			goto fail;
	}
	ret = shoal_xdp_bpf__load(b->skel);
	if (ret) {
		snprintf(err, err_len, "loading the XDP program: %s", strerror(-ret));
		goto fail;
	}
	ret = sh_xdp_maps_init(&b->maps, b->skel, sz.ring_size, b->maps_pinned, err, err_len);
	if (ret)
		goto fail;
	if (b->maps_pinned) {
		ret = sh_xdp_maps_recover(&b->maps, recovered, err, err_len);
		if (ret)
			goto fail;
	}
	ret = link_open(b, err, err_len);
	if (ret)
		goto fail;
	if (b->maps_pinned && b->link_fd >= 0) {
		/* Same maps, new program: one atomic swap, not a packet lost. */
		if (bpf_link_update(b->link_fd, bpf_program__fd(b->skel->progs.shoal_xdp), NULL)) {
			ret = -errno;
			snprintf(err, err_len,
				 "%s: switching the pinned link to the new program: %s", b->ifname,
				 strerror(-ret));
			goto fail;
		}
		b->live = true;
		mode_check(b);
	}
	sh_log_info("%s: %s start, %s XDP, pins in %s%s", b->ifname,
		    b->maps_pinned ? "warm" : "cold", mode_name(b->mode), b->dir,
		    b->maps_pinned ? (*recovered ? " (config recovered from the maps)"
						 : " (the maps held no config)")
				   : "");
	*out = b;
	return 0;
fail:
	sh_tables_free(*recovered);
	*recovered = NULL;
	if (b->link_fd >= 0)
		close(b->link_fd);
	sh_xdp_maps_fini(&b->maps);
	shoal_xdp_bpf__destroy(b->skel);
	free(b);
	return ret;
}

static void maps_unpin(struct sh_backend *b)
{
	char path[PATH_MAX];
	struct bpf_map *map;

	for_each_pinned_map (map, b->skel) {
		if (!sh_xdp_pin_path(b->dir, bpf_map__name(map), path, sizeof(path)))
			unlink(path);
	}
	rmdir(b->dir); /* only when empty: a pinned link keeps it */
}

static int maps_pin(struct sh_backend *b, char *err, size_t err_len)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int ret;

	for_each_pinned_map (map, b->skel) {
		sh_xdp_pin_path(b->dir, bpf_map__name(map), path, sizeof(path));
		ret = bpf_map__pin(map, path);
		if (ret) {
			snprintf(err, err_len, "pinning map %s: %s", path, strerror(-ret));
			maps_unpin(b);
			return ret;
		}
	}
	b->maps_pinned = true;
	return 0;
}

/* Attach: pin the maps, then swap the program into the pinned link or make one. */
static int go_live(struct sh_backend *b, char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int prog_fd = bpf_program__fd(b->skel->progs.shoal_xdp);
	bool pinned_now = !b->maps_pinned;
	char path[PATH_MAX];
	int ret, fd;

	if (pinned_now) {
		ret = maps_pin(b, err, err_len);
		if (ret)
			return ret;
	}
	if (b->link_fd >= 0) {
		if (bpf_link_update(b->link_fd, prog_fd, NULL)) {
			ret = -errno;
			snprintf(err, err_len,
				 "%s: switching the pinned link to the new program: %s", b->ifname,
				 strerror(-ret));
			return ret;
		}
		b->live = true;
		mode_check(b);
		return 0;
	}
	lo.flags = b->mode == SH_XDP_GENERIC ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(prog_fd, b->ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		char drv[32];
		int mtu;

		ret = -errno;
		sh_xdp_driver_name(b->ifname, drv, sizeof(drv));
		mtu = sh_xdp_mtu(b->ifname);
		if ((ret == -EBUSY || ret == -EEXIST) && !bpf_xdp_query(b->ifindex, 0, &q) &&
		    q.prog_id)
			snprintf(err, err_len,
				 "%s: another XDP program (id %u) is attached; detach it first "
				 "(ip link set dev %s xdp off)",
				 b->ifname, q.prog_id, b->ifname);
		else if (b->mode == SH_XDP_NATIVE &&
			 (ret == -ERANGE || mtu > SH_XDP_VETH_MAX_MTU))
			snprintf(err, err_len,
				 "%s (driver %s): attaching native XDP: %s: an MTU too large for "
				 "shoal's XDP program, which takes one page per frame (no "
				 "multi-buffer): at most %d on veth, where the peer's MTU counts too "
				 "(%s's is %d); lower it, or use --xdp-mode generic",
				 b->ifname, drv, strerror(-ret), SH_XDP_VETH_MAX_MTU, b->ifname, mtu);
		else if (b->mode == SH_XDP_NATIVE && (ret == -EOPNOTSUPP || ret == -EINVAL))
			snprintf(err, err_len,
				 "%s (driver %s): attaching native XDP: %s; the driver may lack "
				 "XDP (--xdp-mode generic runs anywhere, slowly)",
				 b->ifname, drv, strerror(-ret));
		else
			snprintf(err, err_len, "%s (driver %s): attaching %s XDP: %s", b->ifname,
				 drv, mode_name(b->mode), strerror(-ret));
		goto fail;
	}
	sh_xdp_pin_path(b->dir, SH_XDP_LINK_PIN, path, sizeof(path));
	if (bpf_obj_pin(fd, path)) {
		ret = -errno;
		snprintf(err, err_len, "pinning the link %s: %s", path, strerror(-ret));
		close(fd); /* the last reference: detaches */
		goto fail;
	}
	b->link_fd = fd;
	b->live = true;
	if (b->mode == SH_XDP_GENERIC)
		sh_log_warn("%s: GENERIC XDP (skb mode) as asked: every packet pays for an skb; "
			    "for tests, not production",
			    b->ifname);
	sh_log_info("%s: attached %s XDP, link pinned at %s", b->ifname, mode_name(b->mode), path);
	return 0;
fail:
	/* Not attached: leave no pinned maps a later start would take for a running dataplane. */
	if (pinned_now) {
		maps_unpin(b);
		b->maps_pinned = false;
	}
	return ret;
}

static int xdp_apply(struct sh_backend *b, const struct sh_tables *t, const struct sh_tables *prev,
		     char *err, size_t err_len)
{
	int ret = sh_xdp_maps_apply(&b->maps, t, prev, err, err_len);

	if (!ret && !b->live)
		ret = go_live(b, err, err_len);
	return ret;
}

static int xdp_read_stats(struct sh_backend *b, struct sh_stats *out)
{
	return sh_xdp_maps_read_stats(&b->maps, out);
}

/* Detach the link pinned in dir (if any) and remove every pin and dir itself. */
static int pins_remove(const char *dir, char *err, size_t err_len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (sh_xdp_pinned(dir, SH_XDP_LINK_PIN)) {
		int fd;

		sh_xdp_pin_path(dir, SH_XDP_LINK_PIN, path, sizeof(path));
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			/* ENOLINK: detached already (the interface went away). */
			if (bpf_link_detach(fd) && errno != ENOLINK && errno != EINVAL)
				ret = -errno;
			close(fd);
		}
		if (ret) {
			snprintf(err, err_len, "%s: detaching: %s", path, strerror(-ret));
			return ret;
		}
	}
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(err, err_len, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!sh_xdp_pin_path(dir, de->d_name, path, sizeof(path)) && unlink(path) && !ret)
			ret = -errno;
	}
	closedir(d);
	if (!ret && rmdir(dir))
		ret = -errno;
	if (ret)
		snprintf(err, err_len, "%s: removing the pins: %s", dir, strerror(-ret));
	return ret;
}

static void xdp_stop(struct sh_backend *b, bool keep_forwarding)
{
	char err[256];

	if (!b)
		return;
	if (!keep_forwarding) {
		if (b->link_fd >= 0 && b->live)
			bpf_link_detach(b->link_fd);
		if (pins_remove(b->dir, err, sizeof(err)))
			sh_log_warn("%s", err);
	} else if (!b->live) {
		sh_log_warn("%s: stopping before the program was attached: nothing of this run is "
			    "left forwarding",
			    b->ifname);
	}
	if (b->link_fd >= 0)
		close(b->link_fd);
	sh_xdp_maps_fini(&b->maps);
	shoal_xdp_bpf__destroy(b->skel);
	free(b);
}

static int xdp_unload(const struct sh_backend_opts *opts, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	int ret;

	if (!opts->ifname) {
		snprintf(err, err_len, "XDP backend: no interface given");
		return -EINVAL;
	}
	ret = sh_xdp_pin_dir(opts->pin_root, opts->ifname, false, dir, sizeof(dir), err, err_len);
	if (ret)
		return ret;
	if (access(dir, F_OK)) {
		ret = -errno;
		snprintf(err, err_len, "%s: nothing pinned for %s (%s)", dir, opts->ifname,
			 strerror(-ret));
		return ret;
	}
	return pins_remove(dir, err, err_len);
}

static void xdp_describe(struct sh_backend *b, struct sh_backend_info *out)
{
	int queues = sh_xdp_rx_queues(b->ifname);

	/* The program runs on every queue, on whichever CPU takes its interrupt. */
	out->queues = queues > 0 ? (__u32)queues : 1;
	snprintf(out->mode, sizeof(out->mode), "%s XDP, per-CPU conntrack, pins in %.200s",
		 mode_name(b->mode), b->dir);
}

const struct sh_backend_ops sh_backend_xdp = {
	.name = "xdp",
	.probe = xdp_probe,
	.start = xdp_start,
	.apply = xdp_apply,
	.read_stats = xdp_read_stats,
	.describe = xdp_describe,
	.stop = xdp_stop,
	.unload = xdp_unload,
};
