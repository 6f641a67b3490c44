/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's protocol: one JSON object per line each way.
 *   request:  {"cmd": "real-weight", "vip": "198.18.100.1:80/tcp", "real": "198.18.1.2", "weight": 0}
 *   response: {"ok": true, ...} or {"ok": false, "error": "what was wrong, naming the input"}
 * Commands: show, stats, reload, vip-add {vip: {...}}, vip-del {vip}, real-add {vip, real: {...}},
 * real-del {vip, real}, real-weight {vip, real, weight}.
 */
#ifndef SHOAL_CTL_PROTO_H
#define SHOAL_CTL_PROTO_H

#include <jansson.h>

#include "ctl.h"

#define SH_CTL_MAX_REQUEST 65536 /* bytes in one request line */

/* Answer one request line (not NUL-terminated). Never NULL. */
json_t *sh_ctl_handle(struct sh_ctl *c, const char *line, size_t len);

#endif /* SHOAL_CTL_PROTO_H */
