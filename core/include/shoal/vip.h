/* SPDX-License-Identifier: BSD-3-Clause */
/* Finding the VIP a packet belongs to. Needs an environment (shoal/env.h). */
#ifndef SHOAL_VIP_H
#define SHOAL_VIP_H

#include "shoal/env.h"
#include "shoal/flow.h"

/*
 * The VIP for (dst, dport, proto), else the port-0 VIP of (dst, proto).
 * Fragments carry no reliable port, so they use the (dst, 0, proto) entry
 * only: the port-0 VIP, or the fragment alias the control plane adds for
 * addresses that have none (SH_VIP_F_FRAG_ONLY), which other packets skip.
 */
SH_INLINE const struct sh_vip *sh_vip_lookup(struct sh_env *e, const struct sh_flow *f, int frag)
{
	struct sh_vip_key k = {};
	const struct sh_vip *v;

	k.addr = f->dst;
	k.family = f->family;
	k.proto = f->proto;
	if (!frag) {
		k.port = f->dport;
		v = sh_env_vip_find(e, &k);
		if (v)
			return v;
	}
	k.port = 0;
	v = sh_env_vip_find(e, &k);
	/* (addr, 0, 0) is the address-only entry: never a VIP for a packet. */
	if (v && ((v->flags & SH_VIP_F_ADDR_ONLY) || ((v->flags & SH_VIP_F_FRAG_ONLY) && !frag)))
		return (void *)0;
	return v;
}

/* Is addr one of the VIP addresses (any port, any protocol)? */
SH_INLINE const struct sh_vip *sh_vip_addr_lookup(struct sh_env *e, const struct sh_addr *addr,
						  __u8 family)
{
	struct sh_vip_key k = {};

	k.addr = *addr;
	k.family = family;
	return sh_env_vip_find(e, &k);
}

#endif /* SHOAL_VIP_H */
