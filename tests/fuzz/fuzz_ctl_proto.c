// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzzing the control socket's protocol (control/ctl_proto.c) and the control
 * API behind it (control/ctl.c), over a backend with no dataplane
 * (fuzz_sink.c).
 *
 * Input: one byte, the size of the pieces the stream arrives in (0: all at
 * once), then the byte stream a client sends, cut to less than
 * SH_CTL_MAX_REQUEST so that the server would never drop the client for it.
 * Every input starts from the same running config (BASE, also the file a
 * "reload" reads), on two control planes:
 *
 * - the reference answers each complete line with sh_ctl_handle(). After each
 *   answer: the response is {"ok": true, ...} or {"ok": false, "error": one
 *   line}; a refused request left the running config (as "show" prints it)
 *   byte for byte as it was, and the backend on the same tables; an accepted
 *   one left a running config that loads from its own "show" text, is the
 *   config ctl forwards by, and built tables that serve it.
 * - the framed one gets the stream piece by piece through
 *   sh_ctl_handle_lines(), the socket server's framing: it must give the same
 *   responses, byte for byte, and keep exactly what follows the last newline.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_proto.h"
#include "fuzz_sink.h"
#include "fuzz_tables.h"
#include "fuzz_util.h"

/* One VIP short of the sink's room (FZ_MAX_VIPS): the second vip-add is refused by the backend. */
#define FZ_MAX_VIPS 4
static const char BASE[] =
	"{\"lb\": {\"ipv4_src\": \"198.18.0.10\", \"ipv6_src\": \"2001:db8::10\", "
	"\"gateway_mac\": \"02:00:00:00:00:01\", \"ring_size\": 13, \"conntrack_size\": 64},\n"
	" \"vips\": [\n"
	"  {\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\", \"reals\": [\n"
	"    {\"address\": \"198.18.1.1\", \"server_id\": 101}, {\"address\": \"198.18.1.2\", "
	"\"weight\": 2}]},\n"
	"  {\"address\": \"198.18.100.1\", \"protocol\": \"udp\", \"encap\": \"gue\", \"reals\": [\n"
	"    {\"address\": \"2001:db8:1::1\"}]},\n"
	"  {\"address\": \"2001:db8:100::1\", \"port\": 443, \"protocol\": \"tcp\", "
	"\"flags\": [\"no_lru\"], \"reals\": [\n"
	"    {\"address\": \"2001:db8:1::1\"}, {\"address\": \"198.18.1.1\", \"server_id\": 101}]}\n"
	" ]}\n";

/* The config file: a memfd, so that no file is left behind whatever happens. */
static char base_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = memfd_create("shoal-fuzz-lb.json", 0);

	(void)argc;
	(void)argv;
	FZ_ASSERT(fd >= 0 && write(fd, BASE, sizeof(BASE) - 1) == (ssize_t)sizeof(BASE) - 1,
		  "memfd: %s", strerror(errno));
	snprintf(base_path, sizeof(base_path), "/proc/self/fd/%d", fd);
	return 0;
}

static void ctl_start(struct sh_ctl *c)
{
	struct sh_backend_opts opts = { .ifname = "fuzz", .max_vips = FZ_MAX_VIPS };
	char err[SH_CTL_ERR_LEN];

	FZ_ASSERT(sh_ctl_start(c, &fz_sink_ops, &opts, base_path, err, sizeof(err)) == 0, "%s",
		  err);
}

/* The running config as "show" answers it, as text. */
static char *show(struct sh_ctl *c)
{
	static const char req[] = "{\"cmd\": \"show\"}";
	json_t *resp = sh_ctl_handle(c, req, sizeof(req) - 1);
	char *text = json_dumps(json_object_get(resp, "config"), JSON_COMPACT);

	FZ_ASSERT(text, "show gave no config");
	json_decref(resp);
	return text;
}

static void same_vip(const struct sh_cfg_vip *a, const struct sh_cfg_vip *b)
{
	FZ_ASSERT(!memcmp(&a->addr, &b->addr, sizeof(a->addr)) && a->family == b->family &&
			  a->port == b->port && a->proto == b->proto && a->encap == b->encap &&
			  a->hash == b->hash && a->flags == b->flags && a->n_reals == b->n_reals,
		  "a VIP differs from its show text");
	for (size_t r = 0; r < a->n_reals; r++)
		FZ_ASSERT(!memcmp(&a->reals[r].addr, &b->reals[r].addr, sizeof(a->reals[r].addr)) &&
				  a->reals[r].family == b->reals[r].family &&
				  a->reals[r].weight == b->reals[r].weight &&
				  a->reals[r].server_id == b->reals[r].server_id,
			  "a real differs from its show text");
}

/* An accepted change: what show prints loads, and is what ctl forwards by. */
static void check_running(struct sh_ctl *c, const char *text)
{
	char err[SH_CFG_ERR_LEN];
	struct sh_config cfg;

	FZ_ASSERT(sh_config_load_string(text, "show", &cfg, err, sizeof(err)) == 0,
		  "the running config does not load: %s", err);
	FZ_ASSERT(!memcmp(&cfg.lb, &c->cfg.lb, sizeof(cfg.lb)) &&
			  cfg.conntrack_size == c->cfg.conntrack_size && cfg.n_vips == c->cfg.n_vips,
		  "ctl forwards by another config than show prints");
	for (size_t i = 0; i < cfg.n_vips; i++)
		same_vip(&cfg.vips[i], &c->cfg.vips[i]);
	sh_config_free(&cfg);
	fz_check_tables(&c->cfg, c->tables);
}

static void check_stats(struct sh_ctl *c, json_t *stats)
{
	json_t *counters = json_object_get(stats, "counters");

	FZ_ASSERT(json_object_size(counters) == SH_CTR_COUNT, "%zu counters for %d",
		  json_object_size(counters), SH_CTR_COUNT);
	FZ_ASSERT(json_array_size(json_object_get(stats, "vips")) == c->cfg.n_vips,
		  "stats for %zu VIPs, not %zu", json_array_size(json_object_get(stats, "vips")),
		  c->cfg.n_vips);
}

/* The reference: answer one line directly, check the invariants; the response as text. */
static char *answer(struct sh_ctl *c, const char *line, size_t len)
{
	const struct sh_tables *tables = c->tables;
	char *before = show(c), *after, *text;
	json_t *resp = sh_ctl_handle(c, line, len), *ok = json_object_get(resp, "ok");
	const char *err = json_string_value(json_object_get(resp, "error"));

	FZ_ASSERT(json_is_boolean(ok), "a response without a boolean \"ok\"");
	FZ_ASSERT(fz_sink_tables(c->be) == c->tables, "the backend forwards by other tables");
	after = show(c);
	if (json_is_true(ok)) {
		check_running(c, after);
		if (json_object_get(resp, "stats"))
			check_stats(c, json_object_get(resp, "stats"));
	} else {
		FZ_ASSERT(err, "refused without an error");
		fz_check_error_line(err, "");
		/* The harness never runs out of memory: saying so hides the real error. */
		FZ_ASSERT(strcmp(err, "out of memory"), "refused as \"out of memory\"");
		FZ_ASSERT(!strcmp(before, after), "refused (%s) but the config changed", err);
		FZ_ASSERT(c->tables == tables, "refused (%s) but the tables changed", err);
	}
	text = json_dumps(resp, JSON_COMPACT);
	FZ_ASSERT(text, "a response that does not encode");
	json_decref(resp);
	free(before);
	free(after);
	return text;
}

struct framed {
	char **want; /* the reference's responses, in order */
	size_t n_want, n_got;
};

static int emit(void *arg, json_t *resp)
{
	struct framed *f = arg;
	char *text = json_dumps(resp, JSON_COMPACT);

	FZ_ASSERT(f->n_got < f->n_want, "more responses than lines");
	FZ_ASSERT(text && !strcmp(text, f->want[f->n_got]),
		  "response %zu through the framing: %s; directly: %s", f->n_got, text,
		  f->want[f->n_got]);
	f->n_got++;
	free(text);
	json_decref(resp);
	return 0;
}

/* Feed the stream in pieces of chunk bytes through the framing; compare with the reference. */
static void run_framed(const char *stream, size_t len, size_t chunk, struct framed *f)
{
	static char buf[SH_CTL_MAX_REQUEST];
	struct sh_ctl c;
	size_t fed = 0, held = 0;

	ctl_start(&c);
	while (fed < len) {
		size_t n = len - fed < chunk ? len - fed : chunk, newlines = 0, tail;
		const char *nl;
		int lines;

		memcpy(buf + held, stream + fed, n);
		for (size_t i = 0; i < n; i++)
			newlines += stream[fed + i] == '\n';
		held += n;
		fed += n;
		lines = sh_ctl_handle_lines(&c, buf, &held, emit, f);
		FZ_ASSERT(lines >= 0 && (size_t)lines == newlines, "%d lines answered, %zu sent", lines,
			  newlines);
		nl = memrchr(stream, '\n', fed);
		tail = nl ? (size_t)(stream + fed - nl - 1) : fed;
		FZ_ASSERT(held == tail && !memcmp(buf, stream + fed - tail, tail),
			  "%zu bytes kept, %zu after the last newline", held, tail);
	}
	FZ_ASSERT(f->n_got == f->n_want, "%zu responses, %zu lines", f->n_got, f->n_want);
	sh_ctl_stop(&c, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *stream = (const char *)data + 1, *line, *nl;
	size_t len = size ? size - 1 : 0, chunk;
	struct framed f = { 0 };
	struct sh_ctl ref;

	if (!size)
		return 0;
	if (len >= SH_CTL_MAX_REQUEST)
		len = SH_CTL_MAX_REQUEST - 1;
	chunk = data[0] ? data[0] : len;
	f.want = malloc((len + 1) * sizeof(*f.want));
	FZ_ASSERT(f.want, "out of memory");

	ctl_start(&ref);
	for (line = stream; (nl = memchr(line, '\n', (size_t)(stream + len - line))); line = nl + 1)
		f.want[f.n_want++] = answer(&ref, line, (size_t)(nl - line));
	if (len)
		run_framed(stream, len, chunk, &f);
	sh_ctl_stop(&ref, 0);
	for (size_t i = 0; i < f.n_want; i++)
		free(f.want[i]);
	free(f.want);
	return 0;
}
