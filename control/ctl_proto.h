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

/*
 * Line framing over a byte stream: answer every complete line of buf[0..*len),
 * in order, handing each response to emit (which takes it over); then move
 * what follows the last newline (the start of the next request) to the front
 * of buf and set *len to its length. Returns the number of lines answered, or
 * -1 as soon as emit fails (the connection is to be dropped).
 */
int sh_ctl_handle_lines(struct sh_ctl *c, char *buf, size_t *len,
			int (*emit)(void *arg, json_t *resp), void *arg);

#endif /* SHOAL_CTL_PROTO_H */
