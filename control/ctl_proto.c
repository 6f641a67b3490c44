// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_proto.h"

static json_t *fail(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *done(int rc, const char *err)
{
	return rc ? fail(err) : json_pack("{s:b}", "ok", 1);
}

/* A required string argument, or NULL with err naming it. */
static const char *arg_str(json_t *req, const char *cmd, const char *key, char *err, size_t len)
{
	const char *s = json_string_value(json_object_get(req, key));

	if (!s)
		snprintf(err, len, "%s: \"%s\" is required and must be a string", cmd, key);
	return s;
}

json_t *sh_ctl_handle(struct sh_ctl *c, const char *line, size_t len)
{
	char err[SH_CTL_ERR_LEN] = "";
	json_error_t je;
	json_t *req, *resp = NULL, *arg;
	const char *cmd, *vip, *real;
	int rc = -EINVAL;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!req || !json_is_object(req)) {
		snprintf(err, sizeof(err), "request: not a JSON object%s%s", req ? "" : ": ",
			 req ? "" : je.text);
		json_decref(req);
		return fail(err);
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		resp = fail("request: \"cmd\" is required and must be a string");
	} else if (!strcmp(cmd, "show")) {
		resp = json_pack("{s:b, s:O}", "ok", 1, "config", c->cfg_json);
	} else if (!strcmp(cmd, "stats")) {
		json_t *s = sh_ctl_stats(c, err, sizeof(err));

		resp = s ? json_pack("{s:b, s:o}", "ok", 1, "stats", s) : fail(err);
	} else if (!strcmp(cmd, "reload")) {
		resp = done(sh_ctl_reload(c, err, sizeof(err)), err);
	} else if (!strcmp(cmd, "vip-add")) {
		arg = json_object_get(req, "vip");
		if (!json_is_object(arg))
			resp = fail("vip-add: \"vip\" is required and must be an object");
		else
			resp = done(sh_ctl_vip_add(c, arg, err, sizeof(err)), err);
	} else if (!strcmp(cmd, "vip-del")) {
		vip = arg_str(req, cmd, "vip", err, sizeof(err));
		resp = done(vip ? sh_ctl_vip_del(c, vip, err, sizeof(err)) : rc, err);
	} else if (!strcmp(cmd, "real-add")) {
		vip = arg_str(req, cmd, "vip", err, sizeof(err));
		arg = json_object_get(req, "real");
		if (vip && !json_is_object(arg))
			resp = fail("real-add: \"real\" is required and must be an object");
		else
			resp = done(vip ? sh_ctl_real_add(c, vip, arg, err, sizeof(err)) : rc, err);
	} else if (!strcmp(cmd, "real-del") || !strcmp(cmd, "real-weight")) {
		vip = arg_str(req, cmd, "vip", err, sizeof(err));
		real = vip ? arg_str(req, cmd, "real", err, sizeof(err)) : NULL;
		arg = json_object_get(req, "weight");
		if (real && !strcmp(cmd, "real-del"))
			rc = sh_ctl_real_del(c, vip, real, err, sizeof(err));
		else if (real && !json_is_integer(arg))
			snprintf(err, sizeof(err), "real-weight: \"weight\" is required and must be an integer");
		else if (real)
			rc = sh_ctl_real_weight(c, vip, real, json_integer_value(arg), err,
						sizeof(err));
		resp = done(rc, err);
	} else {
		snprintf(err, sizeof(err),
			 "request: unknown cmd \"%.64s\" (show, stats, reload, vip-add, vip-del, "
			 "real-add, real-del, real-weight)", cmd);
		resp = fail(err);
	}
	json_decref(req);
	return resp ? resp : fail("out of memory");
}
