/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's Unix control socket: root only (mode 0600 and the peer's
 * credentials checked), bounded (request size, clients, idle time), and
 * never blocking the daemon on a slow or silent client.
 */
#ifndef SHOAL_CTL_SERVER_H
#define SHOAL_CTL_SERVER_H

#include "ctl.h"

#define SH_CTL_MAX_CLIENTS 64
#define SH_CTL_IDLE_MS 10000 /* a client that sends no complete request in this time is dropped */
/* Answers queued for a client that does not read them; past this it is dropped. */
#define SH_CTL_MAX_PENDING (4 << 20) /* a few times the largest show */

struct sh_ctl_server;

/* Listen on path (its directory is created 0700). Refuses if a daemon answers there. */
int sh_ctl_server_open(const char *path, struct sh_ctl_server **out, char *err, size_t err_len);
/* The fd to poll for readiness (an epoll fd covering the listener and clients). */
int sh_ctl_server_fd(const struct sh_ctl_server *s);
/* Serve whatever is ready without blocking; drop idle clients. */
void sh_ctl_server_run(struct sh_ctl_server *s, struct sh_ctl *c);
/* Milliseconds until the next idle client must be dropped (-1: none). */
int sh_ctl_server_timeout(const struct sh_ctl_server *s);
void sh_ctl_server_close(struct sh_ctl_server *s);

#endif /* SHOAL_CTL_SERVER_H */
