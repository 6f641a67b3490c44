// SPDX-License-Identifier: BSD-3-Clause
/*
 * Malformed input: every truncation of a set of valid frames (TCP, UDP, ICMP
 * echo and errors, over IPv4 with options and VLAN, IPv6 with extension
 * headers, fragments, too-big packets), cut two ways: the frame shorter than
 * its IP header says, and the IP length itself shortened. Each gives a
 * defined verdict with its exact reason and moves exactly one verdict counter
 * (pb_lb_run checks that for every packet). Then seeded random corruption.
 * Buffers end exactly at the frame, so under ASan any read past it fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "counters_names.h"
#include "env_user.h"
#include "shoal/pipeline.h"
#include "pkt_build.h"

static const char *config =
	"{" PB_LB_JSON("") ", \"vips\": ["
	"{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"reals\": [{\"address\": \"198.18.1.1\", \"server_id\": 101}, "
	"{\"address\": \"2001:db8:1::1\", \"server_id\": 102}]},"
	"{\"address\": \"198.18.100.1\", \"port\": 53, \"protocol\": \"udp\", "
	"\"reals\": [{\"address\": \"198.18.1.1\"}]},"
	"{\"address\": \"2001:db8:100::1\", \"port\": 80, \"protocol\": \"tcp\", "
	"\"encap\": \"gue\", "
	"\"reals\": [{\"address\": \"2001:db8:1::1\"}, {\"address\": \"198.18.1.1\"}]},"
	"{\"address\": \"2001:db8:100::1\", \"port\": 53, \"protocol\": \"udp\", "
	"\"reals\": [{\"address\": \"2001:db8:1::1\"}]}"
	"]}";

#define HEADROOM 64

static struct pb_lb lb;
static __u8 out[PB_MAX + HEADROOM];
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

/*
 * A valid frame and what its truncations give. When the IP length is cut to
 * L bytes, the verdict is that of the first step whose min_l3 is above L.
 */
struct step {
	__u32 min_l3;
	enum sh_ctr verdict;
};

struct base {
	const char *name;
	__u8 frame[PB_MAX];
	size_t len, l2, l3_len;
	int v6;
	int l3_cut_ok; /* the "IP length cut" series applies */
	struct step steps[6];
	int n_steps;
	enum sh_ctr full; /* verdict of the whole frame */
};

static struct base bases[16];
static int n_bases;

static __u8 quote[PB_MAX];
static const __u8 tcp_opts[12] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
static const __u8 sid_opts[8] = { 1, 1, 0xb7, 6, 0, 0, 0, 101 };
static const __u8 ip_opts[8] = { 148, 4, 0, 0, 1, 1, 1, 0 };

static struct base *add(const char *name, const struct pb_spec *s, enum sh_ctr full)
{
	struct base *b = &bases[n_bases++];
	size_t l4;

	assert_true(n_bases <= (int)(sizeof(bases) / sizeof(bases[0])));
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->len = pb_build_ex(s, b->frame, sizeof(b->frame), &b->l2, &l4);
	b->l3_len = b->len - b->l2;
	b->v6 = strchr(s->src, ':') != NULL;
	b->full = full;
	return b;
}

static void steps(struct base *b, int n, const struct step *st)
{
	memcpy(b->steps, st, sizeof(*st) * (size_t)n);
	b->n_steps = n;
	b->l3_cut_ok = 1;
}

static void build_bases(void)
{
	struct pb_spec s;
	struct base *b;
	const struct pb_ext ext2[] = { { .type = SH_IPPROTO_HOPOPTS, .hdrlen = 0 },
				       { .type = SH_IPPROTO_DSTOPTS, .hdrlen = 1 } };
	const struct pb_ext frag6[] = { { .type = SH_IPPROTO_FRAGMENT, .frag = SH_IP6_MF,
					  .frag_id = 9 } };

	n_bases = 0;
	s = (struct pb_spec){ .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_TCP,
			      .sport = 1000, .dport = 80, .tcp_flags = SH_TCP_SYN,
			      .tcp_opts = tcp_opts, .tcp_opts_len = 12, .payload_len = 30 };
	b = add("tcp4", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED },
				     { 52, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s.tcp_flags = SH_TCP_ACK;
	s.tcp_opts = sid_opts;
	s.tcp_opts_len = 8;
	s.vlan_tpid = SH_ETH_P_8021Q;
	s.vlan_tci = 3;
	s.ip4_opts = ip_opts;
	s.ip4_opts_len = 8;
	b = add("tcp4 vlan ip-options server_id", &s, SH_CTR_TX);
	steps(b, 4, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED },
				     { 28, SH_DROP_IP4_MALFORMED },
				     { 56, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s = (struct pb_spec){ .src = "2001:db8::1", .dst = "2001:db8:100::1",
			      .proto = SH_IPPROTO_TCP, .sport = 1000, .dport = 80,
			      .tcp_flags = SH_TCP_ACK, .tcp_opts = sid_opts, .tcp_opts_len = 8,
			      .ext = ext2, .n_ext = 2, .payload_len = 25 };
	b = add("tcp6 ext-headers", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 40, SH_DROP_IP6_MALFORMED },
				     { 40 + 24 + 28, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s = (struct pb_spec){ .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_UDP,
			      .sport = 1000, .dport = 53, .payload_len = 17 };
	b = add("udp4", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED },
				     { 28, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s.src = "2001:db8::1";
	s.dst = "2001:db8:100::1";
	b = add("udp6", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 40, SH_DROP_IP6_MALFORMED },
				     { 48, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s = (struct pb_spec){ .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_ICMP,
			      .icmp_type = SH_ICMP_ECHO, .icmp_id = 7, .icmp_seq = 9,
			      .payload_len = 24 };
	b = add("icmp4 echo", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED },
				     { 28, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	s.src = "2001:db8::1";
	s.dst = "2001:db8:100::1";
	s.proto = SH_IPPROTO_ICMPV6;
	s.icmp_type = SH_ICMP6_ECHO_REQUEST;
	b = add("icmp6 echo", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 40, SH_DROP_IP6_MALFORMED },
				     { 48, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	{
		struct pb_spec q = { .src = "198.18.100.1", .dst = "198.18.0.1",
				     .proto = SH_IPPROTO_TCP, .sport = 80, .dport = 1000,
				     .tcp_flags = SH_TCP_ACK, .no_eth = 1, .payload_len = 8 };

		s = (struct pb_spec){ .src = "198.18.7.7", .dst = "198.18.100.1",
				      .proto = SH_IPPROTO_ICMP, .icmp_type = SH_ICMP_DEST_UNREACH,
				      .icmp_code = SH_ICMP_FRAG_NEEDED, .icmp_rest = 1300,
				      .payload = quote };
		s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
		b = add("icmp4 error", &s, SH_CTR_TX);
		steps(b, 3, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED },
					     { 28 + 20 + 4, SH_DROP_L4_MALFORMED },
					     { ~0u, SH_CTR_TX } });
		q.src = "2001:db8:100::1";
		q.dst = "2001:db8::1";
		s.src = "2001:db8:7::7";
		s.dst = "2001:db8:100::1";
		s.proto = SH_IPPROTO_ICMPV6;
		s.icmp_type = SH_ICMP6_PKT_TOOBIG;
		s.icmp_code = 0;
		s.payload_len = (__u32)pb_build(&q, quote, sizeof(quote));
		b = add("icmp6 packet-too-big", &s, SH_CTR_TX);
		steps(b, 3, (struct step[]){ { 40, SH_DROP_IP6_MALFORMED },
					     { 48 + 40 + 4, SH_DROP_L4_MALFORMED },
					     { ~0u, SH_CTR_TX } });
	}

	s = (struct pb_spec){ .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_TCP,
			      .sport = 1000, .dport = 80, .tcp_flags = SH_TCP_ACK,
			      .frag = SH_IP_MF, .payload_len = 64 };
	b = add("frag4", &s, SH_CTR_TX);
	steps(b, 2, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED }, { ~0u, SH_CTR_TX } });

	s = (struct pb_spec){ .src = "2001:db8::1", .dst = "2001:db8:100::1",
			      .proto = SH_IPPROTO_UDP, .sport = 1000, .dport = 53, .ext = frag6,
			      .n_ext = 1, .payload_len = 64 };
	b = add("frag6", &s, SH_CTR_TX);
	steps(b, 3, (struct step[]){ { 40, SH_DROP_IP6_MALFORMED },
				     { 48, SH_DROP_L4_MALFORMED },
				     { ~0u, SH_CTR_TX } });

	/* Too big once encapsulated: the whole frame gets an ICMP error back. */
	s = (struct pb_spec){ .src = "198.18.0.1", .dst = "198.18.100.1", .proto = SH_IPPROTO_TCP,
			      .sport = 1000, .dport = 80, .tcp_flags = SH_TCP_ACK,
			      .frag = SH_IP_DF, .payload_len = 1460 };
	add("tcp4 too big", &s, SH_CTR_TX);
	s.src = "2001:db8::1";
	s.dst = "2001:db8:100::1";
	s.payload_len = 1420;
	add("tcp6 too big", &s, SH_CTR_TX);
	/* Not for a VIP: passed whole, and malformed IP still dropped. */
	s.src = "198.18.0.1";
	s.dst = "198.18.200.1";
	s.payload_len = 10;
	b = add("tcp4 not ours", &s, SH_CTR_PASS);
	steps(b, 2, (struct step[]){ { 20, SH_DROP_IP4_MALFORMED }, { ~0u, SH_CTR_PASS } });
}

static int run(const __u8 *f, size_t len, size_t headroom)
{
	return pb_lb_run(&lb, f, len, headroom, out, &out_len);
}

/* The frame cut short of what its IP header says. */
static void test_frame_truncation(void **state)
{
	int i, bad = 0;
	size_t len;

	(void)state;
	build_bases();
	for (i = 0; i < n_bases; i++) {
		const struct base *b = &bases[i];
		int bad_here = 0;

		for (len = 0; len <= b->len; len++) {
			enum sh_ctr want;

			run(b->frame, len, HEADROOM);
			if (len < b->l2)
				want = SH_DROP_ETH_TRUNC;
			else if (len < b->len)
				want = b->v6 ? SH_DROP_IP6_MALFORMED : SH_DROP_IP4_MALFORMED;
			else
				want = b->full;
			if (lb.last_verdict != want && bad_here++ < 3)
				print_message("%s cut to %zu of %zu bytes: %s, want %s\n", b->name,
					      len, b->len, sh_ctr_key(lb.last_verdict),
					      sh_ctr_key(want));
		}
		bad += bad_here;
	}
	if (bad)
		fail_msg("%d truncations with the wrong verdict", bad);
}

/*
 * The IP packet itself cut to L bytes, its length field saying so; the frame
 * either ends there too, or keeps the rest of the bytes as trailing padding
 * (which is no part of the packet: the verdict must be the same).
 */
static void ip_length_truncation(int keep_frame)
{
	static __u8 f[PB_MAX];
	int i, k, bad = 0;
	__u32 l3;

	build_bases();
	for (i = 0; i < n_bases; i++) {
		const struct base *b = &bases[i];
		int bad_here = 0;

		if (!b->l3_cut_ok)
			continue;
		for (l3 = 0; l3 <= b->l3_len; l3++) {
			enum sh_ctr want = SH_CTR_COUNT;

			memcpy(f, b->frame, b->len);
			if (b->v6) {
				if (l3 >= 40)
					pb_put16(f, b->l2 + 4, (__u16)(l3 - 40));
			} else {
				pb_put16(f, b->l2 + 2, (__u16)l3);
				pb_ip4_recsum(f, b->l2);
			}
			if (keep_frame && (b->v6 ? l3 < 40 : l3 < 20))
				continue; /* frame and header disagree: test_bad_fields */
			run(f, keep_frame ? b->len : b->l2 + l3, HEADROOM);
			for (k = 0; k < b->n_steps; k++) {
				if (l3 < b->steps[k].min_l3) {
					want = b->steps[k].verdict;
					break;
				}
			}
			if (lb.last_verdict != want && bad_here++ < 3)
				print_message("%s with an IP length of %u of %zu%s: %s, want %s\n",
					      b->name, l3, b->l3_len,
					      keep_frame ? " (frame not cut)" : "",
					      sh_ctr_key(lb.last_verdict), sh_ctr_key(want));
		}
		bad += bad_here;
	}
	if (bad)
		fail_msg("%d truncations with the wrong verdict", bad);
}

static void test_ip_length_truncation(void **state)
{
	(void)state;
	ip_length_truncation(0);
}

static void test_ip_length_short_of_frame(void **state)
{
	(void)state;
	ip_length_truncation(1);
}

/* Bad fields with the right lengths. */
static void test_bad_fields(void **state)
{
	static __u8 f[PB_MAX];
	const struct base *tcp4, *tcp6, *nv;
	size_t l2;

	(void)state;
	build_bases();
	tcp4 = &bases[0];
	tcp6 = &bases[2];
	nv = &bases[n_bases - 1];
	l2 = tcp4->l2;
	/* IPv4: version 6, IHL 4, IHL past the total length. */
	memcpy(f, tcp4->frame, tcp4->len);
	f[l2] = 0x65;
	run(f, tcp4->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_IP4_MALFORMED);
	f[l2] = 0x44;
	run(f, tcp4->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_IP4_MALFORMED);
	f[l2] = 0x4f; /* 60 bytes of header in a 20-byte one: the TCP header is taken as options */
	run(f, tcp4->len, HEADROOM);
	assert_true(lb.last_verdict == SH_DROP_L4_MALFORMED || lb.last_verdict == SH_CTR_PASS ||
		    lb.last_verdict == SH_CTR_TX);
	/* TCP data offset below 5, or past the packet: ours, so dropped. */
	memcpy(f, tcp4->frame, tcp4->len);
	f[l2 + 20 + 12] = 4 << 4;
	run(f, tcp4->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_L4_MALFORMED);
	f[l2 + 20 + 12] = 15 << 4;
	run(f, l2 + 20 + 40, HEADROOM); /* frame and tot_len disagree: the IP check comes first */
	assert_int_equal(lb.last_verdict, SH_DROP_IP4_MALFORMED);
	pb_put16(f, l2 + 2, 20 + 40);
	pb_ip4_recsum(f, l2);
	run(f, l2 + 20 + 40, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_L4_MALFORMED);
	/* The same for no VIP: the host's business. */
	memcpy(f, nv->frame, nv->len);
	f[l2 + 20 + 12] = 4 << 4;
	run(f, nv->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_CTR_PASS);
	/* IPv6: version 4 in an IPv6 frame. */
	memcpy(f, tcp6->frame, tcp6->len);
	f[tcp6->l2] = 0x45;
	run(f, tcp6->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_IP6_MALFORMED);
	/* An extension header running past the payload. */
	memcpy(f, tcp6->frame, tcp6->len);
	f[tcp6->l2 + 40 + 8 + 1] = 200;
	run(f, tcp6->len, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_DROP_L4_MALFORMED);
	/* Ethernet padding after a valid packet is fine. */
	memcpy(f, tcp4->frame, tcp4->len);
	memset(f + tcp4->len, 0, 40);
	run(f, tcp4->len + 40, HEADROOM);
	assert_int_equal(lb.last_verdict, SH_CTR_TX);
}

/*
 * An IPv6 payload length larger than the frame: the packet is truncated, an
 * IPv6 header problem (IP6_MALFORMED), whether or not it is for a VIP.
 */
static void test_ip6_payload_len_beyond_frame(void **state)
{
	static __u8 f[PB_MAX];
	const struct base *udp6, *tcp6;
	static const __u16 plens[] = { 0x0200, 0x7fff, 0xffb0, 0xffd8, 0xffff };
	size_t k;
	int bad = 0;

	(void)state;
	build_bases();
	tcp6 = &bases[2];
	udp6 = &bases[4];
	for (k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		memcpy(f, udp6->frame, udp6->len);
		pb_put16(f, udp6->l2 + 4, plens[k]);
		run(f, udp6->len, HEADROOM);
		if (lb.last_verdict != SH_DROP_IP6_MALFORMED && ++bad)
			print_message("udp6 to a VIP, payload length 0x%04x in a %zu-byte frame: "
				      "%s, want ip6_malformed\n",
				      plens[k], udp6->len, sh_ctr_key(lb.last_verdict));
		memcpy(f, tcp6->frame, tcp6->len);
		pb_put16(f, tcp6->l2 + 4, plens[k]);
		memcpy(f + tcp6->l2 + 24, (const __u8[]){ 0x20, 0x01, 0x0d, 0xb8, 0x02, 0 }, 6);
		run(f, tcp6->len, HEADROOM); /* to 2001:db8:200::1: no VIP */
		if (lb.last_verdict != SH_DROP_IP6_MALFORMED && ++bad)
			print_message("tcp6 not to a VIP, payload length 0x%04x in a %zu-byte "
				      "frame: %s, want ip6_malformed\n",
				      plens[k], tcp6->len, sh_ctr_key(lb.last_verdict));
	}
	if (bad)
		fail_msg("%d IPv6 packets longer than their frame not dropped as ip6_malformed",
			 bad);
}

static __u64 rng_state = 0x853c49e6748fea9bULL;

static __u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (__u32)(rng_state >> 11);
}

/* Seeded random corruption of every base: bytes, lengths and headroom. */
static void test_random_corruption(void **state)
{
	static const __u8 values[] = { 0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0f, 0x11, 0x29, 0x2c,
				       0x3a, 0x3b, 0x40, 0x45, 0x4f, 0x60, 0x7f, 0x80, 0xb7, 0xff };
	static __u8 f[PB_MAX];
	__u64 tx = pb_ctr(&lb, SH_CTR_TX), rx = pb_ctr(&lb, SH_CTR_RX);
	int iter, k;

	(void)state;
	build_bases();
	for (iter = 0; iter < 300000; iter++) {
		const struct base *b = &bases[iter % n_bases];
		size_t len = b->len, hr;
		int flips = 1 + rng() % 4;

		memcpy(f, b->frame, b->len);
		for (k = 0; k < flips; k++) {
			size_t head = b->len < 120 ? b->len : 120;
			size_t at = rng() % 4 ? rng() % head : rng() % b->len;

			f[at] = rng() % 2 ? values[rng() % sizeof(values)] : (__u8)rng();
		}
		if (rng() % 3 == 0)
			len = rng() % (b->len + 1);
		if (rng() % 5 == 0) { /* lengths that agree with the cut */
			if (b->v6 && len >= b->l2 + 40)
				pb_put16(f, b->l2 + 4, (__u16)(len - b->l2 - 40));
			else if (!b->v6 && len >= b->l2 + 4)
				pb_put16(f, b->l2 + 2, (__u16)(len - b->l2));
		}
		hr = rng() % 4 ? HEADROOM : rng() % 60;
		run(f, len, hr);
	}
	assert_int_equal(pb_ctr(&lb, SH_CTR_RX), rx + 300000);
	assert_true(pb_ctr(&lb, SH_CTR_TX) > tx); /* some still made it through */
}

/* Random bytes behind plausible Ethernet and IP version fields. */
static void test_random_frames(void **state)
{
	static __u8 f[256];
	int iter;
	size_t i, len;

	(void)state;
	for (iter = 0; iter < 200000; iter++) {
		len = rng() % sizeof(f);
		for (i = 0; i < len; i++)
			f[i] = (__u8)rng();
		if (len >= 15) {
			static const __u16 types[] = { SH_ETH_P_IP, SH_ETH_P_IPV6, SH_ETH_P_8021Q,
						       SH_ETH_P_8021AD };
			__u16 t = types[rng() % 4];

			pb_put16(f, 12, t);
			if ((t == SH_ETH_P_8021Q || t == SH_ETH_P_8021AD) && len >= 19)
				pb_put16(f, 16, rng() % 2 ? SH_ETH_P_IP : SH_ETH_P_IPV6);
		}
		run(f, len, rng() % 80);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_truncation),
		cmocka_unit_test(test_ip_length_truncation),
		cmocka_unit_test(test_ip_length_short_of_frame),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_ip6_payload_len_beyond_frame),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
