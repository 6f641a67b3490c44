// SPDX-License-Identifier: BSD-3-Clause
/* The XDP forwarder: the portable core over BPF maps. */
#include "env_bpf.h"
#include "shoal/pipeline.h"

SEC("xdp")
int shoal_xdp(struct xdp_md *ctx)
{
	struct sh_pkt p = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.ctx = ctx,
	};
	__u32 zero = 0;
	struct sh_env e = { .lb = bpf_map_lookup_elem(&sh_lb, &zero) };

	if (!e.lb)
		return XDP_PASS;
	switch (sh_process(&e, &p)) {
	case SH_ACT_TX:
		return XDP_TX;
	case SH_ACT_DROP:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
