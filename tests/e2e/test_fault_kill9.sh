#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, shoald killed with SIGKILL under traffic, and started again on a
# config file that changed while it was dead. Two VIPs (IPv4 over IPIP, IPv6 over
# GUE) with real1 and real2; real3 is up but in no VIP. A steady request loop on
# each VIP (one curl after another, a new connection each) and four slow downloads
# (20 MB at 1 MB/s, two per VIP) run throughout. Then:
#   1. shoald gets SIGKILL: no clean-up. The XDP program must stay attached and
#      forwarding from its pinned maps, the pins must all stay, the control socket
#      file stays behind (stale: nothing answers on it);
#   2. while no daemon runs, 100 new connections to each VIP are all answered,
#      by real1/real2 only (the dataplane still has the old config);
#   3. the config file is changed: real3 added to both VIPs, real1's weight 1 -> 2;
#   4. shoald is started again on the same socket path and pins: it must start
#      (the stale socket must not stop it), warm (the pinned maps taken over), and
#      reconcile: `shoalctl config` = the file, new connections reach real3 (300
#      a VIP, fresh client ports, all answered), while established flows keep
#      their real (conntrack survives a warm start, docs/xdp.md): every download
#      completes byte for byte (sha256) from the real that started it;
#   5. the counters live in the pinned maps and continue (docs/xdp.md: warm start
#      reuses the maps; only a vip_id that changed hands restarts its counters,
#      and none did): after the restart each VIP's packet counter is at least its
#      value before the kill plus 3 packets for each connection made while shoald
#      was dead (SYN, ACK, request at the least); reset, it would hold only what
#      came after the restart.
# On AF_XDP (SHOAL_BACKEND=afxdp) the workers are the dataplane, so nothing forwards
# while shoald is dead: step 2 does not apply and is left out (said so in the output),
# and shoald is started again at once. What must hold instead: the steering program
# stays (dropping VIP frames, counted as no_worker) and the state file stays; the
# restart maps the state file back, so conntrack and counters continue (steps 4, 5),
# and the LB's only drops are those no_worker ones of the gap. The forwarding gap
# (the longest pause in what the LB tunnels, around the kill) is measured and printed
# on both backends.
# The request loops must see zero failures across all of it; the LB drops nothing.
# A capture of what the LB tunnels to the reals shows every packet of every
# download going to the real that started it, and conntrack serving every packet
# but the SYNs (its misses = the SYNs tunnelled), through the kill and the restart.
#
#   bash tests/e2e/test_fault_kill9.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
BLOB_MB=20 BLOB_RATE=1m # each download lasts ~20 s: across the kill and the restart
topo_init "${1:?usage: test_fault_kill9.sh BUILD_DIR}" 3
PROBES_DEAD=100 PROBES_AFTER=300
command -v tcpdump >/dev/null || topo_cannot_run "no tcpdump"
trap topo_down EXIT
trap 'exit 143' TERM INT

topo_start "$VIP4_IPIP 80 ipip real1:1 real2:1" "$VIP6_GUE 80 gue real1:1 real2:1"
ctl show
TEST_VIPS=("$VIP4_IPIP" "$VIP6_GUE")
broken=0

# probe WHAT N: N new connections to each VIP from client ports of their own;
# prints the tallies; sets P_<realN> (summed over the VIPs) and P_LOST.
PHASE_PORT=32768
probe() {
	local what=$1 n=$2 vip out t
	client_ports "$PHASE_PORT" $((PHASE_PORT + 4999))
	PHASE_PORT=$((PHASE_PORT + 5000))
	P_real1=0 P_real2=0 P_real3=0 P_LOST=0
	for vip in "${TEST_VIPS[@]}"; do
		out=$(requests "$vip" "$n" 8 || true)
		t=$(tally <<<"$out")
		echo "     $what: $vip: $t"
		P_LOST=$((P_LOST + $(field sent "$t") - $(field answered "$t")))
		P_real1=$((P_real1 + $(field real1 "$t"))) P_real2=$((P_real2 + $(field real2 "$t")))
		P_real3=$((P_real3 + $(field real3 "$t")))
		PROBE_REAL3[$vip]=$(field real3 "$t")
	done
	broken=$((broken + P_LOST))
}
declare -A PROBE_REAL3=()
# What a run leaves for the next: XDP's pins, AF_XDP's state file.
pins() {
	if backend_is afxdp; then ls "$T_STATE" | tr '\n' ' '; else (cd "$T_PINS/$UPLINK" && ls) | tr '\n' ' '; fi
}
attached() { ip -n "$(ns_name lb)" link show dev "$UPLINK" | grep -q 'prog/xdp'; }

# --- traffic: a request loop on each VIP, two downloads on each ----------------------
# What the LB tunnels to the reals, for where each download's packets went.
cap_start tun router eth-lb -Q in -s 160 "ip proto 4 or (ip6 and udp dst port 6080)"
s_first=$(stats_json)
for vip in "${TEST_VIPS[@]}"; do reqloop_start "loop-$vip" "$vip"; done
declare -A OWNER=() VIP_OF=()
port=20000
for vip in "${TEST_VIPS[@]}"; do
	for i in 1 2; do
		port=$((port + 1))
		dl_start "D$port" "$vip" "$port"
		OWNER[D$port]=$(dl_owner "D$port") VIP_OF[D$port]=$vip
	done
done
echo "     downloads: $(for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do printf '%s@%s ' "$n" "${OWNER[$n]}"; done)"
probe "before the kill" 100
check "before the kill: every connection answered, none by real3 (not in the config)" \
	[ "$P_LOST" -eq 0 -a "$P_real3" -eq 0 ]

# --- 1. SIGKILL ------------------------------------------------------------------------
pins_before=$(pins)
s_before=$(stats_json)
pid=$T_SHOALD_PID
t_kill=$(date +%s.%N)
topo_shoald_kill9
echo "     shoald (pid $pid) killed with SIGKILL; pins before: $pins_before"
check "shoald is dead" bash -c "! kill -0 $pid 2>/dev/null"
rc=0
ctl show >/dev/null 2>&1 || rc=$?
check "nothing answers on the control socket (shoalctl exit 3, got $rc)" [ "$rc" -eq 3 ]
check "the control socket file is left behind (stale)" [ -S "$T_SOCK" ]
check "the XDP program stays attached with no daemon" attached
pins_dead=$(pins)
check "everything left for the next start is still there ($pins_dead)" [ "$pins_dead" = "$pins_before" ]

# --- 2. forwarding with no daemon -----------------------------------------------------------
if backend_is afxdp; then
	echo "     not on afxdp: forwarding with no daemon (AF_XDP's workers are the dataplane); restarting at once"
	PROBES_DEAD=0
else
	probe "shoald dead" "$PROBES_DEAD"
	check "shoald dead: all $((2 * PROBES_DEAD)) new connections answered" [ "$P_LOST" -eq 0 ]
	check "shoald dead: the old config forwards (real1 and real2, not real3)" \
		[ "$P_real1" -gt 0 -a "$P_real2" -gt 0 -a "$P_real3" -eq 0 ]
fi

# --- 3. the file changes while shoald is dead -------------------------------------------------
topo_config "$T_CONFIG" "$VIP4_IPIP 80 ipip real1:2 real2:1 real3:1" "$VIP6_GUE 80 gue real1:2 real2:1 real3:1"
echo "     config file changed while shoald was dead: real3 added, real1 weight 2"

# --- 4. restart ------------------------------------------------------------------------------
t_restart=$(date +%s.%N)
check "shoald starts again over the stale socket" topo_shoald_start "$T_CONFIG"
t_back=$(date +%s.%N)
s_after=$(stats_json)
running=0
for n in "${!OWNER[@]}"; do dl_running "$n" && running=$((running + 1)); done
echo "     downloads still running once shoald is back: $running of ${#OWNER[@]}"
check "every download spans the kill and the restart" [ "$running" -eq "${#OWNER[@]}" ]
grep -h "start,\|AF_XDP on\|reconcil\|applied" "$T_WORK/shoald.log" | sed 's/^/     shoald: /' | tail -4
if backend_is afxdp; then
	check "the restart kept the flows (state file mapped back)" \
		bash -c "grep 'AF_XDP on' '$T_WORK/shoald.log' | tail -1 | grep -q 'flows and config identity kept'"
	check "the steering program the dead shoald left was removed" \
		grep -q 'removed the steering program a previous shoald left' "$T_WORK/shoald.log"
else
	check "the restart was warm (pinned maps taken over)" \
		bash -c "grep 'start,' '$T_WORK/shoald.log' | tail -1 | grep -q 'warm start'"
fi
check "shoalctl config = the changed file" \
	[ "$(ctl config | jq -S .)" = "$(jq -S . "$T_CONFIG")" ]
ctl show | sed 's/^/     /'
for vip in "${TEST_VIPS[@]}"; do
	if [[ $vip == *:* ]]; then r3=$(real6 3) r1=$(real6 1); else r3=$(real4 3) r1=$(real4 1); fi
	w3=$(ctl config | jq -r --arg v "$vip" --arg r "$r3" '.vips[] | select(.address == $v) | .reals[] | select(.address == $r) | .weight')
	w1=$(ctl config | jq -r --arg v "$vip" --arg r "$r1" '.vips[] | select(.address == $v) | .reals[] | select(.address == $r) | .weight')
	check "$vip: running config has real3 (weight ${w3:-none}) and real1 at weight 2 (${w1:-none})" \
		[ "${w3:-0}" = 1 -a "${w1:-0}" = 2 ]
done

# --- 5. counters continued ----------------------------------------------------------------------
for vip in "${TEST_VIPS[@]}"; do
	b=$(vip_packets "$s_before" "$vip") a=$(vip_packets "$s_after" "$vip")
	echo "     $vip packets: $b before the kill, $a after the restart" \
		"($PROBES_DEAD connections made while dead: at least $((3 * PROBES_DEAD)) packets)"
	check "$vip: packet counter continued across the kill (>= $((b + 3 * PROBES_DEAD)))" \
		[ "$a" -ge $((b + 3 * PROBES_DEAD)) ]
done
for c in rx tx; do
	b=$(counter "$s_before" "$c") a=$(counter "$s_after" "$c")
	echo "     LB $c: $b before the kill, $a after the restart"
	check "LB $c counter continued across the kill" [ "$a" -ge $((b + 6 * PROBES_DEAD)) ]
done

# --- new connections follow the new config ------------------------------------------------------
probe "after the restart" "$PROBES_AFTER"
check "after the restart: all $((2 * PROBES_AFTER)) new connections answered" [ "$P_LOST" -eq 0 ]
for vip in "${TEST_VIPS[@]}"; do
	check "after the restart: $vip: real3 (added while shoald was dead) gets new connections (${PROBE_REAL3[$vip]})" \
		[ "${PROBE_REAL3[$vip]}" -gt 0 ]
done

# --- the request loops, the downloads --------------------------------------------------------
loops_total=0 loops_failed=0
for vip in "${TEST_VIPS[@]}"; do
	reqloop_stop "loop-$vip"
	t=$(tally <"$(reqloop_out "loop-$vip")")
	lost=$(($(field sent "$t") - $(field answered "$t")))
	echo "     request loop on $vip across the kill and the restart: $t"
	check "request loop on $vip: requests made ($(field sent "$t"))" [ "$(field sent "$t")" -gt 0 ]
	check "request loop on $vip: zero failed requests ($lost)" [ "$lost" -eq 0 ]
	loops_total=$((loops_total + $(field sent "$t"))) loops_failed=$((loops_failed + lost))
done
broken=$((broken + loops_failed))
for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do dl_wait "$n" 60 || true; done
sleep 0.5 # the downloads' last packets
s_last=$(stats_json)
cap_stop tun
check "the capture of the LB's tunnels lost nothing" [ "$(cap_dropped tun)" -eq 0 ]
pcap_flows --time "$(cap_file tun)" >"$T_WORK/tun-flows"
rel() { awk -v t="$1" -v k="$t_kill" 'BEGIN { printf "%+.3f s", t - k }'; }
echo "     times from the kill: shoald started again at $(rel "$t_restart"), answering at $(rel "$t_back")"
# The forwarding gap: the longest pause in what the LB tunnelled, from just before the
# kill to just after shoald answered again (the loops and downloads send all along).
gap_ms=$(awk -v a="$t_kill" -v b="$t_back" '$1 >= a - 0.5 && $1 <= b + 1 {
		if (prev && $1 - prev > gap) gap = $1 - prev; prev = $1 }
	END { printf "%d", gap * 1000 }' "$T_WORK/tun-flows")
echo "     forwarding gap across the kill and the restart ($SHOAL_BACKEND): $gap_ms ms"
for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do
	r=$(dl_result "$n")
	vip=${VIP_OF[$n]} o=${OWNER[$n]#real}
	if [[ $vip == *:* ]]; then oa=$(real6 "$o"); else oa=$(real4 "$o"); fi
	# every packet of the download's flow that the LB tunnelled: to its real?
	read -r np nelse < <(awk -v p="${n#D}" -v v="$vip" -v a="$oa" \
		'$4 == p && $5 == v { n++; if ($2 != a) e++ } END { print n + 0, e + 0 }' "$T_WORK/tun-flows")
	echo "     download $n ($vip, started on ${OWNER[$n]}): $r; LB tunnelled $np of its packets, $nelse elsewhere"
	# where it went astray: the flow's packets around the first one sent elsewhere
	awk -v p="${n#D}" -v v="$vip" -v a="$oa" -v k="$t_kill" '
		$4 == p && $5 == v { n++; t[n] = sprintf("%+.6f s from the kill: %s to %s", $1 - k, $7, $2)
			if ($2 != a && !first) first = n }
		END { if (first) for (i = first - 8; i <= first + 3; i++) if (i in t) print "       " t[i] }' \
		"$T_WORK/tun-flows"
	if [[ $r == "rc=0 code=200 bytes=$((BLOB_MB << 20)) sha=ok real=${OWNER[$n]}" ]]; then
		ok "download $n across the kill and the restart: complete, intact, from ${OWNER[$n]}"
	else
		fail "download $n across the kill and the restart: complete, intact, from ${OWNER[$n]}"
		broken=$((broken + 1))
	fi
	check "download $n: every packet of it went to ${OWNER[$n]} ($nelse elsewhere)" [ "$np" -gt 0 -a "$nelse" -eq 0 ]
done
# Conntrack served every packet of an established flow, through the kill and the
# warm restart: the LB's conntrack misses are the SYNs (a SYN never reads it),
# every other packet found its flow.
syns=$(awk '$7 == "S"' "$T_WORK/tun-flows" | wc -l)
misses=$(($(counter "$s_last" ct_miss) - $(counter "$s_first" ct_miss)))
hits=$(($(counter "$s_last" ct_hit) - $(counter "$s_first" ct_hit)))
echo "     LB tunnelled $(wc -l <"$T_WORK/tun-flows") packets (captured), tx counter +$(($(counter "$s_last" tx) - $(counter "$s_first" tx)));" \
	"its link dropped $(ip -n "$(ns_name lb)" -j -s link show dev "$UPLINK" | jq '.[0].stats64.tx.dropped') on transmit"
echo "     LB conntrack: $hits hits, $misses misses; SYNs tunnelled: $syns;" \
	"evictions: $(($(counter "$s_last" ct_evict) - $(counter "$s_first" ct_evict)))"
check "every conntrack miss was a SYN: established flows always found their real ($misses = $syns)" \
	[ "$misses" -eq "$syns" ]
# Where that fails: the flows whose first tunnelled packet is not a SYN, with their packets.
awk '!seen[$3 " " $4 " " $5 " " $6]++ && $7 !~ /S/ { print $3, $4, $5, $6 }' "$T_WORK/tun-flows" |
	head -3 | while read -r src sport dst dport; do
		echo "     a flow not opened by a SYN here: $src:$sport -> $dst:$dport (times from the kill):"
		awk -v a="$src" -v b="$sport" -v k="$t_kill" '$3 == a && $4 == b {
			printf "       %+.6f s %s to %s\n", $1 - k, $7, $2 }' "$T_WORK/tun-flows" | head -8
	done
s=$(stats_json)
drops=$(($(counter "$s" rx) - $(counter "$s" tx) - $(counter "$s" pass)))
no_worker=$(counter "$s" no_worker)
echo "     requests: $loops_total in the loops (failed: $loops_failed)," \
	"$((2 * (100 + PROBES_DEAD + PROBES_AFTER))) probes; downloads: ${#OWNER[@]};" \
	"connections broken (failed requests and downloads): $broken; LB drops: $drops" \
	"(no_worker: ${no_worker:-0})"
if backend_is afxdp; then
	check "LB dropped nothing but the VIP frames of the gap, with no worker ($drops = ${no_worker:-0})" \
		[ "$drops" -eq "${no_worker:-0}" ]
else
	check "LB dropped nothing" [ "$drops" -eq 0 ]
fi
ctl stats
finish
