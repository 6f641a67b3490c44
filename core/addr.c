// SPDX-License-Identifier: BSD-3-Clause
/*
 * Text forms of struct sh_addr: what configs, errors, logs and the CLI use.
 * IPv4 lives in w[0] in network byte order, w[1..3] stay zero.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"

_Static_assert(SH_ADDR_STRLEN >= INET6_ADDRSTRLEN, "SH_ADDR_STRLEN holds any IPv6 text form");

const char *sh_addr_str(const struct sh_addr *a, __u8 family, char *buf)
{
	const char *s = NULL;

	if (family == SH_AF_INET)
		s = inet_ntop(AF_INET, &a->w[0], buf, SH_ADDR_STRLEN);
	else if (family == SH_AF_INET6)
		s = inet_ntop(AF_INET6, a->w, buf, SH_ADDR_STRLEN);
	if (!s)
		snprintf(buf, SH_ADDR_STRLEN, "(no address)");
	return buf;
}

int sh_addr_parse(const char *s, struct sh_addr *a, __u8 *family)
{
	memset(a, 0, sizeof(*a));
	*family = SH_AF_NONE;
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a->w[0]) == 1) {
		*family = SH_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->w) == 1) {
		*family = SH_AF_INET6;
		return 0;
	}
	memset(a, 0, sizeof(*a));
	return -EINVAL;
}
