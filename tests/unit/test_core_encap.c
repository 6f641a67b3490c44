// SPDX-License-Identifier: BSD-3-Clause
/*
 * Encapsulation byte for byte (IPIP, IPv6-in-IPv6, 4in6, 6in4, GUE over IPv4
 * and IPv6), against frames built here from the wire formats: lengths,
 * protocols, TTL 64, DF, TOS copy, checksums, the IPv6 flow label and the GUE
 * source port. Then the limits: headroom, the MTU and the ICMP errors it
 * sends back (fragmentation needed, packet too big), and missing sources.
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

enum { V_IPIP, V_IP6IP6, V_4IN6, V_6IN4, V_GUE4, V_GUE6, V_GUE_4IN6, V_GUE_6IN4 };

static const struct {
	const char *vip, *real;
	__u8 proto;
	int gue;
} vips[] = {
	[V_IPIP] = { "198.18.100.1", "198.18.1.1", SH_IPPROTO_TCP, 0 },
	[V_IP6IP6] = { "2001:db8:100::1", "2001:db8:1::1", SH_IPPROTO_TCP, 0 },
	[V_4IN6] = { "198.18.100.2", "2001:db8:1::2", SH_IPPROTO_TCP, 0 },
	[V_6IN4] = { "2001:db8:100::2", "198.18.1.2", SH_IPPROTO_TCP, 0 },
	[V_GUE4] = { "198.18.100.3", "198.18.1.3", SH_IPPROTO_TCP, 1 },
	[V_GUE6] = { "2001:db8:100::3", "2001:db8:1::3", SH_IPPROTO_TCP, 1 },
	[V_GUE_4IN6] = { "198.18.100.4", "2001:db8:1::4", SH_IPPROTO_UDP, 1 },
	[V_GUE_6IN4] = { "2001:db8:100::4", "198.18.1.4", SH_IPPROTO_UDP, 1 },
};
#define N_VIPS (sizeof(vips) / sizeof(vips[0]))

#define VIP_JSON(addr, proto, encap, real)                                                         \
	"{\"address\": \"" addr "\", \"port\": 80, \"protocol\": \"" proto                         \
	"\", \"encap\": \"" encap "\", \"reals\": [{\"address\": \"" real "\"}]}"

#define VIPS_JSON                                                                                  \
	"\"vips\": ["                                                                              \
	VIP_JSON("198.18.100.1", "tcp", "ipip", "198.18.1.1") ","                                  \
	VIP_JSON("2001:db8:100::1", "tcp", "ipip", "2001:db8:1::1") ","                            \
	VIP_JSON("198.18.100.2", "tcp", "ipip", "2001:db8:1::2") ","                               \
	VIP_JSON("2001:db8:100::2", "tcp", "ipip", "198.18.1.2") ","                               \
	VIP_JSON("198.18.100.3", "tcp", "gue", "198.18.1.3") ","                                   \
	VIP_JSON("2001:db8:100::3", "tcp", "gue", "2001:db8:1::3") ","                             \
	VIP_JSON("198.18.100.4", "udp", "gue", "2001:db8:1::4") ","                                \
	VIP_JSON("2001:db8:100::4", "udp", "gue", "198.18.1.4") "]"

static const char *config =
	"{" PB_LB_JSON(", \"mtu\": 1500, \"gue_port\": 6080") ", " VIPS_JSON "}";
static const char *config_576 =
	"{" PB_LB_JSON(", \"mtu\": 576, \"gue_port\": 6081") ", " VIPS_JSON "}";

#define HEADROOM 128

static struct pb_lb lb;
static __u8 frame[PB_MAX], out[PB_MAX + HEADROOM], want[PB_MAX + HEADROOM];
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

static const char *client(const char *vip)
{
	return strchr(vip, ':') ? "2001:db8:5::77" : "198.18.0.77";
}

/* A packet from the client to VIP v carrying l3_len bytes of IP packet. */
static size_t to_vip(int v, __u32 l3_len, __u8 tos, __u16 frag, __u16 vlan)
{
	int v6 = strchr(vips[v].vip, ':') != NULL;
	__u32 hdrs = (v6 ? 40 : 20) + (vips[v].proto == SH_IPPROTO_TCP ? 20 : 8);
	struct pb_spec s = { .src = client(vips[v].vip), .dst = vips[v].vip, .proto = vips[v].proto,
			     .sport = 40001, .dport = 80, .tcp_flags = SH_TCP_ACK, .tos = tos,
			     .frag = frag, .vlan_tpid = vlan ? SH_ETH_P_8021Q : 0,
			     .vlan_tci = vlan, .flow_label = 0xabcde, .ip_id = 0x1111 };

	assert_true(l3_len >= hdrs);
	s.payload_len = l3_len - hdrs;
	return pb_build(&s, frame, sizeof(frame));
}

static __u64 vip_flow_hash(int v)
{
	struct sh_flow f = pb_flow(client(vips[v].vip), vips[v].vip, 40001, 80, vips[v].proto);

	return sh_flow_hash(pb_hash_key, &f);
}

static size_t overhead(int v)
{
	return (strchr(vips[v].real, ':') ? 40 : 20) + (vips[v].gue ? 8 : 0);
}

/*
 * The tunnelled frame for in[0..len) (L2 header l2 bytes) to VIP v's real,
 * written from the formats: RFC 2003 / RFC 2473 outer header, GUE variant 1.
 */
static size_t expect_tunnel(int v, const __u8 *in, size_t len, size_t l2, __u16 gue_port)
{
	struct sh_addr real, src4, src6;
	int out6 = pb_addr(vips[v].real, &real) == SH_AF_INET6;
	int in6 = pb_get16(in, l2 - 2) == SH_ETH_P_IPV6;
	size_t inner = len - l2, ovh = overhead(v), ip = l2, udp = l2 + (out6 ? 40 : 20);
	__u8 tos = in6 ? (__u8)(pb_get32(in, l2) >> 20) : in[l2 + 1];
	__u8 nh = vips[v].gue ? SH_IPPROTO_UDP : in6 ? SH_IPPROTO_IPV6 : SH_IPPROTO_IPIP;
	__u64 hash = vip_flow_hash(v);

	pb_addr("198.18.0.10", &src4);
	pb_addr("2001:db8::10", &src6);
	memset(want, 0, ovh + len);
	memcpy(want, pb_mac_gw, 6);
	memcpy(want + 6, in, 6); /* the LB's own MAC: the frame's destination */
	memcpy(want + 12, in + 12, l2 - 12);
	pb_put16(want, l2 - 2, out6 ? SH_ETH_P_IPV6 : SH_ETH_P_IP);
	if (out6) {
		pb_put32(want, ip, 6u << 28 | (__u32)tos << 20 | (__u32)(hash & 0xfffff));
		pb_put16(want, ip + 4, (__u16)(ovh - 40 + inner));
		want[ip + 6] = nh;
		want[ip + 7] = 64;
		memcpy(want + ip + 8, &src6, 16);
		memcpy(want + ip + 24, &real, 16);
	} else {
		want[ip] = 0x45;
		want[ip + 1] = tos;
		pb_put16(want, ip + 2, (__u16)(ovh + inner));
		pb_put16(want, ip + 4, 0);
		pb_put16(want, ip + 6, SH_IP_DF);
		want[ip + 8] = 64;
		want[ip + 9] = nh;
		memcpy(want + ip + 12, &src4.w[0], 4);
		memcpy(want + ip + 16, &real.w[0], 4);
		pb_ip4_recsum(want, ip);
	}
	if (vips[v].gue) {
		pb_put16(want, udp, (__u16)(0xc000 | ((hash >> 48) & 0x3fff)));
		pb_put16(want, udp + 2, gue_port);
		pb_put16(want, udp + 4, (__u16)(8 + inner));
		pb_put16(want, udp + 6, 0);
	}
	memcpy(want + l2 + ovh, in + l2, inner);
	return l2 + ovh + inner;
}

static void check_tunnel(int v, __u8 tos, __u16 frag, __u16 vlan)
{
	size_t len = to_vip(v, 300, tos, frag, vlan), l2 = vlan ? 18 : 14, n;
	__u32 r = pb_real_idx(&lb, vips[v].real);
	__u64 bytes = lb.w->real_ctr[r].bytes;

	n = expect_tunnel(v, frame, len, l2, 6080);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	if (!strchr(vips[v].real, ':'))
		assert_true(pb_csum_ok(out + l2, 20, 0));
	assert_int_equal(lb.w->real_ctr[r].bytes, bytes + 300);
}

static void test_ipip(void **state)
{
	(void)state;
	check_tunnel(V_IPIP, 0xb9, SH_IP_DF, 0);
	check_tunnel(V_IPIP, 0x00, 0, 0); /* the outer DF is set either way */
	check_tunnel(V_IPIP, 0xff, 0, 0x0123);
}

static void test_ip6ip6(void **state)
{
	(void)state;
	check_tunnel(V_IP6IP6, 0x2a, 0, 0);
	check_tunnel(V_IP6IP6, 0xff, 0, 0xe00a);
}

static void test_4in6(void **state)
{
	(void)state;
	check_tunnel(V_4IN6, 0x11, SH_IP_DF, 0);
	check_tunnel(V_4IN6, 0x11, SH_IP_DF, 5);
}

static void test_6in4(void **state)
{
	(void)state;
	check_tunnel(V_6IN4, 0x80, 0, 0);
	check_tunnel(V_6IN4, 0x03, 0, 5);
}

static void test_gue(void **state)
{
	(void)state;
	check_tunnel(V_GUE4, 0xb8, SH_IP_DF, 0);
	check_tunnel(V_GUE6, 0x2e, 0, 0);
	check_tunnel(V_GUE_4IN6, 0x01, 0, 0x77);
	check_tunnel(V_GUE_6IN4, 0x02, 0, 0);
}

/* The flow label and the GUE port follow the flow: other client ports give other values. */
static void test_flow_dependent_fields(void **state)
{
	struct pb_spec s = { .src = "2001:db8:5::1", .dst = "2001:db8:100::3",
			     .proto = SH_IPPROTO_TCP, .dport = 80, .tcp_flags = SH_TCP_SYN };
	__u16 sport0 = 0;
	__u32 label0 = 0;
	int i, ports_differ = 0, labels_differ = 0;

	(void)state;
	for (i = 0; i < 16; i++) {
		struct sh_flow f;
		__u64 h;

		s.sport = (__u16)(1000 + i);
		f = pb_flow(s.src, s.dst, s.sport, 80, SH_IPPROTO_TCP);
		h = sh_flow_hash(pb_hash_key, &f);
		assert_int_equal(pb_lb_run(&lb, frame, pb_build(&s, frame, sizeof(frame)), HEADROOM,
					   out, &out_len),
				 SH_ACT_TX);
		assert_int_equal(pb_get32(out, 14) & 0xfffff, h & 0xfffff);
		assert_int_equal(pb_get16(out, 54), 0xc000 | ((h >> 48) & 0x3fff));
		assert_true(pb_get16(out, 54) >= 49152);
		if (i == 0) {
			sport0 = pb_get16(out, 54);
			label0 = pb_get32(out, 14) & 0xfffff;
		}
		ports_differ += pb_get16(out, 54) != sport0;
		labels_differ += (pb_get32(out, 14) & 0xfffff) != label0;
	}
	assert_true(ports_differ >= 12 && labels_differ >= 12);
}

/* Headroom: exactly the overhead is enough; one byte less drops, sending nothing. */
static void test_headroom(void **state)
{
	size_t v, len, n;

	(void)state;
	for (v = 0; v < N_VIPS; v++) {
		size_t ovh = overhead((int)v);

		len = to_vip((int)v, 100, 0, 0, 0);
		assert_int_equal(pb_lb_run(&lb, frame, len, ovh - 1, out, &out_len), SH_ACT_DROP);
		assert_int_equal(lb.last_verdict, SH_DROP_HEADROOM);
		assert_int_equal(pb_lb_run(&lb, frame, len, ovh, out, &out_len), SH_ACT_TX);
		n = expect_tunnel((int)v, frame, len, 14, 6080);
		assert_int_equal(out_len, n);
		assert_memory_equal(out, want, n);
		assert_int_equal(pb_lb_run(&lb, frame, len, 0, out, &out_len), SH_ACT_DROP);
		assert_int_equal(lb.last_verdict, SH_DROP_HEADROOM);
	}
}

/* ICMPv4 fragmentation needed for in[0..len), built from RFC 792 / RFC 1191. */
static size_t expect_frag_needed(const __u8 *in, size_t len, size_t l2, __u16 mtu)
{
	size_t q = len - l2 > 548 ? 548 : len - l2, ip = l2, icmp = l2 + 20;

	memset(want, 0, l2 + 28 + q);
	memcpy(want, in + 6, 6);
	memcpy(want + 6, in, 6);
	memcpy(want + 12, in + 12, l2 - 12);
	want[ip] = 0x45;
	pb_put16(want, ip + 2, (__u16)(28 + q));
	want[ip + 8] = 64;
	want[ip + 9] = SH_IPPROTO_ICMP;
	memcpy(want + ip + 12, in + l2 + 16, 4); /* from the VIP */
	memcpy(want + ip + 16, in + l2 + 12, 4); /* to the client */
	pb_ip4_recsum(want, ip);
	want[icmp] = SH_ICMP_DEST_UNREACH;
	want[icmp + 1] = SH_ICMP_FRAG_NEEDED;
	pb_put16(want, icmp + 6, mtu);
	memcpy(want + icmp + 8, in + l2, q);
	pb_put16(want, icmp + 2, pb_fold(pb_sum(want + icmp, 8 + q, 0)));
	return l2 + 28 + q;
}

/* ICMPv6 packet too big (RFC 4443). */
static size_t expect_ptb(const __u8 *in, size_t len, size_t l2, __u32 mtu)
{
	size_t q = len - l2 > 1232 ? 1232 : len - l2, ip = l2, icmp = l2 + 40;

	memset(want, 0, l2 + 48 + q);
	memcpy(want, in + 6, 6);
	memcpy(want + 6, in, 6);
	memcpy(want + 12, in + 12, l2 - 12);
	pb_put32(want, ip, 6u << 28);
	pb_put16(want, ip + 4, (__u16)(8 + q));
	want[ip + 6] = SH_IPPROTO_ICMPV6;
	want[ip + 7] = 64;
	memcpy(want + ip + 8, in + l2 + 24, 16);
	memcpy(want + ip + 24, in + l2 + 8, 16);
	want[icmp] = SH_ICMP6_PKT_TOOBIG;
	pb_put32(want, icmp + 4, mtu);
	memcpy(want + icmp + 8, in + l2, q);
	pb_put16(want, icmp + 2,
		 pb_fold(pb_sum(want + icmp, 8 + q,
				pb_pseudo6(want + ip + 8, want + ip + 24, SH_IPPROTO_ICMPV6,
					   (__u32)(8 + q)))));
	return l2 + 48 + q;
}

/* The largest packet that fits goes out; one byte more comes back as an ICMP error. */
static void check_mtu(int v, __u16 vlan)
{
	int v6 = strchr(vips[v].vip, ':') != NULL;
	__u32 fit = 1500 - (__u32)overhead(v);
	size_t l2 = vlan ? 18 : 14, len, n;
	__u64 too_big = pb_ctr(&lb, SH_CTR_ICMP_TOO_BIG);

	len = to_vip(v, fit, 0x10, SH_IP_DF, vlan);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, vips[v].real));
	len = to_vip(v, fit + 1, 0x10, SH_IP_DF, vlan);
	n = v6 ? expect_ptb(frame, len, l2, fit) : expect_frag_needed(frame, len, l2, (__u16)fit);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	assert_int_equal(pb_ctr(&lb, SH_CTR_ICMP_TOO_BIG), too_big + 1);
	/* Checksums verify (independently of the expected frame). */
	if (v6) {
		assert_true(pb_csum_ok(out + l2 + 40, n - l2 - 40,
				       pb_pseudo6(out + l2 + 8, out + l2 + 24, SH_IPPROTO_ICMPV6,
						  (__u32)(n - l2 - 40))));
		assert_int_equal(n, l2 + 1280);
	} else {
		assert_true(pb_csum_ok(out + l2, 20, 0));
		assert_true(pb_csum_ok(out + l2 + 20, n - l2 - 20, 0));
		assert_int_equal(n, l2 + 576);
	}
	/* Headroom for the error's headers: exactly enough, and one byte short. */
	assert_int_equal(pb_lb_run(&lb, frame, len, v6 ? 48 : 28, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_int_equal(pb_lb_run(&lb, frame, len, v6 ? 47 : 27, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_HEADROOM);
}

static void test_mtu_icmp(void **state)
{
	int v;

	(void)state;
	for (v = 0; v < (int)N_VIPS; v++) {
		check_mtu(v, 0);
		check_mtu(v, 0x0042);
	}
}

/* IPv4 without DF may be fragmented later on the path: no error is sent, the packet is dropped. */
static void test_mtu_no_df(void **state)
{
	size_t len;

	(void)state;
	len = to_vip(V_IPIP, 1481, 0, 0, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_TOO_BIG);
	len = to_vip(V_GUE_4IN6, 1453, 0, 0, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_TOO_BIG);
	/* A fragment (MF) cannot carry DF: dropped too. */
	len = to_vip(V_IPIP, 1481, 0, SH_IP_MF, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_TOO_BIG);
}

/* An ICMP error too big to forward is dropped: never an error about an error. */
static void test_mtu_icmp_error_not_answered(void **state)
{
	static __u8 quote[PB_MAX];
	struct pb_spec q = { .src = "198.18.100.1", .dst = "198.18.0.77", .proto = SH_IPPROTO_TCP,
			     .sport = 80, .dport = 40001, .payload_len = 1460, .no_eth = 1 };
	struct pb_spec s = { .src = "198.18.9.9", .dst = "198.18.100.1", .proto = SH_IPPROTO_ICMP,
			     .icmp_type = SH_ICMP_DEST_UNREACH, .icmp_code = 1, .frag = SH_IP_DF,
			     .payload = quote };
	struct pb_spec q6 = { .src = "2001:db8:100::1", .dst = "2001:db8:5::77",
			      .proto = SH_IPPROTO_TCP, .sport = 80, .dport = 40001,
			      .payload_len = 1400, .no_eth = 1 };
	struct pb_spec s6 = { .src = "2001:db8:9::9", .dst = "2001:db8:100::1",
			      .proto = SH_IPPROTO_ICMPV6, .icmp_type = SH_ICMP6_DEST_UNREACH,
			      .payload = quote };

	(void)state;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	assert_int_equal(pb_lb_run(&lb, frame, pb_build(&s, frame, sizeof(frame)), HEADROOM, out,
				   &out_len),
			 SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_TOO_BIG);
	s6.payload_len = (__u32)pb_build(&q6, quote, sizeof(quote));
	assert_int_equal(pb_lb_run(&lb, frame, pb_build(&s6, frame, sizeof(frame)), HEADROOM, out,
				   &out_len),
			 SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_TOO_BIG);
	/* The same errors, small enough, are forwarded to the flow's real. */
	q.payload_len = 100;
	s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
	assert_int_equal(pb_lb_run(&lb, frame, pb_build(&s, frame, sizeof(frame)), HEADROOM, out,
				   &out_len),
			 SH_ACT_TX);
	assert_int_equal(pb_out_real(&lb, out, out_len), pb_real_idx(&lb, "198.18.1.1"));
}

/* The smallest MTU: quotes below the 548-byte cap are whole. */
static void test_mtu_576(void **state)
{
	struct pb_lb s;
	size_t len, n;

	(void)state;
	pb_lb_init(&s, config_576);
	/* IPIP: 556 fits, 557 gets an error quoting 548 bytes. */
	len = to_vip(V_IPIP, 556, 0, SH_IP_DF, 0);
	assert_int_equal(pb_lb_run(&s, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	len = to_vip(V_IPIP, 557, 0, SH_IP_DF, 0);
	n = expect_frag_needed(frame, len, 14, 556);
	assert_int_equal(pb_lb_run(&s, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	/* GUE 4in6 (48 bytes): 529 does not fit, and is quoted whole. */
	len = to_vip(V_GUE_4IN6, 529, 0, SH_IP_DF, 0);
	n = expect_frag_needed(frame, len, 14, 528);
	assert_int_equal(n, 14 + 28 + 529);
	assert_int_equal(pb_lb_run(&s, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	/* GUE IPv6 to IPv6: 528 fits (the GUE port is this config's). */
	len = to_vip(V_GUE6, 528, 0, 0, 0);
	n = expect_tunnel(V_GUE6, frame, len, 14, 6081);
	assert_int_equal(pb_lb_run(&s, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	len = to_vip(V_GUE6, 529, 0, 0, 0);
	n = expect_ptb(frame, len, 14, 528);
	assert_int_equal(pb_lb_run(&s, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, want, n);
	pb_lb_free(&s);
}

/* No LB source address of the real's family: dropped with that reason. */
static void test_no_source(void **state)
{
	struct sh_tables *t = lb.t;
	size_t len;

	(void)state;
	t->lb.has_src6 = 0;
	len = to_vip(V_4IN6, 100, 0, 0, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_NO_SOURCE);
	len = to_vip(V_IPIP, 100, 0, 0, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
	t->lb.has_src6 = 1;
	t->lb.has_src4 = 0;
	len = to_vip(V_6IN4, 100, 0, 0, 0);
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_DROP);
	assert_int_equal(lb.last_verdict, SH_DROP_NO_SOURCE);
	t->lb.has_src4 = 1;
	assert_int_equal(pb_lb_run(&lb, frame, len, HEADROOM, out, &out_len), SH_ACT_TX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipip),
		cmocka_unit_test(test_ip6ip6),
		cmocka_unit_test(test_4in6),
		cmocka_unit_test(test_6in4),
		cmocka_unit_test(test_gue),
		cmocka_unit_test(test_flow_dependent_fields),
		cmocka_unit_test(test_headroom),
		cmocka_unit_test(test_mtu_icmp),
		cmocka_unit_test(test_mtu_no_df),
		cmocka_unit_test(test_mtu_icmp_error_not_answered),
		cmocka_unit_test(test_mtu_576),
		cmocka_unit_test(test_no_source),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
