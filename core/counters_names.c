// SPDX-License-Identifier: BSD-3-Clause
#include <ctype.h>

#include "counters_names.h"

#define SH_CTR(name, text) [SH_CTR_##name] = #name,
#define SH_DROP(name, text) [SH_DROP_##name] = #name,
static const char *const upper_names[SH_CTR_COUNT] = {
#include "shoal/counters.def"
};
#undef SH_CTR
#undef SH_DROP

#define SH_CTR(name, text) [SH_CTR_##name] = text,
#define SH_DROP(name, text) [SH_DROP_##name] = text,
static const char *const help[SH_CTR_COUNT] = {
#include "shoal/counters.def"
};
#undef SH_CTR
#undef SH_DROP

static char keys[SH_CTR_COUNT][32];

__attribute__((constructor)) static void make_keys(void)
{
	for (int i = 0; i < SH_CTR_COUNT; i++) {
		if (!upper_names[i])
			continue;
		for (int j = 0; upper_names[i][j] && j < 31; j++)
			keys[i][j] = (char)tolower((unsigned char)upper_names[i][j]);
	}
}

const char *sh_ctr_key(enum sh_ctr ctr)
{
	return ctr < SH_CTR_COUNT ? keys[ctr] : "";
}

const char *sh_ctr_help(enum sh_ctr ctr)
{
	return ctr < SH_CTR_COUNT && help[ctr] ? help[ctr] : "";
}
