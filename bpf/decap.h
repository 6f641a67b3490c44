/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the real-side decap program (decap.bpf.c) and its loader (shoal-real)
 * share: map keys and values, counter indices and names. Layouts are explicit.
 */
#ifndef SHOAL_DECAP_H
#define SHOAL_DECAP_H

#include "shoal/types.h"

#define SH_DECAP_MAX_TUNNEL_ADDRS 64
#define SH_DECAP_GUE_PORT 6080

/* Key of sh_dtun: an outer destination address this host decapsulates for. */
struct sh_decap_key {
	struct sh_addr addr; /* IPv4 in w[0], the rest 0 */
	__u8 family;         /* enum sh_family */
	__u8 pad[3];
};

/* The one value of sh_dcfg. */
struct sh_decap_cfg {
	__be16 gue_port; /* UDP destination port of GUE; 0: GUE off */
	__u16 pad;
	__u32 pad2;
};

_Static_assert(sizeof(struct sh_decap_key) == 20, "sh_decap_key");
_Static_assert(sizeof(struct sh_decap_cfg) == 8, "sh_decap_cfg");

/* Per-CPU counters of sh_dstats: X(name, text). Packets, not bytes. */
#define SH_DECAP_COUNTERS(X)                                                                   \
	X(IPIP, "decap_ipip", "IPv4 in IPv4 decapsulated")                                      \
	X(SIT, "decap_6in4", "IPv6 in IPv4 decapsulated")                                      \
	X(IP6IP6, "decap_ip6ip6", "IPv6 in IPv6 decapsulated")                                 \
	X(4IN6, "decap_4in6", "IPv4 in IPv6 decapsulated")                                     \
	X(GUE4, "decap_gue_ip4", "GUE with inner IPv4 decapsulated")                           \
	X(GUE6, "decap_gue_ip6", "GUE with inner IPv6 decapsulated")                           \
	X(PASS, "pass", "not a tunnel packet: passed untouched")                               \
	X(NOT_OURS, "pass_not_ours", "tunnel protocol, outer destination not ours: passed")   \
	X(MALFORMED, "drop_malformed", "tunnel packet to us, bad outer or inner header")       \
	X(FRAG, "drop_fragment", "fragmented tunnel packet to us: cannot decapsulate")

enum sh_decap_ctr {
#define SH_DECAP_X(name, text, help) SH_DECAP_##name,
	SH_DECAP_COUNTERS(SH_DECAP_X)
#undef SH_DECAP_X
	SH_DECAP_CTR_COUNT
};

#endif /* SHOAL_DECAP_H */
