// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters_names.h"
#include "ctl.h"

/* "198.18.100.1:80/tcp", "[2001:db8::1]:53/udp" */
static void vip_name(const struct sh_cfg_vip *v, char *buf, size_t len)
{
	char addr[SH_ADDR_STRLEN];

	sh_addr_str(&v->addr, v->family, addr);
	snprintf(buf, len, v->family == SH_AF_INET6 ? "[%s]:%u/%s" : "%s:%u/%s", addr, v->port,
		 v->proto == IPPROTO_UDP ? "udp" : "tcp");
}

const char *sh_ctl_render(const json_t *v, char *buf, size_t len)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;

	if (!s)
		snprintf(buf, len, "?");
	else if (strlen(s) < len)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.*s...", (int)(len - 4), s);
	free(s);
	return buf;
}

/* A C string as sh_ctl_render shows it: quoted, escaped, cut. */
static const char *render_str(const char *s, char *buf, size_t len)
{
	json_t *v = json_string_nocheck(s ? s : "");

	sh_ctl_render(v, buf, len);
	json_decref(v);
	return buf;
}

/* "<cmd>: <arg>: <what> (got <value>)"; returns rc. */
__attribute__((format(printf, 6, 7)))
static int arg_fail(int rc, char *err, size_t err_len, const char *cmd, const char *arg,
		    const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, err_len, "%s: %s: %s", cmd, arg, what);
	return rc;
}

struct vip_spec {
	struct sh_addr addr;
	__u8 family;
	__u16 port;
	const char *proto; /* "tcp" or "udp" */
};

/* "ADDR:PORT/tcp|udp", IPv6 as "[ADDR]:PORT/tcp|udp"; the port in decimal digits. */
static int vip_spec_parse(const char *cmd, const char *s, struct vip_spec *v, char *err,
			  size_t err_len)
{
	char buf[128], got[64], *slash, *colon, *addr = buf, *port;
	size_t n;

	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strrchr(buf, '/');
	colon = strrchr(buf, ':');
	if (!slash || !colon || colon > slash)
		goto bad;
	*slash = *colon = '\0';
	if (!strcmp(slash + 1, "tcp") || !strcmp(slash + 1, "udp"))
		v->proto = !strcmp(slash + 1, "tcp") ? "tcp" : "udp";
	else
		goto bad;
	port = colon + 1;
	n = strlen(port);
	if (!n || n > 5 || strspn(port, "0123456789") != n || strtoul(port, NULL, 10) > 65535)
		goto bad;
	v->port = (__u16)strtoul(port, NULL, 10);
	n = strlen(addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr[n - 1] = '\0';
		addr++;
		if (sh_addr_parse(addr, &v->addr, &v->family) == 0 && v->family == SH_AF_INET6)
			return 0;
	} else if (sh_addr_parse(addr, &v->addr, &v->family) == 0 && v->family == SH_AF_INET) {
		return 0;
	}
bad:
	return arg_fail(-EINVAL, err, err_len, cmd, "vip",
			"must be ADDR:PORT/tcp or ADDR:PORT/udp, an IPv6 ADDR in brackets (got %s)",
			render_str(s, got, sizeof(got)));
}

static int json_addr_eq(json_t *o, const struct sh_addr *a, __u8 family)
{
	struct sh_addr b;
	__u8 fb;

	return sh_addr_parse(json_string_value(json_object_get(o, "address")), &b, &fb) == 0 &&
	       fb == family && !memcmp(&b, a, sizeof(b));
}

/* The VIP object in a config tree, or NULL. *index receives its position. */
static json_t *json_vip_find(json_t *cfg, const struct vip_spec *v, size_t *index)
{
	json_t *vip;
	size_t i;

	json_array_foreach(json_object_get(cfg, "vips"), i, vip) {
		json_t *port = json_object_get(vip, "port");

		if (json_addr_eq(vip, &v->addr, v->family) &&
		    (port ? json_integer_value(port) : 0) == v->port &&
		    !strcmp(json_string_value(json_object_get(vip, "protocol")), v->proto)) {
			if (index)
				*index = i;
			return vip;
		}
	}
	return NULL;
}

/* The real `real` of the VIP object vip (named vip_name), or NULL with err set. */
static json_t *json_real_find(const char *cmd, json_t *vip, const char *vip_name, const char *real,
			      size_t *index, char *err, size_t err_len)
{
	char got[64];
	struct sh_addr a;
	json_t *r;
	__u8 family;
	size_t i;

	if (sh_addr_parse(real, &a, &family)) {
		arg_fail(-EINVAL, err, err_len, cmd, "real", "must be an IPv4 or IPv6 address (got %s)",
			 render_str(real, got, sizeof(got)));
		return NULL;
	}
	json_array_foreach(json_object_get(vip, "reals"), i, r) {
		if (json_addr_eq(r, &a, family)) {
			if (index)
				*index = i;
			return r;
		}
	}
	arg_fail(-ENOENT, err, err_len, cmd, "real", "not a real of %s (got %s)", vip_name,
		 render_str(real, got, sizeof(got)));
	return NULL;
}

/*
 * Settings the dataplane sized its memory by at start (struct
 * sh_backend_opts): a config that changes them is refused, not half applied.
 */
static int check_fixed(const struct sh_ctl *c, const struct sh_config *cfg, const char *origin,
		       char *err, size_t err_len)
{
	const char *key = NULL;
	__u32 now = 0, got = 0;

	if (cfg->lb.ring_size != c->ring_size)
		key = "ring_size", now = c->ring_size, got = cfg->lb.ring_size;
	else if (cfg->conntrack_size != c->conntrack_size)
		key = "conntrack_size", now = c->conntrack_size, got = cfg->conntrack_size;
	if (!key)
		return 0;
	snprintf(err, err_len,
		 "%s: lb.%s: fixed at %u while shoald runs; a new size needs a cold start "
		 "(shoald --unload, then start) (got %u)",
		 origin, key, now, got);
	return -EINVAL;
}

/* sh_ctl_apply; edited is the real object an edit added (see sh_config_load_edit). */
static int apply(struct sh_ctl *c, json_t *cfg_json, const json_t *edited, const char *origin,
		 char *err, size_t err_len)
{
	char why[SH_CTL_ERR_LEN];
	struct sh_tables *t = NULL;
	struct sh_config cfg;
	json_t *copy;
	int rc;

	rc = sh_config_load_edit(cfg_json, edited, origin, &cfg, err, err_len);
	if (rc)
		return rc;
	rc = check_fixed(c, &cfg, origin, err, err_len);
	if (!rc) {
		/* Tables and backend do not know the origin: it goes in front of their message. */
		why[0] = '\0';
		rc = sh_tables_build(&cfg, c->tables, &t, why, sizeof(why));
		if (!rc)
			rc = c->ops->apply(c->be, t, c->tables, why, sizeof(why));
		if (rc)
			snprintf(err, err_len, "%s: %s", origin, why);
	}
	copy = rc ? NULL : json_deep_copy(cfg_json);
	if (!rc && !copy) {
		/* Applied but cannot be remembered: put the running tables back. */
		rc = -ENOMEM;
		c->ops->apply(c->be, c->tables, t, why, sizeof(why));
		snprintf(err, err_len, "%s: out of memory", origin);
	}
	if (rc) {
		sh_tables_free(t);
		sh_config_free(&cfg);
		return rc;
	}
	sh_tables_free(c->tables);
	sh_config_free(&c->cfg);
	json_decref(c->cfg_json);
	c->tables = t;
	c->cfg = cfg;
	c->cfg_json = copy;
	return 0;
}

int sh_ctl_apply(struct sh_ctl *c, json_t *cfg_json, const char *origin, char *err,
		 size_t err_len)
{
	return apply(c, cfg_json, NULL, origin, err, err_len);
}

int sh_ctl_reload(struct sh_ctl *c, char *err, size_t err_len)
{
	json_t *root;
	int rc = sh_config_read_json(c->config_path, &root, err, err_len);

	if (rc)
		return rc;
	rc = sh_ctl_apply(c, root, c->config_path, err, err_len);
	json_decref(root);
	return rc;
}

int sh_ctl_start(struct sh_ctl *c, const struct sh_backend_ops *ops,
		 const struct sh_backend_opts *opts, const char *config_path, char *err,
		 size_t err_len)
{
	struct sh_backend_opts o = *opts;
	struct sh_tables *recovered = NULL;
	json_t *root = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->config_path = strdup(config_path);
	if (!c->config_path)
		return -ENOMEM;
	rc = sh_config_read_json(config_path, &root, err, err_len);
	if (!rc)
		rc = sh_config_load_json(root, config_path, &c->cfg, err, err_len);
	if (rc)
		goto fail;
	/* Memory the dataplane sizes once: ring and conntrack come from the config. */
	o.ring_size = c->ring_size = c->cfg.lb.ring_size;
	o.conntrack_size = c->conntrack_size = c->cfg.conntrack_size;
	sh_config_free(&c->cfg);
	rc = ops->start(&o, &c->be, &recovered, err, err_len);
	if (rc)
		goto fail;
	c->tables = recovered; /* prev for the first apply: keep what the maps hold */
	rc = sh_ctl_apply(c, root, config_path, err, err_len);
	if (rc) {
		ops->stop(c->be, recovered != NULL);
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	sh_tables_free(c->tables);
	free(c->config_path);
	memset(c, 0, sizeof(*c));
	return rc;
}

void sh_ctl_stop(struct sh_ctl *c, int keep_forwarding)
{
	if (c->be)
		c->ops->stop(c->be, keep_forwarding);
	sh_tables_free(c->tables);
	sh_config_free(&c->cfg);
	json_decref(c->cfg_json);
	free(c->config_path);
	memset(c, 0, sizeof(*c));
}

static int no_memory(const char *cmd, char *err, size_t err_len)
{
	snprintf(err, err_len, "%s: out of memory", cmd);
	return -ENOMEM;
}

/* Apply an edited copy of the running config, then drop the copy. */
static int edit_apply(struct sh_ctl *c, json_t *copy, const json_t *edited, const char *cmd,
		      char *err, size_t err_len)
{
	int rc = apply(c, copy, edited, cmd, err, err_len);

	json_decref(copy);
	return rc;
}

/* A copy of the running config and, in it, the VIP named vip. NULL with err set. */
static json_t *copy_with_vip(struct sh_ctl *c, const char *cmd, const char *vip, json_t **vip_obj,
			     size_t *index, int *rc, char *err, size_t err_len)
{
	char got[64];
	struct vip_spec v;
	json_t *copy;

	*rc = vip_spec_parse(cmd, vip, &v, err, err_len);
	if (*rc)
		return NULL;
	copy = json_deep_copy(c->cfg_json);
	if (!copy) {
		*rc = no_memory(cmd, err, err_len);
		return NULL;
	}
	*vip_obj = json_vip_find(copy, &v, index);
	if (!*vip_obj) {
		*rc = arg_fail(-ENOENT, err, err_len, cmd, "vip", "no such VIP (got %s)",
			       render_str(vip, got, sizeof(got)));
		json_decref(copy);
		return NULL;
	}
	return copy;
}

/* A JSON array under key in o, made when absent. NULL: out of memory. */
static json_t *array_in(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);

	if (!a && json_object_set_new(o, key, json_array()) == 0)
		a = json_object_get(o, key);
	return a;
}

int sh_ctl_vip_add(struct sh_ctl *c, json_t *vip, char *err, size_t err_len)
{
	char got[64];
	json_t *copy, *vips;

	if (!json_is_object(vip))
		return arg_fail(-EINVAL, err, err_len, "vip-add", "vip", "must be an object (got %s)",
				sh_ctl_render(vip, got, sizeof(got)));
	copy = json_deep_copy(c->cfg_json);
	vips = copy ? array_in(copy, "vips") : NULL;
	if (!vips || json_array_append_new(vips, json_deep_copy(vip))) {
		json_decref(copy);
		return no_memory("vip-add", err, err_len);
	}
	return edit_apply(c, copy, NULL, "vip-add", err, err_len);
}

int sh_ctl_vip_del(struct sh_ctl *c, const char *vip, char *err, size_t err_len)
{
	json_t *copy, *v;
	size_t i;
	int rc;

	copy = copy_with_vip(c, "vip-del", vip, &v, &i, &rc, err, err_len);
	if (!copy)
		return rc;
	json_array_remove(json_object_get(copy, "vips"), i);
	return edit_apply(c, copy, NULL, "vip-del", err, err_len);
}

int sh_ctl_real_add(struct sh_ctl *c, const char *vip, json_t *real, char *err, size_t err_len)
{
	char got[64];
	json_t *v, *reals, *copy, *added;
	int rc;

	if (!json_is_object(real))
		return arg_fail(-EINVAL, err, err_len, "real-add", "real", "must be an object (got %s)",
				sh_ctl_render(real, got, sizeof(got)));
	copy = copy_with_vip(c, "real-add", vip, &v, NULL, &rc, err, err_len);
	if (!copy)
		return rc;
	reals = array_in(v, "reals");
	added = json_deep_copy(real);
	if (!reals || json_array_append_new(reals, added)) {
		json_decref(copy);
		return no_memory("real-add", err, err_len);
	}
	/* The rest was valid: a conflict with another real is this one's. */
	return edit_apply(c, copy, added, "real-add", err, err_len);
}

int sh_ctl_real_del(struct sh_ctl *c, const char *vip, const char *real, char *err,
		    size_t err_len)
{
	json_t *v, *copy;
	size_t i;
	int rc;

	copy = copy_with_vip(c, "real-del", vip, &v, NULL, &rc, err, err_len);
	if (!copy)
		return rc;
	if (!json_real_find("real-del", v, vip, real, &i, err, err_len)) {
		json_decref(copy);
		return -ENOENT;
	}
	json_array_remove(json_object_get(v, "reals"), i);
	return edit_apply(c, copy, NULL, "real-del", err, err_len);
}

int sh_ctl_real_weight(struct sh_ctl *c, const char *vip, const char *real, json_int_t weight,
		       char *err, size_t err_len)
{
	json_t *v, *r, *copy;
	int rc;

	copy = copy_with_vip(c, "real-weight", vip, &v, NULL, &rc, err, err_len);
	if (!copy)
		return rc;
	r = json_real_find("real-weight", v, vip, real, NULL, err, err_len);
	if (!r || json_object_set_new(r, "weight", json_integer(weight))) {
		json_decref(copy);
		return r ? no_memory("real-weight", err, err_len) : -ENOENT;
	}
	return edit_apply(c, copy, NULL, "real-weight", err, err_len);
}

json_t *sh_ctl_backend(struct sh_ctl *c)
{
	struct sh_backend_info info = { 0 };

	if (c->ops->describe)
		c->ops->describe(c->be, &info);
	return json_pack("{s:s, s:i, s:s}", "name", c->ops->name, "queues", (int)info.queues,
			 "mode", info.mode);
}

json_t *sh_ctl_stats(struct sh_ctl *c, char *err, size_t err_len)
{
	struct sh_stats *s = calloc(1, sizeof(*s));
	json_t *out, *counters, *vips;
	char name[SH_ADDR_STRLEN + 16], addr[SH_ADDR_STRLEN];
	int rc;

	if (!s) {
		snprintf(err, err_len, "stats: no memory");
		return NULL;
	}
	rc = c->ops->read_stats(c->be, s);
	if (rc) {
		snprintf(err, err_len, "stats: reading counters: %s", strerror(-rc));
		free(s);
		return NULL;
	}
	out = json_object();
	counters = json_object();
	vips = json_array();
	for (int i = 0; i < SH_CTR_COUNT; i++)
		json_object_set_new(counters, sh_ctr_key(i), json_integer((json_int_t)s->ctr[i]));
	for (size_t i = 0; i < c->cfg.n_vips; i++) {
		const struct sh_cfg_vip *v = &c->cfg.vips[i];
		const struct sh_counter *vc = &s->vip[c->tables->vip_id[i]];
		json_t *reals = json_array();

		for (size_t j = 0; j < v->n_reals; j++) {
			const struct sh_cfg_real *r = &v->reals[j];
			__u32 idx = sh_tables_real_find(c->tables, &r->addr, r->family);

			json_array_append_new(reals, json_pack("{s:s, s:i, s:I, s:I}", "address",
							       sh_addr_str(&r->addr, r->family, addr),
							       "weight", (int)r->weight, "packets",
							       (json_int_t)s->real[idx].packets, "bytes",
							       (json_int_t)s->real[idx].bytes));
		}
		vip_name(v, name, sizeof(name));
		json_array_append_new(vips, json_pack("{s:s, s:I, s:I, s:o}", "vip", name, "packets",
						      (json_int_t)vc->packets, "bytes",
						      (json_int_t)vc->bytes, "reals", reals));
	}
	json_object_set_new(out, "counters", counters);
	json_object_set_new(out, "vips", vips);
	free(s);
	return out;
}
