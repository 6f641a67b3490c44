// SPDX-License-Identifier: BSD-3-Clause
/*
 * Real-side decapsulation, for hosts whose kernel has no ipip/ip6_tunnel/fou.
 * On the real's ingress interface, strips the outer header of
 *   IPIP (IPv4 proto 4), 6in4 (IPv4 proto 41), IP6IP6 (IPv6 next header 41),
 *   4in6 (IPv6 next header 4) and GUE variant 1 (UDP to sh_dcfg.gue_port,
 *   the inner IPv4/IPv6 packet right after the UDP header)
 * when the outer destination is in sh_dtun, rewrites the Ethernet type to the
 * inner family and passes the inner packet (client -> VIP) to the stack.
 * An empty sh_dtun decapsulates nothing. Anything else passes untouched.
 * A tunnel packet to us that is truncated or inconsistent is dropped; so is a
 * fragmented one, which no one on this host could reassemble and decapsulate.
 * Outer IPv6 extension headers and VLAN tags are not parsed: such packets pass.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "shoal/hdr.h"
#include "decap.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SH_DECAP_MAX_TUNNEL_ADDRS);
	__type(key, struct sh_decap_key);
	__type(value, __u8);
} sh_dtun SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sh_decap_cfg);
} sh_dcfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SH_DECAP_CTR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} sh_dstats SEC(".maps");

/* A tunnel packet to us, as found by the outer parsers. */
struct sh_decap_outer {
	__u32 len;       /* bytes between the Ethernet header and the inner packet */
	__u32 inner_max; /* bytes the outer header says the inner packet may take */
	__u8 inner_ver;  /* 4 or 6: what the outer header announces */
	__u8 gue;        /* 1 if GUE: the inner packet's first nibble names its version */
};

/* What an outer parser found. */
enum sh_decap_verdict {
	SH_DV_PASS = 0,  /* not a tunnel packet: pass untouched */
	SH_DV_NOT_OURS,  /* tunnel protocol, but not to one of our tunnel addresses */
	SH_DV_DECAP,     /* a tunnel packet to us: the sh_decap_outer is filled in */
	SH_DV_MALFORMED, /* a tunnel packet to us with a bad outer header */
	SH_DV_FRAG,      /* a fragmented tunnel packet to us */
};

SH_INLINE void sh_decap_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&sh_dstats, &idx);

	if (c)
		*c += 1;
}

SH_INLINE int sh_decap_is_ours4(__be32 daddr)
{
	struct sh_decap_key k;

	__builtin_memset(&k, 0, sizeof(k));
	k.addr.w[0] = daddr;
	k.family = SH_AF_INET;
	return bpf_map_lookup_elem(&sh_dtun, &k) != NULL;
}

SH_INLINE int sh_decap_is_ours6(const __be32 *daddr)
{
	struct sh_decap_key k;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.addr.w, daddr, 16);
	k.family = SH_AF_INET6;
	return bpf_map_lookup_elem(&sh_dtun, &k) != NULL;
}

/* The configured GUE port in network byte order, or 0 if GUE is off. */
SH_INLINE __be16 sh_decap_gue_port(void)
{
	__u32 zero = 0;
	struct sh_decap_cfg *cfg = bpf_map_lookup_elem(&sh_dcfg, &zero);

	return cfg ? cfg->gue_port : 0;
}

/* 1 if l4 holds a whole UDP header to the GUE port (and GUE is on). */
SH_INLINE int sh_decap_to_gue_port(void *l4, void *end)
{
	struct sh_udphdr *udp = l4;
	__be16 port;

	if ((void *)(udp + 1) > end)
		return 0; /* not even a UDP header: the stack's business */
	port = sh_decap_gue_port();
	return port && udp->dest == port;
}

/* GUE to us, its UDP header checked by sh_decap_to_gue_port(): l4_len is the IP payload. */
SH_INLINE enum sh_decap_verdict sh_decap_parse_gue(struct sh_udphdr *udp, __u32 l4_len,
						   struct sh_decap_outer *o)
{
	if (l4_len < sizeof(*udp) || sh_ntohs(udp->len) != l4_len)
		return SH_DV_MALFORMED;
	o->len += sizeof(*udp);
	o->inner_max = l4_len - sizeof(*udp);
	o->gue = 1;
	return SH_DV_DECAP;
}

/*
 * The outer header's next protocol: IP in IP sets o->inner_ver and gives 1,
 * UDP (GUE when it goes to the GUE port) gives 0, anything else -1.
 */
SH_INLINE int sh_decap_outer_next(__u8 proto, struct sh_decap_outer *o)
{
	switch (proto) {
	case SH_IPPROTO_IPIP:
		o->inner_ver = 4;
		return 1;
	case SH_IPPROTO_IPV6:
		o->inner_ver = 6;
		return 1;
	case SH_IPPROTO_UDP:
		return 0;
	default:
		return -1;
	}
}

SH_INLINE enum sh_decap_verdict sh_decap_parse_ip4(void *l3, void *end, struct sh_decap_outer *o)
{
	struct sh_iphdr *ip = l3;
	__u32 hlen, tot_len;
	int next, udp;

	if ((void *)(ip + 1) > end || (ip->ver_ihl >> 4) != 4)
		return SH_DV_PASS;
	next = sh_decap_outer_next(ip->protocol, o);
	if (next < 0)
		return SH_DV_PASS;
	udp = next == 0;
	/* Only a first fragment carries the port; later ones are not ours to judge. */
	if (udp && ((ip->frag_off & sh_htons(SH_IP_OFFMASK)) || !sh_decap_gue_port()))
		return SH_DV_PASS;
	if (!sh_decap_is_ours4(ip->daddr))
		return udp ? SH_DV_PASS : SH_DV_NOT_OURS;

	/* A bad header on plain UDP to us is the stack's to drop; on a tunnel packet, ours. */
	hlen = (ip->ver_ihl & 0xf) * 4;
	if (hlen < sizeof(*ip) || (void *)ip + hlen > end)
		return udp ? SH_DV_PASS : SH_DV_MALFORMED;
	if (udp && !sh_decap_to_gue_port((void *)ip + hlen, end))
		return SH_DV_PASS;
	if (ip->frag_off & sh_htons(SH_IP_MF | SH_IP_OFFMASK))
		return SH_DV_FRAG;
	tot_len = sh_ntohs(ip->tot_len);
	if (tot_len < hlen || tot_len > (__u32)(end - l3))
		return SH_DV_MALFORMED;
	o->len = hlen;
	o->inner_max = tot_len - hlen;
	if (udp)
		return sh_decap_parse_gue((void *)ip + hlen, tot_len - hlen, o);
	return SH_DV_DECAP;
}

SH_INLINE enum sh_decap_verdict sh_decap_parse_ip6(void *l3, void *end, struct sh_decap_outer *o)
{
	struct sh_ip6hdr *ip6 = l3;
	__u32 plen;
	int next, udp;

	if ((void *)(ip6 + 1) > end || (((__u8 *)ip6)[0] >> 4) != 6)
		return SH_DV_PASS;
	next = sh_decap_outer_next(ip6->nexthdr, o);
	if (next < 0)
		return SH_DV_PASS; /* a fragment header among them: see the file comment */
	udp = next == 0;
	if (udp && !sh_decap_gue_port())
		return SH_DV_PASS;
	if (!sh_decap_is_ours6(ip6->daddr))
		return udp ? SH_DV_PASS : SH_DV_NOT_OURS;
	if (udp && !sh_decap_to_gue_port(ip6 + 1, end))
		return SH_DV_PASS;

	plen = sh_ntohs(ip6->payload_len);
	if (plen > (__u32)(end - l3) - sizeof(*ip6))
		return SH_DV_MALFORMED;
	o->len = sizeof(*ip6);
	o->inner_max = plen;
	if (udp)
		return sh_decap_parse_gue((struct sh_udphdr *)(ip6 + 1), plen, o);
	return SH_DV_DECAP;
}

/*
 * Checks the inner packet at l3 + o->len: its version is the announced one
 * (for GUE, 4 or 6, which sets it), its header is all there, and its length
 * fits in what the outer header carries.
 */
SH_INLINE int sh_decap_check_inner(void *inner, void *end, struct sh_decap_outer *o)
{
	__u8 *first = inner;
	__u32 len;

	if ((void *)(first + 1) > end)
		return -1;
	if (o->gue) {
		if ((*first >> 4) != 4 && (*first >> 4) != 6)
			return -1;
		o->inner_ver = *first >> 4;
	}
	if ((*first >> 4) != o->inner_ver)
		return -1;
	if (o->inner_ver == 4) {
		struct sh_iphdr *ip = inner;

		if ((void *)(ip + 1) > end || (ip->ver_ihl & 0xf) < 5)
			return -1;
		len = sh_ntohs(ip->tot_len);
		if (len < (__u32)(ip->ver_ihl & 0xf) * 4)
			return -1;
	} else {
		struct sh_ip6hdr *ip6 = inner;

		if ((void *)(ip6 + 1) > end)
			return -1;
		len = sizeof(*ip6) + sh_ntohs(ip6->payload_len);
	}
	return len > o->inner_max ? -1 : 0;
}

SH_INLINE __u32 sh_decap_kind(__be16 outer_proto, const struct sh_decap_outer *o)
{
	if (o->gue)
		return o->inner_ver == 4 ? SH_DECAP_GUE4 : SH_DECAP_GUE6;
	if (outer_proto == sh_htons(SH_ETH_P_IP))
		return o->inner_ver == 4 ? SH_DECAP_IPIP : SH_DECAP_SIT;
	return o->inner_ver == 4 ? SH_DECAP_4IN6 : SH_DECAP_IP6IP6;
}

SEC("xdp")
int sh_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct sh_ethhdr *eth = data;
	struct sh_decap_outer o = {};
	enum sh_decap_verdict v;
	__u8 macs[2 * SH_ETH_ALEN];
	__be16 proto;

	if ((void *)(eth + 1) > end)
		goto pass;
	proto = eth->proto;
	if (proto == sh_htons(SH_ETH_P_IP))
		v = sh_decap_parse_ip4(eth + 1, end, &o);
	else if (proto == sh_htons(SH_ETH_P_IPV6))
		v = sh_decap_parse_ip6(eth + 1, end, &o);
	else
		goto pass;

	switch (v) {
	case SH_DV_DECAP:
		break;
	case SH_DV_NOT_OURS:
		sh_decap_count(SH_DECAP_NOT_OURS);
		return XDP_PASS;
	case SH_DV_MALFORMED:
		goto malformed;
	case SH_DV_FRAG:
		sh_decap_count(SH_DECAP_FRAG);
		return XDP_DROP;
	default:
		goto pass;
	}
	if (o.len > 60 + sizeof(struct sh_udphdr)) /* for the verifier: IPv4 with options + UDP */
		goto malformed;
	if (sh_decap_check_inner((void *)(eth + 1) + o.len, end, &o))
		goto malformed;

	__builtin_memcpy(macs, eth, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, (int)o.len))
		goto malformed;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP; /* cannot happen: the inner header was there */
	__builtin_memcpy(eth, macs, sizeof(macs));
	eth->proto = o.inner_ver == 4 ? sh_htons(SH_ETH_P_IP) : sh_htons(SH_ETH_P_IPV6);
	sh_decap_count(sh_decap_kind(proto, &o));
	return XDP_PASS;

malformed:
	sh_decap_count(SH_DECAP_MALFORMED);
	return XDP_DROP;
pass:
	sh_decap_count(SH_DECAP_PASS);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
