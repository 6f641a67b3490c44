// SPDX-License-Identifier: BSD-3-Clause
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "afxdp_steer.h"
#include "log.h"
#include "xsk_steer.h"
#include "xsk_steer.skel.h"

#define STEER_PROG_NAME "xsk_steer"

struct sh_steer {
	struct xsk_steer_bpf *skel;
	struct xdp_program *prog;
	int ifindex;
	enum xdp_attach_mode mode;
	int n_cpus;
};

/* The first steering program attached to ifindex (to close by the caller), or NULL. */
static struct xdp_program *stale_find(struct xdp_multiprog *mp)
{
	struct xdp_program *p = xdp_multiprog__main_prog(mp);

	if (xdp_multiprog__is_legacy(mp))
		return p && !strcmp(xdp_program__name(p), STEER_PROG_NAME) ? p : NULL;
	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (!strcmp(xdp_program__name(p), STEER_PROG_NAME))
			return p;
	return NULL;
}

/* Sum a steer_stats map's per-CPU values into ctr. */
static int stats_sum(int fd, int n_cpus, __u64 ctr[SH_CTR_COUNT])
{
	__u64 *per_cpu = calloc(n_cpus, sizeof(*per_cpu));
	int ret = 0;

	if (!per_cpu)
		return -ENOMEM;
	for (__u32 c = 0; c < SH_CTR_COUNT; c++) {
		if (bpf_map_lookup_elem(fd, &c, per_cpu)) {
			ret = -errno;
			break;
		}
		for (int cpu = 0; cpu < n_cpus; cpu++)
			ctr[c] += per_cpu[cpu];
	}
	free(per_cpu);
	return ret;
}

/* A stale steering program's counts, from its steer_stats map, added to ctr. */
static void stale_stats(struct xdp_program *p, __u64 ctr[SH_CTR_COUNT])
{
	__u32 map_ids[8], len;
	struct bpf_prog_info info;
	int n_cpus = libbpf_num_possible_cpus();

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 8;
	info.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(info);
	if (n_cpus <= 0 || bpf_obj_get_info_by_fd(xdp_program__fd(p), &info, &len))
		return;
	for (__u32 i = 0; i < info.nr_map_ids && i < 8; i++) {
		struct bpf_map_info m;
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		memset(&m, 0, sizeof(m));
		len = sizeof(m);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &m, &len) &&
		    !strcmp(m.name, "steer_stats"))
			stats_sum(fd, n_cpus, ctr);
		if (fd >= 0)
			close(fd);
	}
}

int sh_steer_remove_stale(int ifindex, __u64 carried[SH_CTR_COUNT], int *removed, char *err,
			  size_t err_len)
{
	*removed = 0;
	/* Each detach rebuilds the dispatcher: look again after every one. */
	for (int round = 0; round < SH_STEER_MAX_QUEUES; round++) {
		struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
		struct xdp_program *p;
		int ret;

		ret = libxdp_get_error(mp);
		if (ret == -ENOENT || (!ret && !mp))
			return 0; /* nothing attached */
		if (ret) {
			snprintf(err, err_len, "reading the XDP programs attached: %s", strerror(-ret));
			return ret;
		}
		p = stale_find(mp);
		if (p)
			stale_stats(p, carried);
		ret = p ? xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0) : 0;
		xdp_multiprog__close(mp);
		if (!p)
			return 0;
		if (ret) {
			snprintf(err, err_len, "detaching a steering program a previous shoald left: %s",
				 strerror(-ret));
			return ret;
		}
		(*removed)++;
	}
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	sh_log(level == LIBXDP_WARN ? SH_LOG_INFO : SH_LOG_DEBUG, "libxdp: %s", line);
	return 0;
}

/* Through the dispatcher (sharing the interface), or alone? Logged, for the operator. */
static void report_dispatcher(const char *ifname, int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	if (libxdp_get_error(mp) || !mp)
		return;
	if (xdp_multiprog__is_legacy(mp))
		sh_log_warn("%s: the steering program runs alone, not in libxdp's dispatcher "
			    "(it did not load on this kernel; -v shows why): no other XDP program "
			    "can share the interface while shoald runs",
			    ifname);
	xdp_multiprog__close(mp);
}

int sh_steer_attach(const char *ifname, int ifindex, bool generic, struct sh_steer **out,
		    char *err, size_t err_len)
{
	struct sh_steer *s = calloc(1, sizeof(*s));
	int ret = -ENOMEM;

	*out = NULL;
	libxdp_set_print(libxdp_print);
	if (!s)
		goto fail_msg;
	s->ifindex = ifindex;
	s->mode = generic ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	s->n_cpus = libbpf_num_possible_cpus();
	s->skel = xsk_steer_bpf__open();
	if (!s->skel || s->n_cpus <= 0) {
		ret = s->skel ? s->n_cpus : -errno;
		goto fail_msg;
	}
	s->prog = xdp_program__from_bpf_obj(s->skel->obj, "xdp");
	ret = libxdp_get_error(s->prog);
	if (ret) {
		s->prog = NULL;
		goto fail_msg;
	}
	/*
	 * libxdp tries its dispatcher first; where that does not load, libbpf
	 * warns about it at length before libxdp attaches the program alone.
	 * What matters is said below (report_dispatcher, or the error).
	 */
	sh_log_demote_libbpf(true);
	ret = xdp_program__attach(s->prog, ifindex, s->mode, 0);
	sh_log_demote_libbpf(false);
	if (ret) {
		snprintf(err, err_len,
			 "%s: attaching the steering program (%s XDP, libxdp dispatcher): %s%s "
			 "(-v shows libbpf's log)",
			 ifname, generic ? "generic" : "native", strerror(-ret),
			 ret == -EOPNOTSUPP || ret == -EINVAL
				 ? "; the driver may lack native XDP, which AF_XDP needs in driver "
				   "mode (--xdp-mode generic runs in copy mode anywhere)"
				 : ret == -EBUSY || ret == -EEXIST
					   ? "; a program not loaded through libxdp holds the "
					     "interface (shoald --backend xdp --unload, or "
					     "xdp-loader unload)"
					   : "");
		goto fail;
	}
	report_dispatcher(ifname, ifindex);
	*out = s;
	return 0;
fail_msg:
	snprintf(err, err_len, "%s: loading the steering program: %s", ifname, strerror(-ret));
fail:
	xdp_program__close(s->prog);
	if (s)
		xsk_steer_bpf__destroy(s->skel);
	free(s);
	return ret;
}

int sh_steer_set_socket(struct sh_steer *s, __u32 queue, int fd)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.steer_xsks), &queue, &fd, 0) ? -errno
											   : 0;
}

int sh_steer_retire(struct sh_steer *s, const struct sh_tables *t, const struct sh_tables *prev,
		    char *err, size_t err_len)
{
	int fd = bpf_map__fd(s->skel->maps.steer_vips);

	for (__u32 i = 0; prev && i <= prev->vip_mask; i++) {
		const struct sh_vip_slot *e = &prev->vips[i];

		if (!e->used || (t && sh_tables_vip_find(t, &e->key)))
			continue;
		if (bpf_map_delete_elem(fd, &e->key) && errno != ENOENT) {
			snprintf(err, err_len, "steering map: removing a VIP: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int sh_steer_publish(struct sh_steer *s, const struct sh_tables *t, char *err, size_t err_len)
{
	int fd = bpf_map__fd(s->skel->maps.steer_vips);
	__u32 zero = 0;

	for (__u32 i = 0; i <= t->vip_mask; i++) {
		const struct sh_vip_slot *e = &t->vips[i];

		if (e->used && bpf_map_update_elem(fd, &e->key, &e->val, BPF_ANY))
			goto fail;
	}
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.steer_lb), &zero, &t->lb, BPF_ANY))
		goto fail;
	return 0;
fail:
	snprintf(err, err_len, "steering map: %s", strerror(errno));
	return -errno;
}

int sh_steer_add_stats(const struct sh_steer *s, __u64 ctr[SH_CTR_COUNT])
{
	return stats_sum(bpf_map__fd(s->skel->maps.steer_stats), s->n_cpus, ctr);
}

void sh_steer_detach(struct sh_steer *s)
{
	if (!s)
		return;
	xdp_program__detach(s->prog, s->ifindex, s->mode, 0);
	xdp_program__close(s->prog);
	xsk_steer_bpf__destroy(s->skel);
	free(s);
}
