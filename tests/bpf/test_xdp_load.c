// SPDX-License-Identifier: BSD-3-Clause
/*
 * The production XDP object loads: the kernel's verifier accepts the
 * forwarding core as compiled for BPF. Prints how many instructions the
 * verifier walked (the limit is 1M), so growth is seen long before it fails.
 *
 *   test_xdp_load shoal_xdp.bpf.o
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char verifier_log[1 << 20];

int main(int argc, char **argv)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: test_xdp_load OBJECT\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "FAIL: %s: cannot open\n", argv[1]);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "shoal_xdp");
	if (!prog) {
		fprintf(stderr, "FAIL: %s: no program shoal_xdp\n", argv[1]);
		return 1;
	}
	bpf_program__set_log_buf(prog, verifier_log, sizeof(verifier_log));
	bpf_program__set_log_level(prog, 1);
	err = bpf_object__load(obj);
	if (err) {
		size_t len = strlen(verifier_log);

		fprintf(stderr, "FAIL: the verifier rejected shoal_xdp (%d); end of its log:\n%s\n",
			err, verifier_log + (len > 4000 ? len - 4000 : 0));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len)) {
		perror("FAIL: bpf_obj_get_info_by_fd");
		return 1;
	}
	printf("shoal_xdp: %u BPF instructions, verifier walked %u (limit 1000000)\n",
	       info.xlated_prog_len / 8, info.verified_insns);
	bpf_object__close(obj);
	return 0;
}
