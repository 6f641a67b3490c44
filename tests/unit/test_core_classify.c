// SPDX-License-Identifier: BSD-3-Clause
/*
 * Parsing and classification (sh_classify) and what sh_process then does,
 * over the real userspace environment: VIP exact match and port-0 fallback,
 * the fragment-only alias, traffic for no VIP, echo replies from the
 * address-only entry, IPv4 options, IPv6 extension headers, fragments and
 * VLAN tags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "env_user.h"
#include "shoal/pipeline.h"
#include "pkt_build.h"

/*
 * Real indices follow first appearance: 198.18.1.1 = 0, 198.18.1.2 = 1,
 * 198.18.2.1..8 = 2..9, 2001:db8:2::1..8 = 10..17, 2001:db8:1::1 = 18.
 */
#define R8_V4                                                                                      \
	"[{\"address\": \"198.18.2.1\"}, {\"address\": \"198.18.2.2\"}, "                          \
	"{\"address\": \"198.18.2.3\"}, {\"address\": \"198.18.2.4\"}, "                           \
	"{\"address\": \"198.18.2.5\"}, {\"address\": \"198.18.2.6\"}, "                           \
	"{\"address\": \"198.18.2.7\"}, {\"address\": \"198.18.2.8\"}]"
#define R8_V6                                                                                      \
	"[{\"address\": \"2001:db8:2::1\"}, {\"address\": \"2001:db8:2::2\"}, "                    \
	"{\"address\": \"2001:db8:2::3\"}, {\"address\": \"2001:db8:2::4\"}, "                     \
	"{\"address\": \"2001:db8:2::5\"}, {\"address\": \"2001:db8:2::6\"}, "                     \
	"{\"address\": \"2001:db8:2::7\"}, {\"address\": \"2001:db8:2::8\"}]"

static const char *config =
	"{" PB_LB_JSON("") ", \"vips\": ["
	/* 0 */ "{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"reals\": [{\"address\": \"198.18.1.1\"}]},"
	/* 1 */ "{\"address\": \"198.18.100.1\", \"protocol\": \"tcp\", "
	"\"reals\": [{\"address\": \"198.18.1.2\"}]},"
	/* 2 */ "{\"address\": \"198.18.100.2\", \"port\": 443, \"protocol\": \"tcp\", "
	"\"reals\": " R8_V4 "},"
	/* 3 */ "{\"address\": \"2001:db8:100::1\", \"port\": 443, \"protocol\": \"tcp\", "
	"\"reals\": " R8_V6 "},"
	/* 4 */ "{\"address\": \"198.18.100.3\", \"port\": 53, \"protocol\": \"udp\", "
	"\"reals\": " R8_V4 "},"
	/* 5 */ "{\"address\": \"2001:db8:100::2\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"reals\": [{\"address\": \"2001:db8:1::1\"}]}"
	"]}";

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

static int run(size_t len)
{
	return pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len);
}

/* sh_classify alone on frame[0..len). */
static int classify(size_t len, struct sh_meta *m)
{
	struct sh_pkt p = pb_pkt_new(frame, len, HEADROOM);
	int act = sh_classify(&lb.env, &p, m);

	pb_pkt_free(&p);
	return act;
}

static size_t tcp4(const char *src, const char *dst, __u16 sport, __u16 dport, __u8 flags)
{
	struct pb_spec s = { .src = src, .dst = dst, .proto = SH_IPPROTO_TCP, .sport = sport,
			     .dport = dport, .tcp_flags = flags, .payload_len = 10 };

	return pb_build(&s, frame, sizeof(frame));
}

/* The ring's real for a flow of config VIP vip. */
static __u32 ring_real(__u32 vip, const char *src, const char *dst, __u16 sport, __u16 dport,
		       __u8 proto)
{
	struct sh_flow f = pb_flow(src, dst, sport, dport, proto);

	return pb_ring_real(&lb, vip, sh_flow_hash(lb.t->lb.hash_key, &f));
}

/* The tunnel's inner packet is the frame's IP packet, byte for byte. */
static void assert_inner(size_t outer_l3_len, size_t l3_off, size_t len)
{
	size_t l2 = l3_off;

	assert_int_equal(out_len, l2 + outer_l3_len + (len - l3_off));
	assert_memory_equal(out + l2 + outer_l3_len, frame + l3_off, len - l3_off);
}

static void test_exact_vs_port0(void **state)
{
	struct sh_meta m;
	size_t len;

	(void)state;
	len = tcp4("198.18.0.1", "198.18.100.1", 40000, 80, SH_TCP_SYN);
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FLOW);
	assert_int_equal(m.vip->vip_id, 0);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.1"));
	assert_inner(20, 14, len);

	len = tcp4("198.18.0.1", "198.18.100.1", 40000, 81, SH_TCP_SYN);
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.vip->vip_id, 1);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.2"));

	len = tcp4("198.18.0.1", "198.18.100.1", 40000, 65535, SH_TCP_SYN);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.2"));
	len = tcp4("198.18.0.1", "198.18.100.1", 40000, 0, SH_TCP_SYN);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.2"));

	/* UDP to the address: neither VIP is UDP. */
	{
		struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.1",
				     .proto = SH_IPPROTO_UDP, .sport = 5000, .dport = 80 };

		len = pb_build(&s, frame, sizeof(frame));
		assert_int_equal(run(len), SH_ACT_PASS);
	}
	assert_int_equal(lb.w->vip_ctr[0].packets, 1);
	assert_int_equal(lb.w->vip_ctr[1].packets, 3);
	assert_int_equal(lb.w->vip_ctr[0].bytes, 14 + 20 + 20 + 10 - 14);
}

/* The fragment alias of 198.18.100.2 (no port-0 VIP) serves fragments only. */
static void test_frag_only_alias(void **state)
{
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.2", .proto = SH_IPPROTO_TCP,
			     .sport = 40000, .dport = 444, .tcp_flags = SH_TCP_SYN };
	struct sh_meta m;
	size_t len;

	(void)state;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_PASS);
	assert_int_equal(run(len), SH_ACT_PASS);
	s.dport = 443;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	/* A first fragment to port 444: routed by the alias, to VIP 2's ring. */
	s.dport = 444;
	s.frag = SH_IP_MF;
	s.payload_len = 100;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FRAG);
	assert_int_equal(m.vip->vip_id, 2);
	assert_true(m.vip->flags & SH_VIP_F_FRAG_ONLY);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len),
			 ring_real(2, "198.18.0.1", "198.18.100.2", 0, 0, SH_IPPROTO_TCP));
}

static void test_pass_not_for_a_vip(void **state)
{
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.200.1", .proto = SH_IPPROTO_TCP,
			     .sport = 40000, .dport = 80, .tcp_flags = SH_TCP_SYN };
	__u64 vips = lb.w->vip_ctr[0].packets + lb.w->vip_ctr[1].packets;
	size_t len;

	(void)state;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	s.proto = SH_IPPROTO_UDP;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	s.proto = SH_IPPROTO_ICMP;
	s.icmp_type = SH_ICMP_ECHO;
	s.icmp_id = 1;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	s.proto = SH_IPPROTO_TCP;
	s.frag = SH_IP_MF;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	s.frag = 0;
	s.src = "2001:db8::5";
	s.dst = "2001:db8:200::1";
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	/* To a VIP address, but a protocol the LB does not balance (GRE, 47). */
	s.src = "198.18.0.1";
	s.dst = "198.18.100.1";
	s.proto = 47;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	/* Not IP: ARP; an ARP inside 802.1ad; two VLAN tags (only one is parsed). */
	s.proto = SH_IPPROTO_TCP;
	len = pb_build(&s, frame, sizeof(frame));
	pb_put16(frame, 12, 0x0806);
	assert_int_equal(run(len), SH_ACT_PASS);
	s.vlan_tpid = SH_ETH_P_8021AD;
	s.vlan_tci = 7;
	len = pb_build(&s, frame, sizeof(frame));
	pb_put16(frame, 16, 0x0806);
	assert_int_equal(run(len), SH_ACT_PASS);
	pb_put16(frame, 16, SH_ETH_P_8021Q);
	assert_int_equal(run(len), SH_ACT_PASS);
	assert_int_equal(lb.w->vip_ctr[0].packets + lb.w->vip_ctr[1].packets, vips);
}

/* The echo reply the LB should send for an echo request frame (built independently). */
static size_t expected_echo_reply(const __u8 *req, size_t len, size_t l3, size_t l4, int v6)
{
	__u8 tmp[16];

	memcpy(out, req, len);
	memcpy(out, req + 6, 6);
	memcpy(out + 6, req, 6);
	if (v6) {
		memcpy(tmp, out + l3 + 8, 16);
		memcpy(out + l3 + 8, out + l3 + 24, 16);
		memcpy(out + l3 + 24, tmp, 16);
		out[l3 + 7] = 64;
		out[l4] = SH_ICMP6_ECHO_REPLY;
		pb_put16(out, l4 + 2, 0);
		pb_put16(out, l4 + 2,
			 pb_fold(pb_sum(out + l4, len - l4,
					pb_pseudo6(out + l3 + 8, out + l3 + 24, SH_IPPROTO_ICMPV6,
						   (__u32)(len - l4)))));
	} else {
		memcpy(tmp, out + l3 + 12, 4);
		memcpy(out + l3 + 12, out + l3 + 16, 4);
		memcpy(out + l3 + 16, tmp, 4);
		out[l3 + 8] = 64;
		pb_ip4_recsum(out, l3);
		out[l4] = SH_ICMP_ECHOREPLY;
		pb_put16(out, l4 + 2, 0);
		pb_put16(out, l4 + 2, pb_fold(pb_sum(out + l4, len - l4, 0)));
	}
	return len;
}

static void check_echo(const struct pb_spec *s)
{
	static __u8 want[PB_MAX];
	__u64 echo = pb_ctr(&lb, SH_CTR_ICMP_ECHO);
	size_t l3, l4, len = pb_build_ex(s, frame, sizeof(frame), &l3, &l4);
	int v6 = s->proto == SH_IPPROTO_ICMPV6;

	expected_echo_reply(frame, len, l3, l4, v6);
	memcpy(want, out, len);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, want, len);
	assert_int_equal(pb_ctr(&lb, SH_CTR_ICMP_ECHO), echo + 1);
	/* The reply verifies. */
	if (v6)
		assert_true(pb_csum_ok(out + l4, len - l4,
				       pb_pseudo6(out + l3 + 8, out + l3 + 24, SH_IPPROTO_ICMPV6,
						  (__u32)(len - l4))));
	else
		assert_true(pb_csum_ok(out + l3, l4 - l3, 0) && pb_csum_ok(out + l4, len - l4, 0));
}

/* Echo requests to VIP addresses, even one with only a port VIP, are answered. */
static void test_echo(void **state)
{
	static const __u8 ra[4] = { 148, 4, 0, 0 }; /* router alert option */
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_ICMP,
			     .icmp_type = SH_ICMP_ECHO, .icmp_id = 0x1234, .icmp_seq = 1,
			     .payload_len = 56, .ttl = 17 };

	(void)state;
	check_echo(&s);
	s.dst = "198.18.100.2";
	check_echo(&s);
	s.vlan_tpid = SH_ETH_P_8021Q;
	s.vlan_tci = 0x0064;
	s.ip4_opts = ra;
	s.ip4_opts_len = 4;
	check_echo(&s);
	s.src = "2001:db8::5";
	s.dst = "2001:db8:100::1";
	s.proto = SH_IPPROTO_ICMPV6;
	s.icmp_type = SH_ICMP6_ECHO_REQUEST;
	s.tos = 0x28;
	s.flow_label = 0x12345;
	check_echo(&s);
	s.vlan_tpid = 0;
	check_echo(&s);
	/* Not to a VIP address, or not an echo request: not answered. */
	s.dst = "2001:db8:200::1";
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
	s.dst = "2001:db8:100::1";
	s.icmp_type = SH_ICMP6_ECHO_REPLY;
	assert_int_equal(run(pb_build(&s, frame, sizeof(frame))), SH_ACT_PASS);
}

/* id 0, seq 0, zero payload: the reply's ICMP data is all zero; its checksum must be 0xffff. */
static void test_echo_zero_data(void **state)
{
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_ICMP,
			     .icmp_type = SH_ICMP_ECHO, .payload = (const __u8[16]){ 0 },
			     .payload_len = 16 };

	(void)state;
	check_echo(&s);
}

/* IHL 6..15: options skipped, the inner packet forwarded untouched, the same real as IHL 5. */
static void test_ip4_options(void **state)
{
	__u8 opts[40];
	struct pb_spec s = { .src = "198.18.0.7", .dst = "198.18.100.2", .proto = SH_IPPROTO_TCP,
			     .sport = 33000, .dport = 443, .tcp_flags = SH_TCP_ACK,
			     .payload_len = 33, .ip4_opts = opts };
	__u32 want = ring_real(2, "198.18.0.7", "198.18.100.2", 33000, 443, SH_IPPROTO_TCP);
	struct sh_meta m;
	size_t len;
	int ihl;

	(void)state;
	memset(opts, SH_TCPOPT_NOP, sizeof(opts));
	for (ihl = 5; ihl <= 15; ihl++) {
		s.ip4_opts_len = (__u32)(ihl - 5) * 4;
		if (ihl > 5)
			opts[s.ip4_opts_len - 1] = 0; /* end of options list */
		len = pb_build(&s, frame, sizeof(frame));
		assert_int_equal(classify(len, &m), SH_ACT_NEXT);
		assert_int_equal(m.l4_off, 14 + ihl * 4);
		assert_int_equal(m.l3_len, ihl * 4 + 20 + 33);
		assert_int_equal(ntohs(m.flow.sport), 33000);
		assert_int_equal(ntohs(m.flow.dport), 443);
		assert_int_equal(run(len), SH_ACT_TX);
		assert_int_equal(pb_out_real(&lb, out, out_len), want);
		assert_inner(20, 14, len);
		if (ihl > 5)
			opts[s.ip4_opts_len - 1] = SH_TCPOPT_NOP;
	}
}

/* Hop-by-hop, destination options, routing (and AH) before TCP: walked, forwarded intact. */
static void test_ip6_ext_headers(void **state)
{
	static const struct pb_ext three[] = { { .type = SH_IPPROTO_HOPOPTS, .hdrlen = 0 },
					       { .type = SH_IPPROTO_DSTOPTS, .hdrlen = 1 },
					       { .type = SH_IPPROTO_ROUTING, .hdrlen = 0 } };
	static const struct pb_ext with_ah[] = { { .type = SH_IPPROTO_HOPOPTS, .hdrlen = 2 },
						 { .type = SH_IPPROTO_AH, .hdrlen = 4 },
						 { .type = SH_IPPROTO_DSTOPTS, .hdrlen = 0 } };
	struct pb_ext many[8];
	struct pb_spec s = { .src = "2001:db8::7", .dst = "2001:db8:100::1",
			     .proto = SH_IPPROTO_TCP, .sport = 33000, .dport = 443,
			     .tcp_flags = SH_TCP_SYN, .payload_len = 5 };
	__u32 want = ring_real(3, "2001:db8::7", "2001:db8:100::1", 33000, 443, SH_IPPROTO_TCP);
	struct sh_meta m;
	size_t len;
	int i;

	(void)state;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);

	s.ext = three;
	s.n_ext = 3;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.l4_off, 14 + 40 + 8 + 16 + 8);
	assert_int_equal(m.kind, SH_K_FLOW);
	assert_int_equal(m.tcp_flags, SH_TCP_SYN);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	assert_inner(40, 14, len);

	s.ext = with_ah;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.l4_off, 14 + 40 + 24 + 24 + 8);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);

	/* Six extension headers are walked; a seventh is beyond the limit. */
	for (i = 0; i < 8; i++)
		many[i] = (struct pb_ext){ .type = SH_IPPROTO_DSTOPTS, .hdrlen = 0 };
	s.ext = many;
	s.n_ext = 6;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	s.n_ext = 7;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_IP6_EXT_LIMIT);
	s.dst = "2001:db8:200::1"; /* not ours: the host's problem */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_PASS);
}

/* IPv4 fragments of one datagram (first with MF, middle, last) all reach one real. */
static void test_fragments_v4(void **state)
{
	struct pb_spec s = { .src = "198.18.0.9", .dst = "198.18.100.2", .proto = SH_IPPROTO_TCP,
			     .sport = 40000, .dport = 443, .tcp_flags = SH_TCP_ACK,
			     .ip_id = 0x4242, .payload_len = 1000 };
	__u32 want = ring_real(2, "198.18.0.9", "198.18.100.2", 0, 0, SH_IPPROTO_TCP);
	__u64 frag = pb_ctr(&lb, SH_CTR_FRAG), ct = pb_ct_used(&lb);
	__u32 seen[8] = { 0 }, n = 0, i, r;
	struct sh_meta m;
	size_t len;
	char src[32];

	(void)state;
	s.frag = SH_IP_MF; /* first: offset 0, carries the TCP header */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FRAG);
	assert_int_equal(m.flow.sport, 0);
	assert_int_equal(m.flow.dport, 0);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	assert_inner(20, 14, len);
	s.raw_l4 = 1;
	s.frag = SH_IP_MF | 128; /* middle: offset 1024 */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	s.frag = 256; /* last */
	s.payload_len = 7;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	assert_inner(20, 14, len);
	assert_int_equal(pb_ctr(&lb, SH_CTR_FRAG), frag + 3);
	assert_int_equal(pb_ct_used(&lb), ct); /* fragments are never remembered */
	/* Another datagram of the same hosts: the same real. */
	s.ip_id = 0x4343;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	/* DF alone is no fragment. */
	s.raw_l4 = 0;
	s.frag = SH_IP_DF;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FLOW);
	assert_int_equal(m.df, 1);
	/* Other clients' fragments spread over the reals. */
	s.frag = SH_IP_MF;
	for (i = 0; i < 64; i++) {
		snprintf(src, sizeof(src), "198.18.7.%u", i + 1);
		s.src = src;
		len = pb_build(&s, frame, sizeof(frame));
		assert_int_equal(run(len), SH_ACT_TX);
		r = pb_out_real(&lb, out, out_len);
		assert_int_equal(r, ring_real(2, src, "198.18.100.2", 0, 0, SH_IPPROTO_TCP));
		assert_true(r >= 2 && r <= 9);
		if (!seen[r - 2]++)
			n++;
	}
	assert_true(n >= 4);
	/* An address with a port-0 VIP: fragments use it, whatever port the datagram is for. */
	s.src = "198.18.0.9";
	s.dst = "198.18.100.1";
	s.dport = 80;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.2"));
}

static void test_fragments_v6(void **state)
{
	struct pb_ext fh = { .type = SH_IPPROTO_FRAGMENT, .frag = SH_IP6_MF, .frag_id = 77 };
	struct pb_ext ext[2] = { { .type = SH_IPPROTO_HOPOPTS }, fh };
	struct pb_spec s = { .src = "2001:db8::9", .dst = "2001:db8:100::1",
			     .proto = SH_IPPROTO_TCP,
			     .sport = 40000, .dport = 443, .tcp_flags = SH_TCP_ACK,
			     .payload_len = 600, .ext = &fh, .n_ext = 1 };
	__u32 want = ring_real(3, "2001:db8::9", "2001:db8:100::1", 0, 0, SH_IPPROTO_TCP);
	__u64 frag = pb_ctr(&lb, SH_CTR_FRAG);
	struct sh_meta m;
	size_t len;

	(void)state;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FRAG);
	assert_int_equal(m.flow.proto, SH_IPPROTO_TCP);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	assert_inner(40, 14, len);
	s.raw_l4 = 1;
	fh.frag = 1232 | SH_IP6_MF; /* middle */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	fh.frag = 2464; /* last */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	/* Behind a hop-by-hop header. */
	ext[1] = fh;
	s.ext = ext;
	s.n_ext = 2;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), want);
	assert_int_equal(pb_ctr(&lb, SH_CTR_FRAG), frag + 4);
	/* An atomic fragment (offset 0, no M) is a whole datagram: a flow with ports. */
	s.raw_l4 = 0;
	fh.frag = 0;
	s.ext = &fh;
	s.n_ext = 1;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FLOW);
	assert_int_equal(ntohs(m.flow.sport), 40000);
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len),
			 ring_real(3, "2001:db8::9", "2001:db8:100::1", 40000, 443,
				   SH_IPPROTO_TCP));
}

/* The frame goes back out with its VLAN tag (802.1Q or 802.1ad) and priority bits. */
static void test_vlan_kept(void **state)
{
	static const __u16 tpids[] = { SH_ETH_P_8021Q, SH_ETH_P_8021AD };
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_TCP,
			     .sport = 40000, .dport = 80, .tcp_flags = SH_TCP_SYN,
			     .vlan_tci = 0xa064, .payload_len = 3 };
	struct sh_meta m;
	size_t len, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		s.vlan_tpid = tpids[i];
		s.src = "198.18.0.1";
		s.dst = "198.18.100.1";
		len = pb_build(&s, frame, sizeof(frame));
		assert_int_equal(classify(len, &m), SH_ACT_NEXT);
		assert_int_equal(m.l3_off, 18);
		assert_int_equal(run(len), SH_ACT_TX);
		assert_memory_equal(out, pb_mac_gw, 6);
		assert_memory_equal(out + 6, pb_mac_lb, 6);
		assert_int_equal(pb_get16(out, 12), tpids[i]);
		assert_int_equal(pb_get16(out, 14), 0xa064);
		assert_int_equal(pb_get16(out, 16), SH_ETH_P_IP);
		assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.1"));
		assert_inner(20, 18, len);
		/* IPv6 VIP, IPv6 real. */
		s.src = "2001:db8::1";
		s.dst = "2001:db8:100::2";
		len = pb_build(&s, frame, sizeof(frame));
		assert_int_equal(run(len), SH_ACT_TX);
		assert_int_equal(pb_get16(out, 12), tpids[i]);
		assert_int_equal(pb_get16(out, 14), 0xa064);
		assert_int_equal(pb_get16(out, 16), SH_ETH_P_IPV6);
		assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "2001:db8:1::1"));
		assert_inner(40, 18, len);
	}
}

/* What classify records: offsets, lengths, TOS, DF, flags. */
static void test_meta(void **state)
{
	static const __u8 opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	struct pb_spec s = { .src = "198.18.0.3", .dst = "198.18.100.3", .proto = SH_IPPROTO_UDP,
			     .sport = 5353, .dport = 53, .tos = 0xb9, .frag = SH_IP_DF,
			     .vlan_tpid = SH_ETH_P_8021Q, .vlan_tci = 5, .ip4_opts = opts,
			     .ip4_opts_len = 8, .payload_len = 21 };
	struct sh_flow want = pb_flow("198.18.0.3", "198.18.100.3", 5353, 53, SH_IPPROTO_UDP);
	struct sh_meta m;
	size_t len;

	(void)state;
	len = pb_build(&s, frame, sizeof(frame));
	/* Ethernet padding after the IP packet is not part of it. */
	memset(frame + len, 0, 6);
	assert_int_equal(classify(len + 6, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_FLOW);
	assert_int_equal(m.l3_off, 18);
	assert_int_equal(m.l4_off, 18 + 28);
	assert_int_equal(m.l3_len, 28 + 8 + 21);
	assert_int_equal(m.tos, 0xb9);
	assert_int_equal(m.df, 1);
	assert_int_equal(m.vip->vip_id, 4);
	assert_memory_equal(&m.flow, &want, sizeof(want));
	assert_int_equal(m.hash, sh_flow_hash(lb.t->lb.hash_key, &want));
	/* IPv6 traffic class. */
	s.src = "2001:db8::3";
	s.dst = "2001:db8:100::1";
	s.proto = SH_IPPROTO_TCP;
	s.dport = 443;
	s.tos = 0x2a;
	s.tcp_flags = SH_TCP_SYN | SH_TCP_ACK | SH_TCP_FIN;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.tos, 0x2a);
	assert_int_equal(m.df, 0);
	assert_int_equal(m.tcp_flags, SH_TCP_SYN | SH_TCP_ACK | SH_TCP_FIN);
	assert_int_equal(m.l3_len, 40 + 20 + 21);
}

/* ICMP errors quoting a VIP flow are classified as that flow (the quote reversed). */
static void test_icmp_error_classify(void **state)
{
	static __u8 quote[PB_MAX];
	struct pb_spec q = { .src = "198.18.100.2", .dst = "198.18.0.4", .proto = SH_IPPROTO_TCP,
			     .sport = 443, .dport = 41000, .tcp_flags = SH_TCP_ACK, .no_eth = 1 };
	struct pb_spec s = { .src = "198.18.9.9", .dst = "198.18.100.2", .proto = SH_IPPROTO_ICMP,
			     .icmp_type = SH_ICMP_DEST_UNREACH, .icmp_code = SH_ICMP_FRAG_NEEDED,
			     .icmp_rest = 1400, .payload = quote };
	struct sh_flow want = pb_flow("198.18.0.4", "198.18.100.2", 41000, 443, SH_IPPROTO_TCP);
	struct sh_meta m;
	size_t len;

	(void)state;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_ICMP_ERR);
	assert_int_equal(m.vip->vip_id, 2);
	assert_memory_equal(&m.flow, &want, sizeof(want));
	assert_int_equal(run(len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len),
			 ring_real(2, "198.18.0.4", "198.18.100.2", 41000, 443, SH_IPPROTO_TCP));
	/* IPv6 packet too big. */
	q.src = "2001:db8:100::1";
	q.dst = "2001:db8::4";
	s.src = "2001:db8:9::9";
	s.dst = "2001:db8:100::1";
	s.proto = SH_IPPROTO_ICMPV6;
	s.icmp_type = SH_ICMP6_PKT_TOOBIG;
	s.icmp_code = 0;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	len = pb_build(&s, frame, sizeof(frame));
	want = pb_flow("2001:db8::4", "2001:db8:100::1", 41000, 443, SH_IPPROTO_TCP);
	assert_int_equal(classify(len, &m), SH_ACT_NEXT);
	assert_int_equal(m.kind, SH_K_ICMP_ERR);
	assert_memory_equal(&m.flow, &want, sizeof(want));
	/* Other ICMP types pass; so does an error quoting something not TCP/UDP. */
	s.icmp_type = 3; /* time exceeded */
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_PASS);
	q.proto = 47;
	s.icmp_type = SH_ICMP6_DEST_UNREACH;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(run(len), SH_ACT_PASS);
}

/*
 * An IPv4 fragment of protocol 0 to a VIP address: there is no VIP for
 * protocol 0, so it is not ours (PASS). The address-only entry (addr, 0, 0)
 * exists for echo and errors and must not be taken for a fragment alias.
 */
static void test_frag_proto0_not_a_vip(void **state)
{
	struct pb_spec s = { .src = "198.18.0.1", .dst = "198.18.100.1", .proto = 0,
			     .frag = SH_IP_MF, .payload_len = 64 };
	struct sh_meta m;
	size_t len;

	(void)state;
	len = pb_build(&s, frame, sizeof(frame));
	assert_int_equal(classify(len, &m), SH_ACT_PASS);
	assert_int_equal(run(len), SH_ACT_PASS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_vs_port0),
		cmocka_unit_test(test_frag_only_alias),
		cmocka_unit_test(test_pass_not_for_a_vip),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_echo_zero_data),
		cmocka_unit_test(test_ip4_options),
		cmocka_unit_test(test_ip6_ext_headers),
		cmocka_unit_test(test_fragments_v4),
		cmocka_unit_test(test_fragments_v6),
		cmocka_unit_test(test_vlan_kept),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_icmp_error_classify),
		cmocka_unit_test(test_frag_proto0_not_a_vip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
