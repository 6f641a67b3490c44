// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <netinet/in.h>
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

struct vip_spec {
	struct sh_addr addr;
	__u8 family;
	__u16 port;
	const char *proto; /* "tcp" or "udp" */
};

static int vip_spec_parse(const char *s, struct vip_spec *v, char *err, size_t err_len)
{
	char buf[128], *slash, *colon, *addr = buf, *end;
	unsigned long port;

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
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		goto bad;
	v->port = (__u16)port;
	if (*addr == '[') {
		size_t n = strlen(addr);

		if (n < 2 || addr[n - 1] != ']')
			goto bad;
		addr[n - 1] = '\0';
		addr++;
	}
	if (sh_addr_parse(addr, &v->addr, &v->family) == 0)
		return 0;
bad:
	snprintf(err, err_len, "vip \"%s\": expected ADDR:PORT/tcp|udp (IPv6 as [ADDR]:PORT/...)",
		 s ? s : "");
	return -EINVAL;
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

static json_t *json_real_find(json_t *vip, const char *real, size_t *index, char *err,
			      size_t err_len)
{
	struct sh_addr a;
	json_t *r;
	__u8 family;
	size_t i;

	if (sh_addr_parse(real, &a, &family)) {
		snprintf(err, err_len, "real \"%s\": not an IPv4 or IPv6 address", real ? real : "");
		return NULL;
	}
	json_array_foreach(json_object_get(vip, "reals"), i, r) {
		if (json_addr_eq(r, &a, family)) {
			if (index)
				*index = i;
			return r;
		}
	}
	return NULL;
}

int sh_ctl_apply(struct sh_ctl *c, json_t *cfg_json, const char *origin, char *err,
		 size_t err_len)
{
	struct sh_tables *t = NULL;
	struct sh_config cfg;
	json_t *copy;
	int rc;

	rc = sh_config_load_json(cfg_json, origin, &cfg, err, err_len);
	if (rc)
		return rc;
	rc = sh_tables_build(&cfg, c->tables, &t, err, err_len);
	if (!rc)
		rc = c->ops->apply(c->be, t, c->tables, err, err_len);
	copy = rc ? NULL : json_deep_copy(cfg_json);
	if (!rc && !copy) {
		/* Applied but cannot be remembered: put the running tables back. */
		rc = -ENOMEM;
		c->ops->apply(c->be, c->tables, t, err, err_len);
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
	o.ring_size = c->cfg.lb.ring_size;
	o.conntrack_size = c->cfg.conntrack_size;
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

/* Apply an edited copy of the running config, then drop the copy. */
static int edit_apply(struct sh_ctl *c, json_t *copy, const char *what, char *err, size_t err_len)
{
	int rc = sh_ctl_apply(c, copy, what, err, err_len);

	json_decref(copy);
	return rc;
}

int sh_ctl_vip_add(struct sh_ctl *c, json_t *vip, char *err, size_t err_len)
{
	json_t *copy = json_deep_copy(c->cfg_json), *vips;

	if (!copy || !json_is_object(vip)) {
		json_decref(copy);
		snprintf(err, err_len, "vip-add: %s", copy ? "the vip must be an object" : "no memory");
		return copy ? -EINVAL : -ENOMEM;
	}
	vips = json_object_get(copy, "vips");
	if (!vips) {
		vips = json_array();
		json_object_set_new(copy, "vips", vips);
	}
	json_array_append_new(vips, json_deep_copy(vip));
	return edit_apply(c, copy, "vip-add", err, err_len);
}

int sh_ctl_vip_del(struct sh_ctl *c, const char *vip, char *err, size_t err_len)
{
	struct vip_spec v;
	json_t *copy;
	size_t i;
	int rc = vip_spec_parse(vip, &v, err, err_len);

	if (rc)
		return rc;
	copy = json_deep_copy(c->cfg_json);
	if (!json_vip_find(copy, &v, &i)) {
		json_decref(copy);
		snprintf(err, err_len, "vip %s: no such VIP", vip);
		return -ENOENT;
	}
	json_array_remove(json_object_get(copy, "vips"), i);
	return edit_apply(c, copy, "vip-del", err, err_len);
}

/* A copy of the running config and, in it, the VIP named vip. */
static json_t *copy_with_vip(struct sh_ctl *c, const char *vip, json_t **vip_obj, int *rc,
			     char *err, size_t err_len)
{
	struct vip_spec v;
	json_t *copy;

	*rc = vip_spec_parse(vip, &v, err, err_len);
	if (*rc)
		return NULL;
	copy = json_deep_copy(c->cfg_json);
	*vip_obj = copy ? json_vip_find(copy, &v, NULL) : NULL;
	if (!*vip_obj) {
		*rc = copy ? -ENOENT : -ENOMEM;
		snprintf(err, err_len, "vip %s: %s", vip, copy ? "no such VIP" : "no memory");
		json_decref(copy);
		return NULL;
	}
	return copy;
}

int sh_ctl_real_add(struct sh_ctl *c, const char *vip, json_t *real, char *err, size_t err_len)
{
	json_t *v, *reals, *copy;
	int rc;

	if (!json_is_object(real)) {
		snprintf(err, err_len, "real-add: the real must be an object");
		return -EINVAL;
	}
	copy = copy_with_vip(c, vip, &v, &rc, err, err_len);
	if (!copy)
		return rc;
	reals = json_object_get(v, "reals");
	if (!reals) {
		reals = json_array();
		json_object_set_new(v, "reals", reals);
	}
	json_array_append_new(reals, json_deep_copy(real));
	return edit_apply(c, copy, "real-add", err, err_len);
}

int sh_ctl_real_del(struct sh_ctl *c, const char *vip, const char *real, char *err,
		    size_t err_len)
{
	json_t *v, *copy;
	size_t i;
	int rc;

	copy = copy_with_vip(c, vip, &v, &rc, err, err_len);
	if (!copy)
		return rc;
	err[0] = '\0';
	if (!json_real_find(v, real, &i, err, err_len)) {
		json_decref(copy);
		if (!err[0])
			snprintf(err, err_len, "vip %s: real %s: not one of its reals", vip, real);
		return -ENOENT;
	}
	json_array_remove(json_object_get(v, "reals"), i);
	return edit_apply(c, copy, "real-del", err, err_len);
}

int sh_ctl_real_weight(struct sh_ctl *c, const char *vip, const char *real, json_int_t weight,
		       char *err, size_t err_len)
{
	json_t *v, *r, *copy;
	int rc;

	copy = copy_with_vip(c, vip, &v, &rc, err, err_len);
	if (!copy)
		return rc;
	err[0] = '\0';
	r = json_real_find(v, real, NULL, err, err_len);
	if (!r) {
		json_decref(copy);
		if (!err[0])
			snprintf(err, err_len, "vip %s: real %s: not one of its reals", vip, real);
		return -ENOENT;
	}
	json_object_set_new(r, "weight", json_integer(weight));
	return edit_apply(c, copy, "real-weight", err, err_len);
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
