#!/usr/bin/env bash
# Run shoal's benchmarks from a release build and print their tables.
#   bash bench/run.sh [--quick]
# The last one, bench_bpf (the XDP program under BPF_PROG_TEST_RUN), loads BPF
# programs and needs root; without root it is skipped with a note.
# Figures go in docs/performance.md (docs/performance-xdp.md for bench_bpf)
# with the date and this command.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build bench/bench_core bench/bench_maglev bench/bench_bpf
echo "== core, userspace (bench/core_burst.c)"
build/bench/bench_core "$@"
echo
echo "== ring build, balance and disruption (bench/maglev_build.c)"
build/bench/bench_maglev
echo
echo "== XDP program, BPF_PROG_TEST_RUN against XDP_PASS (bench/bpf_run.c, needs root)"
if [[ $(id -u) -eq 0 ]]; then
	build/bench/bench_bpf "$@"
else
	echo "skipped: not root (bench_bpf loads BPF programs; run: sudo bash bench/run.sh $*)"
fi
echo
# Figures: docs/performance-afxdp.md.
echo "== AF_XDP: shoal-afxdp against a plain AF_XDP echo on veth (bench/afxdp.sh, needs root)"
if [[ $(id -u) -eq 0 ]]; then
	bash bench/afxdp.sh "$@"
else
	echo "skipped: not root (bench/afxdp.sh makes a netns and AF_XDP sockets)"
fi
