/* SPDX-License-Identifier: BSD-3-Clause */
/* A flow (the 5-tuple as the client sent it) and its keyed hash. */
#ifndef SHOAL_FLOW_H
#define SHOAL_FLOW_H

#include "shoal/hash.h"
#include "shoal/hdr.h"

struct sh_flow {
	struct sh_addr src; /* the client */
	struct sh_addr dst; /* the VIP */
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family; /* enum sh_family */
	__u16 pad;
};

/*
 * The fleet-wide word encoding of a flow. IPv4: (src << 32 | dst), then the
 * ports word; IPv6: the two addresses as four 64-bit words, then the ports
 * word. Words are built from host-order values, so big- and little-endian
 * LBs agree.
 */
SH_INLINE __u64 sh_flow_ports_word(const struct sh_flow *f)
{
	return (__u64)sh_ntohs(f->sport) << 48 | (__u64)sh_ntohs(f->dport) << 32 |
	       (__u64)f->proto << 8 | f->family;
}

SH_INLINE __u64 sh_addr_word(const struct sh_addr *a, int i)
{
	return (__u64)sh_ntohl(a->w[2 * i]) << 32 | sh_ntohl(a->w[2 * i + 1]);
}

SH_INLINE __u64 sh_flow_hash(const __u64 key[2], const struct sh_flow *f)
{
	__u64 w[5];

	if (f->family == SH_AF_INET) {
		w[0] = (__u64)sh_ntohl(f->src.w[0]) << 32 | sh_ntohl(f->dst.w[0]);
		w[1] = sh_flow_ports_word(f);
		return sh_hash_words(key, w, 2);
	}
	w[0] = sh_addr_word(&f->src, 0);
	w[1] = sh_addr_word(&f->src, 1);
	w[2] = sh_addr_word(&f->dst, 0);
	w[3] = sh_addr_word(&f->dst, 1);
	w[4] = sh_flow_ports_word(f);
	return sh_hash_words(key, w, 5);
}

#endif /* SHOAL_FLOW_H */
