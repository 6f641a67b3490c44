/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A backend with no dataplane, for the control-protocol fuzzer: control/ctl.c
 * runs against it exactly as against XDP. It takes the tables it is given (a
 * harness has no packets to forward), refusing more VIPs than it was started
 * for as the XDP backend does past --max-vips, so that a change the backend
 * refuses is fuzzed too. It checks the contract ctl owes every backend:
 * apply() names as prev the tables the backend forwards by now.
 */
#ifndef SHOAL_FUZZ_SINK_H
#define SHOAL_FUZZ_SINK_H

#include "backend.h"

extern const struct sh_backend_ops fz_sink_ops;

/* The tables the sink forwards by now (NULL before the first apply). */
const struct sh_tables *fz_sink_tables(const struct sh_backend *b);

#endif /* SHOAL_FUZZ_SINK_H */
