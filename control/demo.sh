#!/usr/bin/env bash
# shoal's demo: install what is missing, build, and balance real HTTP traffic.
#
#   bash control/demo.sh            the load balancer live (root; ~10 s): a client, a
#                                   router, an LB running shoald (native XDP) and three
#                                   reals running nginx, each in a network namespace
#                                   of its own; requests spread by weight, the stats,
#                                   a real drained. Everything is removed on exit.
#   bash control/demo.sh --afxdp    the same with shoald on the AF_XDP dataplane (the core
#                                   in userspace behind AF_XDP sockets, docs/afxdp.md)
#   bash control/demo.sh --replay   no namespaces, no root needed beyond installing:
#                                   a pcap through the forwarding core (shoal-replay)
#
# Addresses are from 198.18.0.0/15 and 2001:db8::/32, in the demo's own namespaces:
# nothing is sent anywhere else. The topology is tests/e2e/topology.sh (docs/e2e.md).
set -euo pipefail
cd "$(dirname "$0")/.."

case ${1:-} in
--replay | replay) mode=replay ;;
--afxdp) mode=live SHOAL_BACKEND=afxdp ;;
"") mode=live ;;
-h | --help)
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: bash control/demo.sh [--afxdp | --replay]" >&2
	exit 2
	;;
esac

bash tests/deps.sh
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build --quiet # prints only what goes wrong

# --- the replay demo: the forwarding core over a pcap ---------------------------
if [[ $mode == replay ]]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	/usr/bin/python3 control/examples/demo_traffic.py "$work/in.pcap" 1000
	echo "== shoal-replay: 1000 TCP flows to 198.18.100.1:80 (weights 1:1:2, IPIP)"
	echo "==               1000 UDP flows to [2001:db8:100::1]:53 (GUE), a ping, a too-big segment"
	build/control/shoal-replay --config control/examples/lb.json --in "$work/in.pcap" \
		--out "$work/out.pcap"
	echo "== the first packets out (outer headers, then the untouched inner packet):"
	tcpdump -n -r "$work/out.pcap" -c 4 2>/dev/null
	exit 0
fi

# --- the live demo -----------------------------------------------------------------
if [[ $(id -u) -ne 0 ]]; then
	echo "shoal demo: the live demo makes network namespaces and attaches XDP programs:" \
		"run it as root, or try 'bash control/demo.sh --replay'" >&2
	exit 1
fi
# shellcheck source=tests/e2e/topology.sh
source tests/e2e/topology.sh
BLOB_MB=1
topo_init build 3
trap 'echo "== cleaning up: shoald unloaded, reals torn down, namespaces deleted"; topo_down' EXIT
trap 'exit 130' INT TERM

if [[ -t 1 ]]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
N=300
W="real1:1 real2:1 real3:2"

say "setting up: client -- router -- LB, and real1..real3 behind the router (namespaces $T_TAG-*)"
if [[ ${SHOAL_BACKEND:-xdp} == afxdp ]]; then
	echo "   LB: shoald on its link to the router, AF_XDP: a steering XDP program hands VIP frames"
	echo "   to one worker thread per queue, which tunnels each back out that link to a real."
else
	echo "   LB: shoald on its link to the router, native XDP; it tunnels each client packet back"
	echo "   out that link to a real (XDP_TX)."
fi
echo "   Reals: shoal-real (decap, VIPs on lo) and nginx."
echo "   The reals answer the client directly through the router (direct server return)."
topo_start "$VIP4_IPIP 80 ipip $W" "$VIP6_GUE 80 gue $W"

say "shoalctl show"
ctl show

say "one request:  curl http://$VIP4_IPIP/  ->  $(in_ns_t 10 client curl -s "$(url "$VIP4_IPIP")")"

# table TITLE: N requests to each VIP, a new connection each; answers by real
table() {
	local t4 t6 n
	t4=$(requests "$VIP4_IPIP" "$N" 16 | tally)
	t6=$(requests "$VIP6_GUE" "$N" 16 | tally)
	printf '   %-6s %-7s %-22s %-22s\n' real weight "$VIP4_IPIP (IPIP)" "[$VIP6_GUE] (GUE)"
	for n in 1 2 3; do
		printf '   %-6s %-7s %-22s %-22s\n' "real$n" "$(current_weight "$n")" \
			"$(field "real$n" "$t4") ($(pct "$(field "real$n" "$t4")" "$N")%)" \
			"$(field "real$n" "$t6") ($(pct "$(field "real$n" "$t6")" "$N")%)"
	done
	printf '   %-14s %-22s %-22s\n' answered "$(field answered "$t4")/$N" "$(field answered "$t6")/$N"
}
current_weight() {
	ctl config | jq -r --arg a "$(real4 "$1")" \
		'[.vips[] | .reals[] | select(.address == $a) | (.weight // 1)][0] // "-"'
}

say "$N requests to each VIP, each on a new connection; which real answered (weights 1:1:2)"
client_ports 32768 45999 # each round from its own client ports: new flows to the LB
table

say "shoalctl stats   (the LB's counters: packets client -> VIP, per VIP and per real)"
ctl stats

say "shoalctl real drain: real3 gets no new connections (its established ones carry on)"
for vip in "$VIP4_IPIP" "$VIP6_GUE"; do
	if [[ $vip == *:* ]]; then a=$(real6 3); else a=$(real4 3); fi
	echo "   shoalctl real drain $(vip_key "$vip") $a"
	ctl real drain "$(vip_key "$vip")" "$a"
done

say "$N more requests to each VIP"
client_ports 46000 60999
table

say "done in ${SECONDS}s; run the end-to-end tests with: meson test -C build --suite e2e"
