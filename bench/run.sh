#!/usr/bin/env bash
# Run shoal's benchmarks from a release build and print their tables.
#   bash bench/run.sh [--quick]
# Figures go in docs/performance.md with the date and this command.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build bench/bench_core bench/bench_maglev
echo "== core, userspace (bench/core_burst.c)"
build/bench/bench_core "$@"
echo
echo "== ring build, balance and disruption (bench/maglev_build.c)"
build/bench/bench_maglev
