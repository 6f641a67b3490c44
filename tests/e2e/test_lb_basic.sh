#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, the whole path: client -> router -> LB (shoald, native XDP) -> tunnel ->
# real (shoal-real decap, nginx on the VIP) -> straight back to the client (DSR).
# Four VIPs: IPv4 and IPv6, each over IPIP (IPIP, IP6IP6) and GUE. N requests to
# each, every one on a new connection: every request must be answered, by one of
# the VIP's reals, and every real must have had a share. The reals' decap counters
# show which tunnels carried them.
#
#   bash tests/e2e/test_lb_basic.sh BUILD_DIR [REQUESTS]
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
topo_init "${1:?usage: test_lb_basic.sh BUILD_DIR [REQUESTS]}" 3
N=${2:-200}
trap topo_down EXIT
trap 'exit 143' TERM INT

W="real1:1 real2:1 real3:2"
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP4_GUE 80 gue $W" "$VIP6_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"
ctl show

SENT=0 ANSWERED=0
for vip in "${VIPS[@]}"; do
	case $vip in
	"$VIP4_IPIP") what="IPv4 VIP over IPIP" ;;
	"$VIP4_GUE") what="IPv4 VIP over GUE" ;;
	"$VIP6_IPIP") what="IPv6 VIP over IP6IP6" ;;
	*) what="IPv6 VIP over GUE" ;;
	esac
	t=$(requests "$vip" "$N" | tally)
	SENT=$((SENT + $(field sent "$t"))) ANSWERED=$((ANSWERED + $(field answered "$t")))
	echo "     $what ($vip): $t"
	check "$what: $N requests sent, $N answered" \
		[ "$(field sent "$t")" -eq "$N" -a "$(field answered "$t")" -eq "$N" ]
	check "$what: answers from the VIP's reals only" [ -z "$(field other "$t")" ]
	check "$what: every real answered some" \
		[ "$(field real1 "$t")" -gt 0 -a "$(field real2 "$t")" -gt 0 -a "$(field real3 "$t")" -gt 0 ]
done

# What the reals decapsulated, summed over the three.
declare -A decap=()
for n in 1 2 3; do
	while read -r k v; do
		[[ $k == decap_* || $k == drop_* ]] && decap[$k]=$((${decap[$k]:-0} + v))
	done < <(in_ns_t 10 "real$n" "$SHOAL_REAL" status --iface "$UPLINK")
done
echo "     reals' decap counters: $(for k in "${!decap[@]}"; do printf '%s=%s ' "$k" "${decap[$k]}"; done)"
for k in decap_ipip decap_ip6ip6 decap_gue_ip4 decap_gue_ip6; do
	check "reals decapsulated $k packets" [ "${decap[$k]:-0}" -gt 0 ]
done
check "reals dropped no tunnel packet" [ "${decap[drop_malformed]:-0}" -eq 0 -a \
	"${decap[drop_fragment]:-0}" -eq 0 ]

s=$(stats_json)
ctl stats
drops=$(($(counter "$s" rx) - $(counter "$s" tx) - $(counter "$s" pass)))
echo "     LB: rx=$(counter "$s" rx) tx=$(counter "$s" tx) pass=$(counter "$s" pass) drops=$drops"
check "LB dropped nothing" [ "$drops" -eq 0 ]
echo "     requests sent: $SENT; answered: $ANSWERED; connections broken: $((SENT - ANSWERED))"
finish
