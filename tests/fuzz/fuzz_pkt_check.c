// SPDX-License-Identifier: BSD-3-Clause
/*
 * The oracle reads frames by byte offsets of its own rather than through the
 * core's header structs, so that a wrong struct in the core cannot fool it.
 */
#include <stdint.h>

#include "counters_names.h"
#include "fuzz_pkt_check.h"
#include "fuzz_util.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define IP4_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define ICMP_HLEN 8
#define TTL 64
#define ICMP4_QUOTE_MAX (576 - IP4_HLEN - ICMP_HLEN) /* RFC 1812 */
#define ICMP6_QUOTE_MAX (1280 - IP6_HLEN - ICMP_HLEN) /* RFC 4443 */

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

/* One's complement sum of len bytes as big-endian words, plus start. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t start)
{
	uint64_t sum = start;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (unsigned)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/* Does a checksummed region (with its checksum field in it) verify? */
static int csum_ok(const uint8_t *p, size_t len, uint32_t pseudo)
{
	return sum16(p, len, pseudo) == 0xffff;
}

/* The ICMPv6 pseudo-header (RFC 8200) over the IPv6 header at ip. */
static uint32_t pseudo6(const uint8_t *ip, size_t len)
{
	return sum16(ip + 8, 32, (uint32_t)len + 58);
}

/* What the oracle needs of the frame that came in: L2 length, IP version and length. */
struct frame_in {
	size_t l2;
	int v6;
	size_t ip_len; /* as the IP header says */
};

/* The core sent it, so it has an IP header the core accepted. */
static struct frame_in parse_in(const struct fz_pkt_result *r)
{
	struct frame_in f = { ETH_HLEN, 0, 0 };
	unsigned type;

	FZ_ASSERT(r->in_len >= ETH_HLEN, "a %zu-byte frame was sent", r->in_len);
	type = be16(r->in + 12);
	if (type == 0x8100 || type == 0x88a8) {
		f.l2 += VLAN_HLEN;
		FZ_ASSERT(r->in_len >= f.l2, "a frame cut in its VLAN tag was sent");
		type = be16(r->in + 16);
	}
	FZ_ASSERT(type == 0x0800 || type == 0x86dd, "ethertype %#x was sent", type);
	f.v6 = type == 0x86dd;
	FZ_ASSERT(r->in_len >= f.l2 + (f.v6 ? IP6_HLEN : IP4_HLEN), "a truncated IP header was sent");
	f.ip_len = f.v6 ? IP6_HLEN + be16(r->in + f.l2 + 4) : be16(r->in + f.l2 + 2);
	FZ_ASSERT(f.l2 + f.ip_len <= r->in_len, "IP length %zu past the frame", f.ip_len);
	return f;
}

/* The delta of one global counter. */
static __u64 delta(const struct fz_counts *b, const struct fz_counts *a, int ctr)
{
	return a->ctr[ctr] - b->ctr[ctr];
}

/* The one per-VIP or per-real counter that moved (by one packet of bytes), or -1 if none did. */
static int moved(const struct sh_counter *b, const struct sh_counter *a, __u32 n, size_t bytes)
{
	int which = -1;

	for (__u32 i = 0; i < n; i++) {
		if (a[i].packets == b[i].packets && a[i].bytes == b[i].bytes)
			continue;
		FZ_ASSERT(which < 0, "counters %d and %u both moved", which, i);
		FZ_ASSERT(a[i].packets == b[i].packets + 1 && a[i].bytes == b[i].bytes + bytes,
			  "counter %u moved by %llu packets, %llu bytes (IP length %zu)", i,
			  (unsigned long long)(a[i].packets - b[i].packets),
			  (unsigned long long)(a[i].bytes - b[i].bytes), bytes);
		which = (int)i;
	}
	return which;
}

static int unmoved(const struct sh_counter *b, const struct sh_counter *a, __u32 n)
{
	return !memcmp(b, a, n * sizeof(*a));
}

/*
 * The L2 header of a frame sent back out: same length and VLAN tag as the
 * one that came in, source the frame's old destination, destination dst,
 * ethertype of the family sent.
 */
static void check_l2(const struct fz_pkt_result *r, const struct frame_in *f, const uint8_t *dst,
		     int v6_out)
{
	const uint8_t *o = r->data;

	FZ_ASSERT(!memcmp(o, dst, 6), "destination MAC");
	FZ_ASSERT(!memcmp(o + 6, r->in, 6), "source MAC is not the frame's old destination");
	if (f->l2 > ETH_HLEN)
		FZ_ASSERT(!memcmp(o + 12, r->in + 12, 4), "VLAN tag not kept");
	FZ_ASSERT(be16(o + f->l2 - 2) == (v6_out ? 0x86dd : 0x0800), "ethertype %#x",
		  be16(o + f->l2 - 2));
}

/* An IPv4 header the LB wrote: no options, fresh checksum, TTL 64, id 0. */
static void check_ip4_out(const uint8_t *ip, size_t tot_len, unsigned proto, int df)
{
	FZ_ASSERT(ip[0] == 0x45, "version/IHL %#x", ip[0]);
	FZ_ASSERT(be16(ip + 2) == tot_len, "total length %u, expected %zu", be16(ip + 2), tot_len);
	FZ_ASSERT(be16(ip + 4) == 0 && be16(ip + 6) == (df ? 0x4000 : 0), "id %#x, flags %#x",
		  be16(ip + 4), be16(ip + 6));
	FZ_ASSERT(ip[8] == TTL && ip[9] == proto, "TTL %u, protocol %u (expected %u)", ip[8], ip[9],
		  proto);
	FZ_ASSERT(csum_ok(ip, IP4_HLEN, 0), "bad IPv4 header checksum");
}

static void check_ip6_out(const uint8_t *ip, size_t payload_len, unsigned nexthdr)
{
	FZ_ASSERT(ip[0] >> 4 == 6, "version %u", ip[0] >> 4);
	FZ_ASSERT(be16(ip + 4) == payload_len, "payload length %u, expected %zu", be16(ip + 4),
		  payload_len);
	FZ_ASSERT(ip[6] == nexthdr && ip[7] == TTL, "next header %u (expected %u), hop limit %u",
		  ip[6], nexthdr, ip[7]);
}

/* Index of the config VIP holding vip_id id. */
static size_t vip_of(const struct sh_config *cfg, const struct sh_tables *t, int id)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (t->vip_id[i] == (__u32)id)
			return i;
	FZ_ASSERT(0, "vip_id %d belongs to no VIP", id);
	return 0;
}

/*
 * May this real receive v's packet: one of v's weighted reals, or, routed by a
 * server_id, any real that has one.
 */
static int real_allowed(const struct sh_config *cfg, const struct sh_cfg_vip *v,
			const struct sh_real *re, int by_server_id)
{
	for (size_t i = 0; i < cfg->n_vips; i++) {
		const struct sh_cfg_vip *u = &cfg->vips[i];

		for (size_t j = 0; j < u->n_reals; j++) {
			const struct sh_cfg_real *cr = &u->reals[j];

			if (cr->family != re->family || memcmp(&cr->addr, &re->addr, sizeof(re->addr)))
				continue;
			if (by_server_id ? cr->server_id != 0 : u == v && cr->weight > 0)
				return 1;
		}
	}
	return 0;
}

/* The packet went whole to a real, behind outer headers the LB wrote. */
static void check_encap(const struct sh_config *cfg, const struct sh_tables *t,
			const struct fz_pkt_result *r, const struct frame_in *f,
			const struct fz_counts *b, const struct fz_counts *a)
{
	size_t out_len = (size_t)(r->data_end - r->data), ovh = out_len - r->in_len;
	int vip_id = moved(b->vip, a->vip, t->n_vip_ids, f->ip_len);
	int idx = moved(b->real, a->real, t->n_reals, f->ip_len);
	const uint8_t *ip = r->data + f->l2;
	const struct sh_cfg_vip *v;
	const struct sh_real *re;
	unsigned next, tos;
	int v6_out, gue;

	FZ_ASSERT(vip_id >= 0 && idx >= 0, "sent without counting its VIP (%d) and real (%d)",
		  vip_id, idx);
	v = &cfg->vips[vip_of(cfg, t, vip_id)];
	re = &t->reals[idx];
	FZ_ASSERT(re->flags & SH_REAL_F_ACTIVE, "sent to inactive real %d", idx);
	FZ_ASSERT(real_allowed(cfg, v, re, delta(b, a, SH_CTR_SID_HIT) != 0),
		  "real %d does not serve the packet's VIP", idx);
	v6_out = re->family == SH_AF_INET6;
	gue = v->encap == SH_ENCAP_GUE;
	FZ_ASSERT(out_len >= r->in_len && ovh == (v6_out ? IP6_HLEN : IP4_HLEN) + (gue ? UDP_HLEN : 0),
		  "grew by %zu bytes for a %s real, encap %s", out_len - r->in_len,
		  v6_out ? "IPv6" : "IPv4", gue ? "gue" : "ipip");
	FZ_ASSERT(r->data == r->orig - ovh, "the frame did not grow at the front");
	FZ_ASSERT(f->ip_len + ovh <= cfg->lb.mtu, "%zu bytes sent past the MTU", f->ip_len + ovh);
	check_l2(r, f, cfg->lb.gateway_mac, v6_out);
	FZ_ASSERT(!memcmp(ip + ovh, r->in + f->l2, r->in_len - f->l2), "the inner packet changed");

	next = gue ? 17 : f->v6 ? 41 : 4;
	tos = f->v6 ? (be16(r->in + f->l2) >> 4) & 0xff : r->in[f->l2 + 1];

	if (v6_out) {
		check_ip6_out(ip, ovh - IP6_HLEN + f->ip_len, next);
		FZ_ASSERT(((be16(ip) >> 4) & 0xff) == tos, "traffic class not copied");
		FZ_ASSERT(t->lb.has_src6 && !memcmp(ip + 8, &t->lb.src6, 16), "outer source");
		FZ_ASSERT(!memcmp(ip + 24, &re->addr, 16), "outer destination is not real %d", idx);
	} else {
		check_ip4_out(ip, ovh + f->ip_len, next, 1);
		FZ_ASSERT(ip[1] == tos, "TOS not copied");
		FZ_ASSERT(t->lb.has_src4 && !memcmp(ip + 12, &t->lb.src4.w[0], 4), "outer source");
		FZ_ASSERT(!memcmp(ip + 16, &re->addr.w[0], 4), "outer destination is not real %d", idx);
	}
	if (gue) {
		const uint8_t *udp = ip + ovh - UDP_HLEN;

		FZ_ASSERT(be16(udp) >= 0xc000 && be16(udp + 2) == cfg->lb.gue_port &&
				  be16(udp + 4) == UDP_HLEN + f->ip_len && be16(udp + 6) == 0,
			  "GUE UDP header %u > %u len %u check %#x", be16(udp), be16(udp + 2),
			  be16(udp + 4), be16(udp + 6));
	}
}

/* Echo reply: the request with addresses swapped, TTL 64, type changed, checksums right. */
static void check_echo(const struct fz_pkt_result *r, const struct frame_in *f)
{
	const uint8_t *in = r->in + f->l2, *out = r->data + f->l2;
	size_t hlen = f->v6 ? IP6_HLEN : (size_t)(in[0] & 0xf) * 4, icmp = SIZE_MAX, len;
	uint32_t p_in, p_out;

	FZ_ASSERT(r->data == r->orig && (size_t)(r->data_end - r->data) == r->in_len,
		  "an echo reply moved or changed length");
	check_l2(r, f, r->in + 6, f->v6);
	if (f->v6) {
		FZ_ASSERT(!memcmp(out, in, 7) && out[7] == TTL, "IPv6 header fields changed");
		FZ_ASSERT(!memcmp(out + 8, in + 24, 16) && !memcmp(out + 24, in + 8, 16),
			  "addresses not swapped");
	} else {
		FZ_ASSERT(!memcmp(out, in, 8) && out[8] == TTL && out[9] == in[9],
			  "IPv4 header fields changed");
		FZ_ASSERT(!memcmp(out + 12, in + 16, 4) && !memcmp(out + 16, in + 12, 4),
			  "addresses not swapped");
		FZ_ASSERT(!memcmp(out + IP4_HLEN, in + IP4_HLEN, hlen - IP4_HLEN), "options changed");
		FZ_ASSERT(csum_ok(out, hlen, 0), "bad IPv4 header checksum");
	}
	/*
	 * Past the IP header only the ICMP type and checksum may change. For IPv6
	 * the oracle does not walk extension headers: the first byte that changed
	 * is the type.
	 */
	for (size_t i = hlen; i < r->in_len - f->l2; i++) {
		if (out[i] == in[i])
			continue;
		if (icmp == SIZE_MAX)
			icmp = i;
		FZ_ASSERT(i == icmp || i == icmp + 2 || i == icmp + 3, "byte %zu changed", i);
	}
	FZ_ASSERT(icmp != SIZE_MAX && (f->v6 || icmp == hlen) && icmp + ICMP_HLEN <= f->ip_len,
		  "ICMP type not changed at the right place (%zu)", icmp);
	FZ_ASSERT(in[icmp] == (f->v6 ? 128 : 8) && out[icmp] == (f->v6 ? 129 : 0),
		  "type %u answered as %u", in[icmp], out[icmp]);
	/* The checksum was updated, not recomputed: right if and only if it was right. */
	len = f->ip_len - icmp;
	p_in = f->v6 ? pseudo6(in, len) : 0;
	p_out = f->v6 ? pseudo6(out, len) : 0;

	FZ_ASSERT(csum_ok(in + icmp, len, p_in) == csum_ok(out + icmp, len, p_out),
		  "ICMP checksum validity changed");
}

/* Too big: an ICMP error to the sender, quoting the packet, advertising MTU minus a tunnel. */
static void check_too_big(const struct sh_config *cfg, const struct sh_tables *t,
			  const struct fz_pkt_result *r, const struct frame_in *f,
			  const struct fz_counts *b, const struct fz_counts *a)
{
	size_t iph = f->v6 ? IP6_HLEN : IP4_HLEN;
	size_t quote = f->ip_len < (f->v6 ? ICMP6_QUOTE_MAX : ICMP4_QUOTE_MAX) ?
			       f->ip_len :
			       (f->v6 ? ICMP6_QUOTE_MAX : ICMP4_QUOTE_MAX);
	const uint8_t *in = r->in + f->l2, *ip = r->data + f->l2, *icmp = ip + iph;
	int vip_id = moved(b->vip, a->vip, t->n_vip_ids, f->ip_len);
	const struct sh_cfg_vip *v;
	unsigned mtu, ovh;

	FZ_ASSERT(vip_id >= 0, "too big for no VIP");
	v = &cfg->vips[vip_of(cfg, t, vip_id)];
	FZ_ASSERT((size_t)(r->data_end - r->data) == f->l2 + iph + ICMP_HLEN + quote &&
			  r->data == r->orig - iph - ICMP_HLEN,
		  "too-big error of %zu bytes quoting %zu", (size_t)(r->data_end - r->data), quote);
	FZ_ASSERT(f->v6 || (be16(in + 6) & 0x4000), "too-big error for IPv4 without DF");
	check_l2(r, f, r->in + 6, f->v6);
	if (f->v6) {
		check_ip6_out(ip, ICMP_HLEN + quote, 58);
		FZ_ASSERT(be32(ip) == 6u << 28, "traffic class or flow label set");
		FZ_ASSERT(!memcmp(ip + 8, in + 24, 16) && !memcmp(ip + 24, in + 8, 16),
			  "not from the VIP to the sender");
		FZ_ASSERT(icmp[0] == 2 && icmp[1] == 0, "ICMPv6 type %u code %u", icmp[0], icmp[1]);
		mtu = be32(icmp + 4);
		FZ_ASSERT(csum_ok(icmp, ICMP_HLEN + quote, pseudo6(ip, ICMP_HLEN + quote)),
			  "bad ICMPv6 checksum");
	} else {
		check_ip4_out(ip, IP4_HLEN + ICMP_HLEN + quote, 1, 0);
		FZ_ASSERT(ip[1] == 0, "TOS set");
		FZ_ASSERT(!memcmp(ip + 12, in + 16, 4) && !memcmp(ip + 16, in + 12, 4),
			  "not from the VIP to the sender");
		FZ_ASSERT(icmp[0] == 3 && icmp[1] == 4 && be16(icmp + 4) == 0, "ICMP type %u code %u",
			  icmp[0], icmp[1]);
		mtu = be16(icmp + 6);
		FZ_ASSERT(csum_ok(icmp, ICMP_HLEN + quote, 0), "bad ICMP checksum");
	}
	FZ_ASSERT(!memcmp(icmp + ICMP_HLEN, in, quote), "the quote is not the packet");
	ovh = cfg->lb.mtu - mtu;
	FZ_ASSERT(mtu < cfg->lb.mtu && f->ip_len + ovh > cfg->lb.mtu,
		  "advertised %u for a %zu-byte packet", mtu, f->ip_len);
	FZ_ASSERT(ovh == IP4_HLEN || ovh == IP6_HLEN ||
			  (v->encap == SH_ENCAP_GUE && (ovh == IP4_HLEN + UDP_HLEN ||
							ovh == IP6_HLEN + UDP_HLEN)),
		  "advertised MTU minus %u, no tunnel of this VIP", ovh);
	FZ_ASSERT((v->encap == SH_ENCAP_GUE) == (ovh == IP4_HLEN + UDP_HLEN || ovh == IP6_HLEN + UDP_HLEN),
		  "advertised MTU minus %u for encap %u", ovh, v->encap);
}

void fz_counts_take(struct fz_counts *c, const struct sh_worker *w)
{
	memcpy(c->ctr, w->ctr, sizeof(c->ctr));
	memcpy(c->vip, w->vip_ctr, sizeof(c->vip));
	memcpy(c->real, w->real_ctr, sizeof(c->real));
}

/* Counters that only a packet sent out may move. */
static const int tx_only[] = { SH_CTR_ICMP_ECHO, SH_CTR_ICMP_TOO_BIG, SH_CTR_ICMP_ERR_FWD,
			       SH_CTR_FRAG };

void fz_check_packet(const struct sh_config *cfg, const struct sh_tables *t,
		     const struct fz_pkt_result *r, const struct fz_counts *b,
		     const struct fz_counts *a)
{
	__u64 verdicts = 0, seen = 0;
	struct frame_in f;

	FZ_ASSERT(r->action == SH_ACT_DROP || r->action == SH_ACT_PASS || r->action == SH_ACT_TX,
		  "verdict %d", r->action);
	FZ_ASSERT(r->head <= r->data && r->data <= r->data_end && r->data_end <= r->end,
		  "the frame left its buffer");
	for (int c = 0; c < SH_CTR_COUNT; c++) {
		if (c == SH_CTR_TX || c == SH_CTR_PASS || sh_ctr_is_drop(c)) {
			verdicts += delta(b, a, c);
			seen += a->ctr[c];
		}
		if (sh_ctr_is_drop(c) && delta(b, a, c))
			FZ_ASSERT(r->action == SH_ACT_DROP, "%s counted for verdict %d", sh_ctr_key(c),
				  r->action);
	}
	FZ_ASSERT(delta(b, a, SH_CTR_RX) == 1 && verdicts == 1,
		  "rx moved by %llu, verdicts by %llu", (unsigned long long)delta(b, a, SH_CTR_RX),
		  (unsigned long long)verdicts);
	FZ_ASSERT(a->ctr[SH_CTR_RX] == seen, "rx %llu, tx + pass + drops %llu",
		  (unsigned long long)a->ctr[SH_CTR_RX], (unsigned long long)seen);
	FZ_ASSERT(delta(b, a, SH_CTR_TX) == (r->action == SH_ACT_TX) &&
			  delta(b, a, SH_CTR_PASS) == (r->action == SH_ACT_PASS),
		  "verdict %d, tx +%llu, pass +%llu", r->action,
		  (unsigned long long)delta(b, a, SH_CTR_TX),
		  (unsigned long long)delta(b, a, SH_CTR_PASS));

	if (r->action != SH_ACT_TX) {
		for (size_t i = 0; i < sizeof(tx_only) / sizeof(tx_only[0]); i++)
			FZ_ASSERT(!delta(b, a, tx_only[i]), "%s counted, verdict %d",
				  sh_ctr_key(tx_only[i]), r->action);
		FZ_ASSERT(unmoved(b->real, a->real, t->n_reals), "a real counted, verdict %d",
			  r->action);
	}
	if (r->action == SH_ACT_PASS) {
		FZ_ASSERT(r->data == r->orig && (size_t)(r->data_end - r->data) == r->in_len &&
				  !memcmp(r->data, r->in, r->in_len),
			  "a passed frame was changed");
		FZ_ASSERT(unmoved(b->vip, a->vip, t->n_vip_ids), "a VIP counted a passed frame");
	}
	if (r->action != SH_ACT_TX)
		return;
	f = parse_in(r);
	FZ_ASSERT(delta(b, a, SH_CTR_ICMP_ECHO) + delta(b, a, SH_CTR_ICMP_TOO_BIG) <= 1,
		  "both an echo reply and a too-big error");
	if (delta(b, a, SH_CTR_ICMP_ECHO)) {
		FZ_ASSERT(unmoved(b->vip, a->vip, t->n_vip_ids), "a VIP counted an echo");
		check_echo(r, &f);
	} else if (delta(b, a, SH_CTR_ICMP_TOO_BIG)) {
		FZ_ASSERT(unmoved(b->real, a->real, t->n_reals), "a real counted a too-big");
		check_too_big(cfg, t, r, &f, b, a);
	} else {
		check_encap(cfg, t, r, &f, b, a);
	}
}
