/* SPDX-License-Identifier: BSD-3-Clause */
/* Does an interface's driver run XDP natively? (see xdp_probe.c) */
#ifndef SHOAL_XDP_PROBE_H
#define SHOAL_XDP_PROBE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

/* NETDEV_XDP_ACT_BASIC: XDP_PASS, XDP_DROP and XDP_TX in the driver. */
#define SH_XDP_ACT_BASIC 1ull
/* NETDEV_XDP_ACT_XSK_ZEROCOPY: AF_XDP sockets bound in zero-copy mode. */
#define SH_XDP_ACT_XSK_ZEROCOPY (1ull << 3)

/* The device's XDP feature bits from the kernel (netdev genetlink family). 0 or -errno. */
int sh_xdp_features(int ifindex, __u64 *features);

/*
 * The largest MTU at which a program without multi-buffer support (shoal's:
 * one page per frame) attaches natively to a veth; NIC drivers have limits of
 * their own near it.
 */
#define SH_XDP_VETH_MAX_MTU 3506

/* The interface's MTU, or -errno. */
int sh_xdp_mtu(const char *ifname);

/* The driver's name (ethtool), or "unknown". */
void sh_xdp_driver_name(const char *ifname, char *buf, size_t len);

/* The interface's receive queues (ethtool channels), or -errno. */
int sh_xdp_rx_queues(const char *ifname);

/* 0 when XDP can run on ifname natively (or generic is asked for); why says it in words. */
int sh_xdp_probe_native(const char *ifname, bool generic, char *why, size_t why_len);

#endif /* SHOAL_XDP_PROBE_H */
