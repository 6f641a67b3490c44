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

#include <arpa/inet.h>
#include <netinet/in.h>

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

int main(void)
{
	static const struct CMUnitTest basic[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_addr),
	};
	struct CMUnitTest bad[ARRAY_SIZE(bad_cases)];
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		bad[i] = (struct CMUnitTest){
			.name = bad_cases[i].name,
			.test_func = test_bad,
			.initial_state = (void *)&bad_cases[i],
		};
	failed = cmocka_run_group_tests_name("config", basic, NULL, NULL);
	failed += cmocka_run_group_tests_name("config_errors", bad, NULL, NULL);
	return failed ? 1 : 0;
}
