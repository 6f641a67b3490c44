// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_server.h"
#include "log.h"

struct client {
	int fd;           /* -1: free slot */
	char *in;         /* bytes received, up to SH_CTL_MAX_REQUEST */
	size_t in_len;
	char *out;        /* responses not yet written */
	size_t out_len;
	long long deadline_ms;
};

struct sh_ctl_server {
	int listen_fd;
	int epfd;
	char *path;
	struct client clients[SH_CTL_MAX_CLIENTS];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void client_close(struct sh_ctl_server *s, struct client *cl)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl->in);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = -1;
}

/* Write what is pending; 0, or -1 when the client is gone. */
static int client_flush(struct sh_ctl_server *s, struct client *cl)
{
	while (cl->out_len) {
		ssize_t n = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		memmove(cl->out, cl->out + n, cl->out_len - n);
		cl->out_len -= n;
	}
	struct epoll_event ev = { .events = EPOLLIN | (cl->out_len ? EPOLLOUT : 0), .data.ptr = cl };

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, cl->fd, &ev);
	return 0;
}

/*
 * Queue a response (taken over) for the client; -1 to drop the client: out of
 * memory, or it pipelines requests without reading the answers (each answer
 * can be far larger than its request, so its memory is bounded here).
 */
static int client_queue(void *arg, json_t *resp)
{
	struct client *cl = arg;
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t n = text ? strlen(text) : 0;
	char *out = NULL;

	json_decref(resp);
	if (text && cl->out_len + n + 1 > SH_CTL_MAX_PENDING)
		sh_log_warn("control: a client left %zu bytes of answers unread: closing the "
			    "connection", cl->out_len);
	else if (text)
		out = realloc(cl->out, cl->out_len + n + 1);
	if (!out) {
		free(text);
		return -1;
	}
	memcpy(out + cl->out_len, text, n);
	out[cl->out_len + n] = '\n';
	cl->out = out;
	cl->out_len += n + 1;
	free(text);
	return 0;
}

/* Answer every complete line received; -1 to drop the client. */
static int client_serve(struct client *cl, struct sh_ctl *c)
{
	int lines = sh_ctl_handle_lines(c, cl->in, &cl->in_len, client_queue, cl);

	if (lines < 0)
		return -1;
	if (lines)
		cl->deadline_ms = now_ms() + SH_CTL_IDLE_MS;
	if (cl->in_len >= SH_CTL_MAX_REQUEST) {
		char why[96];

		snprintf(why, sizeof(why),
			 "request: longer than %d bytes before its newline: closing the connection",
			 SH_CTL_MAX_REQUEST - 1);
		sh_log_warn("control: %s", why);
		client_queue(cl, json_pack("{s:b, s:s}", "ok", 0, "error", why));
		return -1;
	}
	return 0;
}

static void client_read(struct sh_ctl_server *s, struct client *cl, struct sh_ctl *c)
{
	for (;;) {
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, SH_CTL_MAX_REQUEST - cl->in_len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0 || (cl->in_len += n, client_serve(cl, c))) {
			client_flush(s, cl);
			client_close(s, cl);
			return;
		}
	}
	if (client_flush(s, cl))
		client_close(s, cl);
}

/* The peer's uid, or -1 when it cannot be told. */
static long long peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ? -1 : (long long)cred.uid;
}

/* Turn a client away with one error line (best effort: never blocks), then close it. */
static void refuse(int fd, const char *why)
{
	json_t *resp = json_pack("{s:b, s:s}", "ok", 0, "error", why);
	char *text = resp ? json_dumps(resp, JSON_COMPACT) : NULL;

	json_decref(resp);
	if (text && send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(text);
	close(fd);
}

static void accept_clients(struct sh_ctl_server *s)
{
	int fd;

	while ((fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client *cl = NULL;
		long long uid = peer_uid(fd);
		char why[96];

		if (uid) {
			sh_log_warn("control: refused a client of uid %lld: root only", uid);
			snprintf(why, sizeof(why), "control: root only (the peer's uid is %lld)", uid);
			refuse(fd, why);
			continue;
		}
		for (int i = 0; i < SH_CTL_MAX_CLIENTS && !cl; i++)
			if (s->clients[i].fd < 0)
				cl = &s->clients[i];
		if (!cl) {
			sh_log_warn("control: %d clients already: refusing one more",
				    SH_CTL_MAX_CLIENTS);
			snprintf(why, sizeof(why),
				 "control: %d clients are connected, the most served at once: "
				 "try again later", SH_CTL_MAX_CLIENTS);
			refuse(fd, why);
			continue;
		}
		cl->in = malloc(SH_CTL_MAX_REQUEST);
		if (!cl->in) {
			close(fd);
			continue;
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cl };

		cl->fd = fd;
		cl->deadline_ms = now_ms() + SH_CTL_IDLE_MS;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev))
			client_close(s, cl);
	}
}

void sh_ctl_server_run(struct sh_ctl_server *s, struct sh_ctl *c)
{
	struct epoll_event ev[16];
	char why[96];
	long long now;
	int n;

	while ((n = epoll_wait(s->epfd, ev, 16, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			struct client *cl = ev[i].data.ptr;

			if (!cl)
				accept_clients(s);
			else if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				client_read(s, cl, c);
			else if (client_flush(s, cl))
				client_close(s, cl);
		}
	}
	now = now_ms();
	for (int i = 0; i < SH_CTL_MAX_CLIENTS; i++) {
		if (s->clients[i].fd >= 0 && now >= s->clients[i].deadline_ms) {
			snprintf(why, sizeof(why),
				 "control: no complete request in %d ms: closing the connection",
				 SH_CTL_IDLE_MS);
			sh_log_info("%s", why);
			client_queue(&s->clients[i], json_pack("{s:b, s:s}", "ok", 0, "error", why));
			client_flush(s, &s->clients[i]);
			client_close(s, &s->clients[i]);
		}
	}
}

int sh_ctl_server_timeout(const struct sh_ctl_server *s)
{
	long long next = -1, now = now_ms();

	for (int i = 0; i < SH_CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0 && (next < 0 || s->clients[i].deadline_ms < next))
			next = s->clients[i].deadline_ms;
	return next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
}

int sh_ctl_server_fd(const struct sh_ctl_server *s)
{
	return s->epfd;
}

/* Is a daemon answering on path? (A stale socket file refuses connections.) */
static int socket_in_use(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int used = fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;

	if (fd >= 0)
		close(fd);
	return used;
}

int sh_ctl_server_open(const char *path, struct sh_ctl_server **out, char *err, size_t err_len)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct sh_ctl_server *s = calloc(1, sizeof(*s));
	char *dir = strdup(path);
	int rc = -ENOMEM;

	if (s) {
		s->listen_fd = s->epfd = -1;
		for (int i = 0; i < SH_CTL_MAX_CLIENTS; i++)
			s->clients[i].fd = -1;
	}
	if (!s || !dir || !(s->path = strdup(path)))
		goto fail_msg;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		rc = -ENAMETOOLONG;
		goto fail_msg;
	}
	strcpy(addr.sun_path, path);
	if (mkdir(dirname(dir), 0700) && errno != EEXIST) {
		rc = -errno;
		goto fail_msg;
	}
	if (socket_in_use(&addr)) {
		rc = -EADDRINUSE;
		snprintf(err, err_len, "control socket %s: another shoald answers there", path);
		goto fail;
	}
	unlink(path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	/* Created 0600 from the start: the umask closes the window before chmod. */
	mode_t old_mask = umask(0177);

	rc = s->listen_fd < 0 || s->epfd < 0 ||
	     bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	     chmod(path, 0600) || listen(s->listen_fd, SH_CTL_MAX_CLIENTS) ||
	     epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) ? -errno : 0;
	umask(old_mask);
	if (rc)
		goto fail_msg;
	free(dir);
	*out = s;
	return 0;
fail_msg:
	snprintf(err, err_len, "control socket %s: %s", path, strerror(-rc));
fail:
	free(dir);
	sh_ctl_server_close(s);
	return rc;
}

void sh_ctl_server_close(struct sh_ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < SH_CTL_MAX_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(s, &s->clients[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->path);
	free(s);
}
