#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, the counters. For each of four VIPs (IPv4 and IPv6, IPIP and GUE), N
# requests on new connections; meanwhile the client's side is measured two ways: a
# capture of every packet it sends to the VIP (tcpdump on its veth, outgoing only),
# and its veth's tx counter. Then, exactly:
#   - the LB's VIP packets (shoalctl stats --json) = the packets captured,
#   - the LB's VIP bytes = the IP lengths captured (the LB counts the inner packet),
#   - the VIP's reals' packets, summed = the VIP's packets = the LB's tx,
#   - the reals' decap counters (shoal-real status) = the VIP's packets: every
#     packet the LB tunnelled was taken out of its tunnel by a real,
#   - the LB's rx = tx + pass: nothing dropped, and nothing but the VIP's packets and
#     neighbour discovery reached it (the answers went straight to the client: DSR).
# With a tolerance: the client's veth tx counter counts the captured packets plus
# what else the client sends, i.e. ARP and neighbour discovery (at most a few per
# run); it must be at least the captured count and at most TOL_OTHER above it.
#
#   bash tests/e2e/test_lb_counters.sh BUILD_DIR [REQUESTS]
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
topo_init "${1:?usage: test_lb_counters.sh BUILD_DIR [REQUESTS]}" 3
N=${2:-200}
TOL_OTHER=10
command -v tcpdump >/dev/null || topo_cannot_run "no tcpdump"
trap 'kill_capture; topo_down' EXIT
trap 'exit 143' TERM INT
CAP_PID=

W="real1:1 real2:1 real3:2"
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP4_GUE 80 gue $W" "$VIP6_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"
ctl show

kill_capture() { [[ -z $CAP_PID ]] || kill -INT "$CAP_PID" 2>/dev/null || true; }
client_tx() { ip -n "$(ns_name client)" -j -s link show dev "$UPLINK" | jq '.[0].stats64.tx.packets'; }
decap_sum() { # decap_sum COUNTER: summed over the reals
	local n t=0 v
	for ((n = 1; n <= T_NREALS; n++)); do
		v=$(in_ns_t 10 "real$n" "$SHOAL_REAL" status --iface "$UPLINK" | awk -v k="$1" '$1 == k { print $2 }')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# pcap_sum FILE: "PACKETS IP_BYTES" of an Ethernet pcap
pcap_sum() {
	/usr/bin/python3 - "$1" <<-'EOF'
		import struct, sys
		d = open(sys.argv[1], "rb").read()
		le = d[:4] == b"\xd4\xc3\xb2\xa1"
		off, n, total = 24, 0, 0
		while off + 16 <= len(d):
		    _, _, caplen, _ = struct.unpack(("<" if le else ">") + "IIII", d[off:off + 16])
		    f = d[off + 16:off + 16 + caplen]
		    off += 16 + caplen
		    et = struct.unpack("!H", f[12:14])[0]
		    if et == 0x0800:
		        total += struct.unpack("!H", f[16:18])[0]
		    elif et == 0x86DD:
		        total += 40 + struct.unpack("!H", f[18:20])[0]
		    else:
		        continue
		    n += 1
		print(n, total)
	EOF
}

printf '     %-16s %-8s %6s %9s %9s %9s %10s %10s %9s %9s %9s\n' VIP tunnel requests captured \
	"LB vip" "LB reals" "cap bytes" "LB bytes" "decap" "client tx" other
SENT=0 ANSWERED=0
for vip in "${VIPS[@]}"; do
	case $vip in
	"$VIP4_IPIP") tun=ipip dc=decap_ipip ;;
	"$VIP4_GUE") tun=gue dc=decap_gue_ip4 ;;
	"$VIP6_IPIP") tun=ip6ip6 dc=decap_ip6ip6 ;;
	*) tun=gue dc=decap_gue_ip6 ;;
	esac
	pcap=$T_WORK/cap-$tun-${vip//:/_}.pcap
	timeout 120 nsenter --net="$(ns_path client)" tcpdump -i "$UPLINK" -Q out -n -U -B 4096 \
		-w "$pcap" "dst host $vip" 2>"$pcap.err" &
	CAP_PID=$!
	for ((i = 0; i < 50; i++)); do grep -qs "listening on" "$pcap.err" && break; sleep 0.1; done
	s0=$(stats_json) tx0=$(client_tx) d0=$(decap_sum "$dc")
	t=$(requests "$vip" "$N" | tally)
	sleep 1 # the connections' last packets (the client's final ACKs)
	s1=$(stats_json) tx1=$(client_tx) d1=$(decap_sum "$dc")
	kill_capture
	wait "$CAP_PID" || true
	CAP_PID=
	read -r cap cap_bytes < <(pcap_sum "$pcap")
	kdrop=$(awk '/dropped by kernel/ { print $1 }' "$pcap.err")
	vp=$(($(vip_packets "$s1" "$vip") - $(vip_packets "$s0" "$vip")))
	vb=$(($(vip_bytes "$s1" "$vip") - $(vip_bytes "$s0" "$vip")))
	rp=0
	for n in 1 2 3; do
		if [[ $vip == *:* ]]; then a=$(real6 "$n"); else a=$(real4 "$n"); fi
		rp=$((rp + $(real_packets "$s1" "$vip" "$a") - $(real_packets "$s0" "$vip" "$a")))
	done
	tx=$(($(counter "$s1" tx) - $(counter "$s0" tx)))
	rx=$(($(counter "$s1" rx) - $(counter "$s0" rx)))
	pass=$(($(counter "$s1" pass) - $(counter "$s0" pass)))
	ctx=$((tx1 - tx0)) dec=$((d1 - d0))
	printf '     %-16s %-8s %6s %9s %9s %9s %10s %10s %9s %9s %9s\n' "$vip" "$tun" \
		"$(field answered "$t")/$(field sent "$t")" "$cap" "$vp" "$rp" "$cap_bytes" "$vb" "$dec" \
		"$ctx" "$((ctx - cap))"
	echo "       ($(awk -v a="$cap" -v b="$N" 'BEGIN { printf "%.2f", a / b }') client packets per" \
		"connection; LB rx $rx = tx $tx + pass $pass; capture dropped ${kdrop:-?})"
	SENT=$((SENT + $(field sent "$t"))) ANSWERED=$((ANSWERED + $(field answered "$t")))
	check "$vip: all $N requests answered" [ "$(field answered "$t")" -eq "$N" ]
	check "$vip: the capture lost nothing" [ "${kdrop:-1}" -eq 0 ]
	check "$vip: LB VIP packets = client packets captured ($vp = $cap)" [ "$vp" -eq "$cap" ]
	check "$vip: LB VIP bytes = client IP bytes captured ($vb = $cap_bytes)" [ "$vb" -eq "$cap_bytes" ]
	check "$vip: per-real packets sum to the VIP's ($rp = $vp)" [ "$rp" -eq "$vp" ]
	check "$vip: LB tx = VIP packets ($tx = $vp)" [ "$tx" -eq "$vp" ]
	check "$vip: reals decapsulated every one ($dc: $dec = $vp)" [ "$dec" -eq "$vp" ]
	check "$vip: LB rx = tx + pass (no drop, no answer through the LB)" [ "$rx" -eq $((tx + pass)) ]
	check "$vip: LB pass (neighbour discovery) <= $TOL_OTHER ($pass)" [ "$pass" -le "$TOL_OTHER" ]
	check "$vip: client veth tx >= captured, at most $TOL_OTHER more ($ctx vs $cap)" \
		[ "$ctx" -ge "$cap" -a "$((ctx - cap))" -le "$TOL_OTHER" ]
done
ctl stats
echo "     requests sent: $SENT; answered: $ANSWERED; connections broken: $((SENT - ANSWERED))"
finish
