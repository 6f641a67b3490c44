// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoald: the shoal daemon. Applies a config to a dataplane on one
 * interface, serves the control socket, reloads the config on SIGHUP (a bad
 * config is refused whole and the running one stays), and on SIGTERM/SIGINT
 * exits leaving the dataplane forwarding (XDP: pinned) for the next shoald.
 *
 *   shoald --config lb.json --iface IF [--backend xdp|afxdp] [--xdp-mode native|generic]
 *          [--socket PATH] [--pin-root DIR] [--max-vips N] [--unload] [-v]
 *          AF_XDP: [--queues N] [--zero-copy|--copy] [--busy-poll] [--state-dir DIR]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_server.h"
#include "log.h"

struct shoald_opts {
	const char *config;
	const char *backend;
	const char *socket;
	int unload;
	struct sh_backend_opts be;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: shoald --config lb.json --iface IF [--backend xdp|afxdp] [--xdp-mode native|generic]\n"
		"              [--socket PATH] [--pin-root DIR] [--max-vips N] [-v]\n"
		"   AF_XDP:    [--queues N] [--zero-copy|--copy] [--busy-poll] [--state-dir DIR]\n"
		"       shoald --iface IF [--backend B] --unload   remove what a run left on IF\n"
		"                                                (XDP: its pins; AF_XDP: steering, state)\n"
		"Defaults: --backend xdp, --xdp-mode native, --socket /run/shoal/IF.sock,\n"
		"          --pin-root /sys/fs/bpf/shoal, --max-vips 64; AF_XDP: a worker on every\n"
		"          receive queue, zero-copy where the driver offers it, --state-dir\n"
		"          /run/shoal/afxdp.\n");
}

static const struct sh_backend_ops *backend_by_name(const char *name)
{
	if (!strcmp(name, "xdp"))
		return &sh_backend_xdp;
	if (!strcmp(name, "afxdp"))
		return &sh_backend_afxdp;
	return NULL;
}

static int parse_args(int argc, char **argv, struct shoald_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },   { "iface", required_argument, NULL, 'i' },
		{ "backend", required_argument, NULL, 'b' },  { "xdp-mode", required_argument, NULL, 'm' },
		{ "socket", required_argument, NULL, 's' },   { "pin-root", required_argument, NULL, 'p' },
		{ "max-vips", required_argument, NULL, 'n' }, { "unload", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },        { "help", no_argument, NULL, 'h' },
		{ "queues", required_argument, NULL, 'q' },   { "zero-copy", no_argument, NULL, 'Z' },
		{ "copy", no_argument, NULL, 'C' },           { "busy-poll", no_argument, NULL, 'B' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ 0 }
	};
	static char socket_path[128];
	int opt, verbosity = SH_LOG_INFO;
	unsigned long n;

	*o = (struct shoald_opts){ .backend = "xdp",
				   .be = { .pin_root = "/sys/fs/bpf/shoal", .max_vips = 64 } };
	while ((opt = getopt_long(argc, argv, "c:i:b:m:s:p:n:uvhq:ZCBS:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'i': o->be.ifname = optarg; break;
		case 'b': o->backend = optarg; break;
		case 's': o->socket = optarg; break;
		case 'p': o->be.pin_root = optarg; break;
		case 'u': o->unload = 1; break;
		case 'S': o->be.state_dir = optarg; break;
		case 'B': o->be.busy_poll = true; break;
		case 'Z':
		case 'C':
			if (o->be.copy_mode) {
				fprintf(stderr, "shoald: --zero-copy and --copy: one or the other\n");
				return 2;
			}
			o->be.copy_mode = opt == 'Z' ? SH_XSK_ZEROCOPY : SH_XSK_COPY;
			break;
		case 'q':
			n = strspn(optarg, "0123456789") == strlen(optarg) && strlen(optarg) <= 3 ?
				    strtoul(optarg, NULL, 10) :
				    0;
			if (!n) {
				fprintf(stderr, "shoald: --queues: must be a positive integer (got \"%s\")\n",
					optarg);
				return 2;
			}
			o->be.queues = (__u32)n;
			break;
		case 'v': verbosity = SH_LOG_DEBUG; break;
		case 'm':
			if (strcmp(optarg, "native") && strcmp(optarg, "generic")) {
				fprintf(stderr, "shoald: --xdp-mode: must be native or generic (got \"%s\")\n",
					optarg);
				return 2;
			}
			o->be.xdp_mode = strcmp(optarg, "native") ? SH_XDP_GENERIC : SH_XDP_NATIVE;
			break;
		case 'n':
			n = strspn(optarg, "0123456789") == strlen(optarg) && strlen(optarg) <= 3 ?
				    strtoul(optarg, NULL, 10) :
				    0;
			if (!n || n > SH_MAX_VIPS) {
				fprintf(stderr, "shoald: --max-vips: must be an integer 1..%d (got \"%s\")\n",
					SH_MAX_VIPS, optarg);
				return 2;
			}
			o->be.max_vips = (__u32)n;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	sh_log_set_level(verbosity);
	if (!o->be.ifname || (!o->config && !o->unload) || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!backend_by_name(o->backend)) {
		fprintf(stderr, "shoald: --backend: must be xdp or afxdp (got \"%s\")\n", o->backend);
		return 2;
	}
	if (strcmp(o->backend, "afxdp") &&
	    (o->be.queues || o->be.copy_mode || o->be.busy_poll || o->be.state_dir)) {
		fprintf(stderr, "shoald: --queues, --zero-copy, --copy, --busy-poll and --state-dir "
				"are for --backend afxdp (got --backend %s)\n", o->backend);
		return 2;
	}
	if (!o->socket) {
		snprintf(socket_path, sizeof(socket_path), "/run/shoal/%s.sock", o->be.ifname);
		o->socket = socket_path;
	}
	return 0;
}

/* Serve until SIGTERM or SIGINT; SIGHUP reloads. */
static int serve(struct sh_ctl *c, struct sh_ctl_server *srv, int sigfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sigfd };

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev))
		return -errno;
	ev.data.fd = sh_ctl_server_fd(srv);
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	for (;;) {
		struct signalfd_siginfo si;
		char err[SH_CTL_ERR_LEN];

		if (epoll_wait(ep, &ev, 1, sh_ctl_server_timeout(srv)) < 0 && errno != EINTR)
			return -errno;
		sh_ctl_server_run(srv, c);
		if (read(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGHUP) {
			sh_log_info("signal %d: exiting%s", si.ssi_signo,
				    c->ops == &sh_backend_xdp ? "; the dataplane keeps forwarding" : "");
			close(ep);
			return 0;
		}
		if (sh_ctl_reload(c, err, sizeof(err)))
			sh_log_warn("reload refused, the running config stays: %s", err);
		else
			sh_log_info("reloaded %s", c->config_path);
	}
}

int main(int argc, char **argv)
{
	char err[SH_CTL_ERR_LEN];
	struct sh_ctl_server *srv = NULL;
	struct shoald_opts o;
	struct sh_ctl c;
	sigset_t mask;
	int rc, sigfd;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	sh_log_route_libbpf();
	if (o.unload) {
		rc = backend_by_name(o.backend)->unload(&o.be, err, sizeof(err));
		if (rc)
			sh_log_error("%s", err);
		else
			sh_log_info("%s: removed what the %s backend left", o.be.ifname, o.backend);
		return rc ? 1 : 0;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		sh_log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	if (sh_ctl_server_open(o.socket, &srv, err, sizeof(err))) {
		sh_log_error("%s", err);
		return 1;
	}
	rc = sh_ctl_start(&c, backend_by_name(o.backend), &o.be, o.config, err, sizeof(err));
	if (rc) {
		sh_log_error("%s", err);
		sh_ctl_server_close(srv);
		return 1;
	}
	sh_log_info("%s: forwarding with the %s backend, %zu VIPs from %s; control socket %s",
		    o.be.ifname, o.backend, c.cfg.n_vips, o.config, o.socket);
	rc = serve(&c, srv, sigfd);
	if (rc)
		sh_log_error("event loop: %s", strerror(-rc));
	sh_ctl_server_close(srv);
	sh_ctl_stop(&c, 1);
	return rc ? 1 : 0;
}
