/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The production XDP program run on single frames with BPF_PROG_TEST_RUN, its
 * maps filled from userspace tables by the XDP backend's own code: loaded,
 * never attached, never pinned. For shoal-replay --backend xdp and tests.
 */
#ifndef SHOAL_XDP_REPLAY_H
#define SHOAL_XDP_REPLAY_H

#include <stddef.h>

#include "backend.h"
#include "config.h"
#include "tables.h"

/*
 * What BPF_PROG_TEST_RUN takes for XDP: at least an Ethernet header, and, for
 * a program without multi-buffer support, a page less the 256 bytes of
 * headroom and the 320 of skb_shared_info.
 */
#define SH_XDP_RUN_MIN_FRAME 14
#define SH_XDP_RUN_MAX_FRAME 3520

struct sh_xdp_replay;

/*
 * Load the program with its replay clock, sized for cfg, and fill its maps
 * from t. The caller stays on one CPU while it runs frames: conntrack and
 * counters are per CPU.
 */
int sh_xdp_replay_open(const struct sh_config *cfg, const struct sh_tables *t,
		       struct sh_xdp_replay **out, char *err, size_t err_len);

/*
 * Run one frame at time now_ns. *out_len is the length of the frame written to
 * out when the program sends it (XDP_TX), else 0.
 */
int sh_xdp_replay_run(struct sh_xdp_replay *x, const void *frame, __u32 len, __u64 now_ns,
		      void *out, __u32 out_size, __u32 *out_len, char *err, size_t err_len);

/* The program's counters, summed over CPUs. */
int sh_xdp_replay_stats(struct sh_xdp_replay *x, struct sh_stats *out);

void sh_xdp_replay_close(struct sh_xdp_replay *x);

#endif /* SHOAL_XDP_REPLAY_H */
