// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sink.h"
#include "fuzz_util.h"

struct sh_backend {
	__u32 max_vips;
	const struct sh_tables *cur;
};

static int sink_start(const struct sh_backend_opts *opts, struct sh_backend **out,
		      struct sh_tables **recovered, char *err, size_t err_len)
{
	struct sh_backend *b = calloc(1, sizeof(*b));

	*recovered = NULL;
	if (!b) {
		snprintf(err, err_len, "sink: out of memory");
		return -ENOMEM;
	}
	b->max_vips = opts->max_vips;
	*out = b;
	return 0;
}

static int sink_apply(struct sh_backend *b, const struct sh_tables *t, const struct sh_tables *prev,
		      char *err, size_t err_len)
{
	__u32 used = 0;

	FZ_ASSERT(prev == b->cur, "apply() with prev %p, the backend forwards by %p",
		  (const void *)prev, (const void *)b->cur);
	for (__u32 id = 0; id < t->n_vip_ids; id++)
		used += t->vip_id_used[id];
	if (used > b->max_vips) {
		snprintf(err, err_len, "%u VIPs: the sink was started with room for %u", used,
			 b->max_vips);
		return -E2BIG;
	}
	b->cur = t;
	return 0;
}

/* Nothing forwards, so nothing counts. */
static int sink_read_stats(struct sh_backend *b, struct sh_stats *out)
{
	(void)b;
	memset(out, 0, sizeof(*out));
	return 0;
}

static void sink_stop(struct sh_backend *b, bool keep_forwarding)
{
	(void)keep_forwarding;
	free(b);
}

const struct sh_tables *fz_sink_tables(const struct sh_backend *b)
{
	return b->cur;
}

/* probe and unload are for shoald's start-up and --unload, which ctl never calls. */
const struct sh_backend_ops fz_sink_ops = {
	.name = "sink",
	.start = sink_start,
	.apply = sink_apply,
	.read_stats = sink_read_stats,
	.stop = sink_stop,
};
