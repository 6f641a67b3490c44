// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoalctl: the operator's CLI over shoald's control socket.
 * Exit status: 0 done, 1 refused by shoald (the reason is printed), 2 bad
 * usage, 3 shoald cannot be reached.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

static const char *socket_path;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shoalctl [--iface IF | --socket PATH] COMMAND\n"
		"  show                                the backend, the VIPs and their reals\n"
		"  config                              the running config, as JSON\n"
		"  stats [--json] [--watch SECONDS]    counters per VIP and real (--watch: live)\n"
		"  reload                              re-read the config file (as SIGHUP)\n"
		"  vip add VIP [--encap ipip|gue] [--hash maglev|rendezvous] [--flag F]...\n"
		"  vip del VIP\n"
		"  real add VIP ADDR [--weight N] [--server-id N]\n"
		"  real del VIP ADDR\n"
		"  real weight VIP ADDR N\n"
		"  real drain VIP ADDR                 weight 0: keeps its flows, gets no new ones\n"
		"VIP is ADDR:PORT/tcp|udp, with IPv6 as [ADDR]:PORT/tcp|udp.\n"
		"Exit status: 0 done, 1 refused by shoald, 2 bad usage, 3 shoald unreachable.\n");
}

/* The one shoald socket under /run/shoal, when --iface/--socket are not given. */
static int find_socket(void)
{
	static char path[256];
	glob_t g;
	int rc = glob("/run/shoal/*.sock", 0, NULL, &g);

	if (rc == 0 && g.gl_pathc == 1) {
		snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
		socket_path = path;
	} else {
		fprintf(stderr, "shoalctl: %s: name one with --iface IF or --socket PATH\n",
			rc ? "no shoald socket in /run/shoal" : "several shoald sockets in /run/shoal");
	}
	if (rc == 0)
		globfree(&g);
	return socket_path ? 0 : -1;
}

/* All of buf, or -1 (never SIGPIPE: a daemon that turns us away may close first). */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send one request, return the response (NULL: unreachable, message printed). */
static json_t *call(json_t *req)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char *text = json_dumps(req, JSON_COMPACT);
	json_t *resp = NULL;
	json_error_t je;
	FILE *f = NULL;
	int fd, sent, send_errno;

	json_decref(req);
	if (!socket_path && find_socket())
		goto out;
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "shoalctl: %s: path too long for a socket\n", socket_path);
		goto out;
	}
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "shoalctl: %s: %s (%s)\n", socket_path, strerror(errno),
			errno == EACCES || errno == EPERM ? "the control socket is root only"
							  : "is shoald running?");
		if (fd >= 0)
			close(fd);
		goto out;
	}
	sent = text && !send_all(fd, text, strlen(text)) && !send_all(fd, "\n", 1);
	send_errno = errno;
	f = fdopen(fd, "r");
	if (!f) {
		fprintf(stderr, "shoalctl: %s: %s\n", socket_path, strerror(errno));
		close(fd);
		goto out;
	}
	/* Read even when sending failed: a daemon that turns a client away says why first. */
	resp = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je);
	if (!resp && !sent)
		fprintf(stderr, "shoalctl: %s: cannot send: %s\n", socket_path, strerror(send_errno));
	else if (!resp && je.position == 0)
		fprintf(stderr, "shoalctl: %s: shoald closed the connection without an answer\n",
			socket_path);
	else if (!resp)
		fprintf(stderr, "shoalctl: %s: an answer that is not JSON: %s\n", socket_path,
			je.text);
out:
	if (f)
		fclose(f);
	free(text);
	return resp;
}

/* Run a request; print the error if refused. Returns an exit status, *out the response. */
static int run(json_t *req, json_t **out)
{
	json_t *resp = call(req);

	if (!resp)
		return EXIT_UNREACHABLE;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "shoalctl: %s\n", json_string_value(json_object_get(resp, "error")));
		json_decref(resp);
		return EXIT_REFUSED;
	}
	if (out)
		*out = resp;
	else
		json_decref(resp);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	json_t *resp, *vip, *real, *be;
	size_t i, j;
	int rc;

	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	rc = run(json_pack("{s:s}", "cmd", "show"), &resp);
	if (rc)
		return rc;
	be = json_object_get(resp, "backend");
	printf("backend %s  queues %lld  mode %s\n", json_string_value(json_object_get(be, "name")),
	       json_integer_value(json_object_get(be, "queues")),
	       json_string_value(json_object_get(be, "mode")));
	json_array_foreach(json_object_get(json_object_get(resp, "config"), "vips"), i, vip) {
		json_t *flags = json_object_get(vip, "flags");
		char *flag_text = flags && json_array_size(flags) ? json_dumps(flags, 0) : NULL;
		const char *encap = json_string_value(json_object_get(vip, "encap"));
		const char *hash = json_string_value(json_object_get(vip, "hash"));

		const char *addr = json_string_value(json_object_get(vip, "address"));

		printf(strchr(addr, ':') ? "vip [%s]:%lld/%s  encap %s  hash %s  flags %s\n"
					 : "vip %s:%lld/%s  encap %s  hash %s  flags %s\n",
		       addr,
		       json_integer_value(json_object_get(vip, "port")),
		       json_string_value(json_object_get(vip, "protocol")), encap ? encap : "ipip",
		       hash ? hash : "maglev", flag_text ? flag_text : "-");
		free(flag_text);
		json_array_foreach(json_object_get(vip, "reals"), j, real) {
			json_t *w = json_object_get(real, "weight"), *id = json_object_get(real, "server_id");

			printf("  real %-39s weight %-5lld ",
			       json_string_value(json_object_get(real, "address")),
			       w ? json_integer_value(w) : 1);
			if (id)
				printf("server_id %lld\n", json_integer_value(id));
			else
				printf("server_id -\n");
		}
	}
	json_decref(resp);
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	json_t *resp;
	int rc;

	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	rc = run(json_pack("{s:s}", "cmd", "show"), &resp);
	if (rc)
		return rc;
	json_dumpf(json_object_get(resp, "config"), stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(resp);
	return 0;
}

static void print_stats(json_t *stats, json_t *prev, double interval)
{
	json_t *vip, *real, *c;
	const char *key;
	size_t i, j;

	json_array_foreach(json_object_get(stats, "vips"), i, vip) {
		json_t *pv = prev ? json_array_get(json_object_get(prev, "vips"), i) : NULL;

		printf("vip %-40s %12lld packets %14lld bytes", json_string_value(json_object_get(vip, "vip")),
		       json_integer_value(json_object_get(vip, "packets")),
		       json_integer_value(json_object_get(vip, "bytes")));
		if (pv)
			printf("  %10.0f pps",
			       (json_integer_value(json_object_get(vip, "packets")) -
				json_integer_value(json_object_get(pv, "packets"))) / interval);
		putchar('\n');
		json_array_foreach(json_object_get(vip, "reals"), j, real) {
			json_t *pr = pv ? json_array_get(json_object_get(pv, "reals"), j) : NULL;

			printf("  real %-37s %12lld packets %14lld bytes  weight %lld",
			       json_string_value(json_object_get(real, "address")),
			       json_integer_value(json_object_get(real, "packets")),
			       json_integer_value(json_object_get(real, "bytes")),
			       json_integer_value(json_object_get(real, "weight")));
			if (pr)
				printf("  %10.0f pps",
				       (json_integer_value(json_object_get(real, "packets")) -
					json_integer_value(json_object_get(pr, "packets"))) / interval);
			putchar('\n');
		}
	}
	json_object_foreach(json_object_get(stats, "counters"), key, c)
		if (json_integer_value(c))
			printf("%-22s %lld\n", key, json_integer_value(c));
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "watch", required_argument, NULL, 'w' },
					      { 0 } };
	json_t *resp, *prev = NULL;
	double watch = 0;
	int json = 0, opt, rc;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jw:", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = 1;
		} else if (opt == 'w') {
			watch = strtod(optarg, &end);
			if (*end || end == optarg || !(watch >= 0.1 && watch <= 3600)) {
				fprintf(stderr,
					"shoalctl: --watch: must be 0.1 to 3600 seconds (got \"%s\")\n",
					optarg);
				return EXIT_USAGE;
			}
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return EXIT_USAGE;
	for (;;) {
		rc = run(json_pack("{s:s}", "cmd", "stats"), &resp);
		if (rc)
			break;
		if (watch)
			printf("\033[H\033[2J");
		if (json) {
			json_dumpf(json_object_get(resp, "stats"), stdout, JSON_COMPACT);
			putchar('\n');
		} else {
			print_stats(json_object_get(resp, "stats"), prev ? json_object_get(prev, "stats") : NULL,
				    watch);
		}
		fflush(stdout);
		json_decref(prev);
		prev = resp;
		if (!watch)
			break;
		usleep((useconds_t)(watch * 1e6));
	}
	json_decref(prev);
	return rc;
}

static int cmd_reload(int argc, char **argv)
{
	(void)argv;
	return argc == 1 ? run(json_pack("{s:s}", "cmd", "reload"), NULL) : EXIT_USAGE;
}

/*
 * "ADDR:PORT/PROTO" -> {"address", "port", "protocol"}; NULL if it does not
 * have that shape (an IPv6 ADDR in brackets, PORT in digits). shoald judges
 * the values: the address, the port's range, the protocol.
 */
static json_t *vip_object(const char *spec)
{
	char buf[128], *slash, *colon, *addr = buf, *port;
	size_t n;

	if (strlen(spec) >= sizeof(buf))
		return NULL;
	strcpy(buf, spec);
	slash = strrchr(buf, '/');
	colon = strrchr(buf, ':');
	if (!slash || !colon || colon > slash)
		return NULL;
	*slash = *colon = '\0';
	port = colon + 1;
	n = strlen(port);
	if (!n || n > 18 || strspn(port, "0123456789") != n)
		return NULL;
	n = strlen(addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr[n - 1] = '\0';
		addr++;
	} else if (strchr(addr, ':')) {
		return NULL;
	}
	return json_pack("{s:s, s:I, s:s}", "address", addr, "port",
			 (json_int_t)strtoll(port, NULL, 10), "protocol", slash + 1);
}

static int cmd_vip(int argc, char **argv)
{
	static const struct option opts[] = { { "encap", required_argument, NULL, 'e' },
					      { "hash", required_argument, NULL, 'H' },
					      { "flag", required_argument, NULL, 'f' },
					      { 0 } };
	json_t *vip, *flags;
	int opt;

	if (argc == 3 && !strcmp(argv[1], "del"))
		return run(json_pack("{s:s, s:s}", "cmd", "vip-del", "vip", argv[2]), NULL);
	if (argc < 3 || strcmp(argv[1], "add"))
		return EXIT_USAGE;
	vip = vip_object(argv[2]);
	if (!vip) {
		fprintf(stderr,
			"shoalctl: vip: must be ADDR:PORT/tcp or ADDR:PORT/udp, an IPv6 ADDR in "
			"brackets (got \"%s\")\n",
			argv[2]);
		return EXIT_USAGE;
	}
	flags = json_array();
	optind = 3;
	while ((opt = getopt_long(argc, argv, "e:H:f:", opts, NULL)) != -1) {
		if (opt == 'e')
			json_object_set_new(vip, "encap", json_string(optarg));
		else if (opt == 'H')
			json_object_set_new(vip, "hash", json_string(optarg));
		else if (opt == 'f')
			json_array_append_new(flags, json_string(optarg));
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	json_object_set_new(vip, "flags", flags);
	return run(json_pack("{s:s, s:o}", "cmd", "vip-add", "vip", vip), NULL);
usage:
	json_decref(flags);
	json_decref(vip);
	return EXIT_USAGE;
}

/* A whole number for the argument `what`; -1, with a message, if not one. */
static json_int_t number(const char *what, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s || strspn(s, "0123456789") != strlen(s)) {
		fprintf(stderr, "shoalctl: %s: must be a whole number (got \"%s\")\n", what, s);
		return -1;
	}
	return v;
}

static int cmd_real(int argc, char **argv)
{
	static const struct option opts[] = { { "weight", required_argument, NULL, 'w' },
					      { "server-id", required_argument, NULL, 'i' },
					      { 0 } };
	json_t *real;
	json_int_t v;
	int opt;

	if (argc < 4)
		return EXIT_USAGE;
	if (argc == 4 && !strcmp(argv[1], "del"))
		return run(json_pack("{s:s, s:s, s:s}", "cmd", "real-del", "vip", argv[2], "real",
				     argv[3]), NULL);
	if (argc == 4 && !strcmp(argv[1], "drain"))
		return run(json_pack("{s:s, s:s, s:s, s:i}", "cmd", "real-weight", "vip", argv[2],
				     "real", argv[3], "weight", 0), NULL);
	if (argc == 5 && !strcmp(argv[1], "weight")) {
		v = number("weight", argv[4]);
		if (v < 0)
			return EXIT_USAGE;
		return run(json_pack("{s:s, s:s, s:s, s:I}", "cmd", "real-weight", "vip", argv[2],
				     "real", argv[3], "weight", v), NULL);
	}
	if (strcmp(argv[1], "add"))
		return EXIT_USAGE;
	real = json_pack("{s:s}", "address", argv[3]);
	optind = 4;
	while ((opt = getopt_long(argc, argv, "w:i:", opts, NULL)) != -1) {
		/* Anything else getopt has complained about already. */
		v = opt == 'w' ? number("--weight", optarg) :
		    opt == 'i' ? number("--server-id", optarg) : -1;
		if (v < 0) {
			json_decref(real);
			return EXIT_USAGE;
		}
		json_object_set_new(real, opt == 'w' ? "weight" : "server_id", json_integer(v));
	}
	if (optind != argc) {
		json_decref(real);
		return EXIT_USAGE;
	}
	return run(json_pack("{s:s, s:s, s:o}", "cmd", "real-add", "vip", argv[2], "real", real),
		   NULL);
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "show", cmd_show },	  { "config", cmd_config }, { "stats", cmd_stats },
	{ "reload", cmd_reload }, { "vip", cmd_vip },	    { "real", cmd_real },
};

int main(int argc, char **argv)
{
	static char path[128];
	int i = 1;

	/* Arguments go into JSON text, which is UTF-8: refuse what would be lost on the way. */
	for (int a = 1; a < argc; a++) {
		json_t *s = json_string(argv[a]);

		if (!s) {
			fprintf(stderr, "shoalctl: argument %d: must be UTF-8 text (got \"%s\")\n", a,
				argv[a]);
			return EXIT_USAGE;
		}
		json_decref(s);
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 < argc && !strcmp(argv[i], "--socket")) {
			socket_path = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--iface")) {
			snprintf(path, sizeof(path), "/run/shoal/%s.sock", argv[++i]);
			socket_path = path;
		} else {
			break;
		}
	}
	if (i < argc) {
		for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
			int rc;

			if (strcmp(argv[i], commands[c].name))
				continue;
			rc = commands[c].fn(argc - i, argv + i);
			if (rc == EXIT_USAGE)
				usage(stderr);
			return rc;
		}
	}
	usage(stderr);
	return EXIT_USAGE;
}
