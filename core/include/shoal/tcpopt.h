/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server_id TCP option: reals stamp kind 0xB7, length 6, a 32-bit id into
 * their segments (and clients echo it back), so a non-SYN packet can be routed
 * to its real with no state on the LB at all.
 */
#ifndef SHOAL_TCPOPT_H
#define SHOAL_TCPOPT_H

#include "shoal/hdr.h"
#include "shoal/pkt.h"

#define SH_TCPOPT_SERVER_ID 0xB7
#define SH_TCPOPT_SERVER_ID_LEN 6
#define SH_TCPOPT_EOL 0
#define SH_TCPOPT_NOP 1
#define SH_TCPOPT_WALK_MAX 15 /* options examined at most */

/*
 * The server_id carried by the TCP options from off to end (the end of the
 * header), or 0 when there is none. The walk stops at end, at EOL, at an
 * option whose length is below 2 or runs past end, or after
 * SH_TCPOPT_WALK_MAX options.
 */
SH_INLINE __u32 sh_tcpopt_server_id_walk(const struct sh_pkt *p, __u32 off, __u32 end)
{
	__u32 i;
	__u8 *opt;

	for (i = 0; i < SH_TCPOPT_WALK_MAX; i++) {
		if (off >= end)
			return 0;
		opt = sh_pkt_at(p, off, 1);
		if (!opt || opt[0] == SH_TCPOPT_EOL)
			return 0;
		if (opt[0] == SH_TCPOPT_NOP) {
			off++;
			continue;
		}
		opt = sh_pkt_at(p, off, 2);
		if (!opt || opt[1] < 2 || off + opt[1] > end)
			return 0;
		if (opt[0] == SH_TCPOPT_SERVER_ID && opt[1] == SH_TCPOPT_SERVER_ID_LEN) {
			__be32 *id = sh_pkt_at(p, off + 2, sizeof(*id));

			return id ? sh_ntohl(*id) : 0;
		}
		off += opt[1];
	}
	return 0;
}

/* The server_id carried by the TCP header at l4_off, or 0 when there is none. */
SH_INLINE __u32 sh_tcpopt_server_id(const struct sh_pkt *p, __u32 l4_off)
{
	struct sh_tcphdr *tcp = sh_pkt_at(p, l4_off, sizeof(*tcp));

	if (!tcp)
		return 0;
	return sh_tcpopt_server_id_walk(p, l4_off + sizeof(*tcp),
					l4_off + (tcp->doff_res >> 4) * 4);
}

#endif /* SHOAL_TCPOPT_H */
