/* SPDX-License-Identifier: BSD-3-Clause */
/* Names and help texts of the global counters, for summaries, the CLI and metrics. */
#ifndef SHOAL_COUNTERS_NAMES_H
#define SHOAL_COUNTERS_NAMES_H

#include "shoal/counters.h"

/* Lower-case key ("ct_hit", "l4_malformed"): stable, used in JSON and metrics. */
const char *sh_ctr_key(enum sh_ctr ctr);
/* One-line description. */
const char *sh_ctr_help(enum sh_ctr ctr);

static inline int sh_ctr_is_drop(enum sh_ctr ctr)
{
	return ctr >= SH_CTR_DROP_FIRST && ctr < SH_CTR_COUNT;
}

#endif /* SHOAL_COUNTERS_NAMES_H */
