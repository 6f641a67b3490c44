// SPDX-License-Identifier: BSD-3-Clause
/*
 * Picking a real (sh_process over the userspace environment): conntrack
 * inserts and hits, RST, no_lru, no_sport, dport_hash, the server_id option,
 * UDP idle timeout, ICMP errors, VIPs without reals, drained reals and reals
 * that leave the config while a worker's conntrack lives on (the worker
 * survives a table swap by design), established flows through a SYN flood,
 * and the burst loop against one-by-one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "env_user.h"
#include "shoal/pipeline.h"
#include "pkt_build.h"
#include "user_burst.h"

/* Real indices: 198.18.1.1..8 = 0..7, 2001:db8:1::1..8 = 8..15. */
#define R8_SID                                                                                     \
	"[{\"address\": \"198.18.1.1\", \"server_id\": 101}, "                                     \
	"{\"address\": \"198.18.1.2\", \"server_id\": 102}, "                                      \
	"{\"address\": \"198.18.1.3\", \"server_id\": 103}, "                                      \
	"{\"address\": \"198.18.1.4\", \"server_id\": 104}, "                                      \
	"{\"address\": \"198.18.1.5\", \"server_id\": 105}, "                                      \
	"{\"address\": \"198.18.1.6\", \"server_id\": 106}, "                                      \
	"{\"address\": \"198.18.1.7\", \"server_id\": 107}, "                                      \
	"{\"address\": \"198.18.1.8\", \"server_id\": 108}]"
#define R8                                                                                         \
	"[{\"address\": \"198.18.1.1\"}, {\"address\": \"198.18.1.2\"}, "                          \
	"{\"address\": \"198.18.1.3\"}, {\"address\": \"198.18.1.4\"}, "                           \
	"{\"address\": \"198.18.1.5\"}, {\"address\": \"198.18.1.6\"}, "                           \
	"{\"address\": \"198.18.1.7\"}, {\"address\": \"198.18.1.8\"}]"
#define R8_V6                                                                                      \
	"[{\"address\": \"2001:db8:1::1\"}, {\"address\": \"2001:db8:1::2\"}, "                    \
	"{\"address\": \"2001:db8:1::3\"}, {\"address\": \"2001:db8:1::4\"}, "                     \
	"{\"address\": \"2001:db8:1::5\"}, {\"address\": \"2001:db8:1::6\"}, "                     \
	"{\"address\": \"2001:db8:1::7\"}, {\"address\": \"2001:db8:1::8\"}]"

enum { V_SID, V_NO_SPORT, V_DPORT, V_NO_LRU, V_UDP, V_V6, V_EMPTY, V_ZERO };

static const char *config =
	"{" PB_LB_JSON("") ", \"vips\": ["
	"{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"reals\": " R8_SID "},"
	"{\"address\": \"198.18.100.2\", \"protocol\": \"tcp\", \"flags\": [\"no_sport\"], "
	"\"reals\": " R8 "},"
	"{\"address\": \"198.18.100.3\", \"protocol\": \"tcp\", \"flags\": [\"dport_hash\"], "
	"\"reals\": " R8 "},"
	"{\"address\": \"198.18.100.4\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"flags\": [\"no_lru\"], "
	"\"reals\": " R8 "},"
	"{\"address\": \"198.18.100.5\", \"port\": 53, \"protocol\": \"udp\", \"reals\": " R8 "},"
	"{\"address\": \"2001:db8:100::1\", \"port\": 443, \"protocol\": \"tcp\", "
	"\"reals\": " R8_V6 "},"
	"{\"address\": \"198.18.100.6\", \"port\": 80, \"protocol\": \"tcp\"},"
	"{\"address\": \"198.18.100.7\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"reals\": [{\"address\": \"198.18.1.1\", \"weight\": 0}]}"
	"]}";

static const char *vip_addr[] = { "198.18.100.1", "198.18.100.2",    "198.18.100.3",
				  "198.18.100.4", "198.18.100.5",    "2001:db8:100::1",
				  "198.18.100.6", "198.18.100.7" };

#define HEADROOM 128

static struct pb_lb lb;
static __u8 frame[PB_MAX], out[PB_MAX + HEADROOM];
static size_t out_len;

static int setup(void **state)
{
	(void)state;
	pb_lb_init(&lb, config);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pb_lb_free(&lb);
	return 0;
}

static const __u8 no_opts[1];

/* A TCP segment; sid != 0 adds the server_id option (after two NOPs). */
static size_t tcp(const char *src, const char *dst, __u16 sport, __u16 dport, __u8 flags, __u32 sid)
{
	__u8 opts[8] = { 1, 1, 0xb7, 6, sid >> 24, sid >> 16, sid >> 8, sid };
	struct pb_spec s = { .src = src, .dst = dst, .proto = SH_IPPROTO_TCP, .sport = sport,
			     .dport = dport, .tcp_flags = flags, .payload_len = 20,
			     .tcp_opts = sid ? opts : no_opts, .tcp_opts_len = sid ? 8 : 0 };

	return pb_build(&s, frame, sizeof(frame));
}

static size_t udp(const char *src, const char *dst, __u16 sport, __u16 dport)
{
	struct pb_spec s = { .src = src, .dst = dst, .proto = SH_IPPROTO_UDP, .sport = sport,
			     .dport = dport, .payload_len = 30 };

	return pb_build(&s, frame, sizeof(frame));
}

/* Send frame[0..len) through lb l; it must be tunnelled; returns the real's index. */
static __u32 send_on(struct pb_lb *l, size_t len)
{
	assert_int_equal(pb_lb_run(l, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	return pb_out_real(l, out, out_len);
}

static __u32 send_real(size_t len)
{
	return send_on(&lb, len);
}

static __u64 flow_hash(const char *src, const char *dst, __u16 sport, __u16 dport, __u8 proto)
{
	struct sh_flow f = pb_flow(src, dst, sport, dport, proto);

	return sh_flow_hash(pb_hash_key, &f);
}

static void advance_ms(struct pb_lb *l, __u64 ms)
{
	l->w->now_ns += ms * 1000000ull;
}

static void test_syn_inserts_ct(void **state)
{
	__u64 h = flow_hash("198.18.0.1", "198.18.100.1", 1000, 80, SH_IPPROTO_TCP);
	__u64 miss = pb_ctr(&lb, SH_CTR_CT_MISS), hit = pb_ctr(&lb, SH_CTR_CT_HIT);
	struct sh_ct_way *w;
	__u32 r;

	(void)state;
	assert_null(pb_ct_find(&lb, h));
	r = send_real(tcp("198.18.0.1", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
	assert_int_equal(r, pb_ring_real(&lb, V_SID, h));
	w = pb_ct_find(&lb, h);
	assert_non_null(w);
	assert_int_equal(w->real, r);
	assert_int_equal(w->stamp, sh_ct_tick(lb.w->now_ns));
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), miss + 1);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_HIT), hit);
	assert_int_equal(lb.w->real_ctr[r].packets, 1);
	assert_int_equal(lb.w->real_ctr[r].bytes, 20 + 20 + 20);
	assert_int_equal(lb.w->vip_ctr[V_SID].packets, 1);
}

/* Later segments of the flow are placed by conntrack, not by the ring, and refresh it. */
static size_t ack2(void)
{
	return tcp("198.18.0.2", "198.18.100.1", 1000, 80, SH_TCP_ACK, 0);
}

static void test_ack_hits_ct(void **state)
{
	__u64 h = flow_hash("198.18.0.2", "198.18.100.1", 1000, 80, SH_IPPROTO_TCP);
	__u64 hit;
	struct sh_ct_way *w;
	__u32 r, other;

	(void)state;
	r = send_real(tcp("198.18.0.2", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
	hit = pb_ctr(&lb, SH_CTR_CT_HIT);
	assert_int_equal(send_real(tcp("198.18.0.2", "198.18.100.1", 1000, 80, SH_TCP_ACK, 0)), r);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_HIT), hit + 1);
	/* Point the entry at another real: the flow follows conntrack. */
	w = pb_ct_find(&lb, h);
	assert_non_null(w);
	other = (r + 3) % 8;
	w->real = other;
	advance_ms(&lb, 5000);
	assert_int_equal(send_real(ack2()), other);
	assert_int_equal(w->stamp, sh_ct_tick(lb.w->now_ns));
	/*
	 * A SYN starts a new flow: the ring decides, not conntrack (a reused client
	 * port must not reach a real drained since), and the entry follows it.
	 */
	assert_int_equal(send_real(tcp("198.18.0.2", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0)), r);
	assert_int_equal(w->real, r);
	w->real = other;
	/* TCP entries do not expire: ten days later, still there. */
	advance_ms(&lb, 10ull * 86400 * 1000);
	assert_int_equal(send_real(ack2()), other);
	/* An index that is no real (out of range) is a miss; the ring places the flow again. */
	w->real = 4000;
	assert_int_equal(send_real(tcp("198.18.0.2", "198.18.100.1", 1000, 80, SH_TCP_ACK, 0)), r);
	assert_int_equal(w->real, r);
}

static void test_rst_does_not_insert(void **state)
{
	__u64 h = flow_hash("198.18.0.3", "198.18.100.1", 1000, 80, SH_IPPROTO_TCP);
	__u64 miss = pb_ctr(&lb, SH_CTR_CT_MISS);
	size_t used = pb_ct_used(&lb);
	__u32 r;

	(void)state;
	r = send_real(tcp("198.18.0.3", "198.18.100.1", 1000, 80, SH_TCP_RST, 0));
	assert_int_equal(r, pb_ring_real(&lb, V_SID, h));
	assert_null(pb_ct_find(&lb, h));
	send_real(tcp("198.18.0.3", "198.18.100.1", 1000, 80, SH_TCP_RST | SH_TCP_ACK, 0));
	assert_null(pb_ct_find(&lb, h));
	assert_int_equal(pb_ct_used(&lb), used);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), miss + 2);
	/* A RST of a known flow follows conntrack (and leaves the entry). */
	send_real(tcp("198.18.0.3", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
	pb_ct_find(&lb, h)->real = (r + 1) % 8;
	assert_int_equal(send_real(tcp("198.18.0.3", "198.18.100.1", 1000, 80, SH_TCP_RST, 0)),
			 (r + 1) % 8);
	assert_non_null(pb_ct_find(&lb, h));
}

static void test_no_lru(void **state)
{
	__u64 h = flow_hash("198.18.0.4", "198.18.100.4", 1000, 80, SH_IPPROTO_TCP);
	__u64 hit = pb_ctr(&lb, SH_CTR_CT_HIT), miss = pb_ctr(&lb, SH_CTR_CT_MISS);
	size_t used = pb_ct_used(&lb);
	struct sh_ct_bucket *b = &lb.w->ct[sh_ct_index(h, lb.w->ct_mask)];
	__u32 r, i;

	(void)state;
	r = send_real(tcp("198.18.0.4", "198.18.100.4", 1000, 80, SH_TCP_SYN, 0));
	assert_int_equal(r, pb_ring_real(&lb, V_NO_LRU, h));
	assert_int_equal(send_real(tcp("198.18.0.4", "198.18.100.4", 1000, 80, SH_TCP_ACK, 0)), r);
	assert_null(pb_ct_find(&lb, h));
	assert_int_equal(pb_ct_used(&lb), used);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_HIT), hit);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), miss);
	/* Conntrack is not even read: an entry for the flow is ignored. */
	sh_ct_put(b, h, (r + 1) % 8, sh_ct_tick(lb.w->now_ns));
	assert_int_equal(send_real(tcp("198.18.0.4", "198.18.100.4", 1000, 80, SH_TCP_ACK, 0)), r);
	memset(b, 0, sizeof(*b));
	/* Many flows, none remembered. */
	for (i = 0; i < 100; i++)
		send_real(tcp("198.18.0.4", "198.18.100.4", (__u16)(2000 + i), 80, SH_TCP_SYN, 0));
	assert_int_equal(pb_ct_used(&lb), used);
}

/* no_sport: every connection of one client lands on one real. */
static void test_no_sport(void **state)
{
	__u64 h0 = flow_hash("198.18.0.50", "198.18.100.2", 0, 8080, SH_IPPROTO_TCP);
	__u32 want = pb_ring_real(&lb, V_NO_SPORT, h0), seen[8] = { 0 }, n = 0, r, i;
	char src[32];

	(void)state;
	for (i = 0; i < 64; i++)
		assert_int_equal(send_real(tcp("198.18.0.50", "198.18.100.2",
					       (__u16)(1000 + 37 * i), 8080, SH_TCP_SYN, 0)),
				 want);
	/* Different clients spread. */
	for (i = 0; i < 64; i++) {
		snprintf(src, sizeof(src), "198.18.3.%u", i + 1);
		r = send_real(tcp(src, "198.18.100.2", 1000, 8080, SH_TCP_SYN, 0));
		assert_true(r < 8);
		n += !seen[r]++;
	}
	assert_true(n >= 4);
	/* On a port-0 VIP the destination port still counts. */
	memset(seen, 0, sizeof(seen));
	n = 0;
	for (i = 0; i < 64; i++) {
		r = send_real(tcp("198.18.0.50", "198.18.100.2", 1000, (__u16)(100 + i),
				  SH_TCP_SYN, 0));
		assert_int_equal(r, pb_ring_real(&lb, V_NO_SPORT,
						 flow_hash("198.18.0.50", "198.18.100.2", 0,
							   (__u16)(100 + i), SH_IPPROTO_TCP)));
		n += !seen[r]++;
	}
	assert_true(n >= 4);
}

/* dport_hash: every client of one port lands on one real. */
static void test_dport_hash(void **state)
{
	__u64 h0 = flow_hash("0.0.0.0", "198.18.100.3", 0, 8080, SH_IPPROTO_TCP);
	__u32 want = pb_ring_real(&lb, V_DPORT, h0), seen[8] = { 0 }, n = 0, r, i;
	char src[32];

	(void)state;
	for (i = 0; i < 64; i++) {
		snprintf(src, sizeof(src), "198.18.4.%u", i + 1);
		assert_int_equal(send_real(tcp(src, "198.18.100.3", (__u16)(1000 + i), 8080,
					       SH_TCP_SYN, 0)),
				 want);
	}
	for (i = 0; i < 64; i++) {
		r = send_real(tcp("198.18.4.1", "198.18.100.3", 1000, (__u16)(100 + i),
				  SH_TCP_SYN, 0));
		n += !seen[r]++;
	}
	assert_true(n >= 4);
}

static void test_server_id(void **state)
{
	__u64 h = flow_hash("198.18.0.6", "198.18.100.1", 1000, 80, SH_IPPROTO_TCP);
	__u64 hit = pb_ctr(&lb, SH_CTR_SID_HIT), miss = pb_ctr(&lb, SH_CTR_SID_MISS);
	__u64 ct_hit = pb_ctr(&lb, SH_CTR_CT_HIT), ct_miss = pb_ctr(&lb, SH_CTR_CT_MISS);
	__u32 r;

	(void)state;
	/* A known id: straight to its real, nothing remembered, conntrack not consulted. */
	assert_int_equal(send_real(tcp("198.18.0.6", "198.18.100.1", 1000, 80, SH_TCP_ACK, 105)),
			 pb_real_idx(&lb, "198.18.1.5"));
	assert_int_equal(pb_ctr(&lb, SH_CTR_SID_HIT), hit + 1);
	assert_null(pb_ct_find(&lb, h));
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_HIT), ct_hit);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), ct_miss);
	/* An unknown id: counted, then conntrack and the ring as usual. */
	r = send_real(tcp("198.18.0.6", "198.18.100.1", 1000, 80, SH_TCP_ACK, 999));
	assert_int_equal(r, pb_ring_real(&lb, V_SID, h));
	assert_int_equal(pb_ctr(&lb, SH_CTR_SID_MISS), miss + 1);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), ct_miss + 1);
	assert_non_null(pb_ct_find(&lb, h));
	/* The option wins over conntrack. */
	assert_int_equal(send_real(tcp("198.18.0.6", "198.18.100.1", 1000, 80, SH_TCP_ACK,
				       100 + (r + 1) % 8 + 1)),
			 (r + 1) % 8);
	assert_int_equal(pb_ctr(&lb, SH_CTR_SID_HIT), hit + 2);
	/* A SYN's option is not looked at. */
	assert_int_equal(send_real(tcp("198.18.0.6", "198.18.100.1", 1000, 80, SH_TCP_SYN,
				       100 + (r + 1) % 8 + 1)),
			 r);
	assert_int_equal(pb_ctr(&lb, SH_CTR_SID_HIT), hit + 2);
	assert_int_equal(pb_ctr(&lb, SH_CTR_SID_MISS), miss + 1);
}

static void test_udp_timeout(void **state)
{
	__u64 h = flow_hash("198.18.0.7", "198.18.100.5", 5000, 53, SH_IPPROTO_UDP);
	__u32 max_idle = sh_ct_ticks_ms(lb.t->lb.udp_timeout_ms), r, stamp;
	__u64 miss = pb_ctr(&lb, SH_CTR_CT_MISS);
	struct sh_ct_way *w;

	(void)state;
	assert_int_equal(lb.t->lb.udp_timeout_ms, 30000);
	assert_int_equal(max_idle, 28611);
	r = send_real(udp("198.18.0.7", "198.18.100.5", 5000, 53));
	assert_int_equal(r, pb_ring_real(&lb, V_UDP, h));
	w = pb_ct_find(&lb, h);
	assert_non_null(w);
	w->real = (r + 1) % 8;
	/* Idle exactly the timeout: still remembered. */
	stamp = w->stamp;
	lb.w->now_ns = (__u64)(stamp + max_idle) << SH_CT_TICK_SHIFT;
	assert_int_equal(send_real(udp("198.18.0.7", "198.18.100.5", 5000, 53)), (r + 1) % 8);
	assert_int_equal(w->stamp, stamp + max_idle);
	/* One tick more: forgotten, placed again by the ring, and remembered again. */
	lb.w->now_ns = (__u64)(stamp + 2 * max_idle + 1) << SH_CT_TICK_SHIFT;
	assert_int_equal(send_real(udp("198.18.0.7", "198.18.100.5", 5000, 53)), r);
	assert_int_equal(pb_ctr(&lb, SH_CTR_CT_MISS), miss + 2);
	w = pb_ct_find(&lb, h);
	assert_non_null(w);
	assert_int_equal(w->real, r);
}

/* ICMP errors about a flow go where the flow goes, and never add a flow. */
static void test_icmp_error_follows_flow(void **state)
{
	static __u8 quote[PB_MAX];
	__u64 h = flow_hash("198.18.0.8", "198.18.100.1", 1000, 80, SH_IPPROTO_TCP);
	struct pb_spec q = { .src = "198.18.100.1", .dst = "198.18.0.8", .proto = SH_IPPROTO_TCP,
			     .sport = 80, .dport = 1000, .tcp_flags = SH_TCP_ACK, .no_eth = 1 };
	struct pb_spec s = { .src = "198.18.9.9", .dst = "198.18.100.1", .proto = SH_IPPROTO_ICMP,
			     .icmp_type = SH_ICMP_DEST_UNREACH, .icmp_code = SH_ICMP_FRAG_NEEDED,
			     .icmp_rest = 1400, .payload = quote };
	__u64 fwd = pb_ctr(&lb, SH_CTR_ICMP_ERR_FWD);
	size_t used;
	__u32 r;

	(void)state;
	r = send_real(tcp("198.18.0.8", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
	pb_ct_find(&lb, h)->real = (r + 5) % 8;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	assert_int_equal(send_real(pb_build(&s, frame, sizeof(frame))), (r + 5) % 8);
	assert_int_equal(pb_ctr(&lb, SH_CTR_ICMP_ERR_FWD), fwd + 1);
	/* About a flow never seen: the ring's choice, not remembered. */
	used = pb_ct_used(&lb);
	q.dport = 1001;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	assert_int_equal(send_real(pb_build(&s, frame, sizeof(frame))),
			 pb_ring_real(&lb, V_SID,
				      flow_hash("198.18.0.8", "198.18.100.1", 1001, 80,
						SH_IPPROTO_TCP)));
	assert_int_equal(pb_ct_used(&lb), used);
}

/* VIPs without a usable real drop new flows, and remember nothing. */
static void test_no_real(void **state)
{
	size_t used = pb_ct_used(&lb), len;

	(void)state;
	len = tcp("198.18.0.9", "198.18.100.6", 1, 80, SH_TCP_SYN, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, NULL, NULL), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_NO_REAL);
	len = tcp("198.18.0.9", "198.18.100.7", 1, 80, SH_TCP_SYN, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, NULL, NULL), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_NO_REAL);
	assert_int_equal(pb_ct_used(&lb), used);
	/* But echo requests to their addresses are answered. */
	{
		struct pb_spec s = { .src = "198.18.0.9", .dst = "198.18.100.6",
				     .proto = SH_IPPROTO_ICMP, .icmp_type = SH_ICMP_ECHO,
				     .icmp_id = 1, .icmp_seq = 1 };

		assert_int_equal(pb_lb_run(&lb, frame, pb_build(&s, frame, sizeof(frame)), HEADROOM,
					   NULL, NULL),
				 SH_ACT_TX);
	}
}

/* ---- config changes under a living worker ---- */

#define CFG_DRAIN(w2)                                                                              \
	"{" PB_LB_JSON("") ", \"vips\": [{\"address\": \"198.18.100.1\", \"port\": 80, "           \
			   "\"protocol\": \"tcp\", \"reals\": ["                                   \
			   "{\"address\": \"198.18.1.1\", \"server_id\": 101}, "                   \
			   "{\"address\": \"198.18.1.2\", \"server_id\": 102, "                    \
			   "\"weight\": " w2 "}, "                                                 \
			   "{\"address\": \"198.18.1.3\", \"server_id\": 103}, "                   \
			   "{\"address\": \"198.18.1.4\", \"server_id\": 104}]}]}"

#define N_FLOWS 400

static char client[N_FLOWS][32];

static const char *client_addr(int i)
{
	snprintf(client[i], sizeof(client[i]), "198.18.%d.%d", 10 + i / 200, 1 + i % 200);
	return client[i];
}

/* Weight 0: established flows stay (conntrack, server_id), new flows avoid the real. */
static void test_drained_real(void **state)
{
	struct pb_lb d;
	__u32 before[N_FLOWS], on_drained = 0, r;
	__u32 drained;
	int i;

	(void)state;
	pb_lb_init(&d, CFG_DRAIN("1"));
	drained = pb_real_idx(&d, "198.18.1.2");
	for (i = 0; i < N_FLOWS; i++) {
		before[i] = send_on(&d, tcp(client_addr(i), "198.18.100.1", 1000, 80, SH_TCP_SYN,
					    0));
		on_drained += before[i] == drained;
	}
	assert_true(on_drained > N_FLOWS / 8);
	pb_lb_swap(&d, CFG_DRAIN("0"));
	assert_int_equal(pb_real_idx(&d, "198.18.1.2"), drained);
	for (i = 0; i < N_FLOWS; i++)
		assert_int_equal(send_on(&d, tcp(client[i], "198.18.100.1", 1000, 80, SH_TCP_ACK,
						 0)),
				 before[i]);
	/* New flows: never the drained real. */
	for (i = 0; i < N_FLOWS; i++) {
		r = send_on(&d, tcp(client[i], "198.18.100.1", 2000, 80, SH_TCP_SYN, 0));
		assert_int_not_equal(r, drained);
	}
	/* Its server_id still routes to it. */
	assert_int_equal(send_on(&d, tcp(client[0], "198.18.100.1", 3000, 80, SH_TCP_ACK, 102)),
			 drained);
	pb_lb_free(&d);
}

/* A conntrack of 64 entries (16 buckets of 4 ways); reals 2-4 drained by weight w. */
#define CFG_SMALL_CT(w)                                                                            \
	"{\"lb\": {\"ipv4_src\": \"198.18.0.10\", \"gateway_mac\": \"02:00:00:00:00:01\", "        \
	"\"hash_key\": \"00112233445566778899aabbccddeeff\", \"conntrack_size\": 64}, "            \
	"\"vips\": [{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", "         \
	"\"reals\": [{\"address\": \"198.18.1.1\"}, {\"address\": \"198.18.1.2\", \"weight\": " w  \
	"}, {\"address\": \"198.18.1.3\", \"weight\": " w "}, "                                    \
	"{\"address\": \"198.18.1.4\", \"weight\": " w "}]}]}"
#define FLOOD_BUCKETS 16

/*
 * A SYN flood of 100 times the table's size: established flows (SYN, then
 * ACK), one per bucket, keep their real although the ring now sends every new
 * flow elsewhere; a flow that sent only its SYN before the flood is forgotten.
 * The table never holds more than its size.
 */
static void test_flood_keeps_established_flows(void **state)
{
	__u32 est_real[FLOOD_BUCKETS], syn_only_real = SH_REAL_NONE, only;
	int est_port[FLOOD_BUCKETS], n_est = 0, syn_only_port = 0, on_drained = 0, port, i;
	__u64 bucket_taken = 0, evict, hit, b;
	struct pb_lb d;

	(void)state;
	pb_lb_init(&d, CFG_SMALL_CT("1"));
	assert_int_equal(d.w->ct_mask + 1, FLOOD_BUCKETS);
	for (port = 1000; n_est < FLOOD_BUCKETS - 2 || !syn_only_port; port++) {
		b = sh_ct_index(flow_hash("198.18.0.1", "198.18.100.1", port, 80, SH_IPPROTO_TCP),
				d.w->ct_mask);
		if (bucket_taken & (1ull << b))
			continue;
		bucket_taken |= 1ull << b;
		if (n_est == FLOOD_BUCKETS - 2) { /* the last free bucket: a SYN and nothing more */
			syn_only_real = send_on(&d, tcp("198.18.0.1", "198.18.100.1", port, 80,
							SH_TCP_SYN, 0));
			syn_only_port = port;
			continue;
		}
		est_real[n_est] = send_on(&d, tcp("198.18.0.1", "198.18.100.1", port, 80,
						  SH_TCP_SYN, 0));
		assert_int_equal(send_on(&d, tcp("198.18.0.1", "198.18.100.1", port, 80,
						 SH_TCP_ACK, 0)),
				 est_real[n_est]);
		est_port[n_est++] = port;
	}
	pb_lb_swap(&d, CFG_SMALL_CT("0"));
	only = pb_real_idx(&d, "198.18.1.1");
	for (i = 0; i < n_est; i++)
		on_drained += est_real[i] != only;
	assert_true(on_drained > 0); /* else the test could not tell conntrack from the ring */
	assert_int_not_equal(syn_only_real, only);

	evict = pb_ctr(&d, SH_CTR_CT_EVICT);
	for (i = 0; i < 100 * 64; i++) {
		advance_ms(&d, 1);
		assert_int_equal(send_on(&d, tcp(client_addr(i % N_FLOWS), "198.18.100.1",
						 (__u16)(20000 + i / N_FLOWS), 80, SH_TCP_SYN, 0)),
				 only);
	}
	assert_true(pb_ctr(&d, SH_CTR_CT_EVICT) - evict > 100 * 64 - 64);
	assert_true(pb_ct_used(&d) <= 64);

	advance_ms(&d, 60000);
	hit = pb_ctr(&d, SH_CTR_CT_HIT);
	for (i = 0; i < n_est; i++)
		assert_int_equal(send_on(&d, tcp("198.18.0.1", "198.18.100.1", est_port[i], 80,
						 SH_TCP_ACK, 0)),
				 est_real[i]);
	assert_int_equal(pb_ctr(&d, SH_CTR_CT_HIT), hit + n_est);
	assert_int_equal(send_on(&d, tcp("198.18.0.1", "198.18.100.1", syn_only_port, 80,
					 SH_TCP_ACK, 0)),
			 only);
	pb_lb_free(&d);
}

#define CFG_REMOVE(reals0)                                                                         \
	"{" PB_LB_JSON("") ", \"vips\": ["                                                         \
			   "{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", " \
			   "\"reals\": [" reals0 "]},"                                             \
			   "{\"address\": \"198.18.100.9\", \"port\": 80, \"protocol\": \"tcp\", " \
			   "\"reals\": [{\"address\": \"198.18.9.9\"}]}]}"
#define REALS_ABC                                                                                  \
	"{\"address\": \"198.18.1.1\"}, {\"address\": \"198.18.1.2\"}, "                           \
	"{\"address\": \"198.18.1.3\"}"
#define REALS_AC "{\"address\": \"198.18.1.1\"}, {\"address\": \"198.18.1.3\"}"

static int in_vip0(const struct pb_lb *l, __u32 r)
{
	return r != SH_REAL_NONE &&
	       (r == pb_real_idx(l, "198.18.1.1") || r == pb_real_idx(l, "198.18.1.3"));
}

/*
 * Real 198.18.1.2 leaves VIP 198.18.100.1 (and the config). Flows established
 * on 198.18.1.1 and 198.18.1.3, which stay, must keep their real; flows of
 * 198.18.1.2 must be placed again on a real of that VIP. Nothing may reach
 * 198.18.9.9, the real of another VIP.
 */
static void test_removed_real(void **state)
{
	struct pb_lb d;
	static const char *const reals_abc[] = { "198.18.1.1", "198.18.1.2", "198.18.1.3" };
	const char *name[N_FLOWS];
	__u32 moved_kept = 0, to_other_vip = 0, n_kept = 0, n_removed = 0, r;
	int i;

	(void)state;
	pb_lb_init(&d, CFG_REMOVE(REALS_ABC));
	for (i = 0; i < N_FLOWS; i++) {
		r = send_on(&d, tcp(client_addr(i), "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
		assert_true(r < 3);
		name[i] = reals_abc[r]; /* indices follow the config: 1.1, 1.2, 1.3 */
	}
	pb_lb_swap(&d, CFG_REMOVE(REALS_AC));
	for (i = 0; i < N_FLOWS; i++) {
		r = send_on(&d, tcp(client[i], "198.18.100.1", 1000, 80, SH_TCP_ACK, 0));
		if (!in_vip0(&d, r))
			to_other_vip++;
		if (strcmp(name[i], "198.18.1.2")) {
			n_kept++;
			moved_kept += r != pb_real_idx(&d, name[i]);
		} else {
			n_removed++;
		}
	}
	pb_lb_free(&d);
	assert_true(n_kept > 0 && n_removed > 0);
	if (moved_kept || to_other_vip)
		fail_msg("after removing 198.18.1.2: %u of %u flows on reals that stayed moved; "
			 "%u of %u flows were sent to 198.18.9.9 (a real of another VIP)",
			 moved_kept, n_kept, to_other_vip, N_FLOWS);
}

/* ---- the burst loop gives what one-by-one processing gives ---- */

static __u8 burst_frames[SH_BURST_MAX][PB_MAX];
static size_t burst_lens[SH_BURST_MAX];
static unsigned int burst_n;

/* Append frame[0..len) to the burst. */
static void burst_add(size_t len)
{
	assert_true(burst_n < SH_BURST_MAX);
	burst_lens[burst_n] = len;
	memcpy(burst_frames[burst_n], frame, len);
	burst_n++;
}

static void test_burst_matches_single(void **state)
{
	struct sh_pkt a[SH_BURST_MAX], b[SH_BURST_MAX];
	struct pb_lb one, burst;
	__u8 act[SH_BURST_MAX];
	unsigned int i;

	(void)state;
	pb_lb_init(&one, config);
	pb_lb_init(&burst, config);
	burst_n = 0;
	burst_add(tcp("198.18.0.20", "198.18.100.1", 1000, 80, SH_TCP_SYN, 0));
	burst_add(tcp("198.18.0.20", "198.18.100.1", 1000, 80, SH_TCP_ACK, 0));
	burst_add(tcp("198.18.0.20", "198.18.100.1", 1000, 80, SH_TCP_ACK, 0));
	burst_add(tcp("198.18.0.20", "198.18.100.1", 1000, 80, SH_TCP_ACK, 104));
	burst_add(udp("198.18.0.21", "198.18.100.5", 9, 53));
	burst_add(udp("198.18.0.21", "198.18.100.5", 9, 53));
	burst_add(tcp("2001:db8::21", "2001:db8:100::1", 9, 443, SH_TCP_SYN, 0));
	burst_add(tcp("198.18.0.22", "198.18.200.1", 9, 80, SH_TCP_SYN, 0)); /* pass */
	burst_add(tcp("198.18.0.22", "198.18.100.6", 9, 80, SH_TCP_SYN, 0)); /* no real */
	burst_add(20);							      /* truncated */
	{
		struct pb_spec s = { .src = "198.18.0.23", .dst = "198.18.100.2",
				     .proto = SH_IPPROTO_ICMP, .icmp_type = SH_ICMP_ECHO,
				     .icmp_id = 3, .icmp_seq = 4, .payload_len = 10 };

		burst_add(pb_build(&s, frame, sizeof(frame)));
	}
	{
		struct pb_spec s = { .src = "198.18.0.24", .dst = "198.18.100.1",
				     .proto = SH_IPPROTO_TCP, .sport = 7, .dport = 80,
				     .frag = SH_IP_DF, .payload_len = 1500 }; /* too big */

		burst_add(pb_build(&s, frame, sizeof(frame)));
	}
	for (i = 0; burst_n < SH_BURST_MAX; i++) /* new flows to the four TCP VIPs */
		burst_add(tcp(client_addr((int)i), vip_addr[i % 4], (__u16)(100 + i), 80,
			      SH_TCP_SYN, 0));
	for (i = 0; i < burst_n; i++) {
		a[i] = pb_pkt_new(burst_frames[i], burst_lens[i], HEADROOM);
		b[i] = pb_pkt_new(burst_frames[i], burst_lens[i], HEADROOM);
	}
	sh_user_burst(burst.t, burst.w, one.w->now_ns, b, act, burst_n);
	for (i = 0; i < burst_n; i++) {
		int single = sh_process(&one.env, &a[i]);

		assert_int_equal(act[i], single);
		assert_int_equal(pb_pkt_len(&a[i]), pb_pkt_len(&b[i]));
		assert_memory_equal(a[i].data, b[i].data, pb_pkt_len(&a[i]));
		pb_pkt_free(&a[i]);
		pb_pkt_free(&b[i]);
	}
	assert_memory_equal(one.w->ctr, burst.w->ctr, sizeof(one.w->ctr));
	assert_memory_equal(one.w->real_ctr, burst.w->real_ctr, sizeof(one.w->real_ctr));
	assert_memory_equal(one.w->vip_ctr, burst.w->vip_ctr, sizeof(one.w->vip_ctr));
	assert_int_equal(one.w->ctr[SH_CTR_RX], SH_BURST_MAX);
	assert_int_equal(one.w->ctr[SH_CTR_CT_HIT], 3);
	assert_int_equal(one.w->ctr[SH_CTR_SID_HIT], 1);
	assert_int_equal(one.w->ctr[SH_CTR_ICMP_ECHO], 1);
	assert_int_equal(one.w->ctr[SH_CTR_ICMP_TOO_BIG], 1);
	assert_int_equal(one.w->ctr[SH_DROP_NO_REAL], 1);
	assert_int_equal(one.w->ctr[SH_DROP_IP4_MALFORMED], 1);
	assert_int_equal(one.w->ctr[SH_CTR_PASS], 1);
	assert_int_equal(one.w->ctr[SH_CTR_TX], SH_BURST_MAX - 3);
	pb_lb_free(&one);
	pb_lb_free(&burst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_inserts_ct),
		cmocka_unit_test(test_ack_hits_ct),
		cmocka_unit_test(test_rst_does_not_insert),
		cmocka_unit_test(test_no_lru),
		cmocka_unit_test(test_no_sport),
		cmocka_unit_test(test_dport_hash),
		cmocka_unit_test(test_server_id),
		cmocka_unit_test(test_udp_timeout),
		cmocka_unit_test(test_icmp_error_follows_flow),
		cmocka_unit_test(test_no_real),
		cmocka_unit_test(test_drained_real),
		cmocka_unit_test(test_flood_keeps_established_flows),
		cmocka_unit_test(test_removed_real),
		cmocka_unit_test(test_burst_matches_single),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
