#!/usr/bin/env bash
# shoal-afxdp against a plain AF_XDP echo forwarder (bench/afxdp_echo.c), packets
# per second on a veth pair, both in the same run. Root only; about 2 minutes.
#   sudo bash bench/afxdp.sh [--quick]
#
# One namespace, one veth pair with 2 queues a side:
#   gen side: shoal-flood (BPF_PROG_RUN live frames) sends TCP ACKs to the VIP
#             out of it; xdp_count.bpf.c counts what comes back (the sink).
#   lb side:  the forwarder under test, on AF_XDP: afxdp-echo (MACs swapped) or
#             shoald --backend afxdp (IPIP to a real); both send the frame back.
# For each case, echo first, then shoald. pps is measured at the sink over a fixed
# interval after a warm-up. Zero-copy is tried on every case and reported (veth
# has none). Figures go in docs/performance-afxdp.md with the date and this command.
#
# CPUs (the machine has 2). veth runs the lb side's NAPI (its XDP program, the copy
# into the socket) in softirq on the CPU that sent the frame, the generator's. The
# generators run at nice 19: they yield to the forwarder. 1 queue: the generator and
# the receive side on CPU 0, the forwarder (its thread, and the transmit path its
# sendto runs in copy mode) alone on CPU 1. 2 queues: veth picks the receive queue
# by the sending CPU, so a generator runs on each CPU, and the forwarder's threads
# share both CPUs with them: the 2-queue cells compare the two forwarders under
# contention, they do not show scaling.
#
# Addresses: 198.18.0.0/15 and 2001:db8::/32 only. Everything made here (the
# namespace, its veths, the sink's pins, a work directory) goes on exit;
# every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

# ROUNDS: each case is run this many times (echo, shoal, echo, shoal...) and the best
# of each kept: a neighbour on this shared machine takes a round, rarely two.
WARM_S=2 WARM_1M_S=4 MEASURE_S=4 ROUNDS=2
if [[ ${1:-} == --quick ]]; then
	WARM_S=1 WARM_1M_S=2 MEASURE_S=2 ROUNDS=1
elif [[ -n ${1:-} ]]; then
	echo "usage: bash bench/afxdp.sh [--quick]" >&2
	exit 2
fi
[[ $(id -u) -eq 0 ]] || { echo "bench/afxdp.sh: needs root (AF_XDP, XDP programs, netns)" >&2; exit 2; }
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build bench/afxdp-echo bench/xdp_count.bpf.o tests/tools/shoal-flood \
	control/shoald control/shoalctl >/dev/null
ECHO=build/bench/afxdp-echo SINK_OBJ=build/bench/xdp_count.bpf.o
FLOOD=build/tests/tools/shoal-flood SHOALD=build/control/shoald SHOALCTL=build/control/shoalctl

NS=sbafx$$ GEN=sbg$$ LB=sbl$$
PINS=/sys/fs/bpf/$NS
WORK=$(mktemp -d /tmp/shoal-bench-afxdp.XXXXXX)
SOCK=$WORK/shoald.sock
# shoald's state file holds conntrack and is forwarded from: on 4 KiB pages nearly
# every packet misses the TLB for its flow's bucket. A tmpfs mounted huge=within_size
# backs it with 2 MiB pages whatever the system's shmem_enabled (docs/afxdp.md).
STATE_FS=$WORK/state-fs STATE=$WORK/state-fs/state
FWD_PID='' GEN_PIDS=()
# An array, not a function, so that "${IN_NS[@]}" CMD & gives CMD's pid (nsenter execs).
IN_NS=(nsenter --net="/var/run/netns/$NS")
in_ns() { "${IN_NS[@]}" "$@"; }

stop_pid() { # SIGTERM, then SIGKILL after 10 s
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
gen_stop() {
	local p
	for p in "${GEN_PIDS[@]}"; do stop_pid "$p"; done
	GEN_PIDS=()
}
cleanup() {
	set +e
	gen_stop
	[[ -n $FWD_PID ]] && stop_pid "$FWD_PID"
	if [[ -e /var/run/netns/$NS ]]; then
		in_ns timeout 30 "$SHOALD" --backend afxdp --iface "$LB" --state-dir "$STATE" \
			--unload >/dev/null 2>&1
		ip netns del "$NS"
	fi
	umount "$STATE_FS" 2>/dev/null
	rm -rf "$PINS" "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$STATE_FS"
mount -t tmpfs -o huge=within_size,size=1g shoal-bench-state "$STATE_FS"

# --- the pair, the sink, the frame, the config ---------------------------------------
ip netns add "$NS"
ip -n "$NS" link add "$GEN" numtxqueues 2 numrxqueues 2 type veth \
	peer name "$LB" numtxqueues 2 numrxqueues 2
for dev in "$GEN" "$LB"; do
	ip -n "$NS" link set "$dev" up
	in_ns ethtool -K "$dev" tx off >/dev/null # no partial checksums on frames veth sends
done
ip -n "$NS" addr add 198.18.0.1/30 dev "$GEN"
ip -n "$NS" addr add 198.18.0.2/30 dev "$LB"
ip -n "$NS" addr add 2001:db8:0:1::1/64 dev "$GEN" nodad
ip -n "$NS" addr add 2001:db8:0:1::2/64 dev "$LB" nodad
mkdir -p "$PINS"
bpftool prog load "$SINK_OBJ" "$PINS/count" pinmaps "$PINS/maps"
in_ns bpftool net attach xdpdrv pinned "$PINS/count" dev "$GEN"
mac() { ip -n "$NS" -j link show "$1" | jq -r '.[0].address'; }
sink_count() {
	bpftool -j map lookup pinned "$PINS/maps/count_pkts" key 0 0 0 0 |
		jq '[.formatted.values[].value] | add'
}
# Frames the lb side's XDP program ran on (the rest of the generator's, veth dropped
# for a full ring).
offered_count() {
	in_ns ethtool -S "$LB" | awk '/rx_queue_[0-9]+_xdp_packets:/ { n += $2 } END { print n + 0 }'
}

# One Ethernet + IPv4 + TCP ACK (10 bytes of payload, 64 bytes) to the VIP.
python3 - "$(mac "$LB")" "$(mac "$GEN")" "$WORK/frame" <<'EOF'
import struct, sys
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
dst, src, out = sys.argv[1:4]
mac = lambda m: bytes(int(x, 16) for x in m.split(':'))
sip, dip = bytes([198, 19, 0, 1]), bytes([198, 18, 100, 1])
tcp = struct.pack('!HHIIBBHHH', 1024, 80, 1, 1, 5 << 4, 0x10, 65535, 0, 0) + b'shoal-afxd'
tcp = tcp[:16] + struct.pack('!H', csum(sip + dip + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)) + tcp[18:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, sip, dip)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
open(out, 'wb').write(mac(dst) + mac(src) + b'\x08\x00' + ip + tcp)
EOF
reals=""
for n in 0 1 2 3; do reals+="${reals:+, }{\"address\": \"198.18.$((30 + n)).2\", \"weight\": 1}"; done
cat >"$WORK/lb.json" <<EOF
{
  "lb": {
    "ipv4_src": "198.18.0.2", "ipv6_src": "2001:db8:0:1::2", "gateway_mac": "$(mac "$GEN")",
    "hash_key": "5e2e5e2e00112233445566778899aabb",
    "ring_size": 65537, "conntrack_size": 2097152
  },
  "vips": [{"address": "198.18.100.1", "port": 80, "protocol": "tcp", "encap": "ipip",
            "reals": [$reals]}]
}
EOF

# --- one case ------------------------------------------------------------------------
# Forwarder FWD (echo|shoal) on Q queues in MODE (copy|zero-copy); 0 when it runs.
fwd_start() {
	local fwd=$1 q=$2 mode=$3 i pin=()
	((q == 1)) && pin=(taskset -c 1)
	rm -rf "$STATE" "$SOCK"
	: >"$WORK/fwd.log"
	if [[ $fwd == echo ]]; then
		"${IN_NS[@]}" "${pin[@]}" "$ECHO" --iface "$LB" --queues "$q" "--$mode" >"$WORK/fwd.log" 2>&1 &
	else
		"${IN_NS[@]}" "${pin[@]}" "$SHOALD" --backend afxdp --config "$WORK/lb.json" --iface "$LB" \
			--queues "$q" "--$mode" --state-dir "$STATE" --socket "$SOCK" \
			>"$WORK/fwd.log" 2>&1 &
	fi
	FWD_PID=$!
	for ((i = 0; i < 300; i++)); do
		if ! kill -0 "$FWD_PID" 2>/dev/null; then
			wait "$FWD_PID" 2>/dev/null || true
			FWD_PID=
			return 1
		fi
		if [[ $fwd == echo ]]; then
			(($(grep -c "queue [0-9]*:" "$WORK/fwd.log") >= q)) && break
		elif [[ -S $SOCK ]] && timeout 5 "$SHOALCTL" --socket "$SOCK" show >/dev/null 2>&1; then
			break
		fi
		sleep 0.1
	done
	((i < 300)) || { echo "bench/afxdp.sh: $fwd did not start in 30 s" >&2; exit 1; }
}
fwd_mode() { # what the forwarder says of its sockets
	if [[ -n $FWD_PID && $1 == echo ]]; then
		sed -n 's/^afxdp-echo: [^ ]* queue 0: //p' "$WORK/fwd.log" | head -1
	elif [[ -n $FWD_PID ]]; then
		timeout 5 "$SHOALCTL" --socket "$SOCK" show 2>/dev/null | grep -m1 "^backend "
	else # it failed: the last line of its error
		grep -v '^ *$' "$WORK/fwd.log" | tail -1
	fi
}
gen_start() { # flows, queues
	local flows=$1 q=$2 sources=1000 ports=$(($1 / 1000)) cpu
	for ((cpu = 0; cpu < q; cpu++)); do
		"${IN_NS[@]}" taskset -c "$cpu" nice -n 19 timeout 120 "$FLOOD" --iface "$GEN" \
			--frame "$WORK/frame" --count 1099511627776 --sources "$sources" --ports "$ports" \
			>/dev/null 2>&1 &
		GEN_PIDS+=($!)
	done
}

RESULTS=()
pps_of() { # fwd q mode flows: the best of its rounds, or - (it did not run)
	local r best=-
	for r in "${RESULTS[@]}"; do
		[[ $r == "$1 $2 $3 $4 "* && ${r##* } != - ]] || continue
		[[ $best == - ]] || ((${r##* } > best)) && best=${r##* }
	done
	echo "$best"
}
# run FWD Q MODE FLOWS: one measured cell; prints a line, adds to RESULTS.
run() {
	local fwd=$1 q=$2 mode=$3 flows=$4 warm=$WARM_S c0 o0 c1 o1 pps offered stats
	((flows >= 1000000)) && warm=$WARM_1M_S
	if ! fwd_start "$fwd" "$q" "$mode"; then
		echo "  $fwd q=$q $mode: did not start: $(fwd_mode "$fwd")"
		RESULTS+=("$fwd $q $mode $flows -")
		return 0
	fi
	echo "  $fwd q=$q $mode flows=$flows: $(fwd_mode "$fwd")"
	gen_start "$flows" "$q"
	sleep "$warm"
	c0=$(sink_count) o0=$(offered_count)
	sleep "$MEASURE_S"
	c1=$(sink_count) o1=$(offered_count)
	gen_stop
	pps=$(((c1 - c0) / MEASURE_S)) offered=$(((o1 - o0) / MEASURE_S))
	printf "    %s pps at the sink (the lb side's XDP program saw %s pps)\n" "$pps" "$offered"
	if [[ $fwd == shoal ]]; then
		stats=$(timeout 5 "$SHOALCTL" --socket "$SOCK" stats --json |
			jq -r '.counters | "rx \(.rx) tx \(.tx) pass \(.pass) ct_hit \(.ct_hit) ct_miss \(.ct_miss) ct_evict \(.ct_evict)"')
		echo "    shoalctl stats: $stats"
	fi
	stop_pid "$FWD_PID"
	FWD_PID=
	RESULTS+=("$fwd $q $mode $flows $pps")
}

echo "== AF_XDP forwarding on veth: afxdp-echo against shoald --backend afxdp"
echo "   $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"warm-up ${WARM_S}s (${WARM_1M_S}s at 1M flows), ${MEASURE_S}s measured, best of $ROUNDS"
for q in 1 2; do
	for mode in copy zero-copy; do
		for flows in 1000 1000000; do
			for ((round = 0; round < ROUNDS; round++)); do
				run echo "$q" "$mode" "$flows"
				run shoal "$q" "$mode" "$flows"
				[[ $(pps_of echo "$q" "$mode" "$flows") != - ]] || break # zero-copy refused
			done
		done
	done
done

echo
echo "| queues | mode | flows | echo pps | shoal pps | shoal / echo | target | met |"
echo "|---:|---|---:|---:|---:|---:|---|---|"
for q in 1 2; do
	for mode in copy zero-copy; do
		for flows in 1000 1000000; do
			e=$(pps_of echo "$q" "$mode" "$flows") s=$(pps_of shoal "$q" "$mode" "$flows")
			target=80 label=1k
			((flows >= 1000000)) && target=70 label=1M
			if [[ $e == - || $s == - || $e == 0 ]]; then
				echo "| $q | $mode | $label | $e | $s | n/a | ≥ $target% | n/a |"
				continue
			fi
			ratio=$((s * 1000 / e))
			met=no
			((ratio >= target * 10)) && met=yes
			printf '| %s | %s | %s | %s | %s | %d.%d%% | ≥ %s%% | %s |\n' "$q" "$mode" "$label" \
				"$e" "$s" $((ratio / 10)) $((ratio % 10)) "$target" "$met"
		done
	done
done
echo "   load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
