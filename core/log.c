// SPDX-License-Identifier: BSD-3-Clause
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

static enum sh_log_level max_level = SH_LOG_INFO;

void sh_log_set_level(enum sh_log_level level)
{
	max_level = level;
}

void sh_log(enum sh_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > max_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool libbpf_demoted;

void sh_log_demote_libbpf(bool demote)
{
	libbpf_demoted = demote;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum sh_log_level ours = level == LIBBPF_WARN && !libbpf_demoted ? SH_LOG_INFO : SH_LOG_DEBUG;

	if (ours > max_level)
		return 0;
	/* libbpf's lines end in a newline already. */
	return vfprintf(stderr, fmt, ap);
}

void sh_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
