/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging for the daemon and tools: one line per event, to stderr. */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#include <stdbool.h>

enum sh_log_level {
	SH_LOG_ERROR = 0, /* the program stops because of it */
	SH_LOG_WARN = 1,
	SH_LOG_INFO = 2,
	SH_LOG_DEBUG = 3,
};

/* Messages above this level are dropped; -v raises it. */
void sh_log_set_level(enum sh_log_level level);
/* libbpf's messages, demoted one level (its warnings are our info). */
void sh_log_route_libbpf(void);
/*
 * While demoted, libbpf's warnings are debug lines (-v): for a caller that
 * expects some (libxdp probing its dispatcher) and says in its own words
 * what failed.
 */
void sh_log_demote_libbpf(bool demote);

void sh_log(enum sh_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sh_log_error(...) sh_log(SH_LOG_ERROR, __VA_ARGS__)
#define sh_log_warn(...) sh_log(SH_LOG_WARN, __VA_ARGS__)
#define sh_log_info(...) sh_log(SH_LOG_INFO, __VA_ARGS__)
#define sh_log_debug(...) sh_log(SH_LOG_DEBUG, __VA_ARGS__)

#endif /* SHOAL_LOG_H */
