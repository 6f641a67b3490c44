// SPDX-License-Identifier: BSD-3-Clause
#include "env_user.h"
#include "shoal/pipeline.h"
#include "user_burst.h"

void sh_user_burst(const struct sh_tables *t, struct sh_worker *w, __u64 now_ns,
		   struct sh_pkt *pkts, __u8 *action, unsigned int n)
{
	struct sh_env env = { .t = t, .w = w };
	struct sh_meta meta[SH_BURST_MAX];
	unsigned int i;

	if (n > SH_BURST_MAX)
		n = SH_BURST_MAX;
	w->now_ns = now_ns;
	/*
	 * Start loading every packet's headers at once: with a NIC's frames
	 * still in L3 or memory, each load then overlaps the classify of the
	 * packets before it, not just of one.
	 */
	for (i = 0; i < n; i++)
		__builtin_prefetch(pkts[i].data);
	for (i = 0; i < n; i++) {
		action[i] = sh_classify(&env, &pkts[i], &meta[i]);
		if (action[i] == SH_ACT_NEXT)
			sh_env_ct_prefetch(&env, meta[i].hash);
	}
	for (i = 0; i < n; i++)
		if (action[i] == SH_ACT_NEXT)
			action[i] = sh_forward(&env, &pkts[i], &meta[i]);
}
