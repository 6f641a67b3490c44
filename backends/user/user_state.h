/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a userspace dataplane keeps across restarts, in one file-backed
 * shared mapping (a file under /run/shoal): every worker's conntrack and
 * counters, and the identity of the running tables (which real has which
 * index, which VIP which vip_id), since conntrack names reals by index.
 * Workers forward straight out of the mapping, so a daemon that is killed
 * with SIGKILL loses nothing that was written; the next one maps the same
 * file, rebuilds the identity as `prev` tables, and established flows keep
 * their real.
 */
#ifndef SHOAL_USER_STATE_H
#define SHOAL_USER_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "tables.h"
#include "worker.h"

struct sh_user_state;

/*
 * Map path for n_workers workers of conntrack_size flows each, made when
 * absent. A file of another shape (other worker count or conntrack size, or
 * torn) is started afresh, and *reused says whether it was kept. 0 or
 * -errno with the reason in err.
 */
int sh_user_state_open(const char *path, __u32 n_workers, __u32 conntrack_size,
		       struct sh_user_state **out, bool *reused, char *err, size_t err_len);

/* Worker i's state, inside the mapping. */
struct sh_worker *sh_user_state_worker(struct sh_user_state *s, __u32 i);

/*
 * The tables' identity the file holds, as tables to pass as prev to
 * sh_tables_build (reals, their indices, vip ids; no rings), or NULL when
 * the file holds none. 0 or -ENOMEM.
 */
int sh_user_state_identity(const struct sh_user_state *s, struct sh_tables **out);

/* Record t's identity (after t is live). Torn by a crash, the previous one stays. */
void sh_user_state_save(struct sh_user_state *s, const struct sh_tables *t);

/*
 * Counts of a part of the dataplane that does not outlive its daemon (AF_XDP:
 * the steering program's), carried over here so the totals continue.
 */
__u64 *sh_user_state_carried(struct sh_user_state *s);

/* Unmap; remove_file also deletes the file (its flows are forgotten). */
void sh_user_state_close(struct sh_user_state *s, bool remove_file);

#endif /* SHOAL_USER_STATE_H */
