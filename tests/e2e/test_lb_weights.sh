#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, weights: an IPv4 VIP (IPIP) and an IPv6 VIP (GUE) whose reals weigh
# 1:1:2. N new connections to each (curl, 32 at a time); the shares of real1, real2
# and real3 must be within TOL percentage points of 25/25/50, counted twice: by the
# real's name in the answers, and by the LB's per-real packet counters
# (shoalctl stats --json), which must also agree with each other.
#
#   bash tests/e2e/test_lb_weights.sh BUILD_DIR [CONNECTIONS]
#
# Why the tolerance: which real a connection gets is a keyed hash of its source port,
# so the counts are binomial. With 4000 connections one standard deviation is 0.7
# points at 25% and 0.8 at 50%; TOL=3 is ~4 standard deviations (a false alarm about
# once in ten thousand runs). Maglev's own deviation from the weights, with a ring of
# 65537 slots, is below 0.1 point. The per-real packet shares follow the connection
# shares within 1.5 points: every connection here is the same exchange, so the
# packets a client sends per connection vary only by a delayed ACK or so.
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
topo_init "${1:?usage: test_lb_weights.sh BUILD_DIR [CONNECTIONS]}" 3
N=${2:-4000}
TOL=3
TOL_PKTS=1.5
trap topo_down EXIT
trap 'exit 143' TERM INT

W="real1:1 real2:1 real3:2"
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"
ctl show
declare -A WANT=([1]=25 [2]=25 [3]=50)

SENT=0 ANSWERED=0
for vip in "$VIP4_IPIP" "$VIP6_GUE"; do
	if [[ $vip == *:* ]]; then what="IPv6 VIP over GUE" rf=real6; else what="IPv4 VIP over IPIP" rf=real4; fi
	before=$(stats_json)
	t=$(requests "$vip" "$N" 32 | tally)
	sleep 0.5 # the last FINs and ACKs
	after=$(stats_json)
	echo "     $what ($vip): $t"
	check "$what: $N connections, every one answered" \
		[ "$(field sent "$t")" -eq "$N" -a "$(field answered "$t")" -eq "$N" ]
	ans=$(field answered "$t")
	SENT=$((SENT + $(field sent "$t"))) ANSWERED=$((ANSWERED + ans))
	total_pkts=$(($(vip_packets "$after" "$vip") - $(vip_packets "$before" "$vip")))
	printf '     %-6s %7s %8s %9s %9s %8s\n' real weight answers share packets share
	for n in 1 2 3; do
		got=$(field "real$n" "$t")
		addr=$($rf "$n")
		pkts=$(($(real_packets "$after" "$vip" "$addr") - $(real_packets "$before" "$vip" "$addr")))
		share=$(pct "$got" "$ans") pshare=$(pct "$pkts" "$total_pkts")
		printf '     real%-2d %7s %8d %8s%% %9d %7s%%\n' "$n" "${WANT[$n]}%" "$got" "$share" "$pkts" "$pshare"
		check "$what: real$n's share of connections $share% is ${WANT[$n]}% +- $TOL" \
			within "$share" "${WANT[$n]}" "$TOL"
		check "$what: real$n's share of packets (LB counters) $pshare% is ${WANT[$n]}% +- $TOL" \
			within "$pshare" "${WANT[$n]}" "$TOL"
		check "$what: real$n: packet share and connection share agree within $TOL_PKTS" \
			within "$pshare" "$share" "$TOL_PKTS"
	done
done
ctl stats
echo "     connections sent: $SENT; answered: $ANSWERED; broken: $((SENT - ANSWERED))"
finish
