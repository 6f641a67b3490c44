// SPDX-License-Identifier: BSD-3-Clause
/*
 * The AF_XDP backend: the forwarding core in userspace (backends/user), one
 * worker thread per receive queue, each on its own AF_XDP socket, fed by a
 * steering XDP program that hands the workers only shoal's frames.
 *
 * Conntrack and counters live in a state file (backends/user/user_state.h),
 * so a restarted daemon, even after SIGKILL, keeps its flows on their reals.
 * Unlike XDP mode nothing forwards while no daemon runs: the workers are the
 * dataplane. Stopping detaches the steering program, so VIP traffic goes to
 * the kernel; a daemon killed with SIGKILL leaves it attached, steering to
 * sockets that are gone (dropped, counted as no_worker), and the next start
 * removes it.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afxdp_steer.h"
#include "afxdp_worker.h"
#include "backend.h"
#include "log.h"
#include "user_state.h"
#include "xdp_probe.h"
#include "xsk_steer.h"

#define SH_AFXDP_STATE_DIR "/run/shoal/afxdp"

struct sh_backend {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u32 n_queues;
	struct sh_steer *steer;
	struct sh_user_state *state;
	struct sh_afxdp_shared shared;
	struct sh_afxdp_worker *workers;
	struct sh_backend_info info;
};

static const char *state_dir(const struct sh_backend_opts *o)
{
	return o->state_dir ? o->state_dir : SH_AFXDP_STATE_DIR;
}

static int state_path(const struct sh_backend_opts *o, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s.state", state_dir(o), o->ifname) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* mkdir -p, for the state directory. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -errno : 0;
}

/* The interface, AF_XDP in the kernel, the queues asked for. *queues receives the count. */
static int check_iface(const struct sh_backend_opts *o, __u32 *queues, char *err, size_t err_len)
{
	int ifindex = o->ifname ? (int)if_nametoindex(o->ifname) : 0, n, fd;

	if (!ifindex) {
		snprintf(err, err_len, "interface %s: no such interface", o->ifname ? o->ifname : "(none)");
		return -ENODEV;
	}
	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int ret = -errno;

		snprintf(err, err_len, "%s: AF_XDP sockets: %s%s", o->ifname, strerror(-ret),
			 ret == -EAFNOSUPPORT ? " (this kernel was built without CONFIG_XDP_SOCKETS; "
						"use --backend xdp)"
					      : "");
		return ret;
	}
	close(fd);
	n = sh_xdp_rx_queues(o->ifname);
	if (n < 0) {
		snprintf(err, err_len, "%s: counting its receive queues: %s", o->ifname, strerror(-n));
		return n;
	}
	*queues = o->queues ? o->queues : (__u32)n;
	if (*queues > (__u32)n) {
		snprintf(err, err_len, "--queues: %s has %d receive queue%s, one worker each at most "
			 "(got %u)", o->ifname, n, n == 1 ? "" : "s", *queues);
		return -EINVAL;
	}
	if (*queues > SH_STEER_MAX_QUEUES) {
		snprintf(err, err_len, "--queues: at most %d (got %u)", SH_STEER_MAX_QUEUES, *queues);
		return -EINVAL;
	}
	if (*queues < (__u32)n)
		sh_log_warn("%s: %u of %d receive queues served; VIP frames on the others are "
			    "dropped (counted as no_worker)", o->ifname, *queues, n);
	return ifindex;
}

static int afxdp_probe(const struct sh_backend_opts *opts, char *why, size_t why_len)
{
	__u32 queues;
	int ret = check_iface(opts, &queues, why, why_len);

	if (ret < 0)
		return ret;
	return sh_xdp_probe_native(opts->ifname, opts->xdp_mode == SH_XDP_GENERIC, why, why_len);
}

/* Workers stopped, steering detached, sockets and UMEMs freed; the state file removed or kept. */
static void teardown(struct sh_backend *b, bool remove_state)
{
	if (!b)
		return;
	atomic_store(&b->shared.stop, true);
	for (__u32 i = 0; b->workers && i < b->n_queues; i++)
		sh_afxdp_worker_join(&b->workers[i]);
	/* No more redirects to the sockets before they close; its counts carry over. */
	if (b->steer && b->state)
		sh_steer_add_stats(b->steer, sh_user_state_carried(b->state));
	sh_steer_detach(b->steer);
	for (__u32 i = 0; b->workers && i < b->n_queues; i++)
		sh_xsk_close(&b->workers[i].xsk);
	free(b->workers);
	sh_user_state_close(b->state, remove_state);
	free(b);
}

static void afxdp_stop(struct sh_backend *b, bool keep_forwarding)
{
	/* Forwarding needs the workers: nothing runs on without this process. */
	(void)keep_forwarding;
	teardown(b, false);
}

static int workers_open(struct sh_backend *b, const struct sh_backend_opts *o, char *err,
			size_t err_len)
{
	char why[128];

	b->workers = aligned_alloc(64, sizeof(*b->workers) * b->n_queues);
	if (!b->workers) {
		snprintf(err, err_len, "AF_XDP workers: out of memory");
		return -ENOMEM;
	}
	memset(b->workers, 0, sizeof(*b->workers) * b->n_queues);
	for (__u32 q = 0; q < b->n_queues; q++) {
		struct sh_afxdp_worker *w = &b->workers[q];
		struct sh_xsk_opts xo = { .ifname = b->ifname, .queue = q,
					  .copy_mode = o->copy_mode,
					  .generic_xdp = o->xdp_mode == SH_XDP_GENERIC,
					  .busy_poll = o->busy_poll };
		int ret = sh_xsk_open(&w->xsk, &xo, why, sizeof(why), err, err_len);

		if (ret)
			return ret;
		w->w = sh_user_state_worker(b->state, q);
		w->shared = &b->shared;
		w->queue = q;
		ret = sh_steer_set_socket(b->steer, q, w->xsk.fd);
		if (ret) {
			snprintf(err, err_len, "%s queue %u: steering to the socket: %s", b->ifname, q,
				 strerror(-ret));
			return ret;
		}
		if (o->busy_poll && !w->xsk.busy_poll)
			sh_log_warn("%s queue %u: busy polling refused by the kernel; sleeping in poll()",
				    b->ifname, q);
	}
	snprintf(b->info.mode, sizeof(b->info.mode), "%s XDP steering, %s%s",
		 o->xdp_mode == SH_XDP_GENERIC ? "generic" : "native", why,
		 o->busy_poll ? ", busy polling" : "");
	b->info.queues = b->n_queues;
	return 0;
}

static int afxdp_start(const struct sh_backend_opts *opts, struct sh_backend **out,
		       struct sh_tables **recovered, char *err, size_t err_len)
{
	struct sh_backend *b = calloc(1, sizeof(*b));
	char path[PATH_MAX];
	bool reused = false;
	int ret, stale = 0;

	*out = NULL;
	*recovered = NULL;
	if (!b)
		return -ENOMEM;
	ret = check_iface(opts, &b->n_queues, err, err_len);
	if (ret < 0)
		goto fail;
	b->ifindex = ret;
	snprintf(b->ifname, sizeof(b->ifname), "%s", opts->ifname);
	ret = make_dirs(state_dir(opts));
	if (!ret)
		ret = state_path(opts, path, sizeof(path));
	if (ret) {
		snprintf(err, err_len, "state directory %s: %s", state_dir(opts), strerror(-ret));
		goto fail;
	}
	ret = sh_user_state_open(path, b->n_queues, opts->conntrack_size, &b->state, &reused, err,
				 err_len);
	if (ret)
		goto fail;
	ret = sh_user_state_identity(b->state, recovered);
	if (ret) {
		snprintf(err, err_len, "state file %s: %s", path, strerror(-ret));
		goto fail;
	}
	ret = sh_steer_remove_stale(b->ifindex, sh_user_state_carried(b->state), &stale, err,
				    err_len);
	if (ret)
		goto fail;
	if (stale)
		sh_log_info("%s: removed the steering program a previous shoald left", b->ifname);
	ret = sh_steer_attach(b->ifname, b->ifindex, opts->xdp_mode == SH_XDP_GENERIC, &b->steer,
			      err, err_len);
	if (ret)
		goto fail;
	ret = workers_open(b, opts, err, err_len);
	if (ret)
		goto fail;
	/* Until the first apply the workers have no tables, and nothing is steered to them. */
	for (__u32 q = 0; q < b->n_queues; q++) {
		ret = sh_afxdp_worker_start(&b->workers[q]);
		if (ret) {
			snprintf(err, err_len, "starting worker %u: %s", q, strerror(-ret));
			goto fail;
		}
	}
	sh_log_info("%s: AF_XDP on %u queue%s, %s; state %s (%s)", b->ifname, b->n_queues,
		    b->n_queues == 1 ? "" : "s", b->info.mode, path,
		    !reused ? "new" : *recovered ? "flows and config identity kept" : "no config yet");
	*out = b;
	return 0;
fail:
	sh_tables_free(*recovered);
	*recovered = NULL;
	/* A state file this start made holds nothing: it goes; one it found stays. */
	teardown(b, !reused);
	return ret;
}

static int afxdp_apply(struct sh_backend *b, const struct sh_tables *t,
		       const struct sh_tables *prev, char *err, size_t err_len)
{
	int ret;

	/*
	 * Frames of a VIP going away stop reaching the workers first; frames of
	 * a new one reach them only once they have its tables. In between, a
	 * frame for either goes to the kernel, as when the VIP is not there.
	 */
	ret = sh_steer_retire(b->steer, t, prev, err, err_len);
	if (ret)
		return ret;
	sh_afxdp_swap(&b->shared, b->workers, b->n_queues, t);
	ret = sh_steer_publish(b->steer, t, err, err_len);
	if (ret) {
		char again[128];

		sh_afxdp_swap(&b->shared, b->workers, b->n_queues, prev);
		sh_steer_retire(b->steer, prev, t, again, sizeof(again));
		if (prev)
			sh_steer_publish(b->steer, prev, again, sizeof(again));
		return ret;
	}
	sh_user_state_save(b->state, t);
	return 0;
}

static int afxdp_read_stats(struct sh_backend *b, struct sh_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (__u32 q = 0; q < b->n_queues; q++) {
		const volatile struct sh_worker *w = b->workers[q].w;

		for (int c = 0; c < SH_CTR_COUNT; c++)
			out->ctr[c] += w->ctr[c];
		for (int v = 0; v < SH_MAX_VIPS; v++) {
			out->vip[v].packets += w->vip_ctr[v].packets;
			out->vip[v].bytes += w->vip_ctr[v].bytes;
		}
		for (int r = 0; r < SH_MAX_REALS; r++) {
			out->real[r].packets += w->real_ctr[r].packets;
			out->real[r].bytes += w->real_ctr[r].bytes;
		}
	}
	for (int c = 0; c < SH_CTR_COUNT; c++)
		out->ctr[c] += sh_user_state_carried(b->state)[c];
	return sh_steer_add_stats(b->steer, out->ctr);
}

static void afxdp_describe(struct sh_backend *b, struct sh_backend_info *out)
{
	*out = b->info;
}

static int afxdp_unload(const struct sh_backend_opts *opts, char *err, size_t err_len)
{
	char path[PATH_MAX];
	int ifindex = opts->ifname ? (int)if_nametoindex(opts->ifname) : 0, removed = 0, ret;

	if (!ifindex) {
		snprintf(err, err_len, "interface %s: no such interface",
			 opts->ifname ? opts->ifname : "(none)");
		return -ENODEV;
	}
	__u64 forgotten[SH_CTR_COUNT] = { 0 }; /* the state file goes too */

	ret = sh_steer_remove_stale(ifindex, forgotten, &removed, err, err_len);
	if (ret)
		return ret;
	ret = state_path(opts, path, sizeof(path));
	if (!ret && unlink(path) && errno != ENOENT)
		ret = -errno;
	if (ret)
		snprintf(err, err_len, "state file %s: %s", path, strerror(-ret));
	return ret;
}

const struct sh_backend_ops sh_backend_afxdp = {
	.name = "afxdp",
	.probe = afxdp_probe,
	.start = afxdp_start,
	.apply = afxdp_apply,
	.read_stats = afxdp_read_stats,
	.describe = afxdp_describe,
	.stop = afxdp_stop,
	.unload = afxdp_unload,
};
