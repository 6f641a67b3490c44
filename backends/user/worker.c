// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

int sh_worker_create(__u32 conntrack_size, struct sh_worker **out)
{
	struct sh_worker *w = aligned_alloc(64, sizeof(*w));
	__u32 buckets = 1;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	while (buckets * SH_CT_WAYS < conntrack_size)
		buckets <<= 1;
	w->ct = aligned_alloc(64, (size_t)buckets * sizeof(*w->ct));
	if (!w->ct) {
		free(w);
		return -ENOMEM;
	}
	memset(w->ct, 0, (size_t)buckets * sizeof(*w->ct));
	w->ct_mask = buckets - 1;
	*out = w;
	return 0;
}

void sh_worker_free(struct sh_worker *w)
{
	if (!w)
		return;
	free(w->ct);
	free(w);
}
