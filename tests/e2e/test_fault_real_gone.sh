#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, a real vanishes under load. Two VIPs (IPv4 over IPIP, IPv6 over GUE)
# with real1..3. Request loops (eight a VIP, each one curl after another, a new
# connection each, from client ports of its own) run; real3 then disappears as a
# machine that dies: its processes are killed (SIGKILL) and its network namespace
# deleted, taking its link with it. The LB is not told. The loops go on until 400
# more requests are done. Every connection is classified by the real the LB sent
# it to, read from a capture of what the LB tunnels to the router (outer
# destination, inner client port); the capture is checked against the answers (an
# answered connection was sent to the real that answered it).
#   - shoald stays up; its control socket answers under load (show, stats), and
#     its counters keep moving;
#   - connections sent to real1 and real2 all succeed: zero failures on the
#     surviving reals; every failure is a connection the ring sent to real3 (the
#     number is printed; there must be some, or the fault was not seen);
#   - after `shoalctl real del` of real3 on both VIPs, 300 new connections a VIP
#     are all answered and nothing is tunnelled to real3's addresses any more;
#   - topo_down still removes everything of the run (namespaces, pins, the pins and
#     state shoal-real left for the vanished real, nginx, files): checked after an
#     explicit topo_down.
#
#   bash tests/e2e/test_fault_real_gone.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
topo_init "${1:?usage: test_fault_real_gone.sh BUILD_DIR}" 3
command -v tcpdump >/dev/null || topo_cannot_run "no tcpdump"
trap topo_down EXIT
trap 'exit 143' TERM INT
LANES=8   # request loops a VIP
AFTER=400 # requests done after the real vanished, over all loops
BATCH=300 # new connections a VIP after the vanished real is removed
GONE=3

W="real1:1 real2:1 real3:1"
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"
ctl show
TEST_VIPS=("$VIP4_IPIP" "$VIP6_GUE")
TUNNELS="ip proto 4 or (ip6 and udp dst port 6080)" # what the LB sends the reals
raddr() { if [[ $1 == *:* ]]; then real6 "$2"; else real4 "$2"; fi; }
shoald_up() { kill -0 "$T_SHOALD_PID" 2>/dev/null; }

# classify CAPTURE VIP < "CODE REAL PORT" lines: each line with the real the LB
# tunnelled that client port's packets to: "CODE REAL PORT SENT_TO" (SENT_TO "none"
# when the capture has no packet of that port; "a,b" if several reals)
classify() {
	local vip=$2
	awk -v vip="$vip" -v r1="$(raddr "$vip" 1)" -v r2="$(raddr "$vip" 2)" -v r3="$(raddr "$vip" 3)" '
		BEGIN { name[r1] = "real1"; name[r2] = "real2"; name[r3] = "real3" }
		FILENAME == ARGV[1] {
			if ($1 != "-" && $4 == vip) {
				r = ($1 in name) ? name[$1] : $1
				if (!index("," to[$3] ",", "," r ",")) to[$3] = to[$3] (to[$3] == "" ? "" : ",") r
			}
			next
		}
		{ print $1, $2, $3, ($3 in to) ? to[$3] : "none" }' "$1" -
}

# --- load: request loops on both VIPs ---------------------------------------------------------
# LANES loops a VIP, each from client ports of its own (so that a connection that
# failed can be found in the capture by its port).
cap_start tun router eth-lb -Q in "$TUNNELS"
LOOP_NAMES=()
k=0
for vip in "${TEST_VIPS[@]}"; do
	for ((l = 1; l <= LANES; l++)); do
		LOOP_NAMES+=("L$l-$vip")
		reqloop_start "L$l-$vip" "$vip" 2 $((10000 + 1000 * k))
		k=$((k + 1))
	done
done
loops_lines() { # loops_lines [CODE]: requests done by all loops (answered with CODE)
	local n=0 name
	for name in "${LOOP_NAMES[@]}"; do
		n=$((n + $(awk -v c="${1:-}" 'c == "" || $1 == c' "$(reqloop_out "$name")" | wc -l)))
	done
	echo "$n"
}
for ((i = 0; i < 300 && $(loops_lines 200) < 100; i++)); do sleep 0.1; done
echo "     loops running: $(loops_lines 200) requests answered so far"

# --- real3 vanishes --------------------------------------------------------------------------------
s_kill=$(stats_json)
check "real$GONE vanishes: processes killed, namespace deleted, its link gone" topo_real_kill "$GONE"
K0=$(loops_lines)
check "shoald is still running" shoald_up
# What shoal-real kept for the vanished real (a detached link, maps, saved sysctls)
# can only be removed from outside its namespace: shoal-real prune, from the host,
# takes it and nothing of the living reals.
pruned=$(timeout 30 "$SHOAL_REAL" prune) || true
echo "     shoal-real prune, from the host: ${pruned:-nothing}"
check "shoal-real prune removed real$GONE's pins and state" \
	[ -n "${T_REAL_PINS[$GONE]}" -a ! -e "${T_REAL_PINS[$GONE]%/*}" -a ! -e "${T_REAL_STATE[$GONE]}" ]
decap_attached() { in_ns_t 10 "real$1" "$SHOAL_REAL" status --iface "$UPLINK" >/dev/null; }
for ((n = 1; n <= T_NREALS; n++)); do
	[[ $n == "$GONE" ]] && continue
	check "... and left real$n's decap attached" decap_attached "$n"
done
# AFTER more requests, done after real3 went; the control socket meanwhile
for ((i = 0; i < 900 && $(loops_lines) < K0 + AFTER / 2; i++)); do sleep 0.1; done
s_mid=$(stats_json) || true
check "the control socket answers under load: shoalctl show" ctl show
for ((i = 0; i < 900 && $(loops_lines) < K0 + AFTER; i++)); do sleep 0.1; done
for name in "${LOOP_NAMES[@]}"; do reqloop_stop "$name"; done
s_end=$(stats_json) || true
cap_stop tun
echo "     requests done after real$GONE vanished: $(($(loops_lines) - K0))"
check "$AFTER requests done after real$GONE vanished" [ "$(loops_lines)" -ge $((K0 + AFTER)) ]
for c in rx tx ct_miss; do
	a=$(counter "$s_kill" "$c") b=$(counter "$s_mid" "$c") e=$(counter "$s_end" "$c")
	echo "     LB $c: $a when real$GONE vanished, $b under load, $e after the loops"
	check "LB $c keeps counting with real$GONE gone" [ "$b" -gt "$a" -a "$e" -gt "$b" ]
done
check "shoald is still running after the load" shoald_up

# --- who failed ----------------------------------------------------------------------------------
flows=$T_WORK/tun-flows
pcap_flows "$(cap_file tun)" >"$flows"
check "the capture of the LB's tunnels lost nothing" [ "$(cap_dropped tun)" -eq 0 ]
all=$T_WORK/classified
: >"$all"
for vip in "${TEST_VIPS[@]}"; do
	for ((l = 1; l <= LANES; l++)); do cat "$(reqloop_out "L$l-$vip")"; done |
		classify "$flows" "$vip" | sed "s/^/$vip /" >>"$all"
done
# "VIP CODE REAL PORT SENT_TO"
total=$(wc -l <"$all")
answered=$(awk '$2 == 200' "$all" | wc -l)
failed=$((total - answered))
f_gone=$(awk -v g="real$GONE" '$2 != 200 && $5 == g' "$all" | wc -l)
f_live=$(awk -v g="real$GONE" '$2 != 200 && $5 ~ /^real[0-9]+$/ && $5 != g' "$all" | wc -l)
f_other=$((failed - f_gone - f_live))
mismatch=$(awk '$2 == 200 && $3 != $5' "$all" | wc -l)
echo "     connections: $total (the loops, both VIPs); answered $answered; failed $failed:" \
	"$f_gone sent to the vanished real$GONE, $f_live to a surviving real, $f_other unplaced"
for ((n = 1; n <= T_NREALS; n++)); do
	s=$(awk -v r="real$n" '$5 == r' "$all" | wc -l)
	a=$(awk -v r="real$n" '$5 == r && $2 == 200' "$all" | wc -l)
	echo "       sent to real$n: $s, answered $a"
done
awk '$2 != 200 && $5 != "real'"$GONE"'"' "$all" | head -5 | sed 's/^/       failed elsewhere: /'
awk '$2 == 200 && $3 != $5' "$all" | head -5 | sed 's/^/       answered by another real than the capture shows: /'
check "the capture agrees with the answers (answered by the real it was sent to; $mismatch differ)" \
	[ "$mismatch" -eq 0 ]
check "zero failures on the surviving reals ($f_live)" [ "$f_live" -eq 0 ]
check "every failure was sent to the vanished real$GONE ($f_other elsewhere or unplaced)" [ "$f_other" -eq 0 ]
check "the ring still sent new connections to real$GONE, and they failed ($f_gone)" [ "$f_gone" -gt 0 ]
check "the surviving reals answered ($((answered)) connections)" [ "$answered" -gt 0 ]

# --- the vanished real removed ----------------------------------------------------------------------
for vip in "${TEST_VIPS[@]}"; do
	check "shoalctl real del real$GONE from $vip" ctl real del "$(vip_key "$vip")" "$(raddr "$vip" "$GONE")"
done
cap_start tun2 router eth-lb -Q in "$TUNNELS"
client_ports 48000 60999
lost=0
for vip in "${TEST_VIPS[@]}"; do
	t=$(requests "$vip" "$BATCH" 32 | tally || true)
	echo "     after real del: $vip: $t"
	lost=$((lost + $(field sent "$t") - $(field answered "$t")))
	check "after real del: $vip: all $BATCH new connections answered" [ "$(field answered "$t")" -eq "$BATCH" ]
done
cap_stop tun2
to_gone=$(pcap_flows "$(cap_file tun2)" |
	awk -v a="$(real4 "$GONE")" -v b="$(real6 "$GONE")" '$1 == a || $1 == b' | wc -l)
echo "     after real del: $((2 * BATCH)) new connections, $lost failed; packets tunnelled to real$GONE: $to_gone"
check "after real del: nothing tunnelled to real$GONE" [ "$to_gone" -eq 0 -a "$(cap_dropped tun2)" -eq 0 ]
check "shoald is still running" shoald_up
ctl stats
grep -iE "warn|error" "$T_WORK/shoald.log" | sed 's/^/     shoald: /' | tail -5 || true

# --- teardown with a namespace missing ---------------------------------------------------------------
echo "     connections broken: $f_gone (all on the vanished real$GONE) + $lost after real del"
topo_down
left=$(topo_leftovers)
echo "     left after topo_down: ${left:-nothing}"
check "topo_down removed everything of the run" [ -z "$left" ]
finish
