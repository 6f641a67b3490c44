/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The steering XDP program (bpf/xsk_steer.bpf.c), attached through libxdp's
 * dispatcher so it runs beside other programs on the interface, and its
 * maps: the VIP entries it steers by, kept in step with the workers' tables,
 * and the sockets it steers to.
 */
#ifndef SHOAL_AFXDP_STEER_H
#define SHOAL_AFXDP_STEER_H

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"

struct sh_steer;

/*
 * Detach every steering program a shoald left on ifindex (one killed with
 * SIGKILL cannot remove its own), adding what each counted to carried (its
 * drops of the frames that arrived while no worker ran). *removed receives
 * how many. 0 or -errno.
 */
int sh_steer_remove_stale(int ifindex, __u64 carried[SH_CTR_COUNT], int *removed, char *err,
			  size_t err_len);

/* Load and attach, steering nothing yet. 0 or -errno with the reason in err. */
int sh_steer_attach(const char *ifname, int ifindex, bool generic, struct sh_steer **out,
		    char *err, size_t err_len);
/* Frames received on queue go to the AF_XDP socket fd. */
int sh_steer_set_socket(struct sh_steer *s, __u32 queue, int fd);

/* Stop steering what prev has and t has not (before the workers take t). */
int sh_steer_retire(struct sh_steer *s, const struct sh_tables *t, const struct sh_tables *prev,
		    char *err, size_t err_len);
/* Steer by t (once the workers have it). */
int sh_steer_publish(struct sh_steer *s, const struct sh_tables *t, char *err, size_t err_len);

/* Add the counts of the frames the program passed or dropped itself. */
int sh_steer_add_stats(const struct sh_steer *s, __u64 ctr[SH_CTR_COUNT]);

/* Detach and unload. */
void sh_steer_detach(struct sh_steer *s);

#endif /* SHOAL_AFXDP_STEER_H */
