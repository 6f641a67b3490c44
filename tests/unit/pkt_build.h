/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test packets and a test load balancer for the core's unit tests.
 *
 * pb_build() writes a frame (Ethernet, optional VLAN tag, IPv4 with options or
 * IPv6 with extension headers, then TCP, UDP, ICMP/ICMPv6 or raw payload) with
 * correct lengths and checksums into a byte array. Checksums are computed here
 * byte by byte in network order (RFC 1071), independently of core/csum.h, so
 * the tests can check the core against them.
 *
 * pb_pkt_new() puts a frame in a heap buffer of exactly headroom + len bytes,
 * so a read past the frame's end hits AddressSanitizer's redzone.
 *
 * struct pb_lb is the real userspace environment (core/tables.h tables built
 * from a JSON config, and a backends/user worker) that the AF_XDP and DPDK
 * backends ship.
 *
 * Include "env_user.h" before this file. Addresses: 198.18.0.0/15, 2001:db8::/32.
 */
#ifndef SHOAL_TEST_PKT_BUILD_H
#define SHOAL_TEST_PKT_BUILD_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "shoal/flow.h"
#include "shoal/hdr.h"
#include "tables.h"
#include "worker.h"

#ifndef SH_ENV_NAME
#error "include env_user.h before pkt_build.h"
#endif

#define PB_MAX 9300 /* largest frame the builder writes */

static const __u8 pb_mac_lb[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa };     /* this LB */
static const __u8 pb_mac_router[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xbb }; /* the sender */
static const __u8 pb_mac_gw[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };     /* lb.gateway_mac */

static inline void pb_die(const char *what)
{
	fprintf(stderr, "pkt_build: %s\n", what);
	abort();
}

/* ---- byte helpers (network order) ---- */

static inline __u16 pb_get16(const __u8 *b, size_t off)
{
	return (__u16)(b[off] << 8 | b[off + 1]);
}

static inline __u32 pb_get32(const __u8 *b, size_t off)
{
	return (__u32)b[off] << 24 | (__u32)b[off + 1] << 16 | (__u32)b[off + 2] << 8 | b[off + 3];
}

static inline void pb_put16(__u8 *b, size_t off, __u16 v)
{
	b[off] = v >> 8;
	b[off + 1] = v & 0xff;
}

static inline void pb_put32(__u8 *b, size_t off, __u32 v)
{
	pb_put16(b, off, v >> 16);
	pb_put16(b, off + 2, v & 0xffff);
}

/* ---- checksums, the RFC 1071 way: big-endian 16-bit words ---- */

static inline __u32 pb_sum(const __u8 *b, size_t n, __u32 sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (__u32)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	return sum;
}

/* Folded and complemented: the value to store (host order). */
static inline __u16 pb_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Does the data (checksum field included) plus the pseudo-header sum verify? */
static inline int pb_csum_ok(const __u8 *b, size_t n, __u32 pseudo)
{
	return pb_fold(pb_sum(b, n, pseudo)) == 0;
}

static inline __u32 pb_pseudo4(const __u8 *src, const __u8 *dst, __u8 proto, __u32 len)
{
	__u32 sum = pb_sum(src, 4, 0);

	sum = pb_sum(dst, 4, sum);
	return sum + proto + len;
}

static inline __u32 pb_pseudo6(const __u8 *src, const __u8 *dst, __u8 proto, __u32 len)
{
	__u32 sum = pb_sum(src, 16, 0);

	sum = pb_sum(dst, 16, sum);
	return sum + proto + (len >> 16) + (len & 0xffff);
}

/* ---- addresses ---- */

/* Parse an address; returns its family (SH_AF_INET / SH_AF_INET6). */
static inline int pb_addr(const char *s, struct sh_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a) == 1)
		return SH_AF_INET;
	if (inet_pton(AF_INET6, s, a) == 1)
		return SH_AF_INET6;
	pb_die("bad address");
	return 0;
}

/* The flow as the core sees it (client src:sport -> VIP dst:dport). */
static inline struct sh_flow pb_flow(const char *src, const char *dst, __u16 sport, __u16 dport,
				     __u8 proto)
{
	struct sh_flow f;

	memset(&f, 0, sizeof(f));
	f.family = (__u8)pb_addr(src, &f.src);
	if (pb_addr(dst, &f.dst) != f.family)
		pb_die("flow families differ");
	f.sport = htons(sport);
	f.dport = htons(dport);
	f.proto = proto;
	return f;
}

/* ---- the frame builder ---- */

/* One IPv6 extension header. */
struct pb_ext {
	__u8 type;     /* SH_IPPROTO_HOPOPTS, _ROUTING, _DSTOPTS, _FRAGMENT or _AH */
	__u8 hdrlen;   /* the header's length field (ignored for _FRAGMENT) */
	__u16 frag;    /* _FRAGMENT: offset in bytes (multiple of 8) | SH_IP6_MF */
	__u32 frag_id; /* _FRAGMENT: identification */
};

struct pb_spec {
	const char *src, *dst; /* IP addresses; the family follows them */
	__u8 proto;            /* L4 protocol: TCP, UDP, ICMP, ICMPv6 or anything (raw) */
	__u16 vlan_tpid;       /* 0: no VLAN tag; else 0x8100 or 0x88a8 */
	__u16 vlan_tci;
	int no_eth;            /* write the IP packet only */
	/* IPv4 */
	__u8 tos;              /* also the IPv6 traffic class */
	__u8 ttl;              /* 0: 64 */
	__u16 ip_id;
	__u16 frag;            /* IPv4 flags | offset field, host order (SH_IP_DF, SH_IP_MF) */
	const __u8 *ip4_opts;  /* IPv4 options, ip4_opts_len a multiple of 4, at most 40 */
	__u32 ip4_opts_len;
	/* IPv6 */
	__u32 flow_label;
	const struct pb_ext *ext; /* extension headers in order */
	int n_ext;
	/* L4 */
	int raw_l4;            /* no L4 header: payload only (non-first fragments) */
	__u16 sport, dport;
	__u8 tcp_flags;
	__u32 seq, ack;
	const __u8 *tcp_opts;  /* a multiple of 4, at most 40 */
	__u32 tcp_opts_len;
	__u8 icmp_type, icmp_code;
	__u16 icmp_id, icmp_seq; /* echo; for errors the 4 bytes are icmp_rest */
	__u32 icmp_rest;         /* used when icmp_id and icmp_seq are 0 */
	const __u8 *payload;     /* NULL: payload_len bytes of a counting pattern */
	__u32 payload_len;
};

/*
 * Write the frame into out (cap bytes); returns its length. Layout facts a test
 * may need (offsets into out) are returned through l3_off / l4_off when not NULL.
 */
static inline size_t pb_build_ex(const struct pb_spec *s, __u8 *out, size_t cap, size_t *l3_off_out,
				 size_t *l4_off_out)
{
	struct sh_addr src, dst;
	int fam = pb_addr(s->src, &src);
	size_t off = 0, l3, l4, end, i;
	__u8 nh;

	if (pb_addr(s->dst, &dst) != fam)
		pb_die("src and dst families differ");
	if (cap < PB_MAX)
		pb_die("buffer smaller than PB_MAX");
	memset(out, 0, PB_MAX);
	if (!s->no_eth) {
		memcpy(out, pb_mac_lb, 6);
		memcpy(out + 6, pb_mac_router, 6);
		off = 12;
		if (s->vlan_tpid) {
			pb_put16(out, off, s->vlan_tpid);
			pb_put16(out, off + 2, s->vlan_tci);
			off += 4;
		}
		pb_put16(out, off, fam == SH_AF_INET ? SH_ETH_P_IP : SH_ETH_P_IPV6);
		off += 2;
	}
	l3 = off;
	if (fam == SH_AF_INET) {
		if (s->ip4_opts_len % 4 || s->ip4_opts_len > 40)
			pb_die("bad IPv4 options length");
		out[l3] = (__u8)(0x40 | (5 + s->ip4_opts_len / 4));
		out[l3 + 1] = s->tos;
		pb_put16(out, l3 + 4, s->ip_id);
		pb_put16(out, l3 + 6, s->frag);
		out[l3 + 8] = s->ttl ? s->ttl : 64;
		out[l3 + 9] = s->proto;
		memcpy(out + l3 + 12, &src.w[0], 4);
		memcpy(out + l3 + 16, &dst.w[0], 4);
		if (s->ip4_opts_len)
			memcpy(out + l3 + 20, s->ip4_opts, s->ip4_opts_len);
		l4 = l3 + 20 + s->ip4_opts_len;
	} else {
		pb_put32(out, l3, 6u << 28 | (__u32)s->tos << 20 | (s->flow_label & 0xfffff));
		out[l3 + 7] = s->ttl ? s->ttl : 64;
		memcpy(out + l3 + 8, &src, 16);
		memcpy(out + l3 + 24, &dst, 16);
		off = l3 + 40;
		nh = s->n_ext ? s->ext[0].type : s->proto;
		out[l3 + 6] = nh;
		for (i = 0; i < (size_t)s->n_ext; i++) {
			const struct pb_ext *x = &s->ext[i];
			__u8 next = i + 1 < (size_t)s->n_ext ? s->ext[i + 1].type : s->proto;
			size_t len;

			out[off] = next;
			if (x->type == SH_IPPROTO_FRAGMENT) {
				len = 8;
				pb_put16(out, off + 2, x->frag);
				pb_put32(out, off + 4, x->frag_id);
			} else if (x->type == SH_IPPROTO_AH) {
				len = ((size_t)x->hdrlen + 2) * 4;
				out[off + 1] = x->hdrlen;
			} else {
				len = ((size_t)x->hdrlen + 1) * 8;
				out[off + 1] = x->hdrlen;
				if (x->type == SH_IPPROTO_ROUTING) {
					out[off + 2] = 253; /* experimental routing type */
					out[off + 3] = 0;   /* segments left */
				} else {
					out[off + 2] = 1; /* PadN over the rest */
					out[off + 3] = (__u8)(len - 4);
				}
			}
			off += len;
		}
		l4 = off;
	}
	off = l4;
	if (!s->raw_l4 && s->proto == SH_IPPROTO_TCP) {
		if (s->tcp_opts_len % 4 || s->tcp_opts_len > 40)
			pb_die("bad TCP options length");
		pb_put16(out, off, s->sport);
		pb_put16(out, off + 2, s->dport);
		pb_put32(out, off + 4, s->seq);
		pb_put32(out, off + 8, s->ack);
		out[off + 12] = (__u8)((5 + s->tcp_opts_len / 4) << 4);
		out[off + 13] = s->tcp_flags;
		pb_put16(out, off + 14, 65535);
		if (s->tcp_opts_len)
			memcpy(out + off + 20, s->tcp_opts, s->tcp_opts_len);
		off += 20 + s->tcp_opts_len;
	} else if (!s->raw_l4 && s->proto == SH_IPPROTO_UDP) {
		pb_put16(out, off, s->sport);
		pb_put16(out, off + 2, s->dport);
		off += 8;
	} else if (!s->raw_l4 && (s->proto == SH_IPPROTO_ICMP || s->proto == SH_IPPROTO_ICMPV6)) {
		out[off] = s->icmp_type;
		out[off + 1] = s->icmp_code;
		if (s->icmp_id || s->icmp_seq) {
			pb_put16(out, off + 4, s->icmp_id);
			pb_put16(out, off + 6, s->icmp_seq);
		} else {
			pb_put32(out, off + 4, s->icmp_rest);
		}
		off += 8;
	}
	if (off + s->payload_len > PB_MAX)
		pb_die("frame too long");
	for (i = 0; i < s->payload_len; i++)
		out[off + i] = s->payload ? s->payload[i] : (__u8)(i * 7 + 1);
	end = off + s->payload_len;

	/* Lengths, then checksums. */
	if (fam == SH_AF_INET) {
		pb_put16(out, l3 + 2, (__u16)(end - l3));
		pb_put16(out, l3 + 10, pb_fold(pb_sum(out + l3, l4 - l3, 0)));
	} else {
		pb_put16(out, l3 + 4, (__u16)(end - l3 - 40));
	}
	if (!s->raw_l4) {
		__u32 l4len = (__u32)(end - l4), pseudo;
		const __u8 *sa = out + l3 + (fam == SH_AF_INET ? 12 : 8);
		const __u8 *da = out + l3 + (fam == SH_AF_INET ? 16 : 24);

		if (fam == SH_AF_INET)
			pseudo = pb_pseudo4(sa, da, s->proto, l4len);
		else
			pseudo = pb_pseudo6(sa, da, s->proto, l4len);
		if (s->proto == SH_IPPROTO_TCP) {
			pb_put16(out, l4 + 16, pb_fold(pb_sum(out + l4, l4len, pseudo)));
		} else if (s->proto == SH_IPPROTO_UDP) {
			__u16 c;

			pb_put16(out, l4 + 4, (__u16)l4len);
			c = pb_fold(pb_sum(out + l4, l4len, pseudo));
			pb_put16(out, l4 + 6, c ? c : 0xffff);
		} else if (s->proto == SH_IPPROTO_ICMP) {
			pb_put16(out, l4 + 2, pb_fold(pb_sum(out + l4, l4len, 0)));
		} else if (s->proto == SH_IPPROTO_ICMPV6) {
			pb_put16(out, l4 + 2, pb_fold(pb_sum(out + l4, l4len, pseudo)));
		}
	}
	if (l3_off_out)
		*l3_off_out = l3;
	if (l4_off_out)
		*l4_off_out = l4;
	return end;
}

static inline size_t pb_build(const struct pb_spec *s, __u8 *out, size_t cap)
{
	return pb_build_ex(s, out, cap, NULL, NULL);
}

/* Recompute the IPv4 header checksum of the header at l3 (after editing it). */
static inline void pb_ip4_recsum(__u8 *b, size_t l3)
{
	pb_put16(b, l3 + 10, 0);
	pb_put16(b, l3 + 10, pb_fold(pb_sum(b + l3, (size_t)(b[l3] & 0xf) * 4, 0)));
}

/* ---- packets in exact-size heap buffers ---- */

/*
 * A packet holding frame[0..len) after headroom bytes; the buffer ends with the
 * frame. Not inlined: the compiler must not see the buffer's size at the call,
 * or -Warray-bounds flags the core's guarded accesses (they are checked at run
 * time, against data_end, which is the point).
 */
static __attribute__((noinline, unused)) struct sh_pkt pb_pkt_new(const __u8 *frame, size_t len,
								   size_t headroom)
{
	struct sh_pkt p;
	__u8 *mem = malloc(headroom + len + (headroom + len == 0));

	if (!mem)
		pb_die("out of memory");
	memset(mem, 0x5a, headroom);
	if (len)
		memcpy(mem + headroom, frame, len);
	p.head = mem;
	p.data = mem + headroom;
	p.data_end = mem + headroom + len;
	return p;
}

static inline void pb_pkt_free(struct sh_pkt *p)
{
	free(p->head);
	p->head = p->data = p->data_end = NULL;
}

static inline size_t pb_pkt_len(const struct sh_pkt *p)
{
	return (size_t)((__u8 *)p->data_end - (__u8 *)p->data);
}

static inline __u8 *pb_pkt_bytes(const struct sh_pkt *p)
{
	return (__u8 *)p->data;
}

/* ---- a load balancer over the userspace environment ---- */

/* "lb" settings most tests share; extra is appended inside the object. */
#define PB_LB_JSON(extra)                                                                          \
	"\"lb\": {\"ipv4_src\": \"198.18.0.10\", \"ipv6_src\": \"2001:db8::10\", "                 \
	"\"gateway_mac\": \"02:00:00:00:00:01\", "                                                 \
	"\"hash_key\": \"00112233445566778899aabbccddeeff\", \"conntrack_size\": 4096" extra "}"

/* The hash_key of PB_LB_JSON, as the core holds it. */
static const __u64 pb_hash_key[2] = { 0x0011223344556677ULL, 0x8899aabbccddeeffULL };

struct pb_lb {
	struct sh_config cfg;
	struct sh_tables *t;
	struct sh_worker *w;
	struct sh_env env;
	enum sh_ctr last_verdict; /* the verdict counter the last pb_lb_run() moved */
};

static inline void pb_lb_tables(struct pb_lb *lb, const char *json, const struct sh_tables *prev)
{
	char err[SH_CFG_ERR_LEN];

	if (sh_config_load_string(json, "test.json", &lb->cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		pb_die("config rejected");
	}
	if (sh_tables_build(&lb->cfg, prev, &lb->t, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		pb_die("tables not built");
	}
}

/* Tables and a fresh worker for a JSON config; the clock starts at now_ns = 1 s. */
static inline void pb_lb_init(struct pb_lb *lb, const char *json)
{
	memset(lb, 0, sizeof(*lb));
	pb_lb_tables(lb, json, NULL);
	if (sh_worker_create(lb->cfg.conntrack_size, &lb->w))
		pb_die("worker not created");
	lb->w->now_ns = 1000000000ull;
	lb->env.t = lb->t;
	lb->env.w = lb->w;
}

/* A config change: new tables built aside and swapped in; the worker (and its conntrack) stays. */
static inline void pb_lb_swap(struct pb_lb *lb, const char *json)
{
	struct sh_tables *old = lb->t;

	sh_config_free(&lb->cfg);
	pb_lb_tables(lb, json, old);
	lb->env.t = lb->t;
	sh_tables_free(old);
}

static inline void pb_lb_free(struct pb_lb *lb)
{
	sh_tables_free(lb->t);
	sh_worker_free(lb->w);
	sh_config_free(&lb->cfg);
	memset(lb, 0, sizeof(*lb));
}

static inline __u64 pb_ctr(const struct pb_lb *lb, enum sh_ctr c)
{
	return lb->w->ctr[c];
}

/* Index of the real with this address in the current tables, or SH_REAL_NONE. */
static inline __u32 pb_real_idx(const struct pb_lb *lb, const char *addr)
{
	struct sh_addr a;
	int fam = pb_addr(addr, &a);

	return sh_tables_real_find(lb->t, &a, (__u8)fam);
}

/* The real the ring of config VIP vip_idx gives for a hash (what a conntrack miss picks). */
static inline __u32 pb_ring_real(const struct pb_lb *lb, __u32 vip_idx, __u64 hash)
{
	__u32 n = lb->t->lb.ring_size;

	return lb->t->rings[(size_t)vip_idx * n + (__u32)(((hash >> 32) * (__u64)n) >> 32)];
}

/*
 * The real an encapsulated frame (as the LB sends it) is tunnelled to: the
 * outer destination address looked up in the tables; SH_REAL_NONE when the
 * frame is no IP tunnel to a known real.
 */
static inline __u32 pb_out_real(const struct pb_lb *lb, const __u8 *frame, size_t len)
{
	size_t l3 = 14;
	__u16 et;
	struct sh_addr a;

	if (len < 14)
		return SH_REAL_NONE;
	et = pb_get16(frame, 12);
	if (et == SH_ETH_P_8021Q || et == SH_ETH_P_8021AD) {
		et = pb_get16(frame, 16);
		l3 = 18;
	}
	memset(&a, 0, sizeof(a));
	if (et == SH_ETH_P_IP && len >= l3 + 20) {
		memcpy(&a.w[0], frame + l3 + 16, 4);
		return sh_tables_real_find(lb->t, &a, SH_AF_INET);
	}
	if (et == SH_ETH_P_IPV6 && len >= l3 + 40) {
		memcpy(&a, frame + l3 + 24, 16);
		return sh_tables_real_find(lb->t, &a, SH_AF_INET6);
	}
	return SH_REAL_NONE;
}

/* Number of non-empty conntrack ways in the worker's whole table. */
static inline size_t pb_ct_used(const struct pb_lb *lb)
{
	size_t n = 0, b;
	int i;

	for (b = 0; b <= lb->w->ct_mask; b++)
		for (i = 0; i < SH_CT_WAYS; i++)
			n += lb->w->ct[b].way[i].tag != 0;
	return n;
}

/* The conntrack way holding a flow hash, or NULL. */
static inline struct sh_ct_way *pb_ct_find(const struct pb_lb *lb, __u64 hash)
{
	struct sh_ct_bucket *b = &lb->w->ct[sh_ct_index(hash, lb->w->ct_mask)];
	int i;

	for (i = 0; i < SH_CT_WAYS; i++)
		if (b->way[i].tag == (hash | 1))
			return &b->way[i];
	return NULL;
}

/* Sum of the verdict counters: TX, PASS and every drop reason. */
static inline __u64 pb_verdicts(const struct pb_lb *lb)
{
	__u64 n = lb->w->ctr[SH_CTR_TX] + lb->w->ctr[SH_CTR_PASS];
	int c;

	for (c = SH_CTR_DROP_FIRST; c < SH_CTR_COUNT; c++)
		n += lb->w->ctr[c];
	return n;
}

#ifdef SHOAL_PIPELINE_H
/*
 * Run one frame through sh_process() in an exact-size buffer with headroom in
 * front; copy what the packet holds afterwards to out (when not NULL). Checks
 * what must hold for every packet, whatever it is: RX moves by one, exactly one
 * verdict counter (TX, PASS or one drop reason) moves, by one, and it is the
 * one matching the returned action; the packet stays inside its buffer; a
 * passed frame is untouched.
 * Needs cmocka (included before this file).
 */
static inline int pb_lb_run(struct pb_lb *lb, const __u8 *frame, size_t len, size_t headroom,
			    __u8 *out, size_t *out_len)
{
	__u64 before[SH_CTR_COUNT];
	struct sh_pkt p = pb_pkt_new(frame, len, headroom);
	__u8 *buf_end = (__u8 *)p.data_end;
	int act, c, moved = 0;

	memcpy(before, lb->w->ctr, sizeof(before));
	act = sh_process(&lb->env, &p);
	assert_int_equal(lb->w->ctr[SH_CTR_RX], before[SH_CTR_RX] + 1);
	for (c = 0; c < SH_CTR_COUNT; c++) {
		__u64 d = lb->w->ctr[c] - before[c];

		if (c != SH_CTR_TX && c != SH_CTR_PASS && c < SH_CTR_DROP_FIRST)
			continue;
		assert_true(d <= 1);
		if (d) {
			moved++;
			lb->last_verdict = (enum sh_ctr)c;
		}
	}
	assert_int_equal(moved, 1);
	if (act == SH_ACT_TX)
		assert_int_equal(lb->last_verdict, SH_CTR_TX);
	else if (act == SH_ACT_PASS)
		assert_int_equal(lb->last_verdict, SH_CTR_PASS);
	else if (act == SH_ACT_DROP)
		assert_true(lb->last_verdict >= SH_CTR_DROP_FIRST);
	else
		fail_msg("sh_process returned %d", act);
	assert_true((__u8 *)p.head <= (__u8 *)p.data);
	assert_true((__u8 *)p.data <= (__u8 *)p.data_end);
	assert_true((__u8 *)p.data_end <= buf_end);
	if (act == SH_ACT_PASS) { /* the host stack gets the frame as it came */
		assert_true((__u8 *)p.data == (__u8 *)p.head + headroom);
		assert_true(p.data_end == buf_end);
		assert_memory_equal(p.data, frame, len);
	}
	if (out) {
		memcpy(out, p.data, pb_pkt_len(&p));
		*out_len = pb_pkt_len(&p);
	}
	pb_pkt_free(&p);
	return act;
}
#endif

#endif /* SHOAL_TEST_PKT_BUILD_H */
