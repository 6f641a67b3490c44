// SPDX-License-Identifier: BSD-3-Clause
/*
 * The AF_XDP echo forwarder's XDP program (bench/afxdp_echo.c): every frame
 * goes to the socket of the queue it arrived on. No classify, unlike shoal's
 * steering program: the benchmark's baseline is AF_XDP itself.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* As many queues as shoal's steering program can serve (SH_STEER_MAX_QUEUES). */
#define ECHO_MAX_QUEUES 64

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, ECHO_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} echo_xsks SEC(".maps");

SEC("xdp")
int xsk_echo(struct xdp_md *ctx)
{
	/* A queue without a socket drops: the kernel has nothing to do with these frames. */
	return bpf_redirect_map(&echo_xsks, ctx->rx_queue_index, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
