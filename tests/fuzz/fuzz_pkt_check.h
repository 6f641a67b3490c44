/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pipeline fuzzer's oracle: what must hold after the forwarding core has
 * handled one frame, judged from the frame that came in, the frame that goes
 * out, the verdict and the worker's counters before and after. Aborts
 * (FZ_ASSERT) on the first violation.
 */
#ifndef SHOAL_FUZZ_PKT_CHECK_H
#define SHOAL_FUZZ_PKT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "shoal/counters.h"
#include "tables.h"
#include "worker.h"

/* VIP ids and real indices the oracle follows; the fuzzer's config uses fewer. */
#define FZ_IDS 32

/* The worker's counters at one moment: global ones, and per VIP and per real. */
struct fz_counts {
	__u64 ctr[SH_CTR_COUNT];
	struct sh_counter vip[FZ_IDS];
	struct sh_counter real[FZ_IDS];
};

void fz_counts_take(struct fz_counts *c, const struct sh_worker *w);

/* One packet through the core: the frame before, the buffer after, the verdict. */
struct fz_pkt_result {
	const uint8_t *in;   /* the frame as it came in */
	size_t in_len;
	const uint8_t *head; /* the buffer: head .. end */
	const uint8_t *end;
	const uint8_t *orig; /* where the frame started in the buffer */
	const uint8_t *data; /* where the frame starts now ... */
	const uint8_t *data_end; /* ... and ends */
	int action;
};

/*
 * The verdict is DROP, PASS or TX and counted exactly once; every packet seen
 * is in tx, pass or a drop reason; the frame stayed in its buffer. PASS left
 * it untouched. TX is one of: the packet encapsulated whole to an active real
 * of its VIP (or the real its server_id names) with well-formed outer headers;
 * an echo reply (addresses swapped, checksum validity kept); or a too-big
 * error back to the sender quoting the packet. See fuzz_pkt_check.c.
 */
void fz_check_packet(const struct sh_config *cfg, const struct sh_tables *t,
		     const struct fz_pkt_result *r, const struct fz_counts *before,
		     const struct fz_counts *after);

#endif /* SHOAL_FUZZ_PKT_CHECK_H */
