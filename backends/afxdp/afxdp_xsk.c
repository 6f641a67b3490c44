// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "afxdp_xsk.h"
#include "xdp_probe.h"

#define UMEM_BYTES ((size_t)SH_XSK_FRAMES * SH_XSK_FRAME_SIZE)

static int umem_make(struct sh_xsk *x, const struct sh_xsk_opts *o, char *err, size_t err_len)
{
	struct xsk_umem_config cfg = {
		.fill_size = SH_XSK_RING_SIZE,
		.comp_size = SH_XSK_RING_SIZE,
		.frame_size = SH_XSK_FRAME_SIZE,
		.frame_headroom = 0, /* the kernel leaves XDP_PACKET_HEADROOM: room for any encap */
	};
	int ret;

	x->area = mmap(NULL, UMEM_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		ret = -errno;
		x->area = NULL;
		snprintf(err, err_len, "%s queue %u: allocating the UMEM (%zu MiB): %s", o->ifname,
			 o->queue, UMEM_BYTES >> 20, strerror(-ret));
		return ret;
	}
	ret = xsk_umem__create(&x->umem, x->area, UMEM_BYTES, &x->fill, &x->comp, &cfg);
	if (ret) {
		x->umem = NULL;
		snprintf(err, err_len,
			 "%s queue %u: registering the UMEM (%zu MiB) with the kernel: %s%s", o->ifname,
			 o->queue, UMEM_BYTES >> 20, strerror(-ret),
			 ret == -ENOBUFS || ret == -ENOMEM || ret == -EPERM
				 ? " (pinned memory is limited: raise RLIMIT_MEMLOCK, or run with "
				   "CAP_IPC_LOCK)"
				 : "");
	}
	return ret;
}

static int sock_make(struct sh_xsk *x, const struct sh_xsk_opts *o, bool zero_copy)
{
	struct xsk_socket_config cfg = {
		.rx_size = SH_XSK_RING_SIZE,
		.tx_size = SH_XSK_RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, /* steering is ours */
		.bind_flags = XDP_USE_NEED_WAKEUP | (zero_copy ? XDP_ZEROCOPY : XDP_COPY),
	};
	int ret = xsk_socket__create(&x->sock, o->ifname, o->queue, x->umem, &x->rx, &x->tx, &cfg);

	if (ret)
		x->sock = NULL;
	return ret;
}

/* Zero-copy or copy, and in words why. */
static bool want_zero_copy(const struct sh_xsk_opts *o, char *why, size_t why_len)
{
	char drv[32];
	__u64 features = 0;
	int ifindex = (int)if_nametoindex(o->ifname);

	sh_xdp_driver_name(o->ifname, drv, sizeof(drv));
	if (o->copy_mode == SH_XSK_COPY) {
		snprintf(why, why_len, "copy mode, as asked (--copy)");
		return false;
	}
	if (o->generic_xdp) {
		snprintf(why, why_len, "copy mode: generic XDP has no zero-copy");
		return false;
	}
	if (o->copy_mode == SH_XSK_ZEROCOPY) {
		snprintf(why, why_len, "zero-copy, as asked (--zero-copy; driver %s)", drv);
		return true;
	}
	if (sh_xdp_features(ifindex, &features)) {
		snprintf(why, why_len, "zero-copy (driver %s; the kernel does not report XDP features, "
			 "so trying)", drv);
		return true;
	}
	if (!(features & SH_XDP_ACT_XSK_ZEROCOPY)) {
		snprintf(why, why_len, "copy mode: driver %s does not offer AF_XDP zero-copy", drv);
		return false;
	}
	snprintf(why, why_len, "zero-copy: driver %s offers it", drv);
	return true;
}

static void busy_poll_on(struct sh_xsk *x)
{
	int one = 1, usecs = 20, budget = 64;

	x->busy_poll = !setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) &&
		       !setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) &&
		       !setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget));
}

int sh_xsk_open(struct sh_xsk *x, const struct sh_xsk_opts *o, char *why, size_t why_len,
		char *err, size_t err_len)
{
	bool zc = want_zero_copy(o, why, why_len);
	int ret;

	memset(x, 0, sizeof(*x));
	x->fd = -1;
	ret = umem_make(x, o, err, err_len);
	if (ret)
		goto fail;
	ret = sock_make(x, o, zc);
	if (ret && zc && o->copy_mode == SH_XSK_AUTO) {
		/*
		 * The UMEM's socket has its rings set up now and cannot be bound
		 * again: start over with a new one, in copy mode.
		 */
		snprintf(why, why_len, "copy mode: binding zero-copy failed (%s)", strerror(-ret));
		sh_xsk_close(x);
		x->fd = -1;
		zc = false;
		ret = umem_make(x, o, err, err_len);
		if (ret)
			goto fail;
		ret = sock_make(x, o, false);
	}
	if (ret) {
		snprintf(err, err_len, "%s queue %u: AF_XDP socket (%s): %s", o->ifname, o->queue,
			 zc ? "zero-copy" : "copy mode", strerror(-ret));
		goto fail;
	}
	x->fd = xsk_socket__fd(x->sock);
	x->zero_copy = zc;
	if (o->busy_poll)
		busy_poll_on(x);
	for (__u32 i = 0; i < SH_XSK_FRAMES; i++)
		x->free[x->n_free++] = (__u64)i * SH_XSK_FRAME_SIZE;
	sh_xsk_refill(x);
	return 0;
fail:
	sh_xsk_close(x);
	return ret;
}

void sh_xsk_close(struct sh_xsk *x)
{
	if (x->sock)
		xsk_socket__delete(x->sock);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, UMEM_BYTES);
	x->sock = NULL;
	x->umem = NULL;
	x->area = NULL;
	x->n_free = 0;
}

void sh_xsk_refill(struct sh_xsk *x)
{
	__u32 idx, n = x->n_free;

	if (!n)
		return;
	/* reserve takes all or nothing: ask for what the ring has room for. */
	n = xsk_prod_nb_free(&x->fill, n);
	if (n > x->n_free)
		n = x->n_free;
	n = xsk_ring_prod__reserve(&x->fill, n, &idx);
	for (__u32 i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = x->free[--x->n_free];
	xsk_ring_prod__submit(&x->fill, n);
}

void sh_xsk_complete(struct sh_xsk *x)
{
	__u32 idx, n;

	if (!x->tx_in_flight)
		return;
	n = xsk_ring_cons__peek(&x->comp, SH_XSK_RING_SIZE, &idx);
	for (__u32 i = 0; i < n; i++)
		sh_xsk_recycle(x, *xsk_ring_cons__comp_addr(&x->comp, idx + i));
	xsk_ring_cons__release(&x->comp, n);
	x->tx_in_flight -= n;
}

unsigned int sh_xsk_send(struct sh_xsk *x, void *const *data, const __u32 *len, unsigned int n)
{
	__u32 idx, room = xsk_prod_nb_free(&x->tx, n);

	n = xsk_ring_prod__reserve(&x->tx, n < room ? n : room, &idx);
	for (unsigned int i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&x->tx, idx + i);

		d->addr = (__u64)((char *)data[i] - (char *)x->area);
		d->len = len[i];
	}
	xsk_ring_prod__submit(&x->tx, n);
	x->tx_in_flight += n;
	if (n)
		sh_xsk_kick_tx(x);
	return n;
}

void sh_xsk_kick_tx(struct sh_xsk *x)
{
	/*
	 * Copy mode always asks: the kernel sends inside the syscall, at most
	 * a batch (32) of descriptors each time, so the caller kicks again
	 * while frames are in flight (sh_xsk_complete tells).
	 */
	if (xsk_ring_prod__needs_wakeup(&x->tx))
		sendto(x->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}

void sh_xsk_kick_rx(struct sh_xsk *x)
{
	if (x->busy_poll || xsk_ring_prod__needs_wakeup(&x->fill))
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}
