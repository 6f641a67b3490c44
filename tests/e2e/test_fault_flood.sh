#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End to end, a flood of new flows far past conntrack_size (docs/design.md,
# "Conntrack"). One IPv4 VIP over IPIP with real1..3 and a small conntrack
# (CT_SIZE flows per CPU). Slow downloads run; then real1 and real2 are drained,
# so the ring sends every new flow to real3 and the downloads on real1/real2 live
# only by their conntrack entries. shoal-flood (tests/tools) then sends FLOOD
# spoofed SYNs, each a new flow, from the client through the router to the LB.
# Checked and printed:
#   - the flood went well past the table: conntrack misses >= 10x its capacity,
#     and live entries were evicted to make room (ct_evict >= misses - capacity);
#   - memory stayed bounded: the LB's BPF maps (AF_XDP: its state file) take
#     exactly the bytes they took before, shoald's resident memory does not grow
#     with the flood;
#   - every download completes, byte for byte, from the real that started it
#     (a download whose entry went would have been sent to real3 and reset);
#   - new connections after the flood are all answered.
#
#   bash tests/e2e/test_fault_flood.sh BUILD_DIR
#
# Needs root and what tests/deps.sh installs; fails (never skips) without them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/topology.sh
source "$HERE/topology.sh"
BLOB_MB=1 BLOB_RATE=64k # each download lasts ~16 s: an ACK every ~45 ms
CT_SIZE=1024            # flows per CPU
FLOOD=${FLOOD:-500000}
FLOOD_NET=198.18.64.0/18 # the flood's sources; the router drops answers to them
topo_init "${1:?usage: test_fault_flood.sh BUILD_DIR}" 3
SHOAL_FLOOD=$T_BUILD/tests/tools/shoal-flood
[[ -x $SHOAL_FLOOD ]] || topo_cannot_run "$SHOAL_FLOOD not built (ninja -C build)"
trap topo_down EXIT
trap 'exit 143' TERM INT

topo_up
topo_reals_up
topo_warm
T_CONFIG=$T_WORK/lb.json
topo_config "$T_CONFIG" "$VIP4_IPIP 80 ipip real1:1 real2:1 real3:1"
jq ".lb.conntrack_size = $CT_SIZE" "$T_CONFIG" >"$T_CONFIG.new" && mv "$T_CONFIG.new" "$T_CONFIG"
topo_shoald_start "$T_CONFIG"
ip -n "$(ns_name router)" route add blackhole "$FLOOD_NET"
KEY=$(vip_key "$VIP4_IPIP")

# What the LB's dataplane holds its tables and conntrack in, in bytes: XDP's BPF maps
# (pinned), AF_XDP's state file (conntrack and counters); and shoald's resident
# memory in KiB.
map_bytes() {
	local f sum=0 b
	if backend_is afxdp; then
		stat -c %s "$T_STATE/$UPLINK.state"
		return
	fi
	for f in "$T_PINS/$UPLINK"/*; do
		b=$(bpftool -j map show pinned "$f" 2>/dev/null | jq -r '.bytes_memlock // empty') || true
		[[ -n $b ]] && sum=$((sum + b))
	done
	echo "$sum"
}
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$T_SHOALD_PID/status"; }

# --- downloads, then real1 and real2 drained --------------------------------------------
declare -A OWNER=()
port=20000 on12=0
for ((i = 0; i < 12 && (on12 < 3 || i < 6); i++)); do
	port=$((port + 1))
	dl_start "D$port" "$VIP4_IPIP" "$port"
	OWNER[D$port]=$(dl_owner "D$port")
	[[ ${OWNER[D$port]} == real[12] ]] && on12=$((on12 + 1))
done
echo "     downloads: $(for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do printf '%s@%s ' "$n" "${OWNER[$n]}"; done)"
check "downloads on real1/real2, to be kept by conntrack alone: $on12" [ "$on12" -ge 3 ]
check "drain real1" ctl real drain "$KEY" "$(real4 1)"
check "drain real2" ctl real drain "$KEY" "$(real4 2)"
client_ports 40000 44999
t=$(requests "$VIP4_IPIP" 50 8 | tally)
echo "     new connections after the drain: $t"
check "after the drain, the ring sends new flows to real3 only" \
	[ "$(field answered "$t")" -eq 50 -a "$(field real3 "$t")" -eq 50 ]

# --- the flood ---------------------------------------------------------------------------
s0=$(stats_json) mem0=$(map_bytes) rss0=$(rss_kib)
frame=$T_WORK/syn.bin
/usr/bin/python3 - "$frame" "$(mac_of router eth-client)" "$(mac_of client "$UPLINK")" \
	"${FLOOD_NET%/*}" "$VIP4_IPIP" <<'PY'
import sys
from scapy.all import IP, TCP, Ether
out, dst_mac, src_mac, src, vip = sys.argv[1:]
src = src[:-1] + "1"  # 198.18.64.1: the first of the network's addresses
frame = Ether(dst=dst_mac, src=src_mac) / IP(src=src, dst=vip) / TCP(sport=1024, dport=80, flags="S")
open(out, "wb").write(bytes(frame))
PY
running=0
for n in "${!OWNER[@]}"; do dl_running "$n" && running=$((running + 1)); done
echo "     flooding with $running downloads in flight"
check "downloads in flight during the flood" [ "$running" -gt 0 ]
in_ns_t 120 client "$SHOAL_FLOOD" --iface "$UPLINK" --frame "$frame" --count "$FLOOD" \
	--sources 16000 --ports 1000 | tee "$T_WORK/flood.out"
sent=$(awk '{ print $2 }' "$T_WORK/flood.out")
sleep 1
s1=$(stats_json) mem1=$(map_bytes) rss1=$(rss_kib)
d() { echo $(($(counter "$s1" "$1") - $(counter "$s0" "$1"))); }
capacity=$((CT_SIZE * T_NCPU))
echo "     flood: sent $sent; at the LB: rx $(d rx), conntrack misses $(d ct_miss)," \
	"evictions $(d ct_evict), hits $(d ct_hit); capacity $capacity flows ($CT_SIZE x $T_NCPU: a table per CPU on XDP, per queue on AF_XDP)"
check "the flood reached the LB far past conntrack_size (misses >= 10x capacity)" \
	[ "$(d ct_miss)" -ge $((10 * capacity)) ]
check "live entries were evicted to remember new flows" [ "$(d ct_evict)" -ge $(($(d ct_miss) - capacity)) ]
what=$(backend_is afxdp && echo "state file" || echo "BPF maps")
echo "     memory: $what $mem0 -> $mem1 bytes; shoald resident $rss0 -> $rss1 KiB"
check "the $what did not grow" [ "$mem0" -gt 0 -a "$mem1" -eq "$mem0" ]
check "shoald's memory did not grow with the flood (< 4 MiB)" [ $((rss1 - rss0)) -lt 4096 ]

# --- every download intact, from the real that started it ----------------------------------
broken=0
for n in $(printf '%s\n' "${!OWNER[@]}" | sort); do
	dl_intact "$n" "${OWNER[$n]}" || broken=$((broken + 1))
done
client_ports 45000 49999
t=$(requests "$VIP4_IPIP" 50 8 | tally)
echo "     new connections after the flood: $t"
check "after the flood, every new connection is answered" [ "$(field answered "$t")" -eq 50 ]
echo "     downloads: ${#OWNER[@]}; connections broken: $broken"
check "no connection broken" [ "$broken" -eq 0 ]
finish
