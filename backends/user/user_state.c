// SPDX-License-Identifier: BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user_state.h"

#define STATE_MAGIC 0x3174617473686873ull /* "shhstat1" */
#define STATE_VERSION 2
#define STATE_PAGE 4096u

/* What sh_tables_build reads of prev: real indices, freed generations, vip ids. */
struct state_identity {
	__u32 valid;
	__u32 generation;
	__u32 n_reals;
	__u32 n_vip_ids;
	struct sh_real reals[SH_MAX_REALS];
	__u32 real_freed_at[SH_MAX_REALS];
	struct sh_vip_key vip_id_key[SH_MAX_VIPS];
};

struct state_header {
	__u64 magic;
	__u32 version;
	__u32 n_workers;
	__u32 ct_buckets;
	__u32 worker_bytes; /* sizeof(struct sh_worker) of the program that made the file */
	_Atomic __u32 active; /* which identity copy is the current one */
	__u32 pad;
	__u64 size;
	__u64 carried[SH_CTR_COUNT];
	struct state_identity identity[2];
};

struct sh_user_state {
	char *path;
	int fd;
	struct state_header *h;
	size_t size;
	size_t worker_stride;
	size_t workers_off;
};

static size_t page_up(size_t n)
{
	return (n + STATE_PAGE - 1) / STATE_PAGE * STATE_PAGE;
}

static bool header_fits(const struct state_header *h, __u32 n_workers, __u32 buckets, size_t size)
{
	return h->magic == STATE_MAGIC && h->version == STATE_VERSION && h->n_workers == n_workers &&
	       h->ct_buckets == buckets && h->worker_bytes == sizeof(struct sh_worker) &&
	       h->size == size && atomic_load(&h->active) < 2;
}

int sh_user_state_open(const char *path, __u32 n_workers, __u32 conntrack_size,
		       struct sh_user_state **out, bool *reused, char *err, size_t err_len)
{
	struct sh_user_state *s = calloc(1, sizeof(*s));
	__u32 buckets = sh_worker_ct_buckets(conntrack_size);
	struct stat st;
	const char *what;
	int ret;

	*out = NULL;
	*reused = false;
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->workers_off = page_up(sizeof(struct state_header));
	s->worker_stride = page_up(sizeof(struct sh_worker)) + page_up((size_t)buckets * 64);
	s->size = s->workers_off + (size_t)n_workers * s->worker_stride;
	s->path = strdup(path);
	what = "opening";
	s->fd = s->path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (s->fd < 0)
		goto fail_errno;
	/* One daemon per file: a second one on the same interface must not share it. */
	what = "locking (another shoald uses it)";
	if (flock(s->fd, LOCK_EX | LOCK_NB))
		goto fail_errno;
	what = "sizing";
	if (fstat(s->fd, &st))
		goto fail_errno;
	if ((size_t)st.st_size != s->size && ftruncate(s->fd, (off_t)s->size))
		goto fail_errno;
	what = "mapping";
	s->h = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->h == MAP_FAILED) {
		s->h = NULL;
		goto fail_errno;
	}
	if ((size_t)st.st_size == s->size && header_fits(s->h, n_workers, buckets, s->size)) {
		*reused = true;
	} else {
		/* Another shape: what it holds cannot be read as this one. Start empty. */
		memset(s->h, 0, s->size);
		s->h->n_workers = n_workers;
		s->h->ct_buckets = buckets;
		s->h->worker_bytes = sizeof(struct sh_worker);
		s->h->version = STATE_VERSION;
		s->h->size = s->size;
		atomic_store(&s->h->active, 0);
		atomic_thread_fence(memory_order_release);
		s->h->magic = STATE_MAGIC;
	}
	/* Conntrack is a random access per packet: ask for huge pages (best effort). */
	madvise(s->h, s->size, MADV_HUGEPAGE);
	for (__u32 i = 0; i < n_workers; i++) {
		struct sh_worker *w = sh_user_state_worker(s, i);

		w->ct = (struct sh_ct_bucket *)((char *)w + page_up(sizeof(*w)));
		w->ct_mask = buckets - 1;
	}
	*out = s;
	return 0;
fail_errno:
	ret = -errno;
	snprintf(err, err_len, "state file %s: %s: %s", path, what, strerror(-ret));
	sh_user_state_close(s, false);
	return ret;
}

struct sh_worker *sh_user_state_worker(struct sh_user_state *s, __u32 i)
{
	return (struct sh_worker *)((char *)s->h + s->workers_off + i * s->worker_stride);
}

int sh_user_state_identity(const struct sh_user_state *s, struct sh_tables **out)
{
	const struct state_identity *id = &s->h->identity[atomic_load(&s->h->active)];
	struct sh_tables *t;

	*out = NULL;
	if (!id->valid)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->vips = calloc(1, sizeof(*t->vips));
	t->sids = calloc(1, sizeof(*t->sids));
	t->vip_id = calloc(1, sizeof(*t->vip_id));
	t->rings = calloc(1, sizeof(*t->rings));
	t->vip_id_used = calloc(SH_MAX_VIPS, sizeof(*t->vip_id_used));
	t->reals = malloc(sizeof(id->reals));
	t->real_freed_at = malloc(sizeof(id->real_freed_at));
	t->vip_id_key = malloc(sizeof(id->vip_id_key));
	if (!t->vips || !t->sids || !t->vip_id || !t->rings || !t->vip_id_used || !t->reals ||
	    !t->real_freed_at || !t->vip_id_key) {
		sh_tables_free(t);
		return -ENOMEM;
	}
	memcpy(t->reals, id->reals, sizeof(id->reals));
	memcpy(t->real_freed_at, id->real_freed_at, sizeof(id->real_freed_at));
	memcpy(t->vip_id_key, id->vip_id_key, sizeof(id->vip_id_key));
	t->generation = id->generation;
	t->n_reals = id->n_reals;
	t->n_vip_ids = id->n_vip_ids;
	*out = t;
	return 0;
}

void sh_user_state_save(struct sh_user_state *s, const struct sh_tables *t)
{
	__u32 next = atomic_load(&s->h->active) ^ 1;
	struct state_identity *id = &s->h->identity[next];

	id->valid = 0;
	memcpy(id->reals, t->reals, t->n_reals * sizeof(*t->reals));
	memset(id->reals + t->n_reals, 0, (SH_MAX_REALS - t->n_reals) * sizeof(*t->reals));
	memcpy(id->real_freed_at, t->real_freed_at, t->n_reals * sizeof(*t->real_freed_at));
	memcpy(id->vip_id_key, t->vip_id_key, t->n_vip_ids * sizeof(*t->vip_id_key));
	id->generation = t->generation;
	id->n_reals = t->n_reals;
	id->n_vip_ids = t->n_vip_ids;
	id->valid = 1;
	/* The copy is whole before it becomes the current one. */
	atomic_store_explicit(&s->h->active, next, memory_order_release);
}

__u64 *sh_user_state_carried(struct sh_user_state *s)
{
	return s->h->carried;
}

void sh_user_state_close(struct sh_user_state *s, bool remove_file)
{
	if (!s)
		return;
	if (s->h)
		munmap(s->h, s->size);
	if (s->fd >= 0) {
		if (remove_file)
			unlink(s->path);
		close(s->fd);
	}
	free(s->path);
	free(s);
}
