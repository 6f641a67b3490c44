/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the AF_XDP steering program (xsk_steer.bpf.c) and its loader
 * (backends/afxdp) agree on.
 */
#ifndef SHOAL_XSK_STEER_H
#define SHOAL_XSK_STEER_H

/* Receive queues a steering program can hand to sockets (its XSKMAP's size). */
#define SH_STEER_MAX_QUEUES 64
/* VIPs and their aliases, room for two whole configs (as the XDP program's sh_vips). */
#define SH_STEER_MAX_KEYS (6 * 512)

#endif /* SHOAL_XSK_STEER_H */
