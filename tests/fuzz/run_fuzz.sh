#!/usr/bin/env bash
# One fuzzer as a meson test: copy its seed corpus into a fresh work dir, fuzz
# for $SHOAL_FUZZ_SECONDS (default 60), then print executions and coverage.
# Any crash, leak, sanitizer report or broken invariant fails the test, with
# the report and the path of the input that caused it.
#   run_fuzz.sh FUZZER SEED_DIR DICT MAX_LEN WORK_DIR
set -euo pipefail
fuzzer=$1 seeds=$2 dict=$3 max_len=$4 work=$5
secs=${SHOAL_FUZZ_SECONDS:-60}
name=$(basename "$fuzzer")

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"

rc=0
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
	-dict="$dict" -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" >"$work/log" 2>&1 || rc=$?

if ((rc != 0)); then
	tail -n 60 "$work/log"
	echo "$name: FAILED (exit $rc); log $work/log; input:" "$work"/artifacts/*
	exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -n 1)
cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$last")
ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$last")
echo "$name: $runs executions in ${secs} s ($rate/s), coverage $cov edges, $ft features," \
	"corpus $(ls "$work/corpus" | wc -l) inputs (from $(ls "$seeds" | wc -l) seeds)"
