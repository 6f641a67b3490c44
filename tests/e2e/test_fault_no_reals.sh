#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, every real of a VIP removed under traffic. VIP A (IPv4 over IPIP) and
# VIP B (IPv6 over GUE) both have real1..3 (A their IPv4 tunnel addresses, B their
# IPv6 ones, so no real address serves both VIPs). A request loop runs on each VIP,
# two slow downloads on B, and one established connection to A (a Python socket
# that has sent half a request, seen arrive on its real) waits. Then:
#   1. every real of A is removed (shoalctl real del, three times) while the loops
#      run; shoalctl show and config must list A with no real;
#   2. the window: with A's leftover connections of step 1 closed on both ends
#      (ss -K), so that the window starts and ends quiet, and a capture of every
#      packet the client sends to A: the established connection sends the rest of
#      its request (retransmitted, unanswered) and is reset; scapy sends exactly
#      200 SYNs and 100 ACKs to A; the loop on A tries again. The LB's no_real drop
#      counter must rise by exactly the packets captured, A's packet counter too;
#      nothing reaches a real: the reals' IPIP decap counters do not move, and a
#      capture of what the LB sends the router holds no IPIP packet. The
#      established connection's packets are among the dropped: its conntrack
#      entry names a real that is gone (docs/design.md: a miss);
#   3. one real (real2) is added back to A: 200 new connections are all answered,
#      by real2.
# B is never touched: its loop sees zero failures, its downloads complete byte for
# byte. Over the whole test, every packet the client sent to A (a capture from
# before the first one) was either taken out of its tunnel by a real or counted
# as no_real by the LB: captured = reals' IPIP decap + no_real = A's packets.
#
#   bash tests/e2e/test_fault_no_reals.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs (and scapy for /usr/bin/python3);
# fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
BLOB_MB=10 BLOB_RATE=1m # each download lasts ~10 s: across the removal
topo_init "${1:?usage: test_fault_no_reals.sh BUILD_DIR}" 3
command -v tcpdump >/dev/null || topo_cannot_run "no tcpdump"
/usr/bin/python3 -c 'import scapy' 2>/dev/null || topo_cannot_run "no scapy for /usr/bin/python3"
trap topo_down EXIT
trap 'exit 143' TERM INT
A=$VIP4_IPIP B=$VIP6_GUE
EST_PORT=40001           # the established connection's client port
SYN_PORT=61000 N_SYN=200 # scapy's probes: client ports outside the ephemeral ranges
ACK_PORT=61500 N_ACK=100

W="real1:1 real2:1 real3:1"
topo_start "$A 80 ipip $W" "$B 80 gue $W"
ctl show

# decap_ipip: the reals' IPIP decap counters, summed (only A's traffic is IPIP)
decap_ipip() {
	local n t=0 v
	for ((n = 1; n <= T_NREALS; n++)); do
		v=$(in_ns_t 10 "real$n" "$SHOAL_REAL" status --iface "$UPLINK" | awk '$1 == "decap_ipip" { print $2 }')
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
drops_other() { # every drop counter but no_real, summed
	jq '[.counters | to_entries[] | select(.key as $k | ["eth_trunc", "ip4_malformed",
		"ip6_malformed", "ip6_ext_limit", "l4_malformed", "too_big", "no_source",
		"headroom"] | index($k)) | .value] | add' <<<"$1"
}
n_reals_of() { ctl config | jq --arg v "$1" '[.vips[] | select(.address == $v) | (.reals // [])[]] | length'; }
# sockets NS FILTER...: TCP sockets in NS (all states but listening), one a line
sockets() {
	local ns=$1
	shift
	in_ns_t 10 "$ns" ss -Htan state connected "$@"
}

# --- the whole-test capture, before any packet to A ----------------------------------------
cap_start all client "$UPLINK" -Q out "ip dst $A"
s_start=$(stats_json) d_start=$(decap_ipip)

# --- traffic ----------------------------------------------------------------------------------
coproc EST {
	exec timeout 120 nsenter --net="$(ns_path client)" /usr/bin/python3 -u -c '
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[2])))
s.settimeout(5)
s.connect((sys.argv[1], 80))
s.sendall(b"GET / HTTP/1.1\r\n")  # half a request: nginx waits for the rest
print("connected", flush=True)
for cmd in sys.stdin:
    if cmd.strip() == "send":
        s.sendall(b"Host: shoal\r\nConnection: close\r\n\r\n")
        print("sent", flush=True)
    elif cmd.strip() == "reset":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # linger 0: a RST, and the socket is gone at once
        print("reset", flush=True)
        break
' "$A" "$EST_PORT"
}
est_child=$EST_PID # bash unsets EST_PID (and EST) once the coprocess has exited
est() { # est COMMAND: tells the established connection's script, waits for its answer
	local line='' in=${EST[1]:-} out=${EST[0]:-}
	[[ -n $in && -n $out ]] || return 0 # the script is gone (it failed): no answer
	[[ $1 == - ]] || echo "$1" >&"$in" || return 0
	read -t 10 -r line <&"$out" || true
	echo "$line"
}
est_ok=$(est -)
EST_REAL=none
for ((n = 1; n <= T_NREALS; n++)); do
	if sockets "real$n" "( dport = :$EST_PORT )" -i | grep -q 'bytes_received:16\b'; then EST_REAL=real$n; fi
done
echo "     established connection to $A from port $EST_PORT: ${est_ok:-no answer}, on $EST_REAL" \
	"(its 16 bytes of request arrived there)"
check "the established connection is up on a real" [ "$est_ok" = connected -a "$EST_REAL" != none ]

reqloop_start loopA "$A" 2
reqloop_start loopB "$B"
port=20000
declare -A OWNER=()
for i in 1 2; do
	port=$((port + 1))
	dl_start "D$port" "$B" "$port"
	OWNER[D$port]=$(dl_owner "D$port")
done
# answered lines in a loop's output so far
answered() { awk '$1 == 200' "$(reqloop_out "$1")" | wc -l; }
lines() { wc -l <"$(reqloop_out "$1")"; }
for ((i = 0; i < 200 && $(answered loopA) < 20; i++)); do sleep 0.1; done
echo "     before the removal: loop on A $(tally <"$(reqloop_out loopA)")"
check "before the removal: the loop on A is answered" [ "$(answered loopA)" -ge 20 ]

# --- 1. remove every real of A, under traffic --------------------------------------------------
for n in 1 2 3; do
	check "remove real$n ($(real4 "$n")) from $A" ctl real del "$(vip_key "$A")" "$(real4 "$n")"
done
L0=$(lines loopA)
ctl show | sed 's/^/     /'
check "$A has no real (shoalctl config: $(n_reals_of "$A"))" [ "$(n_reals_of "$A")" -eq 0 ]
check "$B keeps its three reals" [ "$(n_reals_of "$B")" -eq 3 ]
# The loop on A goes on: its next requests find no real.
for ((i = 0; i < 200; i++)); do
	[[ $(awk -v l="$L0" 'NR > l && $1 != 200' "$(reqloop_out loopA)" | wc -l) -ge 2 ]] && break
	sleep 0.1
done
reqloop_stop loopA
after=$(tail -n +$((L0 + 1)) "$(reqloop_out loopA)" | tally)
echo "     loop on A after the removal: $after"
check "loop on A after the removal: nothing answered" \
	[ "$(field sent "$after")" -ge 1 -a "$(field answered "$after")" -eq 0 ]

# --- 2. the window -------------------------------------------------------------------------------
# A's connections cut by the removal stay half-open on both ends, and their
# retransmissions (a real's FIN, the client's ACK or RST) would cross into the
# window at any time: closed here (ss -K), before it starts.
killed=$(sockets client "( dst $A and not sport = :$EST_PORT )" | grep -vc TIME-WAIT || true)
in_ns_t 10 client ss -HtanK state connected "( dst $A and not sport = :$EST_PORT )" >/dev/null 2>&1 || true
for ((n = 1; n <= T_NREALS; n++)); do
	killed=$((killed + $(sockets "real$n" "( dst $CLIENT4 and not dport = :$EST_PORT )" | grep -vc TIME-WAIT || true)))
	in_ns_t 10 "real$n" ss -HtanK state connected "( dst $CLIENT4 and not dport = :$EST_PORT )" >/dev/null 2>&1 || true
done
sleep 0.5
left=$(sockets client "( dst $A )" | grep -v TIME-WAIT || true)
echo "     before the window: $killed leftover connection ends of A closed; the client's to A now:"
awk '{ print "       " $0 }' <<<"${left:-(none)}"
check "the window starts with one connection to A, the established one" \
	[ "$(grep -c . <<<"$left")" -eq 1 -a "$(grep -c ":$EST_PORT " <<<"$left")" -eq 1 ]

cap_start win client "$UPLINK" -Q out "ip dst $A"
cap_start tun router eth-lb -Q in "ip proto 4"
s0=$(stats_json) d0=$(decap_ipip)
# the established connection: the rest of its request, retransmitted unanswered; reset
est_sent=$(est send)
sleep 1.5
est_reset=$(est reset)
wait "$est_child" 2>/dev/null || true
echo "     established connection: ${est_sent:-no answer}, ${est_reset:-no answer}"
# scapy: exactly N_SYN SYNs and N_ACK ACKs, each from a port of its own
nsenter --net="$(ns_path client)" timeout 60 /usr/bin/python3 - "$A" <<-EOF
	import sys
	from scapy.all import IP, TCP, L3RawSocket, conf, send
	conf.L3socket = L3RawSocket
	vip = sys.argv[1]
	pkts = [IP(dst=vip) / TCP(sport=$SYN_PORT + i, dport=80, flags="S", seq=1000 + i) for i in range($N_SYN)]
	pkts += [IP(dst=vip) / TCP(sport=$ACK_PORT + i, dport=80, flags="A", seq=1, ack=1) for i in range($N_ACK)]
	send(pkts, verbose=0, inter=0.0005)
EOF
# the loop on A again, until it has tried three times
LW=$(lines loopA)
reqloop_start loopA "$A" 1
for ((i = 0; i < 200 && $(lines loopA) < LW + 3; i++)); do sleep 0.1; done
reqloop_stop loopA
win_loop=$(tail -n +$((LW + 1)) "$(reqloop_out loopA)" | tally)
sleep 1 # nothing is in flight: every source has stopped; the last packets land
left=$(sockets client "( dst $A )" | grep -v TIME-WAIT || true)
s1=$(stats_json) d1=$(decap_ipip)
cap_stop win
cap_stop tun
check "the window ends with no connection to A" [ -z "$left" ]

flows=$(pcap_flows "$(cap_file win)")
cap=$(grep -c . <<<"$flows" || true)
c_syn=$(awk -v lo=$SYN_PORT -v n=$N_SYN '$3 >= lo && $3 < lo + n' <<<"$flows" | wc -l)
c_ack=$(awk -v lo=$ACK_PORT -v n=$N_ACK '$3 >= lo && $3 < lo + n' <<<"$flows" | wc -l)
c_est=$(awk -v p=$EST_PORT '$3 == p' <<<"$flows" | wc -l)
c_est_rst=$(awk -v p=$EST_PORT '$3 == p && $6 ~ /R/' <<<"$flows" | wc -l)
c_loop=$((cap - c_syn - c_ack - c_est))
tun=$(pcap_flows "$(cap_file tun)" | grep -c . || true)
no_real=$(($(counter "$s1" no_real) - $(counter "$s0" no_real)))
vp=$(($(vip_packets "$s1" "$A") - $(vip_packets "$s0" "$A")))
dec=$((d1 - d0))
other=$(($(drops_other "$s1") - $(drops_other "$s0")))
echo "     window: the client sent $A $cap packets: scapy $c_syn SYNs + $c_ack ACKs," \
	"the established connection $c_est ($c_est_rst RST), the loop $c_loop ($(field sent "$win_loop") tries)"
echo "     window: LB no_real +$no_real, $A packets +$vp, other drops +$other;" \
	"IPIP packets from the LB $tun; reals' IPIP decap +$dec"
check "the captures lost nothing" [ "$(cap_dropped win)" -eq 0 -a "$(cap_dropped tun)" -eq 0 ]
check "scapy's $N_SYN SYNs and $N_ACK ACKs all captured" [ "$c_syn" -eq "$N_SYN" -a "$c_ack" -eq "$N_ACK" ]
check "the established connection sent in the window (data and a RST)" [ "$c_est" -ge 2 -a "$c_est_rst" -eq 1 ]
check "LB no_real rose by exactly the packets the client sent to $A ($no_real = $cap)" [ "$no_real" -eq "$cap" ]
check "LB counted them for $A ($vp = $cap)" [ "$vp" -eq "$cap" ]
check "no other drop reason moved ($other)" [ "$other" -eq 0 ]
check "nothing tunnelled toward a real: no IPIP packet left the LB ($tun)" [ "$tun" -eq 0 ]
check "nothing reached a real: IPIP decap counters unchanged (+$dec)" [ "$dec" -eq 0 ]

# --- 3. one real back ---------------------------------------------------------------------------
check "add real2 back to $A" ctl real add "$(vip_key "$A")" "$(real4 2)" --weight 1
client_ports 50000 54999
t=$(requests "$A" 200 8 | tally || true)
echo "     after adding real2 back: $A: $t"
check "after adding real2 back: all 200 new connections answered, by real2" \
	[ "$(field answered "$t")" -eq 200 -a "$(field real2 "$t")" -eq 200 ]

# --- B, untouched ---------------------------------------------------------------------------------
reqloop_stop loopB
tb=$(tally <"$(reqloop_out loopB)")
echo "     loop on $B throughout: $tb"
check "loop on $B: requests made, zero failures" \
	[ "$(field sent "$tb")" -gt 0 -a "$(field answered "$tb")" -eq "$(field sent "$tb")" ]
broken=$(($(field sent "$tb") - $(field answered "$tb")))
for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do
	dl_intact "$n" "${OWNER[$n]}" "from $B, across the removal" || broken=$((broken + 1))
done

# --- the whole test ---------------------------------------------------------------------------------
sleep 1
s_end=$(stats_json) d_end=$(decap_ipip)
cap_stop all
cap_all=$(pcap_flows "$(cap_file all)" | grep -c . || true)
no_real_all=$(($(counter "$s_end" no_real) - $(counter "$s_start" no_real)))
dec_all=$((d_end - d_start))
vp_all=$(($(vip_packets "$s_end" "$A") - $(vip_packets "$s_start" "$A")))
echo "     whole test: the client sent $A $cap_all packets; reals decapsulated $dec_all," \
	"the LB dropped $no_real_all as no_real; LB $A packets $vp_all"
check "whole test: capture lost nothing" [ "$(cap_dropped all)" -eq 0 ]
check "whole test: every packet to $A reached a real or was counted as no_real" \
	[ "$cap_all" -eq $((dec_all + no_real_all)) -a "$vp_all" -eq "$cap_all" ]
echo "     connections broken on $B: $broken"
check "nothing broken on $B" [ "$broken" -eq 0 ]
ctl stats
finish
