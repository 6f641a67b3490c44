/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration model: what an operator writes in lb.json, parsed and
 * validated as a whole. Nothing here is used per packet; core/tables.c turns a
 * validated config into the tables the forwarding core reads.
 */
#ifndef SHOAL_CONFIG_H
#define SHOAL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "shoal/types.h"

#define SH_CFG_ERR_LEN 256

/* Limits a config is checked against (the BPF maps are sized from these). */
#define SH_MAX_VIPS 512
#define SH_MAX_REALS 4096       /* distinct real addresses over all VIPs */
#define SH_MAX_RING_SIZE 655373 /* largest ring size accepted (prime) */

enum sh_hash_kind {
	SH_HASH_MAGLEV = 0,
	SH_HASH_RENDEZVOUS = 1,
};

struct sh_cfg_real {
	struct sh_addr addr;
	__u8 family;     /* enum sh_family */
	__u32 weight;    /* 0 = drained: keeps its flows, gets no new ones */
	__u32 server_id; /* 0 = none */
};

struct sh_cfg_vip {
	struct sh_addr addr;
	__u8 family;   /* enum sh_family */
	__u16 port;    /* host byte order; 0 = every port */
	__u8 proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 encap;    /* enum sh_encap */
	__u8 hash;     /* enum sh_hash_kind */
	__u16 flags;   /* SH_VIP_F_NO_SPORT | SH_VIP_F_NO_LRU | SH_VIP_F_DPORT_HASH */
	struct sh_cfg_real *reals;
	size_t n_reals;
};

struct sh_config {
	struct sh_lb lb;        /* hash_key, sources, gateway, mtu, ring_size, gue_port, udp timeout */
	__u32 conntrack_size;   /* flows remembered per worker */
	struct sh_cfg_vip *vips;
	size_t n_vips;
};

/*
 * Parse and validate a whole config. On failure returns -errno, leaves *out
 * zeroed and writes one line naming the file, the field (as a JSON path such
 * as vips[0].reals[2].weight) and what was wrong into err.
 */
int sh_config_load_file(const char *path, struct sh_config *out, char *err, size_t err_len);
int sh_config_load_string(const char *json, const char *origin, struct sh_config *out,
			  char *err, size_t err_len);
void sh_config_free(struct sh_config *cfg);

/*
 * The same, in two steps, for a control plane that keeps the config as a JSON
 * tree and edits it: read and decode a file (syntax errors only), then
 * validate a tree (not consumed) into *out.
 */
struct json_t;
int sh_config_read_json(const char *path, struct json_t **root, char *err, size_t err_len);
int sh_config_load_json(struct json_t *root, const char *origin, struct sh_config *out,
			char *err, size_t err_len);
/*
 * sh_config_load_json for an edit of a valid config that added the real
 * object `edited` (in root): a conflict between that real and another one
 * (a server_id, the distinct-address limit) is reported at the edited real,
 * where the whole-file check would name whichever of the two comes later.
 */
int sh_config_load_edit(struct json_t *root, const struct json_t *edited, const char *origin,
			struct sh_config *out, char *err, size_t err_len);

/* Text forms used in errors, logs and the CLI. buf holds at least SH_ADDR_STRLEN. */
#define SH_ADDR_STRLEN 46
const char *sh_addr_str(const struct sh_addr *a, __u8 family, char *buf);
int sh_addr_parse(const char *s, struct sh_addr *a, __u8 *family);

#endif /* SHOAL_CONFIG_H */
