// SPDX-License-Identifier: BSD-3-Clause
/*
 * The config loader: a full config parses to the right values, defaults apply,
 * and every bad field gets a one-line error naming its JSON path and value,
 * with the output left zeroed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctype.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define ORIGIN "lb.json"

/* Pieces the error cases are built from. */
#define MAC "\"gateway_mac\": \"02:00:00:00:00:01\""
#define SRC4 "\"ipv4_src\": \"198.18.0.10\""
#define SRC6 "\"ipv6_src\": \"2001:db8::10\""
#define LB "{ " MAC ", " SRC4 ", " SRC6
#define LB_OK LB " }"
#define VIP "\"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\""
/* A VIP without its port, for the port cases. */
#define VIP_A "\"address\": \"198.18.100.1\", \"protocol\": \"tcp\""
#define VIP6 "\"address\": \"2001:db8:100::1\", \"port\": 443, \"protocol\": \"udp\""
#define REAL "{ \"address\": \"198.18.1.1\" }"
#define REAL2 "{ \"address\": \"198.18.1.2\" }"

static const char full_config[] =
	"{\n"
	"  \"lb\": { \"ipv4_src\": \"198.18.0.10\", \"ipv6_src\": \"2001:db8::10\",\n"
	"          \"gateway_mac\": \"02:00:00:aB:cd:EF\",\n"
	"          \"hash_key\": \"0123456789abcdefFEDCBA9876543210\",\n"
	"          \"ring_size\": 13, \"conntrack_size\": 4096, \"mtu\": 9000,\n"
	"          \"gue_port\": 9999, \"udp_timeout_ms\": 5000 },\n"
	"  \"vips\": [\n"
	"    { \"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"tcp\",\n"
	"      \"encap\": \"ipip\", \"hash\": \"maglev\", \"flags\": [],\n"
	"      \"reals\": [ { \"address\": \"198.18.1.1\", \"weight\": 1, \"server_id\": 101 },\n"
	"                 { \"address\": \"2001:db8:1::2\", \"weight\": 0, \"server_id\": 102 },\n"
	"                 { \"address\": \"198.18.1.3\", \"weight\": 65535 } ] },\n"
	"    { \"address\": \"2001:db8:100::1\", \"port\": 0, \"protocol\": \"udp\",\n"
	"      \"encap\": \"gue\", \"hash\": \"rendezvous\",\n"
	"      \"flags\": [\"no_lru\", \"dport_hash\"],\n"
	"      \"reals\": [ { \"address\": \"198.18.1.1\", \"server_id\": 101 },\n"
	"                 { \"address\": \"2001:db8:1::2\" } ] },\n"
	"    { \"address\": \"198.18.100.1\", \"protocol\": \"tcp\", \"flags\": [\"no_sport\"] },\n"
	"    { \"address\": \"198.18.100.1\", \"port\": 80, \"protocol\": \"udp\",\n"
	"      \"reals\": [] }\n"
	"  ]\n"
	"}\n";

static struct sh_addr addr4(const char *s)
{
	struct sh_addr a = { 0 };

	assert_int_equal(inet_pton(AF_INET, s, &a.w[0]), 1);
	return a;
}

static struct sh_addr addr6(const char *s)
{
	struct sh_addr a = { 0 };

	assert_int_equal(inet_pton(AF_INET6, s, a.w), 1);
	return a;
}

static void assert_addr(const struct sh_addr *got, struct sh_addr want)
{
	assert_memory_equal(got, &want, sizeof(want));
}

static void assert_zeroed(const struct sh_config *cfg)
{
	static const struct sh_config zero;

	assert_memory_equal(cfg, &zero, sizeof(zero));
}

static void test_full_config(void **state)
{
	static const __u8 mac[SH_ETH_ALEN] = { 0x02, 0, 0, 0xab, 0xcd, 0xef };
	struct sh_config cfg;
	char err[SH_CFG_ERR_LEN] = "junk";
	const struct sh_cfg_vip *v;

	(void)state;
	assert_int_equal(sh_config_load_string(full_config, ORIGIN, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_true(cfg.lb.has_src4);
	assert_true(cfg.lb.has_src6);
	assert_addr(&cfg.lb.src4, addr4("198.18.0.10"));
	assert_addr(&cfg.lb.src6, addr6("2001:db8::10"));
	assert_memory_equal(cfg.lb.gateway_mac, mac, sizeof(mac));
	assert_true(cfg.lb.hash_key[0] == 0x0123456789abcdefULL);
	assert_true(cfg.lb.hash_key[1] == 0xfedcba9876543210ULL);
	assert_int_equal(cfg.lb.ring_size, 13);
	assert_int_equal(cfg.conntrack_size, 4096);
	assert_int_equal(cfg.lb.mtu, 9000);
	assert_int_equal(cfg.lb.gue_port, 9999);
	assert_int_equal(cfg.lb.udp_timeout_ms, 5000);

	assert_int_equal(cfg.n_vips, 4);
	v = &cfg.vips[0];
	assert_int_equal(v->family, SH_AF_INET);
	assert_addr(&v->addr, addr4("198.18.100.1"));
	assert_int_equal(v->port, 80);
	assert_int_equal(v->proto, IPPROTO_TCP);
	assert_int_equal(v->encap, SH_ENCAP_IPIP);
	assert_int_equal(v->hash, SH_HASH_MAGLEV);
	assert_int_equal(v->flags, 0);
	assert_int_equal(v->n_reals, 3);
	assert_int_equal(v->reals[0].family, SH_AF_INET);
	assert_addr(&v->reals[0].addr, addr4("198.18.1.1"));
	assert_int_equal(v->reals[0].weight, 1);
	assert_int_equal(v->reals[0].server_id, 101);
	assert_int_equal(v->reals[1].family, SH_AF_INET6);
	assert_addr(&v->reals[1].addr, addr6("2001:db8:1::2"));
	assert_int_equal(v->reals[1].weight, 0);
	assert_int_equal(v->reals[1].server_id, 102);
	assert_int_equal(v->reals[2].weight, 65535);
	assert_int_equal(v->reals[2].server_id, 0);

	v = &cfg.vips[1];
	assert_int_equal(v->family, SH_AF_INET6);
	assert_addr(&v->addr, addr6("2001:db8:100::1"));
	assert_int_equal(v->port, 0);
	assert_int_equal(v->proto, IPPROTO_UDP);
	assert_int_equal(v->encap, SH_ENCAP_GUE);
	assert_int_equal(v->hash, SH_HASH_RENDEZVOUS);
	assert_int_equal(v->flags, SH_VIP_F_NO_LRU | SH_VIP_F_DPORT_HASH);
	assert_int_equal(v->n_reals, 2);
	assert_int_equal(v->reals[0].server_id, 101); /* same address, same id: fine */
	assert_int_equal(v->reals[1].server_id, 0);   /* omitted on a repeat: fine */
	assert_int_equal(v->reals[1].weight, 1);

	v = &cfg.vips[2]; /* port 0 beside port 80 of the same address */
	assert_int_equal(v->port, 0);
	assert_int_equal(v->flags, SH_VIP_F_NO_SPORT);
	assert_int_equal(v->n_reals, 0);
	assert_null(v->reals);

	v = &cfg.vips[3]; /* same address and port, other protocol */
	assert_int_equal(v->proto, IPPROTO_UDP);
	assert_int_equal(v->n_reals, 0);

	sh_config_free(&cfg);
	assert_zeroed(&cfg);
	sh_config_free(&cfg); /* freeing twice is harmless */
}

static void test_defaults(void **state)
{
	struct sh_config cfg;
	char err[SH_CFG_ERR_LEN];

	(void)state;
	assert_int_equal(sh_config_load_string("{ \"lb\": { " MAC " } }", ORIGIN, &cfg, err,
					       sizeof(err)),
			 0);
	assert_false(cfg.lb.has_src4);
	assert_false(cfg.lb.has_src6);
	assert_true(cfg.lb.hash_key[0] == 0x73686f616c2d6465ULL);
	assert_true(cfg.lb.hash_key[1] == 0x6661756c742d6b31ULL);
	assert_int_equal(cfg.lb.ring_size, 65537);
	assert_int_equal(cfg.conntrack_size, 1048576);
	assert_int_equal(cfg.lb.mtu, 1500);
	assert_int_equal(cfg.lb.gue_port, 6080);
	assert_int_equal(cfg.lb.udp_timeout_ms, 30000);
	assert_int_equal(cfg.n_vips, 0);
	assert_null(cfg.vips);
	sh_config_free(&cfg);

	assert_int_equal(sh_config_load_string("{ \"lb\": " LB_OK ", \"vips\": [ { " VIP6
					       ", \"reals\": [ " REAL " ] } ] }",
					       ORIGIN, &cfg, err, sizeof(err)),
			 0);
	assert_int_equal(cfg.vips[0].encap, SH_ENCAP_IPIP);
	assert_int_equal(cfg.vips[0].hash, SH_HASH_MAGLEV);
	assert_int_equal(cfg.vips[0].flags, 0);
	assert_int_equal(cfg.vips[0].reals[0].weight, 1);
	assert_int_equal(cfg.vips[0].reals[0].server_id, 0);
	sh_config_free(&cfg);
}

/* Limits hold exactly: n VIPs of one real each, or one VIP with n reals. */
static char *make_config(size_t n_vips, size_t n_reals)
{
	size_t len = 256 + n_vips * 128 + n_reals * 64, used = 0;
	char *s = malloc(len);

	assert_non_null(s);
	used += (size_t)snprintf(s + used, len - used, "{ \"lb\": " LB_OK ", \"vips\": [");
	for (size_t i = 0; i < n_vips; i++)
		used += (size_t)snprintf(s + used, len - used,
					 "%s{ \"address\": \"198.18.100.1\", \"port\": %zu, "
					 "\"protocol\": \"tcp\", \"reals\": [ " REAL " ] }",
					 i ? ", " : "", i + 1);
	if (n_reals) {
		used += (size_t)snprintf(s + used, len - used, "%s{ " VIP6 ", \"reals\": [",
					 n_vips ? ", " : "");
		for (size_t i = 0; i < n_reals; i++)
			used += (size_t)snprintf(s + used, len - used,
						 "%s{ \"address\": \"198.19.%zu.%zu\" }",
						 i ? ", " : "", i / 200, i % 200 + 1);
		used += (size_t)snprintf(s + used, len - used, "] }");
	}
	snprintf(s + used, len - used, "] }");
	assert_true(used < len);
	return s;
}

static void test_limits(void **state)
{
	struct sh_config cfg;
	char err[SH_CFG_ERR_LEN];
	char *s;

	(void)state;
	s = make_config(SH_MAX_VIPS, 0);
	assert_int_equal(sh_config_load_string(s, ORIGIN, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vips, SH_MAX_VIPS);
	sh_config_free(&cfg);
	free(s);

	s = make_config(SH_MAX_VIPS + 1, 0);
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(sh_config_load_string(s, ORIGIN, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "lb.json: vips: at most 512 VIPs"));
	assert_non_null(strstr(err, "(got 513)"));
	assert_zeroed(&cfg);
	free(s);

	/* 198.18.1.1 of the first VIP plus SH_MAX_REALS - 1 others */
	s = make_config(1, SH_MAX_REALS - 1);
	assert_int_equal(sh_config_load_string(s, ORIGIN, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.vips[1].n_reals, SH_MAX_REALS - 1);
	sh_config_free(&cfg);
	free(s);

	/* Both limits at once: a real in every VIP counts once. */
	s = make_config(SH_MAX_VIPS - 1, SH_MAX_REALS - 1);
	assert_int_equal(sh_config_load_string(s, ORIGIN, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vips, SH_MAX_VIPS);
	sh_config_free(&cfg);
	free(s);

	s = make_config(1, SH_MAX_REALS);
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(sh_config_load_string(s, ORIGIN, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "vips[1].reals[4095].address: more than 4096 distinct"));
	assert_non_null(strstr(err, "\"198.19.20.96\""));
	assert_zeroed(&cfg);
	free(s);
}

static void test_files(void **state)
{
	char path[] = "/tmp/shoal_test_config_XXXXXX";
	struct sh_config cfg;
	char err[SH_CFG_ERR_LEN];
	int fd;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(sh_config_load_file("/nonexistent/shoal/lb.json", &cfg, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err,
			    "/nonexistent/shoal/lb.json: cannot open: No such file or directory");
	assert_zeroed(&cfg);

	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(sh_config_load_file("/tmp", &cfg, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "/tmp: cannot read: Is a directory"));
	assert_zeroed(&cfg);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, full_config, strlen(full_config)), (ssize_t)strlen(full_config));
	close(fd);
	assert_int_equal(sh_config_load_file(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_vips, 4);
	sh_config_free(&cfg);

	/* Errors name the file; a syntax error gives jansson's line and column. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\n  \"lb\": {,\n}", 14), 14);
	close(fd);
	memset(&cfg, 0xa5, sizeof(cfg));
	assert_int_equal(sh_config_load_file(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_memory_equal(err, path, strlen(path));
	assert_non_null(strstr(err, ": line 2, column 10: "));
	assert_zeroed(&cfg);
	unlink(path);
}

static void test_small_err_buffer(void **state)
{
	struct sh_config cfg;
	char err[8];

	(void)state;
	assert_int_equal(sh_config_load_string("{ \"lb\": 1 }", ORIGIN, &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "lb.json");
	assert_int_equal(sh_config_load_string("{ \"lb\": 1 }", ORIGIN, &cfg, NULL, 0), -EINVAL);
	assert_int_equal(sh_config_load_string("[", ORIGIN, &cfg, NULL, 0), -EINVAL);
	assert_zeroed(&cfg);
}

static void test_addr(void **state)
{
	char buf[SH_ADDR_STRLEN];
	struct sh_addr a;
	__u8 fam;

	(void)state;
	assert_int_equal(sh_addr_parse("198.18.0.1", &a, &fam), 0);
	assert_int_equal(fam, SH_AF_INET);
	assert_addr(&a, addr4("198.18.0.1"));
	assert_string_equal(sh_addr_str(&a, fam, buf), "198.18.0.1");

	assert_int_equal(sh_addr_parse("2001:DB8:0::1", &a, &fam), 0);
	assert_int_equal(fam, SH_AF_INET6);
	assert_string_equal(sh_addr_str(&a, fam, buf), "2001:db8::1");

	assert_int_equal(sh_addr_parse("198.18.0", &a, &fam), -EINVAL);
	assert_int_equal(fam, SH_AF_NONE);
	assert_int_equal(sh_addr_parse("2001:db8::1%eth0", &a, &fam), -EINVAL);
	assert_int_equal(sh_addr_parse(" 198.18.0.1", &a, &fam), -EINVAL);
	assert_int_equal(sh_addr_parse(NULL, &a, &fam), -EINVAL);
	assert_int_equal(sh_addr_parse("198.18.0.1.", &a, &fam), -EINVAL);
}

/*
 * Every case: a config (raw, or built from lb + vips), the exact JSON path
 * the error must name and the offending value it must show.
 */
struct bad_case {
	const char *name;
	const char *raw;
	const char *lb;
	const char *vips;
	const char *path;  /* "<origin>: <path>: " must appear */
	const char *value; /* must appear after the path */
};

#define RAW(n, json, p, v) { .name = n, .raw = json, .path = p, .value = v }
#define BAD_LB(n, lbj, p, v) { .name = n, .lb = lbj, .vips = "[]", .path = p, .value = v }
#define BAD_VIPS(n, vj, p, v) { .name = n, .lb = LB_OK, .vips = vj, .path = p, .value = v }
#define BAD_VIP(n, fields, p, v) BAD_VIPS(n, "[ { " fields " } ]", p, v)
#define BAD_REALS(n, reals, p, v) BAD_VIP(n, VIP ", \"reals\": [ " reals " ]", p, v)

static const struct bad_case bad_cases[] = {
	/* the document */
	RAW("syntax", "{ \"lb\": { , } }", "line 1, column 11", "near ','"),
	RAW("empty input", "", "line 1, column 0", "expected"),
	RAW("trailing garbage", "{ \"lb\": { " MAC " } } x", "line 1", "end of file expected"),
	RAW("duplicate key", "{ \"lb\": { " MAC ", \"mtu\": 1500, \"mtu\": 9000 } }", "line 1",
	    "duplicate object key"),
	RAW("integer overflow", "{ \"lb\": { " MAC ", \"mtu\": 99999999999999999999 } }",
	    "line 1", "too big integer"),
	RAW("top level array", "[]", "top level", "(got [])"),
	RAW("top level unknown key", "{ \"lb\": " LB_OK ", \"vip\": [] }", "top level",
	    "unknown key, expected lb or vips (got \"vip\")"),
	RAW("lb missing", "{ \"vips\": [] }", "lb", "required key is missing"),
	RAW("lb not object", "{ \"lb\": [] }", "lb", "must be an object (got [])"),
	RAW("vips not array", "{ \"lb\": " LB_OK ", \"vips\": {} }", "vips", "(got {})"),

	/* lb */
	BAD_LB("lb unknown key", LB ", \"mtu_size\": 1500 }", "lb", "(got \"mtu_size\")"),
	BAD_LB("ipv4_src type", "{ " MAC ", \"ipv4_src\": 5 }", "lb.ipv4_src", "(got 5)"),
	BAD_LB("ipv4_src family", "{ " MAC ", \"ipv4_src\": \"2001:db8::10\" }", "lb.ipv4_src",
	       "must be an IPv4 address (got \"2001:db8::10\")"),
	BAD_LB("ipv4_src range", "{ " MAC ", \"ipv4_src\": \"198.18.0.256\" }", "lb.ipv4_src",
	       "(got \"198.18.0.256\")"),
	BAD_LB("ipv4_src zero", "{ " MAC ", \"ipv4_src\": \"0.0.0.0\" }", "lb.ipv4_src",
	       "unspecified address (got \"0.0.0.0\")"),
	BAD_LB("ipv6_src family", "{ " MAC ", \"ipv6_src\": \"198.18.0.10\" }", "lb.ipv6_src",
	       "must be an IPv6 address (got \"198.18.0.10\")"),
	BAD_LB("ipv6_src null", "{ " MAC ", \"ipv6_src\": null }", "lb.ipv6_src", "(got null)"),
	BAD_LB("gateway_mac missing", "{ " SRC4 " }", "lb.gateway_mac", "required key is missing"),
	BAD_LB("gateway_mac short", "{ \"gateway_mac\": \"02:00:00:00:00\" }", "lb.gateway_mac",
	       "(got \"02:00:00:00:00\")"),
	BAD_LB("gateway_mac dashes", "{ \"gateway_mac\": \"02-00-00-00-00-01\" }",
	       "lb.gateway_mac", "(got \"02-00-00-00-00-01\")"),
	BAD_LB("gateway_mac hex", "{ \"gateway_mac\": \"02:00:00:00:0g:01\" }", "lb.gateway_mac",
	       "(got \"02:00:00:00:0g:01\")"),
	BAD_LB("gateway_mac type", "{ \"gateway_mac\": 2 }", "lb.gateway_mac", "(got 2)"),
	BAD_LB("hash_key short", LB ", \"hash_key\": \"0123456789abcdef0123456789abcde\" }",
	       "lb.hash_key", "32 hex digits (got \"0123456789abcdef0123456789abcde\")"),
	BAD_LB("hash_key long", LB ", \"hash_key\": \"0123456789abcdef0123456789abcdef0\" }",
	       "lb.hash_key", "(got \"0123456789abcdef0123456789abcdef0\")"),
	BAD_LB("hash_key not hex", LB ", \"hash_key\": \"0x23456789abcdef0123456789abcdef\" }",
	       "lb.hash_key", "(got \"0x23456789abcdef0123456789abcdef\")"),
	BAD_LB("hash_key type", LB ", \"hash_key\": 12 }", "lb.hash_key", "(got 12)"),
	BAD_LB("ring_size not prime", LB ", \"ring_size\": 65536 }", "lb.ring_size",
	       "must be a prime integer 7..655373 (got 65536)"),
	BAD_LB("ring_size small", LB ", \"ring_size\": 5 }", "lb.ring_size", "(got 5)"),
	BAD_LB("ring_size large", LB ", \"ring_size\": 655379 }", "lb.ring_size", "(got 655379)"),
	BAD_LB("ring_size string", LB ", \"ring_size\": \"65537\" }", "lb.ring_size",
	       "(got \"65537\")"),
	BAD_LB("ring_size real", LB ", \"ring_size\": 65537.0 }", "lb.ring_size",
	       "(got 65537.0)"),
	BAD_LB("conntrack_size small", LB ", \"conntrack_size\": 63 }", "lb.conntrack_size",
	       "must be an integer 64..67108864 (got 63)"),
	BAD_LB("conntrack_size large", LB ", \"conntrack_size\": 67108865 }", "lb.conntrack_size",
	       "(got 67108865)"),
	BAD_LB("conntrack_size negative", LB ", \"conntrack_size\": -1 }", "lb.conntrack_size",
	       "(got -1)"),
	BAD_LB("conntrack_size bool", LB ", \"conntrack_size\": true }", "lb.conntrack_size",
	       "(got true)"),
	BAD_LB("mtu small", LB ", \"mtu\": 575 }", "lb.mtu",
	       "must be an integer 576..9216 (got 575)"),
	BAD_LB("mtu large", LB ", \"mtu\": 9217 }", "lb.mtu", "(got 9217)"),
	BAD_LB("mtu null", LB ", \"mtu\": null }", "lb.mtu", "(got null)"),
	BAD_LB("gue_port zero", LB ", \"gue_port\": 0 }", "lb.gue_port",
	       "must be an integer 1..65535 (got 0)"),
	BAD_LB("gue_port large", LB ", \"gue_port\": 65536 }", "lb.gue_port", "(got 65536)"),
	BAD_LB("udp_timeout_ms zero", LB ", \"udp_timeout_ms\": 0 }", "lb.udp_timeout_ms",
	       "must be an integer 1..86400000 (got 0)"),
	BAD_LB("udp_timeout_ms large", LB ", \"udp_timeout_ms\": 86400001 }", "lb.udp_timeout_ms",
	       "(got 86400001)"),
	BAD_LB("udp_timeout_ms object", LB ", \"udp_timeout_ms\": {} }", "lb.udp_timeout_ms",
	       "(got {})"),

	/* vips */
	BAD_VIPS("vip not object", "[ 5 ]", "vips[0]", "must be an object (got 5)"),
	BAD_VIP("vip unknown key", VIP ", \"prot\": \"tcp\"", "vips[0]",
		"unknown key, expected address, port, protocol, encap, hash, flags or reals "
		"(got \"prot\")"),
	BAD_VIP("vip address missing", "\"port\": 80, \"protocol\": \"tcp\"", "vips[0].address",
		"required key is missing"),
	BAD_VIP("vip address bad", "\"address\": \"198.18.100\", \"protocol\": \"tcp\"",
		"vips[0].address", "must be an IPv4 or IPv6 address (got \"198.18.100\")"),
	BAD_VIP("vip address zone", "\"address\": \"fe80::1%eth0\", \"protocol\": \"tcp\"",
		"vips[0].address", "(got \"fe80::1%eth0\")"),
	BAD_VIP("vip address unspecified", "\"address\": \"::\", \"protocol\": \"tcp\"",
		"vips[0].address", "(got \"::\")"),
	BAD_VIP("vip address type", "\"address\": [], \"protocol\": \"tcp\"", "vips[0].address",
		"(got [])"),
	BAD_VIP("port negative", VIP_A ", \"port\": -1",
		"vips[0].port", "must be an integer 0..65535 (got -1)"),
	BAD_VIP("port large", VIP_A ", \"port\": 65536",
		"vips[0].port", "(got 65536)"),
	BAD_VIP("port string", VIP_A ", \"port\": \"80\"",
		"vips[0].port", "(got \"80\")"),
	BAD_VIP("port real", VIP_A ", \"port\": 80.5",
		"vips[0].port", "(got 80.5)"),
	BAD_VIP("protocol missing", "\"address\": \"198.18.100.1\", \"port\": 80",
		"vips[0].protocol", "required key is missing"),
	BAD_VIP("protocol unknown", "\"address\": \"198.18.100.1\", \"protocol\": \"sctp\"",
		"vips[0].protocol", "must be \"tcp\" or \"udp\" (got \"sctp\")"),
	BAD_VIP("protocol case", "\"address\": \"198.18.100.1\", \"protocol\": \"TCP\"",
		"vips[0].protocol", "(got \"TCP\")"),
	BAD_VIP("protocol number", "\"address\": \"198.18.100.1\", \"protocol\": 6",
		"vips[0].protocol", "(got 6)"),
	BAD_VIP("encap unknown", VIP ", \"encap\": \"gre\"", "vips[0].encap",
		"must be \"ipip\" or \"gue\" (got \"gre\")"),
	BAD_VIP("hash unknown", VIP ", \"hash\": \"ring\"", "vips[0].hash",
		"must be \"maglev\" or \"rendezvous\" (got \"ring\")"),
	BAD_VIP("flags not array", VIP ", \"flags\": \"no_lru\"", "vips[0].flags",
		"(got \"no_lru\")"),
	BAD_VIP("flag unknown", VIP ", \"flags\": [\"no_lru\", \"no_ports\"]", "vips[0].flags[1]",
		"must be \"no_sport\", \"no_lru\" or \"dport_hash\" (got \"no_ports\")"),
	BAD_VIP("flag type", VIP ", \"flags\": [1]", "vips[0].flags[0]", "(got 1)"),
	BAD_VIP("flag twice", VIP ", \"flags\": [\"no_lru\", \"no_sport\", \"no_lru\"]",
		"vips[0].flags[2]", "listed twice (got \"no_lru\")"),
	BAD_VIP("flags conflict", VIP ", \"flags\": [\"dport_hash\", \"no_sport\"]",
		"vips[0].flags", "cannot be combined (got [\"dport_hash\",\"no_sport\"])"),
	BAD_VIPS("vip duplicate", "[ { " VIP " }, { " VIP6 " }, { " VIP " } ]", "vips[2]",
		 "same address, port and protocol as vips[0] (got 198.18.100.1:80/tcp)"),
	BAD_VIPS("vip duplicate, port 0 left out and given",
		 "[ { " VIP_A " }, { " VIP_A ", \"port\": 0 } ]", "vips[1]",
		 "same address, port and protocol as vips[0] (got 198.18.100.1:0/tcp)"),
	BAD_VIPS("vip6 duplicate",
		 "[ { " VIP6 " }, { \"address\": \"2001:DB8:100:0::1\", \"port\": 443, "
		 "\"protocol\": \"udp\" } ]",
		 "vips[1]", "as vips[0] (got [2001:db8:100::1]:443/udp)"),
	BAD_VIP("reals not array", VIP ", \"reals\": {}", "vips[0].reals", "(got {})"),

	/* reals */
	BAD_REALS("real not object", REAL ", \"198.18.1.2\"", "vips[0].reals[1]",
		  "must be an object (got \"198.18.1.2\")"),
	BAD_REALS("real unknown key", "{ \"address\": \"198.18.1.1\", \"wieght\": 1 }",
		  "vips[0].reals[0]",
		  "unknown key, expected address, weight or server_id (got \"wieght\")"),
	BAD_REALS("real address missing", "{ \"weight\": 1 }", "vips[0].reals[0].address",
		  "required key is missing"),
	BAD_REALS("real address bad", REAL ", { \"address\": \"198.18.1.300\" }",
		  "vips[0].reals[1].address", "(got \"198.18.1.300\")"),
	BAD_REALS("real address type", "{ \"address\": true }", "vips[0].reals[0].address",
		  "(got true)"),
	BAD_REALS("weight negative", "{ \"address\": \"198.18.1.1\", \"weight\": -1 }",
		  "vips[0].reals[0].weight", "must be an integer 0..65535 (got -1)"),
	BAD_REALS("weight large", REAL ", { \"address\": \"198.18.1.2\", \"weight\": 65536 }",
		  "vips[0].reals[1].weight", "(got 65536)"),
	BAD_REALS("weight string", "{ \"address\": \"198.18.1.1\", \"weight\": \"x\" }",
		  "vips[0].reals[0].weight", "must be an integer 0..65535 (got \"x\")"),
	BAD_REALS("weight bool", "{ \"address\": \"198.18.1.1\", \"weight\": false }",
		  "vips[0].reals[0].weight", "(got false)"),
	BAD_REALS("weight real", "{ \"address\": \"198.18.1.1\", \"weight\": 1e2 }",
		  "vips[0].reals[0].weight", "(got 100.0)"),
	BAD_REALS("server_id zero", "{ \"address\": \"198.18.1.1\", \"server_id\": 0 }",
		  "vips[0].reals[0].server_id", "must be an integer 1..4294967295 (got 0)"),
	BAD_REALS("server_id large", "{ \"address\": \"198.18.1.1\", \"server_id\": 4294967296 }",
		  "vips[0].reals[0].server_id", "(got 4294967296)"),
	BAD_REALS("server_id real", "{ \"address\": \"198.18.1.1\", \"server_id\": 1.5 }",
		  "vips[0].reals[0].server_id", "(got 1.5)"),
	BAD_REALS("real duplicate", REAL ", " REAL2 ", " REAL, "vips[0].reals[2].address",
		  "duplicate of vips[0].reals[0] (got \"198.18.1.1\")"),
	BAD_REALS("real6 duplicate",
		  "{ \"address\": \"2001:db8:1::1\" }, { \"address\": \"2001:db8:1:0:0::1\" }",
		  "vips[0].reals[1].address",
		  "duplicate of vips[0].reals[0] (got \"2001:db8:1:0:0::1\")"),
	BAD_VIPS("server_id on two addresses",
		 "[ { " VIP ", \"reals\": [ { \"address\": \"198.18.1.1\", \"server_id\": 7 } ] },"
		 "  { " VIP6 ", \"reals\": [ " REAL2 ","
		 "    { \"address\": \"198.18.1.3\", \"server_id\": 7 } ] } ]",
		 "vips[1].reals[1].server_id",
		 "already used by 198.18.1.1 at vips[0].reals[0] (got 7)"),
	BAD_VIPS("address with two server_ids",
		 "[ { " VIP ", \"reals\": [ { \"address\": \"198.18.1.1\", \"server_id\": 7 } ] },"
		 "  { " VIP6 ", \"reals\": ["
		 "    { \"address\": \"198.18.1.1\", \"server_id\": 8 } ] } ]",
		 "vips[1].reals[0].server_id",
		 "198.18.1.1 already has server_id 7 at vips[0].reals[0] (got 8)"),
	{ .name = "IPv4 real without ipv4_src",
	  .lb = "{ " MAC ", " SRC6 " }",
	  .vips = "[ { " VIP6 ", \"reals\": [ { \"address\": \"2001:db8:1::1\" }, " REAL ", "
		  REAL2 " ] } ]",
	  .path = "vips[0].reals[1].address",
	  .value = "needs lb.ipv4_src (got \"198.18.1.1\")" },
	{ .name = "IPv6 real without ipv6_src",
	  .lb = "{ " MAC ", " SRC4 " }",
	  .vips = "[ { " VIP ", \"reals\": [ " REAL ", { \"address\": \"2001:db8:1::1\" } ] } ]",
	  .path = "vips[0].reals[1].address",
	  .value = "needs lb.ipv6_src (got \"2001:db8:1::1\")" },
};

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	char json[2048], want[128], err[SH_CFG_ERR_LEN];
	struct sh_config cfg;

	if (c->raw)
		snprintf(json, sizeof(json), "%s", c->raw);
	else
		snprintf(json, sizeof(json), "{ \"lb\": %s, \"vips\": %s }", c->lb, c->vips);
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 0, sizeof(err));

	assert_int_equal(sh_config_load_string(json, ORIGIN, &cfg, err, sizeof(err)), -EINVAL);
	assert_zeroed(&cfg);
	assert_null(strchr(err, '\n'));
	snprintf(want, sizeof(want), ORIGIN ": %s", c->path);
	if (strncmp(err, want, strlen(want)) || !strstr(err + strlen(want), c->value))
		fail_msg("%s\n  config: %s\n  error:  %s\n  wanted: %s ... %s", c->name, json, err,
			 want, c->value);
}

/* ---- every field of the schema, from docs/config.md ------------------------
 *
 * The docs' tables are the schema: each key they list (and only those) must
 * have a row in `fields` below, the parser must accept exactly those keys, and
 * for each field the cases are generated from the docs' type, range, default
 * and values: every wrong JSON type, each end of a range and just inside it,
 * malformed strings, a missing key, the key given twice. Each refusal must be
 * the exact line "lb.json: <path>: <what> (got <value>)"; each acceptance must
 * put the value where the forwarding core reads it.
 */

#ifndef SH_DOCS_CONFIG
#error "SH_DOCS_CONFIG: the path of docs/config.md (tests/unit/meson.build)"
#endif

enum kind {
	K_OBJECT, K_ARRAY, K_INT, K_PRIME, K_ADDR, K_ADDR4, K_ADDR6, K_MAC, K_KEY, K_ENUM, K_FLAGS
};

struct name_value {
	const char *name;
	long long value;
};

struct field {
	const char *section; /* the docs' table: "top", "lb", "vips[]" or "vips[].reals[]" */
	const char *key;
	enum kind kind;
	const char *what;    /* "must be <what>" when the type is wrong; NULL: made from the docs */
	long long (*num)(const struct sh_config *c);      /* the parsed value (a family for addresses) */
	const void *(*bytes)(const struct sh_config *c);  /* addresses, MAC, key: the parsed bytes */
	const struct name_value *names;                   /* K_ENUM, K_FLAGS: the values, as parsed */
	const char *valid;   /* a valid value (JSON text); NULL: the one the base config has */
	const char *absent_at, *absent_msg; /* left out, an optional key that makes this error */
};

#define NUM(fn, expr)                                                                              \
	static long long fn(const struct sh_config *c)                                             \
	{                                                                                          \
		return (long long)(expr);                                                          \
	}
#define BYTES(fn, expr)                                                                            \
	static const void *fn(const struct sh_config *c)                                           \
	{                                                                                          \
		return (expr);                                                                     \
	}
NUM(n_vips, c->n_vips)
NUM(n_src4, c->lb.has_src4 ? SH_AF_INET : SH_AF_NONE)
NUM(n_src6, c->lb.has_src6 ? SH_AF_INET6 : SH_AF_NONE)
NUM(n_ring_size, c->lb.ring_size)
NUM(n_conntrack_size, c->conntrack_size)
NUM(n_mtu, c->lb.mtu)
NUM(n_gue_port, c->lb.gue_port)
NUM(n_udp_timeout_ms, c->lb.udp_timeout_ms)
NUM(n_vip_family, c->vips[0].family)
NUM(n_port, c->vips[0].port)
NUM(n_protocol, c->vips[0].proto)
NUM(n_encap, c->vips[0].encap)
NUM(n_hash, c->vips[0].hash)
NUM(n_flags, c->vips[0].flags)
NUM(n_reals, c->vips[0].n_reals)
NUM(n_real_family, c->vips[0].reals[0].family)
NUM(n_weight, c->vips[0].reals[0].weight)
NUM(n_server_id, c->vips[0].reals[0].server_id)
BYTES(b_src4, &c->lb.src4)
BYTES(b_src6, &c->lb.src6)
BYTES(b_mac, c->lb.gateway_mac)
BYTES(b_key, c->lb.hash_key)
BYTES(b_vip_addr, &c->vips[0].addr)
BYTES(b_real_addr, &c->vips[0].reals[0].addr)

static const struct name_value protocols[] = { { "tcp", IPPROTO_TCP },
					       { "udp", IPPROTO_UDP }, { 0 } };
static const struct name_value encaps[] = { { "ipip", SH_ENCAP_IPIP },
					    { "gue", SH_ENCAP_GUE }, { 0 } };
static const struct name_value hashes[] = { { "maglev", SH_HASH_MAGLEV },
					    { "rendezvous", SH_HASH_RENDEZVOUS }, { 0 } };
static const struct name_value flag_names[] = { { "no_sport", SH_VIP_F_NO_SPORT },
						{ "no_lru", SH_VIP_F_NO_LRU },
						{ "dport_hash", SH_VIP_F_DPORT_HASH }, { 0 } };

static const struct field fields[] = {
	{ .section = "top", .key = "lb", .kind = K_OBJECT, .what = "an object" },
	{ .section = "top", .key = "vips", .kind = K_ARRAY, .what = "an array of VIP objects",
	  .num = n_vips },
	{ .section = "lb", .key = "ipv4_src", .kind = K_ADDR4, .num = n_src4, .bytes = b_src4,
	  .absent_at = "vips[0].reals[0].address",
	  .absent_msg = "an IPv4 real needs lb.ipv4_src (got \"198.18.1.1\")" },
	{ .section = "lb", .key = "ipv6_src", .kind = K_ADDR6, .num = n_src6, .bytes = b_src6 },
	{ .section = "lb", .key = "gateway_mac", .kind = K_MAC,
	  .what = "a MAC address \"aa:bb:cc:dd:ee:ff\"", .bytes = b_mac },
	{ .section = "lb", .key = "hash_key", .kind = K_KEY, .what = "32 hex digits",
	  .bytes = b_key, .valid = "\"0123456789abcdef0123456789abcdef\"" },
	{ .section = "lb", .key = "ring_size", .kind = K_PRIME, .num = n_ring_size, .valid = "7" },
	{ .section = "lb", .key = "conntrack_size", .kind = K_INT, .num = n_conntrack_size,
	  .valid = "64" },
	{ .section = "lb", .key = "mtu", .kind = K_INT, .num = n_mtu, .valid = "1500" },
	{ .section = "lb", .key = "gue_port", .kind = K_INT, .num = n_gue_port, .valid = "6080" },
	{ .section = "lb", .key = "udp_timeout_ms", .kind = K_INT, .num = n_udp_timeout_ms,
	  .valid = "1" },
	{ .section = "vips[]", .key = "address", .kind = K_ADDR, .num = n_vip_family,
	  .bytes = b_vip_addr },
	{ .section = "vips[]", .key = "port", .kind = K_INT, .num = n_port },
	{ .section = "vips[]", .key = "protocol", .kind = K_ENUM, .num = n_protocol,
	  .names = protocols },
	{ .section = "vips[]", .key = "encap", .kind = K_ENUM, .num = n_encap, .names = encaps,
	  .valid = "\"gue\"" },
	{ .section = "vips[]", .key = "hash", .kind = K_ENUM, .num = n_hash, .names = hashes,
	  .valid = "\"maglev\"" },
	{ .section = "vips[]", .key = "flags", .kind = K_FLAGS,
	  .what = "an array of flag names (\"no_sport\", \"no_lru\" or \"dport_hash\")",
	  .num = n_flags, .names = flag_names, .valid = "[]" },
	{ .section = "vips[]", .key = "reals", .kind = K_ARRAY, .what = "an array of real objects",
	  .num = n_reals },
	{ .section = "vips[].reals[]", .key = "address", .kind = K_ADDR, .num = n_real_family,
	  .bytes = b_real_addr },
	{ .section = "vips[].reals[]", .key = "weight", .kind = K_INT, .num = n_weight,
	  .valid = "1" },
	{ .section = "vips[].reals[]", .key = "server_id", .kind = K_INT, .num = n_server_id,
	  .valid = "1" },
};

/* The config every case edits one field of: the smallest with one VIP and one real. */
static const char schema_base[] =
	"{\"lb\": {\"gateway_mac\": \"02:00:00:00:00:01\", \"ipv4_src\": \"198.18.0.10\", "
	"\"ipv6_src\": \"2001:db8::10\"}, \"vips\": [{\"address\": \"198.18.100.1\", \"port\": 80, "
	"\"protocol\": \"tcp\", \"reals\": [{\"address\": \"198.18.1.1\"}]}]}";

/* ---- reading the docs ---- */

struct doc_row {
	char section[32], key[192], type[192], def[192], range[192];
	bool required;
	long long lo, hi; /* the range "lo .. hi", when there is one */
	bool has_range;
};

static struct doc_row doc_rows[64];
static size_t n_doc_rows;
static struct {
	char constant[32];
	long long value;
} doc_limits[8];
static size_t n_doc_limits;

/* Cells of a table row "| a | b | c |", trimmed; returns how many. */
static int split_row(char *line, char cells[][192], int max)
{
	int n = 0;
	char *p = strchr(line, '|');

	while (p && n < max) {
		char *q = strchr(p + 1, '|'), *a = p + 1, *b;

		if (!q)
			break;
		b = q;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		snprintf(cells[n++], 192, "%.*s", (int)(b - a), a);
		p = q;
	}
	return n;
}

static void docs_load(void)
{
	char line[512], section[32] = "", cells[6][192];
	FILE *f = fopen(SH_DOCS_CONFIG, "r");

	if (n_doc_rows)
		return;
	if (!f)
		fail_msg("%s: %s", SH_DOCS_CONFIG, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "## ", 3)) {
			const char *a = strchr(line, '`'), *b = a ? strchr(a + 1, '`') : NULL;

			if (strstr(line, "Top level"))
				snprintf(section, sizeof(section), "top");
			else if (strstr(line, "Limits"))
				snprintf(section, sizeof(section), "limits");
			else if (b)
				snprintf(section, sizeof(section), "%.*s", (int)(b - a - 1), a + 1);
			else
				section[0] = '\0';
			continue;
		}
		if (!strcmp(section, "limits") && split_row(line, cells, 6) == 3 &&
		    !strncmp(cells[2], "`SH_MAX_", 8)) {
			assert_true(n_doc_limits < ARRAY_SIZE(doc_limits));
			snprintf(doc_limits[n_doc_limits].constant, 32, "%.*s",
				 (int)strlen(cells[2]) - 2, cells[2] + 1);
			doc_limits[n_doc_limits++].value = strtoll(cells[1], NULL, 10);
			continue;
		}
		if (!section[0] || strncmp(line, "| `", 3) || split_row(line, cells, 6) != 4)
			continue;
		struct doc_row *r = &doc_rows[n_doc_rows++];
		const char *dots;

		assert_true(n_doc_rows < ARRAY_SIZE(doc_rows));
		snprintf(r->section, sizeof(r->section), "%s", section);
		snprintf(r->key, sizeof(r->key), "%.*s", (int)strlen(cells[0]) - 2, cells[0] + 1);
		snprintf(r->type, sizeof(r->type), "%s", cells[1]);
		snprintf(r->def, sizeof(r->def), "%s", cells[2]);
		snprintf(r->range, sizeof(r->range), "%s", cells[3]);
		r->required = !strcmp(section, "top") ? !strcmp(cells[2], "yes")
						      : !strcmp(cells[2], "(required)");
		dots = strstr(r->range, " .. ");
		if (dots) {
			const char *lo = dots;

			while (lo > r->range && (isdigit((unsigned char)lo[-1]) || lo[-1] == '-'))
				lo--;
			r->lo = strtoll(lo, NULL, 10);
			r->hi = strtoll(dots + 4, NULL, 10);
			r->has_range = true;
		}
	}
	fclose(f);
	if (!n_doc_rows || !n_doc_limits)
		fail_msg("%s: no field tables found", SH_DOCS_CONFIG);
}

static const struct doc_row *doc_row(const char *section, const char *key)
{
	for (size_t i = 0; i < n_doc_rows; i++)
		if (!strcmp(doc_rows[i].section, section) && !strcmp(doc_rows[i].key, key))
			return &doc_rows[i];
	return NULL;
}

/* The quoted names in a docs cell ("tcp", "udp"), in order; returns how many. */
static int doc_names(const char *cell, char names[][24], int max)
{
	int n = 0;

	for (const char *p = strchr(cell, '"'); p && n < max; p = strchr(p + 1, '"')) {
		const char *q = strchr(p + 1, '"');

		if (!q)
			break;
		snprintf(names[n++], 24, "%.*s", (int)(q - p - 1), p + 1);
		p = q;
	}
	return n;
}

/* ---- running one case ---- */

static unsigned n_field_cases;

static const char *section_path(const char *section)
{
	return !strcmp(section, "top") ? "" : !strcmp(section, "lb") ? "lb" :
	       !strcmp(section, "vips[]") ? "vips[0]" : "vips[0].reals[0]";
}

static json_t *section_obj(json_t *root, const char *section)
{
	json_t *vip = json_array_get(json_object_get(root, "vips"), 0);

	return !strcmp(section, "top") ? root : !strcmp(section, "lb") ? json_object_get(root, "lb") :
	       !strcmp(section, "vips[]") ? vip : json_array_get(json_object_get(vip, "reals"), 0);
}

static void field_path(const struct field *f, char *buf, size_t len)
{
	const char *p = section_path(f->section);

	snprintf(buf, len, "%s%s%s", p, p[0] ? "." : "", f->key);
}

/*
 * The base config with f set to the JSON text value (NULL: left out), loaded.
 * dup: f given twice in its object instead (value NULL: the base's value).
 * Returns the loader's rc; text receives the config.
 */
static int load_with(const struct field *f, const char *value, bool dup, struct sh_config *cfg,
		     char *err, size_t err_len, char *text, size_t text_len)
{
	json_t *root = json_loads(schema_base, 0, NULL), *obj;
	char *dumped, *at;
	int rc;

	assert_non_null(root);
	obj = section_obj(root, f->section);
	if (value) {
		json_error_t je;
		json_t *v = json_loads(value, JSON_DECODE_ANY, &je);

		if (!v)
			fail_msg("case value %s: %s", value, je.text);
		json_object_set_new(obj, f->key, v);
	} else if (!dup) {
		json_object_del(obj, f->key);
	}
	/* Twice: a stand-in key with the same value, renamed in the text. */
	if (dup)
		json_object_set(obj, "@dup@", json_object_get(obj, f->key));
	dumped = json_dumps(root, JSON_COMPACT);
	assert_non_null(dumped);
	at = strstr(dumped, "\"@dup@\"");
	assert_true(dup == (at != NULL));
	if (at)
		snprintf(text, text_len, "%.*s\"%s\"%s", (int)(at - dumped), dumped, f->key, at + 7);
	else
		snprintf(text, text_len, "%s", dumped);
	free(dumped);
	json_decref(root);
	memset(cfg, 0xa5, sizeof(*cfg));
	rc = sh_config_load_string(text, ORIGIN, cfg, err, err_len);
	return rc;
}

/* f = value is refused with exactly "lb.json: <at>: <msg>" (at NULL: f's path). */
static void refused_at(const struct field *f, const char *value, const char *at, const char *msg)
{
	char err[SH_CFG_ERR_LEN], want[SH_CFG_ERR_LEN], path[64], text[1024];
	struct sh_config cfg;
	int rc;

	field_path(f, path, sizeof(path));
	rc = load_with(f, value, false, &cfg, err, sizeof(err), text, sizeof(text));
	snprintf(want, sizeof(want), ORIGIN ": %s: %s", at ? at : path, msg);
	n_field_cases++;
	if (rc != -EINVAL || strcmp(err, want))
		fail_msg("%s = %s: rc %d\n  config: %s\n  error:  %s\n  wanted: %s", path,
			 value ? value : "(left out)", rc, text, err, want);
	assert_zeroed(&cfg);
}

/* f = value is refused: "must be <what> (got <shown>)". */
static void refused(const struct field *f, const char *value, const char *what, const char *shown)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s (got %s)", what, shown ? shown : value);
	refused_at(f, value, NULL, msg);
}

/* f = value (NULL: left out) is accepted; the parsed config is handed to check. */
static void accepted(const struct field *f, const char *value, struct sh_config *cfg)
{
	char err[SH_CFG_ERR_LEN], path[64], text[1024];

	field_path(f, path, sizeof(path));
	n_field_cases++;
	if (load_with(f, value, false, cfg, err, sizeof(err), text, sizeof(text)))
		fail_msg("%s = %s: refused\n  config: %s\n  error:  %s", path,
			 value ? value : "(left out)", text, err);
}

static void accepted_num(const struct field *f, const char *value, long long want)
{
	struct sh_config cfg;

	accepted(f, value, &cfg);
	if (f->num(&cfg) != want)
		fail_msg("%s.%s = %s: parsed as %lld, not %lld", f->section, f->key,
			 value ? value : "(left out)", f->num(&cfg), want);
	sh_config_free(&cfg);
}

static void accepted_bytes(const struct field *f, const char *value, const void *want, size_t n)
{
	struct sh_config cfg;

	accepted(f, value, &cfg);
	if (memcmp(f->bytes(&cfg), want, n))
		fail_msg("%s.%s = %s: parsed to other bytes", f->section, f->key, value);
	sh_config_free(&cfg);
}

/* ---- the cases of each kind ---- */

/* Values of the JSON types a field does not take (JSON text, shown as written). */
static void wrong_types(const struct field *f, const char *what, const char *const *values)
{
	for (; *values; values++)
		refused(f, *values, what, NULL);
}

static const char *const not_string[] = { "7", "7.5", "true", "false", "null", "[]", "{}",
					  "[\"x\"]", NULL };
static const char *const not_object[] = { "\"x\"", "7", "7.5", "true", "null", "[]", "[{}]", NULL };
static const char *const not_array[] = { "\"x\"", "7", "7.5", "true", "null", "{}", NULL };

static void cases_int(const struct field *f, const struct doc_row *d, bool prime)
{
	char what[96], v[64], shown[64];
	/* Composites in range: one even, one the square of a prime. */
	static const long long composites[] = { 8, 65536, 49, 809LL * 809, 655371 };

	if (!d->has_range)
		fail_msg("docs/config.md: %s.%s: no \"lo .. hi\" range", f->section, f->key);
	snprintf(what, sizeof(what), "must be %s %lld..%lld", prime ? "a prime integer" : "an integer",
		 d->lo, d->hi);
	/* Both ends and just inside: the ends are accepted, one beyond is refused. */
	snprintf(v, sizeof(v), "%lld", d->lo);
	accepted_num(f, v, d->lo);
	snprintf(v, sizeof(v), "%lld", d->hi);
	accepted_num(f, v, d->hi);
	snprintf(v, sizeof(v), "%lld", d->lo - 1);
	refused(f, v, what, NULL);
	snprintf(v, sizeof(v), "%lld", d->hi + 1);
	refused(f, v, what, NULL);
	refused(f, "-9223372036854775808", what, NULL);
	refused(f, "9223372036854775807", what, NULL);
	for (size_t i = 0; prime && i < ARRAY_SIZE(composites); i++) {
		snprintf(v, sizeof(v), "%lld", composites[i]);
		if (composites[i] > d->lo && composites[i] < d->hi)
			refused(f, v, what, NULL);
	}
	/* The right number in the wrong type. */
	snprintf(v, sizeof(v), "\"%lld\"", d->lo);
	refused(f, v, what, NULL);
	snprintf(v, sizeof(v), "%lld.0", d->lo);
	refused(f, v, what, NULL);
	snprintf(v, sizeof(v), "%lld.5", d->lo);
	refused(f, v, what, NULL);
	snprintf(v, sizeof(v), "%llde0", d->lo);
	snprintf(shown, sizeof(shown), "%lld.0", d->lo);
	refused(f, v, what, shown);
	snprintf(v, sizeof(v), "[%lld]", d->lo);
	refused(f, v, what, NULL);
	wrong_types(f, what,
		    (const char *const[]){ "true", "false", "null", "{}", "\"\"", NULL });
}

static void cases_addr(const struct field *f)
{
	static const struct {
		const char *text;
		int families; /* 4, 6, or 0: neither */
	} strings[] = {
		{ "198.18.0.1", 4 }, { "2001:db8::1", 6 },  { "198.18.0", 0 },       { "198.18.0.256", 0 },
		{ "198.018.0.1", 0 }, { "198.18.0.1/32", 0 }, { " 198.18.0.1", 0 },  { "198.18.0.1 ", 0 },
		{ "198.18.0.1%eth0", 0 }, { "localhost", 0 }, { "", 0 },               { "2001:db8:::1", 0 },
		{ "2001:db8::g", 0 },  { "2001:db8::/64", 0 }, { "[2001:db8::1]", 0 }, { "fe80::1%eth0", 0 },
	};
	const char *what = f->kind == K_ADDR4 ? "must be an IPv4 address" :
			   f->kind == K_ADDR6 ? "must be an IPv6 address" :
						"must be an IPv4 or IPv6 address";
	char v[64];

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		int fam = strings[i].families;
		bool ok = fam && (f->kind == K_ADDR || (fam == 4) == (f->kind == K_ADDR4));

		snprintf(v, sizeof(v), "\"%s\"", strings[i].text);
		if (ok) {
			struct sh_addr a = fam == 4 ? addr4(strings[i].text) : addr6(strings[i].text);

			accepted_num(f, v, fam == 4 ? SH_AF_INET : SH_AF_INET6);
			accepted_bytes(f, v, &a, sizeof(a));
		} else {
			refused(f, v, what, NULL);
		}
	}
	/* Text that is not the canonical form is the same address. */
	if (f->kind != K_ADDR4) {
		struct sh_addr a = addr6("2001:db8::1");

		accepted_bytes(f, "\"2001:DB8:0:0::1\"", &a, sizeof(a));
	}
	/* The unspecified address of the field's families. */
	if (f->kind != K_ADDR6)
		refused(f, "\"0.0.0.0\"", "must not be the unspecified address", NULL);
	if (f->kind != K_ADDR4)
		refused(f, "\"::\"", "must not be the unspecified address", NULL);
	wrong_types(f, what, not_string);
}

static void cases_mac(const struct field *f)
{
	static const __u8 mac[SH_ETH_ALEN] = { 0x02, 0, 0, 0xab, 0xcd, 0xef };
	static const char *const bad[] = {
		"\"02:00:00:00:00\"", "\"02:00:00:00:00:01:02\"", "\"02-00-00-00-00-01\"",
		"\"0200.0000.0001\"", "\"2:0:0:0:0:1\"", "\"02:00:00:00:0g:01\"", "\"\"",
		"\"02:00:00:00:00:01 \"", "\"020000000001\"", "\"02:00:00:00:00:1\"",
	};
	char what[96];

	snprintf(what, sizeof(what), "must be %s", f->what);
	accepted_bytes(f, "\"02:00:00:aB:cd:EF\"", mac, sizeof(mac));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		refused(f, bad[i], what, NULL);
	wrong_types(f, what, not_string);
}

static void cases_key(const struct field *f)
{
	static const __u64 key[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	static const char *const bad[] = {
		"\"0123456789abcdefFEDCBA987654321\"",   /* 31 digits */
		"\"0123456789abcdefFEDCBA98765432100\"", /* 33 */
		"\"0x23456789abcdefFEDCBA9876543210\"",  "\"0123456789abcdefFEDCBA987654321g\"",
		"\"0123456789abcdef FEDCBA987654321\"",  "\"\"",
	};
	char what[96];

	snprintf(what, sizeof(what), "must be %s", f->what);
	accepted_bytes(f, "\"0123456789abcdefFEDCBA9876543210\"", key, sizeof(key));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		refused(f, bad[i], what, NULL);
	wrong_types(f, what, not_string);
}

/* "must be "a", "b" or "c"" */
static void names_what(const struct name_value *names, char *buf, size_t len)
{
	size_t used = snprintf(buf, len, "must be ");

	for (int i = 0; names[i].name; i++)
		used += snprintf(buf + used, len - used, "%s\"%s\"", !i ? "" : names[i + 1].name ? ", " : " or ",
				 names[i].name);
}

static void check_doc_names(const struct field *f, const struct doc_row *d)
{
	char names[8][24];
	int n = doc_names(d->range, names, 8), i;

	for (i = 0; f->names[i].name; i++)
		if (i >= n || strcmp(names[i], f->names[i].name))
			fail_msg("docs/config.md: %s.%s: the values are not %s, ... in this order",
				 f->section, f->key, f->names[i].name);
	if (i != n)
		fail_msg("docs/config.md: %s.%s: %d values, the test knows %d", f->section, f->key, n, i);
}

static void cases_enum(const struct field *f, const struct doc_row *d)
{
	char what[128], v[64], upper[24];

	check_doc_names(f, d);
	names_what(f->names, what, sizeof(what));
	for (int i = 0; f->names[i].name; i++) {
		snprintf(v, sizeof(v), "\"%s\"", f->names[i].name);
		accepted_num(f, v, f->names[i].value);
		for (size_t j = 0; j <= strlen(f->names[i].name); j++)
			upper[j] = (char)toupper((unsigned char)f->names[i].name[j]);
		snprintf(v, sizeof(v), "\"%s\"", upper);
		refused(f, v, what, NULL);
		snprintf(v, sizeof(v), "\" %s\"", f->names[i].name);
		refused(f, v, what, NULL);
	}
	refused(f, "\"\"", what, NULL);
	refused(f, "\"x\"", what, NULL);
	wrong_types(f, what, not_string);
}

static void cases_flags(const struct field *f, const struct doc_row *d)
{
	static const char *const elems[] = { "\"NO_LRU\"", "\"\"", "\"no-lru\"", "7", "null",
					     "true", "[]", "{}", "[\"no_lru\"]" };
	char what[128], v[96], msg[160];
	const struct name_value *n = f->names;

	check_doc_names(f, d);
	names_what(n, what, sizeof(what));
	accepted_num(f, "[]", 0);
	for (int i = 0; n[i].name; i++) {
		snprintf(v, sizeof(v), "[\"%s\"]", n[i].name);
		accepted_num(f, v, n[i].value);
		/* Listed twice: the second one is named. */
		snprintf(v, sizeof(v), "[\"%s\", \"%s\"]", n[i].name, n[i].name);
		snprintf(msg, sizeof(msg), "flag is listed twice (got \"%s\")", n[i].name);
		refused_at(f, v, "vips[0].flags[1]", msg);
		for (int j = i + 1; n[j].name; j++) {
			bool clash = (n[i].value | n[j].value) ==
				     (SH_VIP_F_NO_SPORT | SH_VIP_F_DPORT_HASH);

			snprintf(v, sizeof(v), "[\"%s\", \"%s\"]", n[i].name, n[j].name);
			if (!clash) {
				accepted_num(f, v, n[i].value | n[j].value);
				continue;
			}
			snprintf(msg, sizeof(msg),
				 "\"no_sport\" and \"dport_hash\" cannot be combined (got [\"%s\",\"%s\"])",
				 n[i].name, n[j].name);
			refused_at(f, v, NULL, msg);
		}
	}
	/* A bad element is named by its index. */
	for (size_t i = 0; i < ARRAY_SIZE(elems); i++) {
		snprintf(v, sizeof(v), "[\"no_lru\", %s]", elems[i]);
		snprintf(msg, sizeof(msg), "%s (got %s)", what, elems[i]);
		refused_at(f, v, "vips[0].flags[1]", msg);
	}
	snprintf(msg, sizeof(msg), "must be %s", f->what);
	wrong_types(f, msg, (const char *const[]){ "\"no_lru\"", "7", "null", "true", "{}", NULL });
}

static void cases_object(const struct field *f)
{
	char what[96];

	snprintf(what, sizeof(what), "must be %s", f->what);
	wrong_types(f, what, not_object);
}

static void cases_array(const struct field *f)
{
	static const char *const elems[] = { "7", "\"x\"", "null", "true", "[]", "[{}]" };
	char what[96], v[64], msg[96], at[64];

	snprintf(what, sizeof(what), "must be %s", f->what);
	accepted_num(f, "[]", 0);
	wrong_types(f, what, not_array);
	/* Each element must be an object, named by its index. */
	field_path(f, at, sizeof(at));
	strcat(at, "[0]");
	for (size_t i = 0; i < ARRAY_SIZE(elems); i++) {
		snprintf(v, sizeof(v), "[%s]", elems[i]);
		snprintf(msg, sizeof(msg), "must be an object (got %s)", elems[i]);
		refused_at(f, v, at, msg);
	}
}

/* Left out: required, its default, or an error elsewhere. Given twice: refused. */
static void cases_presence(const struct field *f, const struct doc_row *d)
{
	char err[SH_CFG_ERR_LEN], text[1024], want[128], path[64];
	const char *paren = strchr(d->def, '(');
	struct sh_config cfg;
	int rc;

	field_path(f, path, sizeof(path));
	if (d->required) {
		refused_at(f, NULL, NULL, "required key is missing");
	} else if (f->absent_at) {
		refused_at(f, NULL, f->absent_at, f->absent_msg);
	} else if (isdigit((unsigned char)d->def[0]) || (paren && isdigit((unsigned char)paren[1]))) {
		accepted_num(f, NULL, strtoll(isdigit((unsigned char)d->def[0]) ? d->def : paren + 1,
					      NULL, 10));
	} else if (!strncmp(d->def, "`\"", 2)) {
		char name[1][24];
		int i = 0;

		assert_int_equal(doc_names(d->def, name, 1), 1);
		while (f->names[i].name && strcmp(f->names[i].name, name[0]))
			i++;
		if (!f->names[i].name)
			fail_msg("docs: %s: the default \"%s\" is not a value", path, name[0]);
		accepted_num(f, NULL, f->names[i].value);
	} else if (f->num) {
		accepted_num(f, NULL, 0); /* none: no address, no flags, no reals */
	} else {
		accepted(f, NULL, &cfg);
		sh_config_free(&cfg);
	}

	/* A key twice in one object is a syntax error that names the key. */
	rc = load_with(f, f->valid, true, &cfg, err, sizeof(err), text, sizeof(text));
	snprintf(want, sizeof(want), "duplicate object key near '\"%s\"'", f->key);
	n_field_cases++;
	if (rc != -EINVAL || strncmp(err, ORIGIN ": line 1, column ", 24) ||
	    strcmp(err + strlen(err) - strlen(want), want))
		fail_msg("%s twice: rc %d\n  config: %s\n  error:  %s", path, rc, text, err);
	assert_zeroed(&cfg);
}

static void test_field(void **state)
{
	const struct field *f = *state;
	const struct doc_row *d;

	docs_load();
	d = doc_row(f->section, f->key);
	if (!d)
		fail_msg("%s.%s: not in the tables of docs/config.md", f->section, f->key);
	cases_presence(f, d);
	switch (f->kind) {
	case K_OBJECT: cases_object(f); break;
	case K_ARRAY: cases_array(f); break;
	case K_INT: cases_int(f, d, false); break;
	case K_PRIME: cases_int(f, d, true); break;
	case K_ADDR: case K_ADDR4: case K_ADDR6: cases_addr(f); break;
	case K_MAC: cases_mac(f); break;
	case K_KEY: cases_key(f); break;
	case K_ENUM: cases_enum(f, d); break;
	case K_FLAGS: cases_flags(f, d); break;
	}
}

static bool is_section(const char *s)
{
	return !strcmp(s, "top") || !strcmp(s, "lb") || !strcmp(s, "vips[]") ||
	       !strcmp(s, "vips[].reals[]");
}

/*
 * The docs, this test and the parser agree on the schema: the same keys in
 * every object, each with a type that fits its kind, and the same limits.
 */
static void test_schema_agrees(void **state)
{
	static const char *const sections[] = { "top", "lb", "vips[]", "vips[].reals[]" };
	static const struct {
		const char *constant;
		long long value;
	} limits[] = { { "SH_MAX_VIPS", SH_MAX_VIPS },
		       { "SH_MAX_REALS", SH_MAX_REALS },
		       { "SH_MAX_RING_SIZE", SH_MAX_RING_SIZE } };
	size_t n_keys = 0;

	(void)state;
	docs_load();
	for (size_t i = 0; i < n_doc_rows; i++) {
		const struct doc_row *d = &doc_rows[i];
		const struct field *f = NULL;
		const char *want;

		if (!is_section(d->section))
			continue;
		n_keys++;
		for (size_t j = 0; j < ARRAY_SIZE(fields) && !f; j++)
			if (!strcmp(fields[j].section, d->section) && !strcmp(fields[j].key, d->key))
				f = &fields[j];
		if (!f)
			fail_msg("docs/config.md lists %s.%s: give it a row in fields[] of this test",
				 d->section, d->key);
		want = f->kind == K_INT || f->kind == K_PRIME ? "integer" :
		       f->kind == K_OBJECT ? "object" :
		       f->kind == K_FLAGS ? "array of strings" :
		       f->kind == K_ARRAY ? "array" : "string";
		if (strncmp(d->type, want, strlen(want)))
			fail_msg("docs/config.md: %s.%s is \"%s\", the test expects %s", d->section,
				 d->key, d->type, want);
	}
	for (size_t j = 0; j < ARRAY_SIZE(fields); j++)
		if (!doc_row(fields[j].section, fields[j].key))
			fail_msg("fields[] has %s.%s, the tables of docs/config.md do not",
				 fields[j].section, fields[j].key);
	assert_int_equal(n_keys, ARRAY_SIZE(fields));

	/* The parser's keys, as its unknown-key error lists them, are the docs' keys. */
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		char want[256] = "", err[SH_CFG_ERR_LEN], text[1024];
		const struct field probe = { .section = sections[s], .key = "zz" };
		const char *p = section_path(sections[s]);
		size_t n = 0, k = 0, used;
		struct sh_config cfg;

		for (size_t i = 0; i < n_doc_rows; i++)
			n += !strcmp(doc_rows[i].section, sections[s]);
		used = snprintf(want, sizeof(want), ORIGIN ": %s: unknown key, expected ",
				p[0] ? p : "top level");
		for (size_t i = 0; i < n_doc_rows; i++) {
			if (strcmp(doc_rows[i].section, sections[s]))
				continue;
			used += snprintf(want + used, sizeof(want) - used, "%s%s",
					 !k ? "" : k + 1 < n ? ", " : " or ", doc_rows[i].key);
			k++;
		}
		snprintf(want + used, sizeof(want) - used, " (got \"zz\")");
		assert_int_equal(load_with(&probe, "1", false, &cfg, err, sizeof(err), text,
					   sizeof(text)),
				 -EINVAL);
		if (strcmp(err, want))
			fail_msg("the parser's keys of %s differ from the docs'\n  error:  %s\n  wanted: %s",
				 sections[s], err, want);
	}

	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		size_t j = 0;

		while (j < n_doc_limits && strcmp(doc_limits[j].constant, limits[i].constant))
			j++;
		if (j == n_doc_limits || doc_limits[j].value != limits[i].value)
			fail_msg("docs/config.md, Limits: %s is not %lld", limits[i].constant,
				 limits[i].value);
	}
	assert_int_equal(n_doc_limits, ARRAY_SIZE(limits));
}

/*
 * Families: the tunnel has the real's family, so every (VIP, real) pair of
 * families is valid with either encap, and only the real's family needs its
 * source address.
 */
static void test_families(void **state)
{
	static const char *const vip_addr[] = { "198.18.100.1", "2001:db8:100::1" };
	static const char *const real_addr[] = { "198.18.1.1", "2001:db8:1::1" };
	static const char *const src[] = { SRC4, SRC6 };
	static const char *const encap[] = { "ipip", "gue" };
	char json[512], err[SH_CFG_ERR_LEN], want[160];
	struct sh_config cfg;

	(void)state;
	for (int v = 0; v < 2; v++) {
		for (int r = 0; r < 2; r++) {
			for (int e = 0; e < 2; e++) {
				/* Only the source of the real's family. */
				snprintf(json, sizeof(json),
					 "{ \"lb\": { " MAC ", %s }, \"vips\": [ { \"address\": \"%s\", "
					 "\"protocol\": \"tcp\", \"encap\": \"%s\", \"reals\": [ { "
					 "\"address\": \"%s\" } ] } ] }",
					 src[r], vip_addr[v], encap[e], real_addr[r]);
				if (sh_config_load_string(json, ORIGIN, &cfg, err, sizeof(err)))
					fail_msg("%s\n  refused: %s", json, err);
				assert_int_equal(cfg.vips[0].family, v ? SH_AF_INET6 : SH_AF_INET);
				assert_int_equal(cfg.vips[0].reals[0].family, r ? SH_AF_INET6 : SH_AF_INET);
				sh_config_free(&cfg);

				/* Only the source of the other family: refused at the real. */
				snprintf(json, sizeof(json),
					 "{ \"lb\": { " MAC ", %s }, \"vips\": [ { \"address\": \"%s\", "
					 "\"protocol\": \"tcp\", \"encap\": \"%s\", \"reals\": [ { "
					 "\"address\": \"%s\" } ] } ] }",
					 src[!r], vip_addr[v], encap[e], real_addr[r]);
				snprintf(want, sizeof(want),
					 ORIGIN ": vips[0].reals[0].address: an IPv%c real needs "
					 "lb.ipv%c_src (got \"%s\")",
					 r ? '6' : '4', r ? '6' : '4', real_addr[r]);
				assert_int_equal(sh_config_load_string(json, ORIGIN, &cfg, err, sizeof(err)),
						 -EINVAL);
				assert_string_equal(err, want);
			}
		}
	}
}

/*
 * sh_config_load_edit: a conflict between the edited real and one later in
 * the file is reported at the edited real; without it, at the later one.
 */
static void test_edit_blame(void **state)
{
	static const struct {
		const char *name, *edited, *later, *at_edited, *at_later;
	} cases[] = {
		{ "server_id used by a later real",
		  "{ \"address\": \"198.18.1.9\", \"server_id\": 12 }",
		  "{ \"address\": \"198.18.1.2\", \"server_id\": 12 }",
		  "vips[0].reals[1].server_id: already used by 198.18.1.2 at vips[1].reals[0] (got 12)",
		  "vips[1].reals[0].server_id: already used by 198.18.1.9 at vips[0].reals[1] (got 12)" },
		{ "address with another server_id later",
		  "{ \"address\": \"198.18.1.2\", \"server_id\": 9 }",
		  "{ \"address\": \"198.18.1.2\", \"server_id\": 12 }",
		  "vips[0].reals[1].server_id: 198.18.1.2 already has server_id 12 at vips[1].reals[0] "
		  "(got 9)",
		  "vips[1].reals[0].server_id: 198.18.1.2 already has server_id 9 at vips[0].reals[1] "
		  "(got 12)" },
	};
	char json[1024], err[SH_CFG_ERR_LEN], want[256];
	struct sh_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *root, *edited;

		snprintf(json, sizeof(json),
			 "{ \"lb\": " LB_OK ", \"vips\": [ { " VIP ", \"reals\": [ " REAL ", %s ] }, "
			 "{ " VIP6 ", \"reals\": [ %s ] } ] }",
			 cases[i].edited, cases[i].later);
		root = json_loads(json, 0, NULL);
		assert_non_null(root);
		edited = json_array_get(
			json_object_get(json_array_get(json_object_get(root, "vips"), 0), "reals"), 1);
		assert_int_equal(sh_config_load_edit(root, edited, ORIGIN, &cfg, err, sizeof(err)),
				 -EINVAL);
		snprintf(want, sizeof(want), ORIGIN ": %s", cases[i].at_edited);
		if (strcmp(err, want))
			fail_msg("%s, edited\n  error:  %s\n  wanted: %s", cases[i].name, err, want);
		assert_zeroed(&cfg);
		assert_int_equal(sh_config_load_edit(root, NULL, ORIGIN, &cfg, err, sizeof(err)),
				 -EINVAL);
		snprintf(want, sizeof(want), ORIGIN ": %s", cases[i].at_later);
		if (strcmp(err, want))
			fail_msg("%s, whole file\n  error:  %s\n  wanted: %s", cases[i].name, err, want);
		json_decref(root);
	}
}

/* The distinct-real limit, hit by an edit of the first VIP: blamed on the edited real. */
static void test_edit_blame_limit(void **state)
{
	char *s = make_config(1, SH_MAX_REALS - 1), err[SH_CFG_ERR_LEN];
	json_t *root = json_loads(s, 0, NULL), *reals, *edited;
	struct sh_config cfg;

	(void)state;
	assert_non_null(root);
	/* At the limit; a new address in vips[0] makes one too many. */
	reals = json_object_get(json_array_get(json_object_get(root, "vips"), 0), "reals");
	edited = json_pack("{s:s}", "address", "198.18.1.200");
	json_array_append_new(reals, edited);
	assert_int_equal(sh_config_load_edit(root, edited, ORIGIN, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, ORIGIN ": vips[0].reals[1].address: more than 4096 distinct real "
				 "addresses in the config (got \"198.18.1.200\")");
	assert_zeroed(&cfg);
	/* The whole-file check names the first address past the limit. */
	assert_int_equal(sh_config_load_edit(root, NULL, ORIGIN, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, ORIGIN ": vips[1].reals[4094].address: more than 4096 distinct real "
				 "addresses in the config (got \"198.19.20.95\")");
	/* An address already there is no new one. */
	json_object_set_new(edited, "address", json_string("198.19.0.1"));
	assert_int_equal(sh_config_load_edit(root, edited, ORIGIN, &cfg, err, sizeof(err)), 0);
	sh_config_free(&cfg);
	json_decref(root);
	free(s);
}

/* Errors are one printable line, whatever the input holds; long values are cut. */
static void test_one_line(void **state)
{
	static const char *const inputs[] = {
		"{ \"lb\": { " MAC ", \"a\\nb\\\"c\\u00e9\": 1 } }",
		"{ \"lb\": { " MAC ", \"mtu\": \"\\u0001\\t\\u007f\" } }",
		"{ \"lb\": { " MAC ", \"mtu\": \"x\ny\" } }",
		"{ \"lb\": { " MAC ", \"mtu\": \"x\001y\" } }",
		"{ \"lb\": { " MAC ", \"mtu\": \"\xff\" } }",
		"{ \"lb\": { " MAC ", \"mtu\": \"\xc3\xa9\xe2\x82\" } }",
		"{ \"lb\": { " MAC ", \"ipv4_src\": \"" /* a long value */
		"0123456789012345678901234567890123456789012345678901234567890123456789\" } }",
		"\x01",
	};
	char err[SH_CFG_ERR_LEN];
	struct sh_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		assert_int_equal(sh_config_load_string(inputs[i], ORIGIN, &cfg, err, sizeof(err)),
				 -EINVAL);
		for (const unsigned char *p = (const unsigned char *)err; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				fail_msg("input %zu: byte %#x in \"%s\"", i, *p, err);
		assert_int_equal(strncmp(err, ORIGIN ": ", strlen(ORIGIN) + 2), 0);
	}
	sh_config_load_string(inputs[0], ORIGIN, &cfg, err, sizeof(err));
	assert_string_equal(err, ORIGIN ": lb: unknown key, expected ipv4_src, ipv6_src, gateway_mac, "
				 "hash_key, ring_size, conntrack_size, mtu, gue_port or "
				 "udp_timeout_ms (got \"a\\nb\\\"c\\u00E9\")");
	sh_config_load_string(inputs[1], ORIGIN, &cfg, err, sizeof(err));
	assert_string_equal(err, ORIGIN ": lb.mtu: must be an integer 576..9216 (got "
				 "\"\\u0001\\t\\u007f\")");
	sh_config_load_string(inputs[6], ORIGIN, &cfg, err, sizeof(err));
	assert_string_equal(err, ORIGIN ": lb.ipv4_src: must be an IPv4 address (got "
				 "\"0123456789012345678901234567890123456789012...)");
}

int main(void)
{
	static const struct CMUnitTest basic[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_schema_agrees),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_edit_blame),
		cmocka_unit_test(test_edit_blame_limit),
		cmocka_unit_test(test_one_line),
	};
	struct CMUnitTest bad[ARRAY_SIZE(bad_cases)], per_field[ARRAY_SIZE(fields)];
	char names[ARRAY_SIZE(fields)][48];
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		bad[i] = (struct CMUnitTest){
			.name = bad_cases[i].name,
			.test_func = test_bad,
			.initial_state = (void *)&bad_cases[i],
		};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		snprintf(names[i], sizeof(names[i]), "%s.%s", fields[i].section, fields[i].key);
		per_field[i] = (struct CMUnitTest){
			.name = names[i],
			.test_func = test_field,
			.initial_state = (void *)&fields[i],
		};
	}
	failed = cmocka_run_group_tests_name("config", basic, NULL, NULL);
	failed += cmocka_run_group_tests_name("config_errors", bad, NULL, NULL);
	failed += cmocka_run_group_tests_name("config_fields", per_field, NULL, NULL);
	printf("config: %zu hand-written error cases, %u generated cases over %zu fields\n",
	       ARRAY_SIZE(bad_cases), n_field_cases, ARRAY_SIZE(fields));
	return failed ? 1 : 0;
}
