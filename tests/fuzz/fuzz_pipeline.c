// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzzing the forwarding core in userspace, through the burst loop the
 * AF_XDP and DPDK backends and shoal-replay use (backends/user/user_burst.c),
 * over tables built from CONFIG below.
 *
 * Input: a sequence of records, each
 *     ctrl (1 byte) | length (2 bytes, big-endian) | Ethernet frame
 * where a length past the end of the input means "the rest". ctrl:
 *     bit 0     the frame is processed twice in a row (the second time, a
 *               flow the first one remembered hits conntrack);
 *     bit 1     the frame sits behind 8 bytes of headroom instead of 256
 *               (too little for any header the core adds);
 *     bits 2-7  the clock advances this many 25 ms steps before the frame
 *               (UDP flows expire after 1 s).
 * Each input starts from zero counters and an empty conntrack of one bucket
 * (the harness sizes its workers itself, below any config's minimum: with 4
 * ways, a fifth flow already evicts one).
 *
 * The frames go through the core one at a time, each checked by the oracle
 * (fuzz_pkt_check.h); a frame processed twice must come out the same both
 * times. Then the same frames go through a second worker in bursts (the frames
 * of one clock reading together, up to SH_BURST_MAX), which classify every
 * frame before forwarding any: every frame, every counter and the conntrack
 * must end up byte for byte as one at a time.
 */
#include <stdint.h>

#include "config.h"
#include "env_user.h"
#include "fuzz_pkt_check.h"
#include "fuzz_util.h"
#include "user_burst.h"

/*
 * Every kind of VIP: IPv4 and IPv6, TCP and UDP, port 0 beside a port,
 * IPIP/GUE to reals of both families, server_ids, a drained real, a VIP with
 * no reals and one with only weight 0, no_sport, dport_hash, no_lru,
 * rendezvous. Addresses as in tests/pkts/shoalpkts.py, which make_seeds.py uses.
 */
static const char CONFIG[] =
	"{\"lb\": {\"ipv4_src\": \"198.18.0.10\", \"ipv6_src\": \"2001:db8::10\","
	" \"gateway_mac\": \"02:00:00:00:00:01\", \"hash_key\": \"00112233445566778899aabbccddeeff\","
	" \"ring_size\": 61, \"conntrack_size\": 64, \"mtu\": 1200, \"gue_port\": 6080,"
	" \"udp_timeout_ms\": 1000},"
	" \"vips\": ["
	"{\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", \"reals\": ["
	" {\"address\": \"198.18.1.1\", \"server_id\": 101},"
	" {\"address\": \"198.18.1.2\", \"weight\": 2, \"server_id\": 102},"
	" {\"address\": \"2001:db8:1::3\", \"server_id\": 103},"
	" {\"address\": \"198.18.1.4\", \"weight\": 0, \"server_id\": 104}]},"
	"{\"address\": \"198.18.100.1\", \"protocol\": \"udp\", \"encap\": \"gue\","
	" \"flags\": [\"no_sport\"], \"reals\": ["
	" {\"address\": \"198.18.1.1\"}, {\"address\": \"2001:db8:1::2\"}]},"
	"{\"address\": \"198.18.100.1\", \"port\": 53, \"protocol\": \"udp\", \"flags\": [\"no_lru\"],"
	" \"reals\": [{\"address\": \"198.18.1.5\"}]},"
	"{\"address\": \"198.18.100.2\", \"port\": 443, \"protocol\": \"tcp\", \"hash\": \"rendezvous\","
	" \"flags\": [\"dport_hash\"], \"reals\": ["
	" {\"address\": \"198.18.1.1\"}, {\"address\": \"198.18.1.6\"}]},"
	"{\"address\": \"198.18.100.3\", \"port\": 80, \"protocol\": \"tcp\"},"
	"{\"address\": \"2001:db8:100::1\", \"port\": 443, \"protocol\": \"tcp\", \"encap\": \"gue\","
	" \"reals\": [{\"address\": \"2001:db8:1::1\", \"server_id\": 201},"
	" {\"address\": \"198.18.1.6\"}]},"
	"{\"address\": \"2001:db8:100::1\", \"protocol\": \"udp\", \"reals\": ["
	" {\"address\": \"2001:db8:1::2\"}, {\"address\": \"198.18.1.1\"}]},"
	"{\"address\": \"2001:db8:100::2\", \"port\": 80, \"protocol\": \"tcp\","
	" \"reals\": [{\"address\": \"198.18.1.7\", \"weight\": 0}]}"
	"]}";

#define HEADROOM 256 /* as shoal-replay and an AF_XDP frame */
#define HEADROOM_TIGHT 8
#define CLOCK_STEP_NS 25000000ull
#define T0_NS 1700000000000000000ull
#define F_TWICE 0x01
#define F_TIGHT 0x02

static struct sh_config cfg;
static struct sh_tables *tables;
static struct sh_worker *one, *burst; /* one frame at a time; in bursts */

/* One pass of a frame through the core: its buffer, and what became of it. */
struct run {
	const uint8_t *frame;
	size_t len, headroom;
	__u64 now;
	uint8_t *buf;
	struct sh_pkt pkt;
	__u8 action;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[SH_CFG_ERR_LEN];

	(void)argc;
	(void)argv;
	FZ_ASSERT(!sh_config_load_string(CONFIG, "CONFIG", &cfg, err, sizeof(err)), "%s", err);
	FZ_ASSERT(!sh_tables_build(&cfg, NULL, &tables, err, sizeof(err)), "%s", err);
	FZ_ASSERT(tables->n_vip_ids <= FZ_IDS && tables->n_reals <= FZ_IDS, "too many for FZ_IDS");
	FZ_ASSERT(!sh_worker_create(SH_CT_WAYS, &one) && !sh_worker_create(SH_CT_WAYS, &burst),
		  "out of memory");
	return 0;
}

static void worker_reset(struct sh_worker *w)
{
	memset(w->ct, 0, ((size_t)w->ct_mask + 1) * sizeof(*w->ct));
	memset(w->ctr, 0, sizeof(w->ctr));
	memset(w->vip_ctr, 0, sizeof(w->vip_ctr));
	memset(w->real_ctr, 0, sizeof(w->real_ctr));
}

/* A buffer of exactly headroom + frame (ASan catches a byte outside), the frame copied in. */
static void run_load(struct run *r)
{
	r->buf = malloc(r->headroom + r->len);
	FZ_ASSERT(r->buf, "out of memory");
	memcpy(r->buf + r->headroom, r->frame, r->len);
	r->pkt.head = r->buf;
	r->pkt.data = r->buf + r->headroom;
	r->pkt.data_end = r->buf + r->headroom + r->len;
}

static size_t run_out_len(const struct run *r)
{
	return (size_t)((uint8_t *)r->pkt.data_end - (uint8_t *)r->pkt.data);
}

/* Did two passes of one frame end alike: verdict, place and bytes? */
static int run_same(const struct run *a, const struct run *b)
{
	return a->action == b->action &&
	       (uint8_t *)a->pkt.data - a->buf == (uint8_t *)b->pkt.data - b->buf &&
	       run_out_len(a) == run_out_len(b) && !memcmp(a->pkt.data, b->pkt.data, run_out_len(a));
}

/* The records of the input as passes, in order. Returns how many. */
static size_t parse(const uint8_t *data, size_t size, struct run *runs)
{
	__u64 now = T0_NS;
	size_t n = 0;

	while (size) {
		uint8_t ctrl = data[0];
		size_t len = size >= 3 ? (size_t)data[1] << 8 | data[2] : 0;
		size_t hdr = size >= 3 ? 3 : size;

		if (len > size - hdr)
			len = size - hdr;
		now += (ctrl >> 2) * CLOCK_STEP_NS;
		for (int i = 0; i < (ctrl & F_TWICE ? 2 : 1); i++)
			runs[n++] = (struct run){ .frame = data + hdr, .len = len, .now = now,
						  .headroom = ctrl & F_TIGHT ? HEADROOM_TIGHT :
									       HEADROOM };
		data += hdr + len;
		size -= hdr + len;
	}
	return n;
}

static void one_at_a_time(struct run *runs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct run *r = &runs[i];
		struct fz_counts before, after;
		struct fz_pkt_result res;

		run_load(r);
		fz_counts_take(&before, one);
		sh_user_burst(tables, one, r->now, &r->pkt, &r->action, 1);
		fz_counts_take(&after, one);
		res = (struct fz_pkt_result){ .in = r->frame, .in_len = r->len, .head = r->buf,
					      .end = r->buf + r->headroom + r->len,
					      .orig = r->buf + r->headroom, .data = r->pkt.data,
					      .data_end = r->pkt.data_end, .action = r->action };
		fz_check_packet(&cfg, tables, &res, &before, &after);
		if (i && r->frame == runs[i - 1].frame)
			FZ_ASSERT(run_same(r, &runs[i - 1]), "frame %zu came out differently twice", i);
	}
}

/* The same passes in bursts; every frame must come out as it did one at a time. */
static void in_bursts(const struct run *runs, size_t n)
{
	struct run b[SH_BURST_MAX];
	struct sh_pkt pkts[SH_BURST_MAX];
	__u8 action[SH_BURST_MAX];

	for (size_t i = 0, k; i < n; i += k) {
		for (k = 0; k < SH_BURST_MAX && i + k < n && runs[i + k].now == runs[i].now; k++) {
			b[k] = runs[i + k];
			run_load(&b[k]);
			pkts[k] = b[k].pkt;
		}
		sh_user_burst(tables, burst, runs[i].now, pkts, action, (unsigned)k);
		for (size_t j = 0; j < k; j++) {
			b[j].pkt = pkts[j];
			b[j].action = action[j];
			FZ_ASSERT(run_same(&b[j], &runs[i + j]),
				  "frame %zu came out differently in a burst", i + j);
			free(b[j].buf);
		}
	}
	FZ_ASSERT(!memcmp(one->ctr, burst->ctr, sizeof(one->ctr)) &&
			  !memcmp(one->vip_ctr, burst->vip_ctr, sizeof(one->vip_ctr)) &&
			  !memcmp(one->real_ctr, burst->real_ctr, sizeof(one->real_ctr)),
		  "counters differ after bursts");
	FZ_ASSERT(!memcmp(one->ct, burst->ct, ((size_t)one->ct_mask + 1) * sizeof(*one->ct)),
		  "conntrack differs after bursts");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* At most two passes per record of at least one byte. */
	struct run *runs = malloc((2 * size + 1) * sizeof(*runs));
	size_t n;

	FZ_ASSERT(runs, "out of memory");
	n = parse(data, size, runs);
	worker_reset(one);
	worker_reset(burst);
	one_at_a_time(runs, n);
	in_bursts(runs, n);
	for (size_t i = 0; i < n; i++)
		free(runs[i].buf);
	free(runs);
	return 0;
}
