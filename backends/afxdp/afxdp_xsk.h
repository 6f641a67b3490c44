/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One AF_XDP socket with its own UMEM (libxdp's xsk API): the frames, the
 * fill and completion rings that lend them to the kernel and get them back,
 * and the rx and tx rings. Frames the owner holds sit on a free stack. Used
 * by the AF_XDP workers and by the benchmark's plain echo forwarder.
 */
#ifndef SHOAL_AFXDP_XSK_H
#define SHOAL_AFXDP_XSK_H

#include <stdbool.h>
#include <stddef.h>
#include <xdp/xsk.h>

#include "backend.h" /* enum sh_xsk_copy_mode */

#define SH_XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define SH_XSK_RING_SIZE 2048
/* Enough to keep the fill ring full while the rx and tx rings hold as much again. */
#define SH_XSK_FRAMES (2 * SH_XSK_RING_SIZE)

struct sh_xsk_opts {
	const char *ifname;
	__u32 queue;
	enum sh_xsk_copy_mode copy_mode;
	bool generic_xdp; /* the steering program runs in skb mode: copy mode only */
	bool busy_poll;   /* SO_PREFER_BUSY_POLL and a budget of a burst */
};

struct sh_xsk {
	void *area; /* the UMEM: SH_XSK_FRAMES frames */
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u64 free[SH_XSK_FRAMES]; /* frame addresses held by us, not lent to the kernel */
	__u32 n_free;
	__u32 tx_in_flight;
	int fd;
	bool zero_copy;
	bool busy_poll;
};

/*
 * Make x on opts->queue of opts->ifname, the fill ring full. why receives
 * which mode was taken and why (copy or zero-copy); err the reason of a
 * failure. 0 or -errno. x is left closed on failure.
 */
int sh_xsk_open(struct sh_xsk *x, const struct sh_xsk_opts *opts, char *why, size_t why_len,
		char *err, size_t err_len);
/* Close the socket, give back the UMEM. Safe on a closed or zeroed x. */
void sh_xsk_close(struct sh_xsk *x);

/* The frame an rx descriptor's address lies in (its headroom starts there). */
static inline void *sh_xsk_frame(const struct sh_xsk *x, __u64 addr)
{
	return (char *)x->area + (addr & ~(__u64)(SH_XSK_FRAME_SIZE - 1));
}

/* Lend the free frames to the kernel's fill ring, as many as it takes. */
void sh_xsk_refill(struct sh_xsk *x);
/* Take back the frames whose transmission completed. */
void sh_xsk_complete(struct sh_xsk *x);
/*
 * Queue n frames for transmission (frame i starts at data[i], len[i] bytes
 * long) and wake the kernel when it asks. Returns how many the tx ring took,
 * the first ones; the caller keeps the others.
 */
unsigned int sh_xsk_send(struct sh_xsk *x, void *const *data, const __u32 *len, unsigned int n);
/* Have the kernel send what the tx ring holds (one batch at a time in copy mode). */
void sh_xsk_kick_tx(struct sh_xsk *x);
/* Wake the kernel's receive side when the fill ring asks for it (zero-copy drivers). */
void sh_xsk_kick_rx(struct sh_xsk *x);

static inline void sh_xsk_recycle(struct sh_xsk *x, __u64 addr)
{
	x->free[x->n_free++] = addr & ~(__u64)(SH_XSK_FRAME_SIZE - 1);
}

#endif /* SHOAL_AFXDP_XSK_H */
