// SPDX-License-Identifier: BSD-3-Clause
/* The XDP program over BPF_PROG_TEST_RUN (see xdp_replay.h). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal_xdp.skel.h"
#include "xdp_maps.h"
#include "xdp_replay.h"

struct sh_xdp_replay {
	struct shoal_xdp_bpf *skel;
	struct sh_xdp_maps maps;
	int prog_fd;
};

int sh_xdp_replay_open(const struct sh_config *cfg, const struct sh_tables *t,
		       struct sh_xdp_replay **out, char *err, size_t err_len)
{
	struct sh_xdp_sizes sz = sh_xdp_sizes_for(cfg->lb.ring_size, cfg->conntrack_size,
						  cfg->n_vips ? (__u32)cfg->n_vips : 1);
	struct sh_xdp_replay *x = calloc(1, sizeof(*x));
	int ret;

	*out = NULL;
	if (!x)
		return -ENOMEM;
	ret = sh_xdp_skel_open(&sz, true, &x->skel, err, err_len);
	if (ret)
		goto fail;
	ret = shoal_xdp_bpf__load(x->skel);
	if (ret) {
		snprintf(err, err_len, "loading the XDP program: %s", strerror(-ret));
		goto fail;
	}
	ret = sh_xdp_maps_init(&x->maps, x->skel, sz.ring_size, false, err, err_len);
	if (ret)
		goto fail;
	ret = sh_xdp_maps_apply(&x->maps, t, NULL, err, err_len);
	if (ret)
		goto fail;
	x->prog_fd = bpf_program__fd(x->skel->progs.shoal_xdp);
	*out = x;
	return 0;
fail:
	sh_xdp_replay_close(x);
	return ret;
}

int sh_xdp_replay_run(struct sh_xdp_replay *x, const void *frame, __u32 len, __u64 now_ns,
		      void *out, __u32 out_size, __u32 *out_len, char *err, size_t err_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = out_size, .repeat = 1);
	int ret;

	*out_len = 0;
	if (len < SH_XDP_RUN_MIN_FRAME || len > SH_XDP_RUN_MAX_FRAME) {
		snprintf(err, err_len,
			 "%u bytes; BPF_PROG_TEST_RUN takes %u..%u (a NIC delivers at least an "
			 "Ethernet header; the program is not multi-buffer)",
			 len, SH_XDP_RUN_MIN_FRAME, SH_XDP_RUN_MAX_FRAME);
		return -EINVAL;
	}
	x->skel->bss->sh_clock_ns = now_ns;
	if (bpf_prog_test_run_opts(x->prog_fd, &o)) {
		ret = -errno;
		snprintf(err, err_len, "%u bytes: BPF_PROG_TEST_RUN: %s", len, strerror(-ret));
		return ret;
	}
	if (o.retval == XDP_TX)
		*out_len = o.data_size_out;
	return 0;
}

int sh_xdp_replay_stats(struct sh_xdp_replay *x, struct sh_stats *out)
{
	return sh_xdp_maps_read_stats(&x->maps, out);
}

void sh_xdp_replay_close(struct sh_xdp_replay *x)
{
	if (!x)
		return;
	sh_xdp_maps_fini(&x->maps);
	shoal_xdp_bpf__destroy(x->skel);
	free(x);
}
