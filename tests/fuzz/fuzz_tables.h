/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invariants of an accepted config and of the tables built from it, shared by
 * the config and control-protocol fuzzers. Each function aborts (FZ_ASSERT)
 * on the first violation.
 */
#ifndef SHOAL_FUZZ_TABLES_H
#define SHOAL_FUZZ_TABLES_H

#include "config.h"
#include "tables.h"

/*
 * Slots of ring a build may make before the fuzzers skip it: a config may ask
 * for 512 VIPs of 655373 slots (1.3 GB), which says nothing about the code
 * and would only hit the RSS limit.
 */
#define FZ_RING_BUDGET (1u << 20)

/* Is building tables for cfg within FZ_RING_BUDGET? */
int fz_tables_affordable(const struct sh_config *cfg);

/* Every rule docs/config.md states holds for an accepted config. */
void fz_check_config(const struct sh_config *cfg);

/*
 * t serves cfg: every VIP is found under its key with its flags, encap and
 * an id of its own, its address has the address-only entry and its protocol a
 * fragment route; its ring holds only its reals of positive weight (or only
 * SH_REAL_NONE when it has none); every real is active under one index, with
 * its server_id, and no other real is active.
 */
void fz_check_tables(const struct sh_config *cfg, const struct sh_tables *t);

/*
 * t, built for cfg with prev as the running tables, kept prev's real indices
 * and vip ids for the reals and VIPs both have, and deactivated the reals
 * cfg dropped.
 */
void fz_check_stable(const struct sh_config *cfg, const struct sh_tables *t,
		     const struct sh_tables *prev);

/* a and b, both built for cfg, give every ring slot of every VIP the same real address. */
void fz_check_same_rings(const struct sh_config *cfg, const struct sh_tables *a,
			 const struct sh_tables *b);

#endif /* SHOAL_FUZZ_TABLES_H */
