/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire headers as the core reads and writes them. shoal defines its own
 * instead of including <linux/ip.h> or <netinet/ip.h> so that a translation
 * unit may combine the core with libc, kernel or DPDK headers without clashes.
 * All multi-byte fields are in network byte order.
 */
#ifndef SHOAL_HDR_H
#define SHOAL_HDR_H

#include "shoal/types.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define sh_htons(x) ((__be16)__builtin_bswap16((__u16)(x)))
#define sh_htonl(x) ((__be32)__builtin_bswap32((__u32)(x)))
#else
#define sh_htons(x) ((__be16)(x))
#define sh_htonl(x) ((__be32)(x))
#endif
#define sh_ntohs(x) sh_htons(x)
#define sh_ntohl(x) sh_htonl(x)

#define SH_ETH_P_IP 0x0800
#define SH_ETH_P_IPV6 0x86DD
#define SH_ETH_P_8021Q 0x8100
#define SH_ETH_P_8021AD 0x88A8

#define SH_IPPROTO_HOPOPTS 0
#define SH_IPPROTO_ICMP 1
#define SH_IPPROTO_IPIP 4
#define SH_IPPROTO_TCP 6
#define SH_IPPROTO_UDP 17
#define SH_IPPROTO_IPV6 41
#define SH_IPPROTO_ROUTING 43
#define SH_IPPROTO_FRAGMENT 44
#define SH_IPPROTO_AH 51
#define SH_IPPROTO_ICMPV6 58
#define SH_IPPROTO_DSTOPTS 60

struct sh_ethhdr {
	__u8 dst[SH_ETH_ALEN];
	__u8 src[SH_ETH_ALEN];
	__be16 proto;
};

struct sh_vlanhdr {
	__be16 tci;
	__be16 proto; /* the encapsulated ethertype */
};

struct sh_iphdr {
	__u8 ver_ihl; /* version << 4 | header length in 32-bit words */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off; /* flags << 13 | offset in 8-byte units */
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

#define SH_IP_DF 0x4000
#define SH_IP_MF 0x2000
#define SH_IP_OFFMASK 0x1fff

struct sh_ip6hdr {
	__be32 ver_tc_flow; /* version 4 bits, traffic class 8, flow label 20 */
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__be32 saddr[4];
	__be32 daddr[4];
};

/* The common shape of hop-by-hop, routing and destination options headers. */
struct sh_ip6_ext {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units, not counting the first 8 bytes (AH: 4-byte units - 2) */
};

struct sh_ip6_frag {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M flag */
	__be32 id;
};

#define SH_IP6_MF 0x0001
#define SH_IP6_OFFMASK 0xfff8

struct sh_tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset << 4 */
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

#define SH_TCP_FIN 0x01
#define SH_TCP_SYN 0x02
#define SH_TCP_RST 0x04
#define SH_TCP_ACK 0x10

struct sh_udphdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
};

/* ICMP and ICMPv6 share this 8-byte header shape. */
struct sh_icmphdr {
	__u8 type;
	__u8 code;
	__sum16 check;
	union {
		struct {
			__be16 id;
			__be16 seq;
		} echo;
		struct {
			__be16 unused;
			__be16 mtu;
		} frag;         /* ICMPv4 fragmentation needed */
		__be32 mtu6;    /* ICMPv6 packet too big */
		__be32 unused;
	} un;
};

#define SH_ICMP_ECHOREPLY 0
#define SH_ICMP_DEST_UNREACH 3
#define SH_ICMP_FRAG_NEEDED 4 /* code of DEST_UNREACH */
#define SH_ICMP_ECHO 8
#define SH_ICMP6_DEST_UNREACH 1
#define SH_ICMP6_PKT_TOOBIG 2
#define SH_ICMP6_ECHO_REQUEST 128
#define SH_ICMP6_ECHO_REPLY 129

_Static_assert(sizeof(struct sh_ethhdr) == 14, "ethhdr");
_Static_assert(sizeof(struct sh_iphdr) == 20, "iphdr");
_Static_assert(sizeof(struct sh_ip6hdr) == 40, "ip6hdr");
_Static_assert(sizeof(struct sh_tcphdr) == 20, "tcphdr");
_Static_assert(sizeof(struct sh_icmphdr) == 8, "icmphdr");

#endif /* SHOAL_HDR_H */
