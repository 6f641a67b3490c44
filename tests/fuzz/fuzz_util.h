/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every fuzzer here shares: an assertion that stays on in every build
 * type (a broken invariant must crash, so that libFuzzer keeps the input),
 * and the check that an error message is fit to print.
 */
#ifndef SHOAL_FUZZ_UTIL_H
#define SHOAL_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_ASSERT(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__,     \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * An error for an operator: one non-empty line starting with prefix, with no
 * control character below 0x20 (a newline would split it, an ESC would start
 * an escape sequence on the operator's terminal).
 */
static inline void fz_check_error_line(const char *err, const char *prefix)
{
	FZ_ASSERT(err[0] != '\0', "empty error message");
	FZ_ASSERT(!strncmp(err, prefix, strlen(prefix)), "error \"%s\" does not start with \"%s\"",
		  err, prefix);
	for (const unsigned char *s = (const unsigned char *)err; *s; s++)
		FZ_ASSERT(*s >= 0x20, "control character %#x in error \"%s\"", *s, err);
}

#endif /* SHOAL_FUZZ_UTIL_H */
