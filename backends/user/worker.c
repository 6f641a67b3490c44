// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "worker.h"

#define SH_HUGE_PAGE (2u << 20)

__u32 sh_worker_ct_buckets(__u32 conntrack_size)
{
	__u32 buckets = 1;

	while (buckets * SH_CT_WAYS < conntrack_size)
		buckets <<= 1;
	return buckets;
}

int sh_worker_create(__u32 conntrack_size, struct sh_worker **out)
{
	struct sh_worker *w = aligned_alloc(64, sizeof(*w));
	__u32 buckets = sh_worker_ct_buckets(conntrack_size);
	size_t bytes, align;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	bytes = (size_t)buckets * sizeof(*w->ct);
	/*
	 * A flow's bucket is a random access: with 4 KiB pages a large table
	 * misses the TLB on nearly every packet as well as the cache. Ask for
	 * 2 MiB pages (transparent huge pages; best effort, the table works
	 * without them). bytes is a power of two, so a multiple of the page.
	 */
	align = bytes >= SH_HUGE_PAGE ? SH_HUGE_PAGE : 64;
	w->ct = aligned_alloc(align, bytes);
	if (!w->ct) {
		free(w);
		return -ENOMEM;
	}
	if (align == SH_HUGE_PAGE)
		madvise(w->ct, bytes, MADV_HUGEPAGE);
	memset(w->ct, 0, bytes);
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
