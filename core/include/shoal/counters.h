/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SHOAL_COUNTERS_H
#define SHOAL_COUNTERS_H

/* Global counter indices: the SH_CTR_* first, then one per drop reason. */
enum sh_ctr {
#define SH_CTR(name, text) SH_CTR_##name,
#define SH_DROP(name, text)
#include "shoal/counters.def"
#undef SH_CTR
#undef SH_DROP
	SH_CTR_DROP_FIRST,
	SH_DROP_NONE_ = SH_CTR_DROP_FIRST - 1,
#define SH_CTR(name, text)
#define SH_DROP(name, text) SH_DROP_##name,
#include "shoal/counters.def"
#undef SH_CTR
#undef SH_DROP
	SH_CTR_COUNT
};

/* What the core decided for a packet. */
enum sh_action {
	SH_ACT_DROP = 0,
	SH_ACT_PASS = 1,
	SH_ACT_TX = 2,
};

#endif /* SHOAL_COUNTERS_H */
