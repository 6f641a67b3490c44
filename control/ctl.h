/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane: the one API that configures any backend. It keeps the
 * running config as a JSON tree (the file's own form), and every change, from
 * a whole new file to one real's weight, is an edit of a copy of that tree
 * followed by the same path: validate the whole config, build tables aside
 * with the running ones as prev, hand them to the backend. Any failure leaves
 * the running config exactly as it was.
 */
#ifndef SHOAL_CTL_H
#define SHOAL_CTL_H

#include <jansson.h>
#include <stddef.h>

#include "backend.h"
#include "config.h"
#include "tables.h"

#define SH_CTL_ERR_LEN 512

struct sh_ctl {
	const struct sh_backend_ops *ops;
	struct sh_backend *be;
	char *config_path;    /* the file a reload reads */
	json_t *cfg_json;     /* the running config, as JSON */
	struct sh_config cfg; /* ... parsed */
	struct sh_tables *tables;
	__u32 ring_size;      /* the dataplane was sized for these at start: */
	__u32 conntrack_size; /* a config that changes them is refused */
};

/* Start the backend and apply the config file. 0 or -errno with err set. */
int sh_ctl_start(struct sh_ctl *c, const struct sh_backend_ops *ops,
		 const struct sh_backend_opts *opts, const char *config_path, char *err,
		 size_t err_len);
/* Stop; keep_forwarding leaves the dataplane running (XDP: pinned). */
void sh_ctl_stop(struct sh_ctl *c, int keep_forwarding);

/* Read the config file again and apply it whole. */
int sh_ctl_reload(struct sh_ctl *c, char *err, size_t err_len);
/* Apply a whole config tree (not consumed); origin names it in errors. */
int sh_ctl_apply(struct sh_ctl *c, json_t *cfg, const char *origin, char *err, size_t err_len);

/*
 * Errors are one line: "<origin or command>: <JSON path or argument>: <what
 * is wrong> (got <value>)". sh_ctl_render writes a value the way they show
 * it: compact JSON, ASCII only, cut to fit len.
 */
const char *sh_ctl_render(const json_t *v, char *buf, size_t len);

/*
 * Edits. A VIP is named "ADDR:PORT/PROTO" ("[ADDR]:PORT/PROTO" for IPv6), a
 * real by its address. vip and real objects are as in the config file.
 */
int sh_ctl_vip_add(struct sh_ctl *c, json_t *vip, char *err, size_t err_len);
int sh_ctl_vip_del(struct sh_ctl *c, const char *vip, char *err, size_t err_len);
int sh_ctl_real_add(struct sh_ctl *c, const char *vip, json_t *real, char *err, size_t err_len);
int sh_ctl_real_del(struct sh_ctl *c, const char *vip, const char *real, char *err,
		    size_t err_len);
/* Set a real's weight (0 drains it: it keeps its flows and gets no new ones). */
int sh_ctl_real_weight(struct sh_ctl *c, const char *vip, const char *real, json_int_t weight,
		       char *err, size_t err_len);

/* Which dataplane runs, on how many queues, in which mode: {"name", "queues", "mode"}. */
json_t *sh_ctl_backend(struct sh_ctl *c);
/* Counters per VIP and per real, with the config's names, as JSON. NULL on failure. */
json_t *sh_ctl_stats(struct sh_ctl *c, char *err, size_t err_len);

#endif /* SHOAL_CTL_H */
