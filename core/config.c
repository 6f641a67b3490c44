// SPDX-License-Identifier: BSD-3-Clause
/*
 * lb.json -> struct sh_config. The JSON is read with jansson, then every field
 * is checked; the first problem found (objects top down, in each its keys,
 * then its fields in schema order) is reported as one line:
 *
 *	<origin>: <json path>: <what is wrong> (got <offending value>)
 *
 * The schema is documented in docs/config.md; keep the two in step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include <jansson.h>

#include "config.h"

/*
 * Flow hash key used when lb.hash_key is absent: the ASCII bytes of
 * "shoal-default-k1", i.e. lb.hash_key = "73686f616c2d64656661756c742d6b31".
 * Every LB of a fleet must use the same key (equal keys give equal choices of
 * real), and fleets should set their own: with the public default anyone can
 * predict which real a flow lands on.
 */
#define SH_CFG_DEFAULT_HASH_KEY_HI 0x73686f616c2d6465ULL /* "shoal-de" */
#define SH_CFG_DEFAULT_HASH_KEY_LO 0x6661756c742d6b31ULL /* "fault-k1" */

#define SH_CFG_DEFAULT_RING_SIZE 65537
#define SH_CFG_DEFAULT_CONNTRACK_SIZE 1048576
#define SH_CFG_DEFAULT_MTU 1500
#define SH_CFG_DEFAULT_GUE_PORT 6080
#define SH_CFG_DEFAULT_UDP_TIMEOUT_MS 30000

#define SH_CFG_MIN_RING_SIZE 7
#define SH_CFG_MIN_CONNTRACK_SIZE 64
#define SH_CFG_MAX_CONNTRACK_SIZE (1 << 26)
#define SH_CFG_MIN_MTU 576
#define SH_CFG_MAX_MTU 9216
#define SH_CFG_MAX_UDP_TIMEOUT_MS 86400000 /* one day */

#define CFG_PATH_LEN 64  /* "vips[511].reals[4095].server_id" and the like */
#define CFG_VALUE_LEN 48 /* offending values are cut to this length in errors */

/*
 * Every real address seen so far, in an open-addressing table. At most
 * SH_MAX_REALS distinct addresses are accepted, so twice that many slots keep
 * the table at most half full.
 */
#define CFG_SEEN_SLOTS (2 * SH_MAX_REALS)
_Static_assert((CFG_SEEN_SLOTS & (CFG_SEEN_SLOTS - 1)) == 0, "CFG_SEEN_SLOTS is a power of 2");

struct cfg_seen_real {
	struct sh_addr addr;
	__u8 family; /* SH_AF_NONE: empty slot */
	__u32 server_id; /* 0 until an occurrence gives one */
	__u32 id_vip, id_real; /* where server_id was given first */
	__u32 last_vip, last_real; /* latest occurrence */
};

/* server_id -> the real address that owns it (an index into the table above). */
struct cfg_seen_id {
	__u32 id; /* 0: empty slot */
	__u32 slot;
};

struct cfg_parse {
	const char *origin;
	char *err;
	size_t err_len;
	struct sh_config *cfg;
	struct cfg_seen_real *seen;
	struct cfg_seen_id *ids;
	size_t n_seen;
	/* sh_config_load_edit: the real the edit added, where it is, whether its address is new */
	const json_t *edited;
	__u32 ed_vi, ed_ri;
	bool ed_seen, ed_new;
};

static const char *const cfg_root_keys[] = { "lb", "vips", NULL };
static const char *const cfg_lb_keys[] = { "ipv4_src", "ipv6_src", "gateway_mac", "hash_key",
					   "ring_size", "conntrack_size", "mtu", "gue_port",
					   "udp_timeout_ms", NULL };
static const char *const cfg_vip_keys[] = { "address", "port", "protocol", "encap",
					    "hash", "flags", "reals", NULL };
static const char *const cfg_real_keys[] = { "address", "weight", "server_id", NULL };

/* Names accepted for the string-valued enums, each list paired with its values. */
static const char *const cfg_proto_names[] = { "tcp", "udp", NULL };
static const int cfg_proto_values[] = { IPPROTO_TCP, IPPROTO_UDP };
static const char *const cfg_encap_names[] = { "ipip", "gue", NULL };
static const int cfg_encap_values[] = { SH_ENCAP_IPIP, SH_ENCAP_GUE };
static const char *const cfg_hash_names[] = { "maglev", "rendezvous", NULL };
static const int cfg_hash_values[] = { SH_HASH_MAGLEV, SH_HASH_RENDEZVOUS };
static const char *const cfg_flag_names[] = { "no_sport", "no_lru", "dport_hash", NULL };
static const int cfg_flag_values[] = { SH_VIP_F_NO_SPORT, SH_VIP_F_NO_LRU, SH_VIP_F_DPORT_HASH };

/* ---- error reporting ---------------------------------------------------- */

/*
 * One-line JSON text of v, cut to CFG_VALUE_LEN. jansson escapes every control
 * character but DEL (0x7f), which is escaped here, so the line stays printable.
 */
static void cfg_render(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
	char *e = s ? malloc(6 * strlen(s) + 1) : NULL;
	size_t n = 0;

	if (!e) {
		snprintf(buf, len, "?");
		free(s);
		return;
	}
	for (const char *p = s; *p; p++) {
		if (*p == 0x7f) {
			memcpy(e + n, "\\u007f", 6);
			n += 6;
		} else {
			e[n++] = *p;
		}
	}
	e[n] = '\0';
	if (n < len)
		snprintf(buf, len, "%s", e);
	else
		snprintf(buf, len, "%.*s...", (int)(len - 4), e);
	free(e);
	free(s);
}

/* "obj.key", "obj" or "key"; the empty path is the top level. */
static void cfg_path(char *buf, size_t len, const char *obj, const char *key)
{
	if (obj[0] && key)
		snprintf(buf, len, "%s.%s", obj, key);
	else if (obj[0])
		snprintf(buf, len, "%s", obj);
	else
		snprintf(buf, len, "%s", key ? key : "top level");
}

/*
 * Write "<origin>: <obj.key>: <message> (got <got>)" into the caller's buffer
 * and return -EINVAL. got is NULL when there is no JSON value to show (a
 * missing key, or a message that shows the value itself).
 */
__attribute__((format(printf, 5, 6)))
static int cfg_fail(struct cfg_parse *p, const char *obj, const char *key, const json_t *got,
		    const char *fmt, ...)
{
	char path[CFG_PATH_LEN], msg[SH_CFG_ERR_LEN], value[CFG_VALUE_LEN];
	va_list ap;

	if (!p->err || !p->err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_path(path, sizeof(path), obj, key);
	if (got) {
		cfg_render(got, value, sizeof(value));
		snprintf(p->err, p->err_len, "%s: %s: %s (got %s)", p->origin, path, msg, value);
	} else {
		snprintf(p->err, p->err_len, "%s: %s: %s", p->origin, path, msg);
	}
	return -EINVAL;
}

static int cfg_nomem(struct cfg_parse *p)
{
	if (p->err && p->err_len)
		snprintf(p->err, p->err_len, "%s: out of memory", p->origin);
	return -ENOMEM;
}

/* "a, b or c" (quote: wrap each name in double quotes). */
static void cfg_join(char *buf, size_t len, const char *const *names, bool quote)
{
	const char *q = quote ? "\"" : "";
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && used < len; i++) {
		const char *sep = !i ? "" : names[i + 1] ? ", " : " or ";
		int n = snprintf(buf + used, len - used, "%s%s%s%s", sep, q, names[i], q);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int cfg_find_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* ---- typed fields --------------------------------------------------------- */

static int cfg_check_keys(struct cfg_parse *p, const char *obj, json_t *o,
			  const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		char valid[160];
		json_t *name;
		int rc;

		if (cfg_find_name(keys, key) >= 0)
			continue;
		cfg_join(valid, sizeof(valid), keys, false);
		name = json_string(key);
		if (!name)
			return cfg_nomem(p);
		rc = cfg_fail(p, obj, NULL, name, "unknown key, expected %s", valid);
		json_decref(name);
		return rc;
	}
	return 0;
}

static int cfg_object(struct cfg_parse *p, const char *obj, const char *key, json_t *o,
		      const char *const *keys)
{
	char path[CFG_PATH_LEN];

	if (!o)
		return cfg_fail(p, obj, key, NULL, "required key is missing");
	if (!json_is_object(o))
		return cfg_fail(p, obj, key, o, "must be an object");
	cfg_path(path, sizeof(path), obj, key);
	return cfg_check_keys(p, path, o, keys);
}

/* An integer in [lo, hi]; def when the key is absent. */
static int cfg_int(struct cfg_parse *p, const char *obj, json_t *o, const char *key,
		   json_int_t lo, json_int_t hi, json_int_t def, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return cfg_fail(p, obj, key, v, "must be an integer %lld..%lld", (long long)lo,
				(long long)hi);
	*out = json_integer_value(v);
	return 0;
}

/* A string; *out stays NULL when the key is absent and not required. */
static int cfg_string(struct cfg_parse *p, const char *obj, json_t *o, const char *key,
		      bool required, const char *what, const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v)
		return required ? cfg_fail(p, obj, key, NULL, "required key is missing") : 0;
	if (!json_is_string(v))
		return cfg_fail(p, obj, key, v, "must be %s", what);
	*out = json_string_value(v);
	return 0;
}

/* One of names[] mapped to values[]; def when the key is absent and not required. */
static int cfg_enum(struct cfg_parse *p, const char *obj, json_t *o, const char *key,
		    bool required, const char *const *names, const int *values, int def, int *out)
{
	char what[96];
	const char *s;
	int rc, i;

	cfg_join(what, sizeof(what), names, true);
	rc = cfg_string(p, obj, o, key, required, what, &s);
	*out = def;
	if (rc || !s)
		return rc;
	i = cfg_find_name(names, s);
	if (i < 0)
		return cfg_fail(p, obj, key, json_object_get(o, key), "must be %s", what);
	*out = values[i];
	return 0;
}

static bool cfg_addr_is_zero(const struct sh_addr *a)
{
	return !(a->w[0] | a->w[1] | a->w[2] | a->w[3]);
}

/*
 * An address of the given family (SH_AF_NONE: either). *family stays
 * SH_AF_NONE when the key is absent and not required.
 */
static int cfg_addr(struct cfg_parse *p, const char *obj, json_t *o, const char *key,
		    bool required, __u8 want, struct sh_addr *addr, __u8 *family)
{
	const char *what = want == SH_AF_INET	 ? "an IPv4 address" :
			   want == SH_AF_INET6 ? "an IPv6 address" :
						 "an IPv4 or IPv6 address";
	const char *s;
	int rc;

	memset(addr, 0, sizeof(*addr));
	*family = SH_AF_NONE;
	rc = cfg_string(p, obj, o, key, required, what, &s);
	if (rc || !s)
		return rc;
	if (sh_addr_parse(s, addr, family) || (want && *family != want)) {
		*family = SH_AF_NONE;
		return cfg_fail(p, obj, key, json_object_get(o, key), "must be %s", what);
	}
	if (cfg_addr_is_zero(addr)) {
		*family = SH_AF_NONE;
		return cfg_fail(p, obj, key, json_object_get(o, key),
				"must not be the unspecified address");
	}
	return 0;
}

static int cfg_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "aa:bb:cc:dd:ee:ff", exactly. */
static int cfg_parse_mac(const char *s, __u8 *mac)
{
	if (strlen(s) != 3 * SH_ETH_ALEN - 1)
		return -EINVAL;
	for (int i = 0; i < SH_ETH_ALEN; i++) {
		int hi = cfg_hex_digit(s[3 * i]), lo = cfg_hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < SH_ETH_ALEN - 1 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (__u8)(hi << 4 | lo);
	}
	return 0;
}

/* 32 hex digits: the first 16 are key[0] (big-endian), the last 16 key[1]. */
static int cfg_parse_hash_key(const char *s, __u64 *key)
{
	if (strlen(s) != 32)
		return -EINVAL;
	key[0] = key[1] = 0;
	for (int i = 0; i < 32; i++) {
		int d = cfg_hex_digit(s[i]);

		if (d < 0)
			return -EINVAL;
		key[i / 16] = key[i / 16] << 4 | (__u64)d;
	}
	return 0;
}

static bool cfg_is_prime(json_int_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (json_int_t d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* ---- lb ------------------------------------------------------------------- */

static int cfg_parse_lb_strings(struct cfg_parse *p, json_t *o)
{
	struct sh_lb *lb = &p->cfg->lb;
	const char *s;
	__u8 fam;
	int rc;

	rc = cfg_addr(p, "lb", o, "ipv4_src", false, SH_AF_INET, &lb->src4, &fam);
	if (rc)
		return rc;
	lb->has_src4 = fam == SH_AF_INET;
	rc = cfg_addr(p, "lb", o, "ipv6_src", false, SH_AF_INET6, &lb->src6, &fam);
	if (rc)
		return rc;
	lb->has_src6 = fam == SH_AF_INET6;

	rc = cfg_string(p, "lb", o, "gateway_mac", true, "a MAC address \"aa:bb:cc:dd:ee:ff\"",
			&s);
	if (rc)
		return rc;
	if (cfg_parse_mac(s, lb->gateway_mac))
		return cfg_fail(p, "lb", "gateway_mac", json_object_get(o, "gateway_mac"),
				"must be a MAC address \"aa:bb:cc:dd:ee:ff\"");

	lb->hash_key[0] = SH_CFG_DEFAULT_HASH_KEY_HI;
	lb->hash_key[1] = SH_CFG_DEFAULT_HASH_KEY_LO;
	rc = cfg_string(p, "lb", o, "hash_key", false, "32 hex digits", &s);
	if (rc)
		return rc;
	if (s && cfg_parse_hash_key(s, lb->hash_key))
		return cfg_fail(p, "lb", "hash_key", json_object_get(o, "hash_key"),
				"must be 32 hex digits");
	return 0;
}

static int cfg_parse_lb(struct cfg_parse *p, json_t *o)
{
	struct sh_lb *lb = &p->cfg->lb;
	json_t *ring = json_object_get(o, "ring_size");
	json_int_t v;
	int rc;

	rc = cfg_object(p, "", "lb", o, cfg_lb_keys);
	if (rc)
		return rc;
	rc = cfg_parse_lb_strings(p, o);
	if (rc)
		return rc;

	lb->ring_size = SH_CFG_DEFAULT_RING_SIZE;
	if (ring) {
		if (!json_is_integer(ring) || json_integer_value(ring) < SH_CFG_MIN_RING_SIZE ||
		    json_integer_value(ring) > SH_MAX_RING_SIZE ||
		    !cfg_is_prime(json_integer_value(ring)))
			return cfg_fail(p, "lb", "ring_size", ring,
					"must be a prime integer %d..%d", SH_CFG_MIN_RING_SIZE,
					SH_MAX_RING_SIZE);
		lb->ring_size = (__u32)json_integer_value(ring);
	}

	rc = cfg_int(p, "lb", o, "conntrack_size", SH_CFG_MIN_CONNTRACK_SIZE,
		     SH_CFG_MAX_CONNTRACK_SIZE, SH_CFG_DEFAULT_CONNTRACK_SIZE, &v);
	if (rc)
		return rc;
	p->cfg->conntrack_size = (__u32)v;
	rc = cfg_int(p, "lb", o, "mtu", SH_CFG_MIN_MTU, SH_CFG_MAX_MTU, SH_CFG_DEFAULT_MTU, &v);
	if (rc)
		return rc;
	lb->mtu = (__u16)v;
	rc = cfg_int(p, "lb", o, "gue_port", 1, 65535, SH_CFG_DEFAULT_GUE_PORT, &v);
	if (rc)
		return rc;
	lb->gue_port = (__u16)v;
	rc = cfg_int(p, "lb", o, "udp_timeout_ms", 1, SH_CFG_MAX_UDP_TIMEOUT_MS,
		     SH_CFG_DEFAULT_UDP_TIMEOUT_MS, &v);
	if (rc)
		return rc;
	lb->udp_timeout_ms = (__u32)v;
	return 0;
}

/* ---- reals ---------------------------------------------------------------- */

static __u32 cfg_addr_hash(const struct sh_addr *a, __u8 family)
{
	__u32 h = family;

	for (int i = 0; i < 4; i++) {
		h = (h ^ a->w[i]) * 0x9e3779b1u;
		h ^= h >> 16;
	}
	return h;
}

/* The slot holding (addr, family), or the empty slot where it would go. */
static struct cfg_seen_real *cfg_seen_slot(struct cfg_parse *p, const struct sh_addr *a,
					   __u8 family)
{
	__u32 i = cfg_addr_hash(a, family);

	for (;; i++) {
		struct cfg_seen_real *e = &p->seen[i & (CFG_SEEN_SLOTS - 1)];

		if (e->family == SH_AF_NONE ||
		    (e->family == family && !memcmp(&e->addr, a, sizeof(*a))))
			return e;
	}
}

static struct cfg_seen_id *cfg_id_slot(struct cfg_parse *p, __u32 id)
{
	__u32 i = id * 0x9e3779b1u;

	for (;; i++) {
		struct cfg_seen_id *e = &p->ids[i & (CFG_SEEN_SLOTS - 1)];

		if (!e->id || e->id == id)
			return e;
	}
}

/*
 * Checks that need every real seen so far: a duplicate within the VIP, the
 * number of distinct addresses, and server_id <-> address being one to one.
 * A conflict is reported at the later of the two reals, or at the edited one
 * (sh_config_load_edit) when it is one of them: the rest of the config was
 * valid before the edit.
 */
static int cfg_check_real_global(struct cfg_parse *p, const char *obj, json_t *o, __u32 vi,
				 __u32 ri, const struct sh_cfg_real *r)
{
	struct cfg_seen_real *e = cfg_seen_slot(p, &r->addr, r->family);
	char buf[SH_ADDR_STRLEN], ed_obj[CFG_PATH_LEN];
	const struct cfg_seen_real *owner;
	struct cfg_seen_id *id;

	snprintf(ed_obj, sizeof(ed_obj), "vips[%u].reals[%u]", p->ed_vi, p->ed_ri);
	if (e->family == SH_AF_NONE) {
		if (p->n_seen == SH_MAX_REALS)
			return cfg_fail(p, p->ed_new ? ed_obj : obj, "address",
					json_object_get(p->ed_new ? p->edited : o, "address"),
					"more than %d distinct real addresses in the config",
					SH_MAX_REALS);
		p->n_seen++;
		p->ed_new |= o == p->edited;
		e->addr = r->addr;
		e->family = r->family;
	} else if (e->last_vip == vi) {
		return cfg_fail(p, obj, "address", json_object_get(o, "address"),
				"duplicate of vips[%u].reals[%u]", vi, e->last_real);
	}
	e->last_vip = vi;
	e->last_real = ri;

	if (!r->server_id || e->server_id == r->server_id)
		return 0;
	if (e->server_id && p->ed_seen && e->id_vip == p->ed_vi && e->id_real == p->ed_ri)
		return cfg_fail(p, ed_obj, "server_id", json_object_get(p->edited, "server_id"),
				"%s already has server_id %u at vips[%u].reals[%u]",
				sh_addr_str(&e->addr, e->family, buf), r->server_id, vi, ri);
	if (e->server_id)
		return cfg_fail(p, obj, "server_id", json_object_get(o, "server_id"),
				"%s already has server_id %u at vips[%u].reals[%u]",
				sh_addr_str(&e->addr, e->family, buf), e->server_id, e->id_vip,
				e->id_real);
	id = cfg_id_slot(p, r->server_id);
	owner = id->id ? &p->seen[id->slot] : NULL;
	if (owner && p->ed_seen && owner->id_vip == p->ed_vi && owner->id_real == p->ed_ri)
		return cfg_fail(p, ed_obj, "server_id", json_object_get(p->edited, "server_id"),
				"already used by %s at vips[%u].reals[%u]",
				sh_addr_str(&r->addr, r->family, buf), vi, ri);
	if (owner)
		return cfg_fail(p, obj, "server_id", json_object_get(o, "server_id"),
				"already used by %s at vips[%u].reals[%u]",
				sh_addr_str(&owner->addr, owner->family, buf), owner->id_vip,
				owner->id_real);
	id->id = r->server_id;
	id->slot = (__u32)(e - p->seen);
	e->server_id = r->server_id;
	e->id_vip = vi;
	e->id_real = ri;
	return 0;
}

static int cfg_parse_real(struct cfg_parse *p, __u32 vi, __u32 ri, json_t *o,
			  struct sh_cfg_real *r)
{
	const struct sh_lb *lb = &p->cfg->lb;
	char obj[CFG_PATH_LEN];
	json_int_t v;
	int rc;

	snprintf(obj, sizeof(obj), "vips[%u].reals[%u]", vi, ri);
	if (!json_is_object(o))
		return cfg_fail(p, obj, NULL, o, "must be an object");
	if (o == p->edited) {
		p->ed_seen = true;
		p->ed_vi = vi;
		p->ed_ri = ri;
	}
	rc = cfg_check_keys(p, obj, o, cfg_real_keys);
	if (rc)
		return rc;

	rc = cfg_addr(p, obj, o, "address", true, SH_AF_NONE, &r->addr, &r->family);
	if (rc)
		return rc;
	/* The outer (tunnel) source has the family of the real. */
	if (r->family == SH_AF_INET && !lb->has_src4)
		return cfg_fail(p, obj, "address", json_object_get(o, "address"),
				"an IPv4 real needs lb.ipv4_src");
	if (r->family == SH_AF_INET6 && !lb->has_src6)
		return cfg_fail(p, obj, "address", json_object_get(o, "address"),
				"an IPv6 real needs lb.ipv6_src");

	rc = cfg_int(p, obj, o, "weight", 0, 65535, 1, &v);
	if (rc)
		return rc;
	r->weight = (__u32)v;
	rc = cfg_int(p, obj, o, "server_id", 1, 0xffffffffLL, 0, &v);
	if (rc)
		return rc;
	r->server_id = (__u32)v;
	return cfg_check_real_global(p, obj, o, vi, ri, r);
}

static int cfg_parse_reals(struct cfg_parse *p, const char *obj, __u32 vi, json_t *o,
			   struct sh_cfg_vip *vip)
{
	json_t *reals = json_object_get(o, "reals");
	size_t n;

	if (!reals)
		return 0;
	if (!json_is_array(reals))
		return cfg_fail(p, obj, "reals", reals, "must be an array of real objects");
	n = json_array_size(reals);
	if (!n)
		return 0;
	vip->reals = calloc(n, sizeof(*vip->reals));
	if (!vip->reals)
		return cfg_nomem(p);
	vip->n_reals = n;
	for (size_t i = 0; i < n; i++) {
		int rc = cfg_parse_real(p, vi, (__u32)i, json_array_get(reals, i), &vip->reals[i]);

		if (rc)
			return rc;
	}
	return 0;
}

/* ---- vips ----------------------------------------------------------------- */

static int cfg_parse_flags(struct cfg_parse *p, const char *obj, json_t *o, __u16 *flags)
{
	json_t *arr = json_object_get(o, "flags"), *v;
	char what[96], key[32];
	size_t i;

	*flags = 0;
	if (!arr)
		return 0;
	cfg_join(what, sizeof(what), cfg_flag_names, true);
	if (!json_is_array(arr))
		return cfg_fail(p, obj, "flags", arr, "must be an array of flag names (%s)", what);
	json_array_foreach(arr, i, v) {
		const char *name = json_is_string(v) ? json_string_value(v) : "";
		int f = cfg_find_name(cfg_flag_names, name);

		snprintf(key, sizeof(key), "flags[%zu]", i);
		if (f < 0)
			return cfg_fail(p, obj, key, v, "must be %s", what);
		if (*flags & cfg_flag_values[f])
			return cfg_fail(p, obj, key, v, "flag is listed twice");
		*flags |= (__u16)cfg_flag_values[f];
	}
	if ((*flags & SH_VIP_F_NO_SPORT) && (*flags & SH_VIP_F_DPORT_HASH))
		return cfg_fail(p, obj, "flags", arr,
				"\"no_sport\" and \"dport_hash\" cannot be combined");
	return 0;
}

/* "198.18.100.1:80/tcp", "[2001:db8::1]:80/udp" */
static const char *cfg_vip_str(const struct sh_cfg_vip *v, char *buf, size_t len)
{
	char a[SH_ADDR_STRLEN];

	sh_addr_str(&v->addr, v->family, a);
	snprintf(buf, len, v->family == SH_AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s", a, v->port,
		 v->proto == IPPROTO_TCP ? "tcp" : "udp");
	return buf;
}

static int cfg_check_vip_unique(struct cfg_parse *p, const char *obj, __u32 vi)
{
	const struct sh_cfg_vip *v = &p->cfg->vips[vi];
	char buf[SH_ADDR_STRLEN + 16];

	for (__u32 i = 0; i < vi; i++) {
		const struct sh_cfg_vip *u = &p->cfg->vips[i];

		if (u->family == v->family && u->port == v->port && u->proto == v->proto &&
		    !memcmp(&u->addr, &v->addr, sizeof(u->addr)))
			return cfg_fail(p, obj, NULL, NULL,
					"same address, port and protocol as vips[%u] (got %s)", i,
					cfg_vip_str(v, buf, sizeof(buf)));
	}
	return 0;
}

static int cfg_parse_vip(struct cfg_parse *p, __u32 vi, json_t *o)
{
	struct sh_cfg_vip *vip = &p->cfg->vips[vi];
	char obj[CFG_PATH_LEN];
	json_int_t port;
	int rc, v;

	snprintf(obj, sizeof(obj), "vips[%u]", vi);
	if (!json_is_object(o))
		return cfg_fail(p, obj, NULL, o, "must be an object");
	rc = cfg_check_keys(p, obj, o, cfg_vip_keys);
	if (rc)
		return rc;

	rc = cfg_addr(p, obj, o, "address", true, SH_AF_NONE, &vip->addr, &vip->family);
	if (rc)
		return rc;
	rc = cfg_int(p, obj, o, "port", 0, 65535, 0, &port);
	if (rc)
		return rc;
	vip->port = (__u16)port;
	rc = cfg_enum(p, obj, o, "protocol", true, cfg_proto_names, cfg_proto_values, 0, &v);
	if (rc)
		return rc;
	vip->proto = (__u8)v;
	rc = cfg_enum(p, obj, o, "encap", false, cfg_encap_names, cfg_encap_values,
		      SH_ENCAP_IPIP, &v);
	if (rc)
		return rc;
	vip->encap = (__u8)v;
	rc = cfg_enum(p, obj, o, "hash", false, cfg_hash_names, cfg_hash_values, SH_HASH_MAGLEV,
		      &v);
	if (rc)
		return rc;
	vip->hash = (__u8)v;
	rc = cfg_parse_flags(p, obj, o, &vip->flags);
	if (rc)
		return rc;
	rc = cfg_check_vip_unique(p, obj, vi);
	if (rc)
		return rc;
	return cfg_parse_reals(p, obj, vi, o, vip);
}

static int cfg_parse_vips(struct cfg_parse *p, json_t *arr)
{
	size_t n;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return cfg_fail(p, "", "vips", arr, "must be an array of VIP objects");
	n = json_array_size(arr);
	if (n > SH_MAX_VIPS)
		return cfg_fail(p, "", "vips", NULL, "at most %d VIPs are allowed (got %zu)",
				SH_MAX_VIPS, n);
	if (!n)
		return 0;
	p->cfg->vips = calloc(n, sizeof(*p->cfg->vips));
	if (!p->cfg->vips)
		return cfg_nomem(p);
	p->cfg->n_vips = n;
	for (size_t i = 0; i < n; i++) {
		int rc = cfg_parse_vip(p, (__u32)i, json_array_get(arr, i));

		if (rc)
			return rc;
	}
	return 0;
}

/* ---- entry points --------------------------------------------------------- */

static int cfg_parse_root(struct cfg_parse *p, json_t *root)
{
	int rc;

	if (!json_is_object(root))
		return cfg_fail(p, "", NULL, root,
				"must be an object with keys \"lb\" and \"vips\"");
	rc = cfg_check_keys(p, "", root, cfg_root_keys);
	if (rc)
		return rc;
	rc = cfg_parse_lb(p, json_object_get(root, "lb"));
	if (rc)
		return rc;
	return cfg_parse_vips(p, json_object_get(root, "vips"));
}

/* Validate a decoded document into *out (zeroed on failure). */
static int cfg_load_json(json_t *root, const json_t *edited, const char *origin,
			 struct sh_config *out, char *err, size_t err_len)
{
	struct sh_config cfg;
	struct cfg_parse p = {
		.origin = origin,
		.err = err,
		.err_len = err_len,
		.cfg = &cfg,
		.edited = edited,
	};
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	p.seen = calloc(CFG_SEEN_SLOTS, sizeof(*p.seen));
	p.ids = calloc(CFG_SEEN_SLOTS, sizeof(*p.ids));
	rc = p.seen && p.ids ? cfg_parse_root(&p, root) : cfg_nomem(&p);
	free(p.seen);
	free(p.ids);
	if (rc) {
		sh_config_free(&cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* Flags for every decode: a key given twice is an error, not "the last one wins". */
#define CFG_JSON_FLAGS JSON_REJECT_DUPLICATES

static int cfg_syntax_error(const char *origin, const json_error_t *je, char *err,
			    size_t err_len)
{
	if (json_error_code(je) == json_error_out_of_memory) {
		if (err && err_len)
			snprintf(err, err_len, "%s: out of memory", origin);
		return -ENOMEM;
	}
	if (err && err_len) {
		/*
		 * jansson quotes the input near the error as it is: a control
		 * character, or a byte of a UTF-8 sequence it cut, would split the
		 * one-line error or reach the operator's terminal. Each becomes '?'.
		 */
		char text[sizeof(je->text)];

		for (size_t i = 0; i < sizeof(text); i++)
			text[i] = je->text[i] && ((unsigned char)je->text[i] < 0x20 ||
						  (unsigned char)je->text[i] >= 0x7f) ?
					  '?' :
					  je->text[i];
		text[sizeof(text) - 1] = '\0';
		snprintf(err, err_len, "%s: line %d, column %d: %s", origin, je->line, je->column,
			 text);
	}
	return -EINVAL;
}

int sh_config_load_string(const char *json, const char *origin, struct sh_config *out,
			  char *err, size_t err_len)
{
	json_error_t je;
	json_t *root;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	if (!origin)
		origin = "(config)";
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!json) {
		if (err && err_len)
			snprintf(err, err_len, "%s: no config text", origin);
		return -EINVAL;
	}
	root = json_loads(json, CFG_JSON_FLAGS, &je);
	if (!root)
		return cfg_syntax_error(origin, &je, err, err_len);
	rc = cfg_load_json(root, NULL, origin, out, err, err_len);
	json_decref(root);
	return rc;
}

/* Read the whole file into a malloc'ed buffer. */
static int cfg_read_file(const char *path, char **buf, size_t *len, char *err, size_t err_len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *b = NULL;
	int rc = 0;

	if (!f) {
		rc = -errno;
		if (err && err_len)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb = realloc(b, cap ? 2 * cap : 65536);

			if (!nb) {
				rc = -ENOMEM;
				if (err && err_len)
					snprintf(err, err_len, "%s: out of memory", path);
				break;
			}
			b = nb;
			cap = cap ? 2 * cap : 65536;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got)
			continue;
		if (ferror(f)) {
			rc = errno ? -errno : -EIO;
			if (err && err_len)
				snprintf(err, err_len, "%s: cannot read: %s", path, strerror(-rc));
		}
		break;
	}
	fclose(f);
	if (rc) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

int sh_config_read_json(const char *path, json_t **root, char *err, size_t err_len)
{
	json_error_t je;
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	*root = NULL;
	if (!path) {
		if (err && err_len)
			snprintf(err, err_len, "(config): no file name");
		return -EINVAL;
	}
	rc = cfg_read_file(path, &buf, &len, err, err_len);
	if (rc)
		return rc;
	*root = json_loadb(buf, len, CFG_JSON_FLAGS, &je);
	free(buf);
	return *root ? 0 : cfg_syntax_error(path, &je, err, err_len);
}

int sh_config_load_edit(json_t *root, const json_t *edited, const char *origin,
			struct sh_config *out, char *err, size_t err_len)
{
	if (err && err_len)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return cfg_load_json(root, edited, origin ? origin : "(config)", out, err, err_len);
}

int sh_config_load_json(json_t *root, const char *origin, struct sh_config *out, char *err,
			size_t err_len)
{
	return sh_config_load_edit(root, NULL, origin, out, err, err_len);
}

int sh_config_load_file(const char *path, struct sh_config *out, char *err, size_t err_len)
{
	json_t *root;
	int rc;

	if (err && err_len)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = sh_config_read_json(path, &root, err, err_len);
	if (rc)
		return rc;
	rc = cfg_load_json(root, NULL, path, out, err, err_len);
	json_decref(root);
	return rc;
}

void sh_config_free(struct sh_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_vips; i++)
		free(cfg->vips[i].reals);
	free(cfg->vips);
	memset(cfg, 0, sizeof(*cfg));
}
