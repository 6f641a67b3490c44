#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, changing the reals under live traffic. Two VIPs (IPv4 over IPIP, IPv6
# over GUE) start with real1 and real2. Slow downloads (nginx limit_rate) are
# started until each VIP has at least one on real1 and one on real2. Then, on both
# VIPs, while they run:
#   1. real3 is added (shoalctl real add): the ring changes, established flows stay
#      where conntrack put them; new connections reach real3 too;
#   2. real1 is drained (shoalctl real drain): new connections avoid it, its
#      downloads keep going (its packet counter keeps rising) and complete;
#   3. more downloads start (on real2 and real3), then real1 is removed
#      (shoalctl real del) while they run; new connections still avoid it.
# Before and after each change, 200 new connections to each VIP probe where new
# flows go; each phase uses client ports of its own (see client_ports in
# topology.sh). Every download must complete, byte for byte (sha256), from the real
# that started it; every probe request must be answered.
#
#   bash tests/e2e/test_lb_changes.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
BLOB_MB=8 BLOB_RATE=1m # each download lasts ~8 s
topo_init "${1:?usage: test_lb_changes.sh BUILD_DIR}" 3
PROBES=200
trap topo_down EXIT
trap 'exit 143' TERM INT

topo_start "$VIP4_IPIP 80 ipip real1:1 real2:1" "$VIP6_GUE 80 gue real1:1 real2:1"
ctl show
TEST_VIPS=("$VIP4_IPIP" "$VIP6_GUE")
raddr() { if [[ $1 == *:* ]]; then real6 "$2"; else real4 "$2"; fi; }
declare -A OWNER=() VIP_OF=()
broken=0

# probe STEP: PROBES new connections to each VIP, from a client port range of their
# own (client_ports); prints the tally, counts the unanswered as broken; sets
# P_realN, summed over both VIPs, for the connections whose client port had not been
# used before in this test (all of them, unless the kernel went round the range:
# a reused port is the LB's earlier flow, see client_ports; those are shown apart).
PHASE_PORT=32768
probe() {
	local vip out
	client_ports "$PHASE_PORT" $((PHASE_PORT + 4999))
	PHASE_PORT=$((PHASE_PORT + 5000))
	P_real1=0 P_real2=0 P_real3=0
	for vip in "${TEST_VIPS[@]}"; do
		out=$(requests "$vip" "$PROBES" 8)
		t=$(tally <<<"$out")
		echo "     $1: $vip: $t"
		broken=$((broken + $(field sent "$t") - $(field answered "$t")))
		check "$1: $vip: all $PROBES new connections answered" [ "$(field answered "$t")" -eq "$PROBES" ]
		seen=$T_WORK/ports-${vip//:/_}
		touch "$seen"
		fresh=$(awk 'FILENAME == ARGV[1] { seen[$1] = 1; next } !($3 in seen)' "$seen" - <<<"$out")
		reused=$(awk 'FILENAME == ARGV[1] { seen[$1] = 1; next } $3 in seen' "$seen" - <<<"$out")
		awk '{ print $3 }' <<<"$out" >>"$seen"
		if [[ -n $reused ]]; then
			echo "     $1: $vip: $(wc -l <<<"$reused") connections reused an earlier client port" \
				"(the LB's earlier flows; not counted): $(tally <<<"$reused")"
		fi
		t=$(tally <<<"$fresh")
		P_real1=$((P_real1 + $(field real1 "$t"))) P_real2=$((P_real2 + $(field real2 "$t")))
		P_real3=$((P_real3 + $(field real3 "$t")))
	done
}
in_flight() { # in_flight [REAL]: running downloads (on REAL)
	local n c=0
	for n in "${!DL_PID[@]}"; do
		dl_running "$n" && [[ -z ${1:-} || ${OWNER[$n]} == "$1" ]] && c=$((c + 1))
	done
	echo "$c"
}
change() { # change WHAT shoalctl-args-with-VIP-and-REAL... (applied to both VIPs)
	local what=$1 verb=$2 real=$3 vip
	shift 3
	for vip in "${TEST_VIPS[@]}"; do
		check "$what on $vip" ctl real "$verb" "$(vip_key "$vip")" "$(raddr "$vip" "$real")" "$@"
	done
}

# --- set A: downloads on real1 and real2 of each VIP -----------------------------------
port=20000
for vip in "${TEST_VIPS[@]}"; do
	have1=0 have2=0
	for ((i = 0; i < 12 && (have1 == 0 || have2 == 0 || i < 3); i++)); do
		port=$((port + 1))
		name=A$port
		dl_start "$name" "$vip" "$port"
		OWNER[$name]=$(dl_owner "$name") VIP_OF[$name]=$vip
		[[ ${OWNER[$name]} == real1 ]] && have1=1
		[[ ${OWNER[$name]} == real2 ]] && have2=1
	done
	echo "     set A on $vip: $(for n in "${!OWNER[@]}"; do [[ ${VIP_OF[$n]} == "$vip" ]] &&
		printf '%s@%s ' "$n" "${OWNER[$n]}"; done)"
	check "set A on $vip: downloads on both real1 and real2" [ "$have1" -eq 1 -a "$have2" -eq 1 ]
done
probe "before"
check "before: new connections go to real1 and real2 only" \
	[ "$P_real1" -gt 0 -a "$P_real2" -gt 0 -a "$P_real3" -eq 0 ]

# --- 1. add real3 ---------------------------------------------------------------------
echo "     adding real3 with $(in_flight) downloads in flight"
check "downloads in flight while adding real3" [ "$(in_flight)" -gt 0 ]
change "add real3" add 3 --weight 1
probe "after adding real3"
check "after adding real3: new connections reach real3" [ "$P_real3" -gt 0 ]

# --- 2. drain real1 --------------------------------------------------------------------
on1=$(in_flight real1)
echo "     draining real1 with $(in_flight) downloads in flight, $on1 of them on real1"
check "downloads on real1 in flight while draining it" [ "$on1" -gt 0 ]
change "drain real1" drain 1
s0=$(stats_json)
probe "after draining real1"
check "after draining real1: no new connection on real1" [ "$P_real1" -eq 0 ]
sleep 1
s1=$(stats_json)
for vip in "${TEST_VIPS[@]}"; do
	d=$(($(real_packets "$s1" "$vip" "$(raddr "$vip" 1)") - $(real_packets "$s0" "$vip" "$(raddr "$vip" 1)")))
	echo "     drained real1 ($(raddr "$vip" 1)) got $d packets in the next second: its downloads' ACKs"
	if [[ $(in_flight real1) -gt 0 ]]; then
		check "drained real1 ($(raddr "$vip" 1)) still gets its flows' packets" [ "$d" -gt 0 ]
	fi
done

# --- 3. set B, then remove real1 ----------------------------------------------------------
for vip in "${TEST_VIPS[@]}"; do
	for ((i = 0; i < 3; i++)); do
		port=$((port + 1))
		name=B$port
		dl_start "$name" "$vip" "$port"
		OWNER[$name]=$(dl_owner "$name") VIP_OF[$name]=$vip
		echo "     set B on $vip: $name@${OWNER[$name]}"
		check "set B download $name avoids the drained real1" [ "${OWNER[$name]}" != real1 ]
	done
done
for n in "${!OWNER[@]}"; do
	[[ ${OWNER[$n]} == real1 ]] || continue
	check "download $n on the drained real1 completes" dl_wait "$n" 60
done
echo "     removing real1 with $(in_flight) downloads in flight (on real1: $(in_flight real1))"
check "downloads in flight while removing real1" [ "$(in_flight)" -gt 0 ]
change "remove real1" del 1
probe "after removing real1"
check "after removing real1: no new connection on real1" [ "$P_real1" -eq 0 ]
show=$(ctl show)
check "real1 is gone from shoalctl show" \
	bash -c "! grep -qE ' ($(real4 1)|$(real6 1)) ' <<<'$show'"

# --- every download complete and intact, from the real that started it ------------------------
for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do
	dl_intact "$n" "${OWNER[$n]}" "from ${VIP_OF[$n]}" || broken=$((broken + 1))
done
s=$(stats_json)
echo "     downloads: ${#OWNER[@]}; connections broken: $broken;" \
	"LB conntrack hits $(counter "$s" ct_hit), misses $(counter "$s" ct_miss)"
check "no connection broken" [ "$broken" -eq 0 ]
ctl stats
finish
