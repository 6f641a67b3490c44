/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixed-width structures shared by the forwarding core, the BPF maps and the
 * userspace tables. Every struct here is a map key or value in the BPF world,
 * so layouts are explicit (no implicit padding) and checked at compile time.
 */
#ifndef SHOAL_TYPES_H
#define SHOAL_TYPES_H

#include <linux/types.h>

#ifndef SH_INLINE
#define SH_INLINE static inline __attribute__((always_inline))
#endif

#define SH_ETH_ALEN 6

enum sh_family {
	SH_AF_NONE = 0,
	SH_AF_INET = 4,
	SH_AF_INET6 = 6,
};

/* An IPv4 or IPv6 address in network byte order. IPv4 lives in w[0], w[1..3] = 0. */
struct sh_addr {
	__be32 w[4];
};

/*
 * An IPv4 address as a whole sh_addr. Written in one piece, so that a later
 * 16-byte copy of it is forwarded from the store instead of stalling on it.
 */
SH_INLINE struct sh_addr sh_addr4(__be32 a)
{
	struct sh_addr r = { { a, 0, 0, 0 } };

	return r;
}

SH_INLINE int sh_addr_eq(const struct sh_addr *a, const struct sh_addr *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}

/* Key of the VIP table. port 0 is the "every port" VIP of that address. */
struct sh_vip_key {
	struct sh_addr addr;
	__be16 port;
	__u8 proto;  /* IPPROTO_TCP/UDP; 0 for the address-only entry (see SH_VIP_F_ADDR_ONLY) */
	__u8 family; /* enum sh_family */
};

enum sh_encap {
	SH_ENCAP_IPIP = 0, /* IPIP, IP6IP6, 4in6 or 6in4 depending on the families */
	SH_ENCAP_GUE = 1,  /* GUE variant 1 (IP directly in UDP) */
};

enum sh_vip_flags {
	SH_VIP_F_NO_SPORT = 1 << 0,   /* ring hash ignores the client port (session affinity) */
	SH_VIP_F_NO_LRU = 1 << 1,     /* never remember flows: pure consistent hashing */
	SH_VIP_F_DPORT_HASH = 1 << 2, /* ring hash uses destination address and port only */
	/* Entries the control plane adds beside the real VIPs: */
	SH_VIP_F_FRAG_ONLY = 1 << 8,  /* (addr, 0, proto) alias used only to route fragments */
	SH_VIP_F_ADDR_ONLY = 1 << 9,  /* (addr, 0, 0): "this address is a VIP" (echo, errors) */
};

/* Value of the VIP table. */
struct sh_vip {
	__u32 vip_id;  /* index into the per-VIP counters */
	__u32 ring_id; /* which ring holds this VIP's slots */
	__u16 flags;   /* enum sh_vip_flags */
	__u8 encap;    /* enum sh_encap */
	__u8 pad;
};

#define SH_REAL_NONE 0xffffffffu

enum sh_real_flags {
	SH_REAL_F_ACTIVE = 1 << 0, /* slot holds a configured real; cleared when removed */
};

/* Value of the reals table, indexed by real index. */
struct sh_real {
	struct sh_addr addr;
	__u8 family; /* enum sh_family */
	__u8 flags;  /* enum sh_real_flags */
	__u16 pad;
};

/*
 * LB-wide parameters the control plane may change at run time (one table entry).
 * hash_key is the fleet-wide flow hash key: equal keys give equal choices.
 */
struct sh_lb {
	__u64 hash_key[2];
	struct sh_addr src4;
	struct sh_addr src6;
	__u8 gateway_mac[SH_ETH_ALEN];
	__u16 mtu;
	__u32 ring_size;
	__u32 udp_timeout_ms;
	__u16 gue_port; /* host byte order */
	__u8 has_src4;
	__u8 has_src6;
};

/* One conntrack way: flow hash tag -> real. 16 bytes, 4 ways per 64-byte bucket. */
struct sh_ct_way {
	__u64 tag;   /* flow hash with the low bit forced to 1; 0 = empty */
	__u32 stamp; /* last seen, in SH_CT_TICK_SHIFT units of the monotonic clock */
	__u16 real;  /* real index: below SH_MAX_REALS, checked in core/tables.c */
	__u16 flags; /* SH_CT_F_* */
};

enum sh_ct_flags {
	/* The flow sent a packet after the one that created its entry (ct.h). */
	SH_CT_F_CONFIRMED = 1 << 0,
};

#define SH_CT_WAYS 4
#define SH_CT_TICK_SHIFT 20 /* ~1.05 ms ticks: 32 bits cover ~52 days */

struct sh_ct_bucket {
	struct sh_ct_way way[SH_CT_WAYS];
};

struct sh_counter {
	__u64 packets;
	__u64 bytes;
};

_Static_assert(sizeof(struct sh_addr) == 16, "sh_addr layout");
_Static_assert(sizeof(struct sh_vip_key) == 20, "sh_vip_key layout");
_Static_assert(sizeof(struct sh_vip) == 12, "sh_vip layout");
_Static_assert(sizeof(struct sh_real) == 20, "sh_real layout");
_Static_assert(sizeof(struct sh_lb) == 72, "sh_lb layout");
_Static_assert(sizeof(struct sh_ct_bucket) == 64, "sh_ct_bucket is one cache line");

#endif /* SHOAL_TYPES_H */
