#!/usr/bin/env bash
# Every test of shoal: installs what is missing, builds (release; ASan+UBSan for
# the unit tests; clang with libFuzzer for the fuzzers), and runs the whole
# suite. Exits non-zero on any failure.
#   bash tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/deps.sh

# Release build: every suite.
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

# Sanitizer build: the unit, golden, XDP backend and daemon tests under
# AddressSanitizer and UBSan. Unaligned header loads are intended (headers sit
# at 2-byte offsets behind Ethernet; x86 and BPF load them fine), so that one
# check is off.
[[ -d build-asan ]] || meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
	-Db_lundef=false -Dc_args=-fno-sanitize=alignment
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --suite unit --suite golden --suite xdp --suite control \
	--print-errorlogs --num-processes 2

# Fuzz build: clang, libFuzzer with ASan and UBSan (docs/fuzzing.md). Builds the
# whole project with clang, then runs each fuzzer for $SHOAL_FUZZ_SECONDS
# (default 60) from its seed corpus: a crash, leak or broken invariant fails.
[[ -d build-fuzz ]] || CC=clang meson setup build-fuzz --buildtype=debug -Dfuzz=true \
	-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize=alignment
ninja -C build-fuzz
meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2 --verbose
