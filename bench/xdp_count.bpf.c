// SPDX-License-Identifier: BSD-3-Clause
/*
 * The AF_XDP benchmark's sink (bench/afxdp.sh): attached to the veth peer
 * the forwarders send back to, it counts every frame and drops it. veth only
 * delivers XDP_TX and redirected frames to a peer that has an XDP program.
 * bench/afxdp.sh reads the per-CPU count with bpftool.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} count_pkts SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&count_pkts, &zero);

	(void)ctx;
	if (c)
		*c += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
