// SPDX-License-Identifier: BSD-3-Clause
/*
 * Fuzzing the config parser (core/config.c) and the table build (core/tables.c).
 *
 * Input: config text A, optionally followed by a NUL byte and config text B
 * (JSON text holds no NUL, so the split is unambiguous). Each text goes
 * through sh_config_load_string():
 *   - refused: -errno, one line of error naming the origin, *out zeroed;
 *   - accepted: every documented rule holds (fz_check_config), and tables
 *     built from it serve it (fz_check_tables).
 * When both are accepted, B is also built on top of A's tables, as the
 * control plane does on a change: real indices and vip ids survive
 * (fz_check_stable), and every ring slot names the same real as in B built
 * from nothing (fz_check_same_rings).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fuzz_tables.h"
#include "fuzz_util.h"
#include "tables.h"

#define ORIGIN "fuzz.json"

/* Load text; 1 when accepted (cfg filled), 0 when refused as it should be. */
static int load(const char *text, struct sh_config *cfg)
{
	static const struct sh_config zero;
	char err[SH_CFG_ERR_LEN];
	int rc = sh_config_load_string(text, ORIGIN, cfg, err, sizeof(err));

	if (rc == 0) {
		fz_check_config(cfg);
		return 1;
	}
	FZ_ASSERT(rc == -EINVAL, "refused with %d (%s), not -EINVAL", rc, err);
	FZ_ASSERT(!memcmp(cfg, &zero, sizeof(zero)), "a refused config left *out filled");
	fz_check_error_line(err, ORIGIN ": ");
	return 0;
}

/* Tables for cfg on top of prev (or NULL), which must build. */
static struct sh_tables *build(const struct sh_config *cfg, const struct sh_tables *prev)
{
	char err[SH_CFG_ERR_LEN];
	struct sh_tables *t;
	int rc = sh_tables_build(cfg, prev, &t, err, sizeof(err));

	FZ_ASSERT(rc == 0, "an accepted config does not build: %s", err);
	fz_check_tables(cfg, t);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy with a NUL after it: text A is up to the first NUL, text B after it. */
	char *a = malloc(size + 1), *b = NULL;
	struct sh_config ca, cb;
	struct sh_tables *ta = NULL, *tb = NULL, *tb_fresh = NULL;
	int ok_a, ok_b = 0;

	FZ_ASSERT(a, "out of memory");
	memcpy(a, data, size);
	a[size] = '\0';
	if (strlen(a) < size)
		b = a + strlen(a) + 1;
	ok_a = load(a, &ca);
	if (b)
		ok_b = load(b, &cb);
	if (ok_a && fz_tables_affordable(&ca)) {
		ta = build(&ca, NULL);
		if (ok_b && fz_tables_affordable(&cb)) {
			tb = build(&cb, ta);
			fz_check_stable(&cb, tb, ta);
			tb_fresh = build(&cb, NULL);
			fz_check_same_rings(&cb, tb, tb_fresh);
		}
	}
	sh_tables_free(tb_fresh);
	sh_tables_free(tb);
	sh_tables_free(ta);
	if (ok_b)
		sh_config_free(&cb);
	if (ok_a)
		sh_config_free(&ca);
	free(a);
	return 0;
}
