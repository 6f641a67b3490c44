// SPDX-License-Identifier: BSD-3-Clause
/*
 * Drives the XDP backend for the live test (test_xdp_live.py), one step per
 * run, the way shoald does: start (warm when pins exist), build tables with
 * the recovered ones as prev, apply, stop leaving the dataplane forwarding.
 *
 *   xdp_live_ctl apply  IFACE PIN_ROOT lb.json [generic]   prints a JSON report
 *   xdp_live_ctl unload IFACE PIN_ROOT                     stop(keep_forwarding=false)
 *   xdp_live_ctl probe  IFACE [generic]
 *   xdp_live_ctl pass   IFACE       attach a bare XDP_PASS program (netlink, stays)
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "config.h"
#include "log.h"
#include "tables.h"

/* The pins under dir, as "name": id (maps) and "link": {id, prog_id}. */
static void print_pins(const char *dir)
{
	const char *sep = "";
	struct dirent *de;
	DIR *d = opendir(dir);

	printf("\"pins\": {");
	while (d && (de = readdir(d))) {
		union {
			struct bpf_map_info map;
			struct bpf_link_info link;
		} info;
		__u32 len = sizeof(info);
		char path[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			if (!strcmp(de->d_name, "link"))
				printf("%s\"link\": {\"id\": %u, \"prog_id\": %u, \"ifindex\": %u}",
				       sep, info.link.id, info.link.prog_id, info.link.xdp.ifindex);
			else
				printf("%s\"%s\": %u", sep, de->d_name, info.map.id);
			sep = ", ";
		}
		close(fd);
	}
	printf("}");
	if (d)
		closedir(d);
}

static int cmd_apply(const char *ifname, const char *pin_root, const char *cfg_path, bool generic)
{
	struct sh_backend_opts o = { .ifname = ifname,
				     .pin_root = pin_root,
				     .max_vips = 16,
				     .xdp_mode = generic ? SH_XDP_GENERIC : SH_XDP_NATIVE };
	struct sh_tables *recovered = NULL, *t = NULL;
	char err[512], dir[PATH_MAX / 2];
	struct sh_backend *b = NULL;
	struct sh_config cfg;
	struct sh_stats *st;
	int ret;

	if (sh_config_load_file(cfg_path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "xdp_live_ctl: %s\n", err);
		return 1;
	}
	o.ring_size = cfg.lb.ring_size;
	o.conntrack_size = cfg.conntrack_size;
	ret = sh_backend_xdp.start(&o, &b, &recovered, err, sizeof(err));
	if (!ret)
		ret = sh_tables_build(&cfg, recovered, &t, err, sizeof(err));
	if (!ret)
		ret = sh_backend_xdp.apply(b, t, recovered, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "xdp_live_ctl: %s\n", err);
		sh_backend_xdp.stop(b, true);
		goto out;
	}
	st = calloc(1, sizeof(*st));
	if (st && !sh_backend_xdp.read_stats(b, st))
		printf("{\"tx_so_far\": %llu, ", (unsigned long long)st->ctr[SH_CTR_TX]);
	else
		printf("{");
	free(st);
	printf("\"recovered\": %s, \"recovered_reals\": %u, ", recovered ? "true" : "false",
	       recovered ? recovered->n_reals : 0);
	printf("\"reals\": [");
	for (__u32 i = 0; i < t->n_reals; i++) {
		char a[SH_ADDR_STRLEN];

		printf("%s[\"%s\", %d]", i ? ", " : "",
		       sh_addr_str(&t->reals[i].addr, t->reals[i].family, a),
		       t->reals[i].flags & SH_REAL_F_ACTIVE);
	}
	printf("], ");
	snprintf(dir, sizeof(dir), "%s/%s", pin_root, ifname);
	print_pins(dir);
	printf("}\n");
	sh_backend_xdp.stop(b, true);
out:
	sh_tables_free(recovered);
	sh_tables_free(t);
	sh_config_free(&cfg);
	return ret ? 1 : 0;
}

static int cmd_pass(const char *ifname)
{
	/* r0 = XDP_PASS; exit */
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int ifindex = (int)if_nametoindex(ifname), fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xdp_pass", "GPL", prog, 2, NULL);
	if (!ifindex || fd < 0 || bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "xdp_live_ctl: %s: attaching XDP_PASS: %s\n", ifname,
			strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool generic = argc > 0 && !strcmp(argv[argc - 1], "generic");
	char why[512], err[512];

	sh_log_route_libbpf();
	if (argc >= 5 && !strcmp(argv[1], "apply"))
		return cmd_apply(argv[2], argv[3], argv[4], generic);
	if (argc == 4 && !strcmp(argv[1], "unload")) {
		struct sh_backend_opts o = { .ifname = argv[2], .pin_root = argv[3] };

		if (sh_backend_xdp.unload(&o, err, sizeof(err))) {
			fprintf(stderr, "xdp_live_ctl: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "probe")) {
		struct sh_backend_opts o = { .ifname = argv[2],
					     .xdp_mode = generic ? SH_XDP_GENERIC : SH_XDP_NATIVE };
		int ret = sh_backend_xdp.probe(&o, why, sizeof(why));

		printf("%d %s\n", ret, why);
		return ret ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "pass"))
		return cmd_pass(argv[2]);
	fprintf(stderr, "usage: xdp_live_ctl apply IFACE PIN_ROOT lb.json [generic] | unload IFACE "
			"PIN_ROOT | probe IFACE [generic] | pass IFACE\n");
	return 2;
}
