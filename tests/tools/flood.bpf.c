// SPDX-License-Identifier: BSD-3-Clause
/*
 * The flood generator's XDP program, run by shoal-flood through
 * BPF_PROG_RUN in live-frames mode: every run rewrites the template frame
 * (IPv4 + TCP) into the next new flow (source address, then source port)
 * and transmits it out the interface (XDP_TX). Checksums are updated
 * incrementally from the frame's own fields, so it does not matter whether
 * the kernel hands the program a fresh copy of the template or the last
 * frame it sent.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 src_base;  /* first source address, host order */
const volatile __u32 n_sources = 1;
const volatile __u16 sport_base; /* first source port, host order */
const volatile __u32 n_sports = 1;

__u64 flows_sent; /* the next flow's number; read back by shoal-flood */

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)((sum & 0xffff) + (sum >> 16));
}

/* RFC 1624, eqn. 3: the checksum after a 16-bit word changes from old to new. */
static __always_inline __u16 csum_replace(__u16 check, __u16 old, __u16 new)
{
	return (__u16)~csum_fold((__u16)~check + (__u32)(__u16)~old + new);
}

static __always_inline __u16 csum_replace32(__u16 check, __u32 old, __u32 new)
{
	check = csum_replace(check, (__u16)(old >> 16), (__u16)(new >> 16));
	return csum_replace(check, (__u16)old, (__u16)new);
}

SEC("xdp")
int flood(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);
	__u32 saddr;
	__u16 sport;
	__u64 n;

	if ((void *)(tcp + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_ABORTED;
	n = __sync_fetch_and_add(&flows_sent, 1);
	saddr = bpf_htonl(src_base + (__u32)(n % n_sources));
	sport = bpf_htons((__u16)(sport_base + (n / n_sources) % n_sports));
	ip->check = csum_replace32(ip->check, ip->saddr, saddr);
	tcp->check = csum_replace32(tcp->check, ip->saddr, saddr); /* pseudo-header */
	tcp->check = csum_replace(tcp->check, tcp->source, sport);
	ip->saddr = saddr;
	tcp->source = sport;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
