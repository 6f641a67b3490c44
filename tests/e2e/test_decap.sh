#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, the real side of DSR: two network namespaces joined by a veth
# pair. "lb" sends scapy-made tunnel packets (IPIP, 6in4, IP6IP6, 4in6, GUE
# with inner IPv4/IPv6 over outer IPv4/IPv6) carrying UDP datagrams and TCP
# SYNs from client addresses to the VIPs; "real" runs shoal-real setup, a UDP
# server and TCP listeners on the VIPs. Checks that every datagram arrives
# from its client address, that every SYN is answered from the VIP straight to
# the client (no tunnel back), that foreign, malformed and fragmented tunnel
# packets are not decapsulated, that plain traffic flows, that the VIPs are
# not answered for by ARP/ND, and that teardown restores sysctls and lo.
#
#   bash tests/e2e/test_decap.sh build/control/shoal-real
#
# Needs root and the tools tests/deps.sh installs: without them it FAILS, loudly,
# rather than skip (a skipped test must never pass for a run). Everything happens in
# namespaces this script creates and deletes; addresses are from 198.18.0.0/15
# and 2001:db8::/32.
set -euo pipefail

REAL_BIN=$(realpath "${1:?usage: test_decap.sh path/to/shoal-real}")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
HELPER="$HERE/decap_helper.py"

cannot_run() { echo "CANNOT RUN test_decap: $* (run tests/deps.sh as root)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || cannot_run "needs root"
for t in ip nsenter ethtool timeout; do command -v "$t" >/dev/null || cannot_run "no $t"; done
"$PY" -c 'import scapy.all' 2>/dev/null || cannot_run "no scapy in $PY"

id=$$
NS_LB=shd-lb-$id
NS_RE=shd-re-$id
IF_LB=shdl$id
IF_RE=shdr$id
IF_BR=shdb$id
LB4=198.18.0.1 RE4=198.18.0.2 FOREIGN4=198.18.0.4
LB6=2001:db8:0:1::1 RE6=2001:db8:0:1::2 FOREIGN6=2001:db8:0:1::4
VIP4=198.18.1.1 VIP6=2001:db8:1::1
CLIENT4=198.18.2.10 CLIENT6=2001:db8:2::10
WORK=$(mktemp -d)
SERVER_PID=

in_re() { timeout 20 nsenter --net="/var/run/netns/$NS_RE" "$@"; }  # keeps the host's bpffs
in_lb() { timeout 30 ip netns exec "$NS_LB" "$@"; }
shoal_real() { in_re "$REAL_BIN" "$@"; }

cleanup() {
	set +e
	[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	if [[ -e /var/run/netns/$NS_RE ]]; then
		shoal_real teardown --iface "$IF_BR" >/dev/null 2>&1
		shoal_real teardown --iface "$IF_RE" >/dev/null 2>&1
	fi
	ip netns del "$NS_LB" 2>/dev/null
	ip netns del "$NS_RE" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

fails=0
ok() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# --- the two namespaces ---------------------------------------------------
ip netns add "$NS_LB"
ip netns add "$NS_RE"
ip link add "$IF_LB" netns "$NS_LB" type veth peer name "$IF_RE" netns "$NS_RE"
ip -n "$NS_LB" link set lo up
ip -n "$NS_RE" link set lo up
ip -n "$NS_LB" addr add "$LB4/24" dev "$IF_LB"
ip -n "$NS_LB" addr add "$LB6/64" dev "$IF_LB" nodad
ip -n "$NS_RE" addr add "$RE4/24" dev "$IF_RE"
ip -n "$NS_RE" addr add "$FOREIGN4/24" dev "$IF_RE"
ip -n "$NS_RE" addr add "$RE6/64" dev "$IF_RE" nodad
ip -n "$NS_RE" addr add "$FOREIGN6/64" dev "$IF_RE" nodad
ip -n "$NS_LB" link set "$IF_LB" up
ip -n "$NS_RE" link set "$IF_RE" up
in_lb ethtool -K "$IF_LB" tx off >/dev/null
in_re ethtool -K "$IF_RE" tx off >/dev/null
# Replies to clients go straight back through the LB's side of the veth: DSR.
ip -n "$NS_RE" route add 198.18.2.0/24 via "$LB4"
ip -n "$NS_RE" -6 route add 2001:db8:2::/64 via "$LB6"
LB_MAC=$(ip -n "$NS_LB" -br link show dev "$IF_LB" | awk '{print $3}')
RE_MAC=$(ip -n "$NS_RE" -br link show dev "$IF_RE" | awk '{print $3}')

# Sysctls set to values setup changes, so that restoring them shows.
SYSCTLS=(all/arp_ignore lo/arp_ignore "$IF_RE"/arp_ignore all/arp_announce lo/arp_announce
	"$IF_RE"/arp_announce all/rp_filter "$IF_RE"/rp_filter)
in_re sysctl -qw net.ipv4.conf.all.rp_filter=2 "net.ipv4.conf.$IF_RE.rp_filter=1" \
	"net.ipv4.conf.$IF_RE.arp_ignore=2" net.ipv4.conf.lo.arp_announce=1
sysctls() { local k; for k in "${SYSCTLS[@]}"; do printf '%s=%s ' "$k" \
	"$(in_re cat "/proc/sys/net/ipv4/conf/$k")"; done; }
BEFORE=$(sysctls)

# --- usage errors -----------------------------------------------------------
rc=0; shoal_real >/dev/null 2>&1 || rc=$?
check "no command: exit 2" [ "$rc" -eq 2 ]
rc=0; shoal_real setup --iface "$IF_RE" --vip "$VIP4" >/dev/null 2>&1 || rc=$?
check "setup without --tunnel-addr: exit 2" [ "$rc" -eq 2 ]
rc=0; err=$(shoal_real setup --iface "$IF_RE" --vip 198.18.1.300 --tunnel-addr "$RE4" 2>&1) ||
	rc=$?
check "bad --vip: exit 2, names the input" eval '[ "$rc" -eq 2 ] && [[ $err == *198.18.1.300* ]]'
rc=0; shoal_real setup --iface nosuch0 --vip "$VIP4" --tunnel-addr "$RE4" >/dev/null 2>&1 ||
	rc=$?
check "unknown interface: exit 1" [ "$rc" -eq 1 ]

# --- setup, twice (idempotent) ---------------------------------------------
SETUP=(setup --iface "$IF_RE" --vip "$VIP4" --vip "$VIP6" --tunnel-addr "$RE4"
	--tunnel-addr "$RE6")
check "setup" shoal_real "${SETUP[@]}"
check "setup again (idempotent)" shoal_real "${SETUP[@]}"
check "VIPs on lo once each" [ "$(ip -n "$NS_RE" addr show dev lo | grep -cE \
	" ($VIP4/32|$VIP6/128) ")" -eq 2 ]
check "xdp attached to $IF_RE" bash -c "ip -n $NS_RE link show dev $IF_RE | grep -q 'prog/xdp'"
check "sysctls for DSR" [ "$(sysctls)" = "all/arp_ignore=1 lo/arp_ignore=1 $IF_RE/arp_ignore=1 \
all/arp_announce=2 lo/arp_announce=2 $IF_RE/arp_announce=2 all/rp_filter=0 $IF_RE/rp_filter=0 " ]

# --- the server on the VIPs ---------------------------------------------------
ip netns exec "$NS_RE" timeout 60 "$PY" "$HELPER" server --vip "$VIP4" --vip "$VIP6" \
	--udp-port 9000 --tcp-port 8080 --log "$WORK/udp.log" --seconds 50 &
SERVER_PID=$!
for _ in $(seq 50); do [[ -e $WORK/udp.log.ready ]] && break; sleep 0.1; done
[[ -e $WORK/udp.log.ready ]] || { fail "server did not start"; exit 1; }

# --- plain traffic and neighbours -------------------------------------------
ARGS=(--iface "$IF_LB" --src-mac "$LB_MAC" --dst-mac "$RE_MAC" --lb4 "$LB4" --lb6 "$LB6"
	--tun4 "$RE4" --tun6 "$RE6" --vip4 "$VIP4" --vip6 "$VIP6" --client4 "$CLIENT4"
	--client6 "$CLIENT6" --foreign4 "$FOREIGN4" --foreign6 "$FOREIGN6")
jq_has() { "$PY" -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if $2 else 1)" "$1"; }
PING=$(in_lb "$PY" "$HELPER" ping "${ARGS[@]}")
check "ping IPv4 and IPv6 through the decap program" jq_has "$PING" "d['ping4'] and d['ping6']"
NEIGH=$(in_lb "$PY" "$HELPER" neigh "${ARGS[@]}")
echo "     neighbours: $NEIGH"
check "ARP: tunnel address answered, VIP not (arp_ignore)" \
	jq_has "$NEIGH" "d['arp_tun4'] and not d['arp_vip4']"
check "ND: tunnel address answered, VIP on lo not" \
	jq_has "$NEIGH" "d['nd_tun6'] and not d['nd_vip6']"

# --- tunnel packets -----------------------------------------------------------
SENT=$(in_lb "$PY" "$HELPER" send "${ARGS[@]}")
sleep 0.3
echo "     udp server log:"; sed 's/^/       /' "$WORK/udp.log"
for c in ipip 6in4 ip6ip6 4in6 gue-4in4 gue-6in4 gue-4in6 gue-6in6; do
	case $c in *4in*|ipip) client=$CLIENT4 vip=$VIP4 ;; *) client=$CLIENT6 vip=$VIP6 ;; esac
	check "$c: UDP datagram delivered from $client" grep -qE "^$c $client 41[0-9]{3}\$" \
		"$WORK/udp.log"
	check "$c: SYN-ACK from $vip straight to $client (DSR)" jq_has "$SENT" \
		"any(s['case'] == '$c' and s['src'] == '$vip' and s['dst'] == '$client' \
		and s['sport'] == 8080 for s in d['synacks'])"
done
check "ipip with outer IPv4 options: delivered" grep -qE "^ipip-opts $CLIENT4 41100\$" \
	"$WORK/udp.log"
check "no negative case reached the server" bash -c "! grep -q '^neg-' '$WORK/udp.log'"

STATUS=$(shoal_real status --iface "$IF_RE")
echo "$STATUS" | sed 's/^/     /'
counter() { echo "$STATUS" | awk -v n="$1" '$1 == n { print $2 }'; }
check "counter decap_ipip = 3" [ "$(counter decap_ipip)" = 3 ]
for c in decap_6in4 decap_ip6ip6 decap_4in6; do
	check "counter $c = 2" [ "$(counter $c)" = 2 ]
done
check "counter decap_gue_ip4 = 4" [ "$(counter decap_gue_ip4)" = 4 ]
check "counter decap_gue_ip6 = 4" [ "$(counter decap_gue_ip6)" = 4 ]
check "counter pass_not_ours = 2 (foreign outer destinations)" [ "$(counter pass_not_ours)" = 2 ]
check "counter drop_malformed = 3" [ "$(counter drop_malformed)" = 3 ]
check "counter drop_fragment = 2" [ "$(counter drop_fragment)" = 2 ]
check "counter pass > 0 (plain traffic)" [ "$(counter pass)" -gt 0 ]

# A third setup keeps the maps, hence the counters.
shoal_real "${SETUP[@]}" >/dev/null
check "setup again keeps the counters" \
	[ "$(shoal_real status --iface "$IF_RE" | awk '$1 == "decap_ipip" { print $2 }')" = 3 ]

# --- an interface without native XDP (a bridge) -------------------------------------------
ip -n "$NS_RE" link add "$IF_BR" type bridge
ip -n "$NS_RE" link set "$IF_BR" up
rc=0; err=$(shoal_real setup --iface "$IF_BR" --vip "$VIP4" --tunnel-addr 198.18.3.1 2>&1) ||
	rc=$?
echo "     $err"
check "bridge, native: refused loudly, exit 1" \
	eval '[ "$rc" -eq 1 ] && [[ $err == *"NATIVE XDP"* ]]'
rc=0; shoal_real status --iface "$IF_BR" >/dev/null || rc=$?
check "bridge, native: nothing left behind" eval '[ "$rc" -eq 1 ] &&
	! ip -n "$NS_RE" link show "$IF_BR" | grep -q prog/xdp'
check "bridge, generic" shoal_real setup --iface "$IF_BR" --vip "$VIP4" \
	--tunnel-addr 198.18.3.1 --xdp-mode generic
out=$(shoal_real status --iface "$IF_BR")
check "bridge status says generic" eval '[[ $out == *"generic XDP"* ]]'
check "bridge teardown" shoal_real teardown --iface "$IF_BR"
check "VIP $VIP4 kept: $IF_RE's setup still uses it" \
	bash -c "ip -n $NS_RE addr show dev lo | grep -q ' $VIP4/32 '"
check "host-wide sysctls kept while $IF_RE is set up" \
	[ "$(in_re cat /proc/sys/net/ipv4/conf/all/arp_ignore)" = 1 ]

# --- teardown -------------------------------------------------------------------
check "teardown" shoal_real teardown --iface "$IF_RE"
check "sysctls restored" [ "$(sysctls)" = "$BEFORE" ]
check "VIPs gone from lo" bash -c "! ip -n $NS_RE addr show dev lo | grep -qE ' ($VIP4|$VIP6)/'"
check "xdp detached" bash -c "! ip -n $NS_RE link show dev $IF_RE | grep -q 'prog/xdp'"
rc=0; shoal_real status --iface "$IF_RE" >/dev/null || rc=$?
check "status after teardown: not set up, exit 1" [ "$rc" -eq 1 ]
check "teardown again: nothing to undo, exit 0" shoal_real teardown --iface "$IF_RE"
PING=$(in_lb "$PY" "$HELPER" ping "${ARGS[@]}")
check "ping IPv4 and IPv6 after teardown" jq_has "$PING" "d['ping4'] and d['ping6']"

if ((fails)); then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
