#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, restarting shoald under traffic. wrk opens a new connection for every
# request (Connection: close) to an IPv4 VIP (IPIP) and an IPv6 VIP (GUE), and slow
# downloads (20 MB at 1 MB/s) run alongside; meanwhile shoald is stopped (SIGTERM),
# left stopped for a second, and started again, twice; wrk is stopped (SIGINT) a
# little after the second restart, and the downloads must have spanned both. SIGTERM leaves the
# XDP program attached and forwarding from its pinned maps; the new shoald takes
# them over (warm start: same config, conntrack kept). wrk must see no error of any
# kind (connect, read, write, timeout, non-2xx), every download must complete intact
# (sha256), and the running config must be the same after each restart.
# On AF_XDP (SHOAL_BACKEND=afxdp) nothing forwards while shoald is stopped: SIGTERM
# detaches the steering program and closes the sockets, so VIP traffic waits (TCP
# retransmits) for the second the daemon is away; the new shoald maps the state file
# back, so conntrack and counters continue. The same no-error checks hold; the
# forwarding gap of each restart is measured from a capture and printed.
#
#   bash tests/e2e/test_lb_restart.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
BLOB_MB=20 BLOB_RATE=1m # each download lasts ~20 s
topo_init "${1:?usage: test_lb_restart.sh BUILD_DIR}" 3
command -v wrk >/dev/null || topo_cannot_run "no wrk"
trap topo_down EXIT
trap 'exit 143' TERM INT

W="real1:1 real2:1 real3:2"
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"
ctl show
config_before=$(ctl config)

cat >"$T_WORK/summary.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, e.connect, e.read, e.write, e.status, e.timeout))
end
EOF
declare -A WRK_PID=()
for vip in "$VIP4_IPIP" "$VIP6_GUE"; do
	# Stopped with SIGINT (timeout passes it on), on which wrk prints its summary.
	timeout 90 nsenter --net="$(ns_path client)" wrk -t1 -c2 -d60s --timeout 3s \
		-H 'Connection: close' -s "$T_WORK/summary.lua" "$(url "$vip")" >"$T_WORK/wrk-$vip.out" 2>&1 &
	WRK_PID[$vip]=$!
done
port=20000
for vip in "$VIP4_IPIP" "$VIP6_GUE"; do
	for i in 1 2; do
		port=$((port + 1))
		dl_start "D$port" "$vip" "$port"
	done
done

# What the LB tunnels to the reals, for the forwarding gap of each restart.
cap_start tun router eth-lb -Q in -s 96 "ip proto 4 or (ip6 and udp dst port 6080)"
declare -A T_STOP=() T_BACK=()
for round in 1 2; do
	sleep 1.5
	s=$(stats_json)
	echo "     restart $round: stopping shoald (LB tx so far: $(counter "$s" tx) packets)"
	T_STOP[$round]=$(date +%s.%N)
	topo_shoald_stop
	link=$(ip -n "$(ns_name lb)" link show dev "$UPLINK")
	if backend_is afxdp; then
		check "restart $round: steering program detached with shoald stopped (SIGTERM cleans up)" \
			bash -c "! grep -q 'prog/xdp' <<<'$link'"
		check "restart $round: the state file stays for the next start" [ -s "$T_STATE/$UPLINK.state" ]
	else
		check "restart $round: XDP program still attached with shoald stopped" \
			bash -c "grep -q 'prog/xdp' <<<'$link'"
	fi
	sleep 1
	check "restart $round: shoald starts again (warm)" topo_shoald_start "$T_CONFIG"
	T_BACK[$round]=$(date +%s.%N)
	check "restart $round: the running config is the same" [ "$(ctl config)" = "$config_before" ]
	s=$(stats_json)
	echo "     restart $round: shoald back (LB tx: $(counter "$s" tx) packets; the counters continue: XDP keeps them in its pinned maps, AF_XDP in its state file)"
done
running=0
for n in "${!DL_PID[@]}"; do dl_running "$n" && running=$((running + 1)); done
echo "     downloads still running after the second restart: $running of ${#DL_PID[@]}"
check "every download spans both restarts" [ "$running" -eq "${#DL_PID[@]}" ]
wrk_alive=0
for vip in "${!WRK_PID[@]}"; do kill -0 "${WRK_PID[$vip]}" 2>/dev/null && wrk_alive=$((wrk_alive + 1)); done
check "wrk ran across both restarts" [ "$wrk_alive" -eq 2 ]
sleep 1.5
for vip in "${!WRK_PID[@]}"; do kill -INT "${WRK_PID[$vip]}" 2>/dev/null || true; done
grep -h "warm\|pinned\|AF_XDP on" "$T_WORK/shoald.log" | sed 's/^/     shoald: /' | tail -4
sleep 0.5
cap_stop tun
pcap_flows --time "$(cap_file tun)" >"$T_WORK/tun-flows"
for round in 1 2; do
	gap_ms=$(awk -v a="${T_STOP[$round]}" -v b="${T_BACK[$round]}" '$1 >= a - 0.5 && $1 <= b + 1 {
			if (prev && $1 - prev > gap) gap = $1 - prev; prev = $1 }
		END { printf "%d", gap * 1000 }' "$T_WORK/tun-flows")
	echo "     restart $round: forwarding gap $gap_ms ms ($SHOAL_BACKEND; shoald was kept stopped for 1000 ms)"
done

total_req=0 total_err=0
for vip in "$VIP4_IPIP" "$VIP6_GUE"; do
	rc=0
	wait "${WRK_PID[$vip]}" || rc=$?
	sed 's/^/     wrk: /' "$T_WORK/wrk-$vip.out" | grep -vE '^     wrk: +(Latency|Req/Sec|Thread Stats)' || true
	line=$(grep '^requests=' "$T_WORK/wrk-$vip.out" || true)
	check "wrk on $vip ran to the end" [ "$rc" -eq 0 -a -n "$line" ]
	req=$(field requests "$line") err=0
	for k in connect read write status timeout; do
		v=$(field "$k" "$line")
		err=$((err + ${v:-0}))
	done
	echo "     $vip: $req requests, each on a new connection, $err errors"
	check "$vip: requests made across both restarts" [ "${req:-0}" -gt 100 ]
	check "$vip: zero errors" [ "$err" -eq 0 ]
	total_req=$((total_req + ${req:-0})) total_err=$((total_err + err))
done
broken=$total_err
for n in $(printf '%s\n' "${!DL_PID[@]}" | sort); do
	dl_intact "$n" "" "across both restarts" || broken=$((broken + 1))
done
s=$(stats_json)
drops=$(($(counter "$s" rx) - $(counter "$s" tx) - $(counter "$s" pass)))
echo "     requests: $total_req; downloads: ${#DL_PID[@]}; connections broken: $broken; LB drops: $drops"
check "LB dropped nothing" [ "$drops" -eq 0 ]
ctl stats
finish
