// SPDX-License-Identifier: BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

enum arg_type { ARG_STRING, ARG_OBJECT, ARG_INTEGER };

struct cmd_arg {
	const char *name;
	enum arg_type type;
	const char *what; /* "must be <what>" */
};

#define ARG_VIP { "vip", ARG_STRING, "a string \"ADDR:PORT/tcp|udp\"" }
#define ARG_REAL { "real", ARG_STRING, "a string, the real's address" }
#define MAX_ARGS 3

/* Every command and its arguments, all required; any other key is refused. */
static const struct ctl_cmd {
	const char *name;
	struct cmd_arg args[MAX_ARGS + 1];
} cmds[] = {
	{ "show", { { 0 } } },
	{ "stats", { { 0 } } },
	{ "reload", { { 0 } } },
	{ "vip-add", { { "vip", ARG_OBJECT, "an object, a VIP as in the config" }, { 0 } } },
	{ "vip-del", { ARG_VIP, { 0 } } },
	{ "real-add", { ARG_VIP, { "real", ARG_OBJECT, "an object, a real as in the config" }, { 0 } } },
	{ "real-del", { ARG_VIP, ARG_REAL, { 0 } } },
	{ "real-weight", { ARG_VIP, ARG_REAL, { "weight", ARG_INTEGER, "an integer" }, { 0 } } },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/*
 * {"ok": false, "error": msg}. The message is made one printable line first:
 * it may quote a parser's text of the request.
 */
static json_t *fail(const char *msg)
{
	char line[SH_CTL_ERR_LEN];
	size_t i;

	for (i = 0; msg[i] && i < sizeof(line) - 1; i++)
		line[i] = (unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f ? '?' : msg[i];
	line[i] = '\0';
	return json_pack("{s:b, s:s}", "ok", 0, "error", line);
}

static json_t *done(int rc, const char *err)
{
	return rc ? fail(err) : json_pack("{s:b}", "ok", 1);
}

/* "a, b or c" of the command's keys (cmd first), or of every command's name. */
static void join(char *buf, size_t len, const struct ctl_cmd *cmd)
{
	size_t n = cmd ? 1 : N_CMDS, used = 0;

	while (cmd && cmd->args[n - 1].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *name = !cmd ? cmds[i].name : i ? cmd->args[i - 1].name : "cmd";
		int w = snprintf(buf + used, len - used, "%s%s", !i ? "" : i + 1 < n ? ", " : " or ",
				 name);

		used += w > 0 ? (size_t)w : 0;
	}
}

/* The command req asks for, its arguments checked into args[]; NULL with err set. */
static const struct ctl_cmd *parse(json_t *req, json_t **args, char *err, size_t len)
{
	char got[64], names[160];
	const struct ctl_cmd *cmd = NULL;
	json_t *v = json_object_get(req, "cmd"), *name;
	const char *key;

	if (!v) {
		snprintf(err, len, "request: cmd: required key is missing");
		return NULL;
	}
	for (size_t i = 0; i < N_CMDS && json_is_string(v); i++)
		if (!strcmp(json_string_value(v), cmds[i].name))
			cmd = &cmds[i];
	if (!cmd) {
		join(names, sizeof(names), NULL);
		snprintf(err, len, "request: cmd: %s, one of %s (got %s)",
			 json_is_string(v) ? "unknown command" : "must be a string", names,
			 sh_ctl_render(v, got, sizeof(got)));
		return NULL;
	}
	json_object_foreach(req, key, v) {
		const struct cmd_arg *a = cmd->args;

		while (a->name && strcmp(a->name, key))
			a++;
		if (a->name || !strcmp(key, "cmd"))
			continue;
		join(names, sizeof(names), cmd);
		name = json_string(key);
		snprintf(err, len, "%s: unknown key, expected %s (got %s)", cmd->name, names,
			 sh_ctl_render(name, got, sizeof(got)));
		json_decref(name);
		return NULL;
	}
	for (int i = 0; cmd->args[i].name; i++) {
		const struct cmd_arg *a = &cmd->args[i];

		v = json_object_get(req, a->name);
		if (!v) {
			snprintf(err, len, "%s: %s: required key is missing", cmd->name, a->name);
			return NULL;
		}
		if ((a->type == ARG_STRING && !json_is_string(v)) ||
		    (a->type == ARG_OBJECT && !json_is_object(v)) ||
		    (a->type == ARG_INTEGER && !json_is_integer(v))) {
			snprintf(err, len, "%s: %s: must be %s (got %s)", cmd->name, a->name, a->what,
				 sh_ctl_render(v, got, sizeof(got)));
			return NULL;
		}
		args[i] = v;
	}
	return cmd;
}

json_t *sh_ctl_handle(struct sh_ctl *c, const char *line, size_t len)
{
	char err[SH_CTL_ERR_LEN] = "", got[64];
	json_t *req, *resp, *a[MAX_ARGS] = { NULL };
	const struct ctl_cmd *cmd;
	json_error_t je;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!req) {
		snprintf(err, sizeof(err), "request: not JSON: column %d: %s", je.column, je.text);
		return fail(err);
	}
	if (!json_is_object(req)) {
		snprintf(err, sizeof(err), "request: must be a JSON object (got %s)",
			 sh_ctl_render(req, got, sizeof(got)));
		json_decref(req);
		return fail(err);
	}
	cmd = parse(req, a, err, sizeof(err));
	if (!cmd) {
		resp = fail(err);
	} else if (!strcmp(cmd->name, "show")) {
		resp = json_pack("{s:b, s:O, s:o}", "ok", 1, "config", c->cfg_json, "backend",
				 sh_ctl_backend(c));
	} else if (!strcmp(cmd->name, "stats")) {
		json_t *s = sh_ctl_stats(c, err, sizeof(err));

		resp = s ? json_pack("{s:b, s:o}", "ok", 1, "stats", s) : fail(err);
	} else if (!strcmp(cmd->name, "reload")) {
		resp = done(sh_ctl_reload(c, err, sizeof(err)), err);
	} else if (!strcmp(cmd->name, "vip-add")) {
		resp = done(sh_ctl_vip_add(c, a[0], err, sizeof(err)), err);
	} else if (!strcmp(cmd->name, "vip-del")) {
		resp = done(sh_ctl_vip_del(c, json_string_value(a[0]), err, sizeof(err)), err);
	} else if (!strcmp(cmd->name, "real-add")) {
		resp = done(sh_ctl_real_add(c, json_string_value(a[0]), a[1], err, sizeof(err)), err);
	} else if (!strcmp(cmd->name, "real-del")) {
		resp = done(sh_ctl_real_del(c, json_string_value(a[0]), json_string_value(a[1]), err,
					    sizeof(err)),
			    err);
	} else {
		resp = done(sh_ctl_real_weight(c, json_string_value(a[0]), json_string_value(a[1]),
					       json_integer_value(a[2]), err, sizeof(err)),
			    err);
	}
	json_decref(req);
	return resp ? resp : fail("out of memory");
}

int sh_ctl_handle_lines(struct sh_ctl *c, char *buf, size_t *len,
			int (*emit)(void *arg, json_t *resp), void *arg)
{
	size_t start = 0;
	int lines = 0;
	char *nl;

	while ((nl = memchr(buf + start, '\n', *len - start))) {
		size_t line = (size_t)(nl - buf) - start;

		if (emit(arg, sh_ctl_handle(c, buf + start, line)))
			return -1;
		start += line + 1;
		lines++;
	}
	memmove(buf, buf + start, *len - start);
	*len -= start;
	return lines;
}
