# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The end-to-end load-balancer topology, as a bash library: sourced by
# tests/e2e/test_lb_*.sh and control/demo.sh. See docs/e2e.md for the picture.
#
#   client ── router ── lb        the router sends VIP traffic to the LB; the LB's XDP
#               ├──── real1       program tunnels each packet back out the same link
#               ├──── real2       (XDP_TX) to the router, which routes it to the real
#               └──── real3       by the outer destination; the real decapsulates
#                                 (shoal-real) and answers the client directly (DSR).
#
# Usage:
#   source tests/e2e/topology.sh
#   topo_init BUILD_DIR [NREALS]   names, work dir; then `trap topo_down EXIT`
#   topo_up                        namespaces, links, routes, XDP on the router's LB side
#   topo_reals_up                  shoal-real setup and nginx on every real
#   topo_config FILE VIP...        writes an lb.json (VIP = "ADDR PORT ENCAP real1:W ...")
#   topo_shoald_start FILE [ARGS]  shoald on the LB ($SHOAL_BACKEND), waits for its socket
#   topo_shoald_stop               SIGTERM (XDP: the program keeps forwarding; AF_XDP:
#                                  forwarding stops until the next start)
#   ctl ARGS...                    shoalctl against this run's shoald
#   in_ns NAME CMD...              a command in namespace NAME (client, router, lb, realN)
#   topo_down                      undoes everything (safe to call twice)
#   topo_start VIP...              all of the above in one (topo_up ... topo_shoald_start)
#   requests VIP N [PAR] | tally   N requests, a new connection each; answers by real
#   client_ports LOW HIGH          the client's ephemeral port range (new flows per phase)
#   dl_start NAME VIP PORT, dl_owner, dl_wait, dl_result, dl_intact   slow downloads of /big/blob
#   check WHAT CMD..., ok, fail, finish                    test output and exit status
# Faults (tests/e2e/test_fault_*.sh):
#   topo_shoald_kill9              SIGKILL: no clean-up by shoald (stale socket left)
#   topo_real_kill N               real N vanishes: its processes killed, its namespace
#                                  deleted; topo_down removes what shoal-real pinned there
#   topo_leftovers                 after topo_down: prints what of this run is left (none: "")
#   reqloop_start NAME VIP [CT [PORT]], reqloop_stop NAME, reqloop_out NAME
#                                  a request loop, one curl (a new connection) after
#                                  another; lines "HTTP_CODE REAL CLIENT_PORT" as `requests`
#   cap_start NAME NS IF TCPDUMP_ARGS..., cap_stop NAME, cap_file NAME, cap_dropped NAME
#                                  a tcpdump capture in a namespace (lossless checked)
#   pcap_flows FILE                one line a packet, tunnel taken off (pcap_flows.py)
#
# Everything lives in namespaces named after this shell's pid, with addresses from
# 198.18.0.0/15 and 2001:db8::/32 only; pins under /sys/fs/bpf/<tag>. Every command
# that could hang is bounded by `timeout`.

# --- addresses (fixed; the namespaces make them private to each run) --------------
CLIENT4=198.18.10.2 CLIENT6=2001:db8:10::2
RT_CL4=198.18.10.1 RT_CL6=2001:db8:10::1
RT_LB4=198.18.20.1 RT_LB6=2001:db8:20::1
LB4=198.18.20.2 LB6=2001:db8:20::2
VIP4_IPIP=198.18.100.1 VIP4_GUE=198.18.100.2
VIP6_IPIP=2001:db8:100::1 VIP6_GUE=2001:db8:100::2
# shellcheck disable=SC2034 # used by the scripts that source this
VIPS=("$VIP4_IPIP" "$VIP4_GUE" "$VIP6_IPIP" "$VIP6_GUE")
real4() { echo "198.18.$((30 + $1)).2"; }  # real N's tunnel addresses
real6() { echo "2001:db8:$((30 + $1))::2"; }
UPLINK=eth-rt  # every host's interface toward the router
HTTP_PORT=80
BLOB_MB=${BLOB_MB:-6}      # the large file every real serves at /big/blob
BLOB_RATE=${BLOB_RATE:-1m} # nginx limit_rate for /big/: 1 MB/s, a 6 MB download lasts ~6 s

SHOAL_BACKEND=${SHOAL_BACKEND:-xdp}
case $SHOAL_BACKEND in
xdp | afxdp) ;;
*) echo "SHOAL_BACKEND: must be xdp or afxdp (got $SHOAL_BACKEND)" >&2 && exit 2 ;;
esac
backend_is() { [[ $SHOAL_BACKEND == "$1" ]]; }

topo_init() {
	T_BUILD=$(realpath "${1:?topo_init BUILD_DIR [NREALS]}")
	T_NREALS=${2:-3}
	SHOALD=$T_BUILD/control/shoald
	SHOALCTL=$T_BUILD/control/shoalctl
	SHOAL_REAL=$T_BUILD/control/shoal-real
	local b
	for b in "$SHOALD" "$SHOALCTL" "$SHOAL_REAL"; do
		[[ -x $b ]] || topo_cannot_run "$b not built (ninja -C build)"
	done
	[[ $(id -u) -eq 0 ]] || topo_cannot_run "needs root"
	for b in ip nsenter ethtool timeout curl nginx clang jq; do
		command -v "$b" >/dev/null || topo_cannot_run "no $b"
	done
	T_TAG=shl$$
	T_WORK=$(mktemp -d "/tmp/$T_TAG.XXXX")
	T_PINS=/sys/fs/bpf/$T_TAG
	T_SOCK=$T_WORK/shoald.sock
	T_STATE=$T_WORK/afxdp-state # AF_XDP: conntrack kept across restarts
	echo "backend: $SHOAL_BACKEND"
	T_SHOALD_PID=
	T_UP=0
	T_GONE=() # reals removed by topo_real_kill
	T_REAL_PINS=() T_REAL_STATE=() T_NGINX_PIDS=()
	T_NCPU=$(nproc)
	if ((T_NCPU > 16)); then T_NCPU=16; fi
	T_NAMESPACES=(client router lb)
	local n
	for ((n = 1; n <= T_NREALS; n++)); do T_NAMESPACES+=("real$n"); done
}

topo_cannot_run() {
	echo "CANNOT RUN: $* (run tests/deps.sh as root)" >&2
	exit 1
}

ns_name() { echo "$T_TAG-$1"; }
ns_path() { echo "/var/run/netns/$T_TAG-$1"; }

# nsenter, not `ip netns exec`: that remounts /sys and hides the bpf filesystem
# where shoald and shoal-real pin their programs.
in_ns() {
	local ns=$1
	shift
	nsenter --net="/var/run/netns/$(ns_name "$ns")" "$@"
}
# A bounded command in a namespace.
in_ns_t() {
	local secs=$1 ns=$2
	shift 2
	timeout "$secs" nsenter --net="/var/run/netns/$(ns_name "$ns")" "$@"
}
# With the namespace's own /sys (for /sys/class/net/IF/queues/...).
in_ns_sys() {
	local ns=$1
	shift
	timeout 10 ip netns exec "$(ns_name "$ns")" "$@"
}

ctl() { timeout 20 "$SHOALCTL" --socket "$T_SOCK" "$@"; }

# A veth pair A (in namespace NA) <-> B (in NB), with QUEUES tx/rx queues a side.
veth() {
	local na=$1 a=$2 nb=$3 b=$4 q=${5:-1}
	ip link add "$a" netns "$(ns_name "$na")" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name "$b" netns "$(ns_name "$nb")" numtxqueues "$q" numrxqueues "$q"
	ip -n "$(ns_name "$na")" link set "$a" up
	ip -n "$(ns_name "$nb")" link set "$b" up
	# TCP checksums are left to the NIC otherwise, and a frame that crosses an XDP
	# program (which rebuilds it) would arrive with a partial checksum.
	in_ns_t 10 "$na" ethtool -K "$a" tx off >/dev/null
	in_ns_t 10 "$nb" ethtool -K "$b" tx off >/dev/null
}

addr() { # addr NS IF ADDR/LEN...
	local ns=$1 ifn=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$(ns_name "$ns")" addr add "$a" dev "$ifn" nodad
		else
			ip -n "$(ns_name "$ns")" addr add "$a" dev "$ifn"
		fi
	done
}

sysctls() { # sysctls NS KEY=VALUE...
	local ns=$1
	shift
	in_ns_t 10 "$ns" sysctl -qw "$@"
}

mac_of() { ip -n "$(ns_name "$1")" -j link show dev "$2" | jq -r '.[0].address'; }

hexmask() { printf '%x' $(((1 << $1) - 1)); }

topo_up() {
	local ns n
	T_UP=1
	for ns in "${T_NAMESPACES[@]}"; do
		ip netns add "$(ns_name "$ns")"
		ip -n "$(ns_name "$ns")" link set lo up
	done
	# client -- router
	veth client "$UPLINK" router eth-client
	addr client "$UPLINK" "$CLIENT4/24" "$CLIENT6/64"
	addr router eth-client "$RT_CL4/24" "$RT_CL6/64"
	ip -n "$(ns_name client)" route add default via "$RT_CL4"
	ip -n "$(ns_name client)" -6 route add default via "$RT_CL6"
	# The client's TCP must not redraw a flow's hash when it retransmits after a
	# timeout (on by default): the RPS below steers by that hash, and a redrawn one
	# moves the flow to another CPU and LB queue, whose conntrack does not know it
	# (a NIC's RSS hashes addresses and ports, and never moves a flow so). Gaps that
	# make the client time out: an AF_XDP restart, a fault test's lost packets.
	sysctls client net.core.txrehash=0
	# router -- lb: one queue per CPU each way (see "RSS" below)
	veth lb "$UPLINK" router eth-lb "$T_NCPU"
	addr lb "$UPLINK" "$LB4/24" "$LB6/64"
	addr router eth-lb "$RT_LB4/24" "$RT_LB6/64"
	ip -n "$(ns_name router)" route add 198.18.100.0/24 via "$LB4"
	ip -n "$(ns_name router)" -6 route add 2001:db8:100::/64 via "$LB6"
	# router -- realN
	for ((n = 1; n <= T_NREALS; n++)); do
		veth "real$n" "$UPLINK" router "eth-real$n"
		addr "real$n" "$UPLINK" "$(real4 "$n")/24" "$(real6 "$n")/64"
		addr router "eth-real$n" "198.18.$((30 + n)).1/24" "2001:db8:$((30 + n))::1/64"
		# The answers go straight to the client through the router: DSR.
		ip -n "$(ns_name "real$n")" route add default via "198.18.$((30 + n)).1"
		ip -n "$(ns_name "real$n")" -6 route add default via "2001:db8:$((30 + n))::1"
	done
	# The router forwards, and must not drop the asymmetric flows of DSR (a reply
	# from a VIP arrives from a real, not from the LB the VIP is routed to).
	sysctls router net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.all.send_redirects=0
	for n in eth-client eth-lb $(seq -f 'eth-real%g' 1 "$T_NREALS"); do
		sysctls router "net.ipv4.conf.$n.rp_filter=0"
	done
	# A veth delivers the LB's XDP_TX frames only to a peer that runs XDP itself:
	# a bare XDP_PASS program on the router's side of the LB link.
	printf '%s\n' '__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }' \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$T_WORK/pass.c"
	clang -O2 -target bpf -c "$T_WORK/pass.c" -o "$T_WORK/pass.o"
	ip -n "$(ns_name router)" link set dev eth-lb xdpdrv obj "$T_WORK/pass.o" sec xdp
	# And on the client link, for two reasons. An skb that crosses a veth keeps the
	# hash its sender's socket gave it (sk_txhash, random, and redrawn by TCP now and
	# then), and RPS below would steer by that: a few packets of a flow would reach
	# the LB on another CPU than the rest, whose conntrack does not know them. A
	# frame that went through XDP is a new skb, hashed by its addresses and ports as
	# a NIC's RSS does. And shoal-flood (tests/tools) sends with XDP_TX from the
	# client, which a veth takes only when its peer runs XDP.
	ip -n "$(ns_name router)" link set dev eth-client xdpdrv obj "$T_WORK/pass.o" sec xdp
	# RSS. The XDP program's conntrack is per CPU, as on a real NIC whose RSS
	# keeps each flow on one queue and one CPU. veth has no RSS, so the router
	# stands in for it: RPS spreads client flows over the CPUs by their hash, and
	# XPS sends what CPU k forwards to the LB's queue k, whose NAPI (and XDP
	# program) then runs on CPU k. Without it a flow's packets reach the LB on
	# whichever CPU the sender happened to run, and conntrack forgets flows.
	in_ns_sys router sh -c "echo $(hexmask "$T_NCPU") > /sys/class/net/eth-client/queues/rx-0/rps_cpus"
	for ((n = 0; n < T_NCPU; n++)); do
		in_ns_sys router sh -c "printf '%x' $((1 << n)) > /sys/class/net/eth-lb/queues/tx-$n/xps_cpus"
	done
	T_GATEWAY_MAC=$(mac_of router eth-lb)
}

# Neighbours resolved before any test traffic: a packet the router queues while it
# resolves a neighbour leaves later from whichever CPU gets the answer, which
# would place that one flow on two CPUs' conntrack (harmless, but it spoils the
# exact conntrack figures the tests print).
topo_warm() {
	local n a
	for a in "$RT_CL4" "$RT_CL6"; do pings client "$a"; done
	for a in "$LB4" "$LB6"; do pings router "$a"; done
	for ((n = 1; n <= T_NREALS; n++)); do
		for a in "$(real4 "$n")" "$(real6 "$n")"; do pings router "$a"; done
		for a in "$CLIENT4" "$CLIENT6"; do pings "real$n" "$a"; done
	done
}
pings() { in_ns_t 5 "$1" ping -q -c1 -W2 "$2" >/dev/null || echo "warning: $1 cannot ping $2" >&2; }

# shoal-real and nginx on every real: the VIPs on lo, the decap program, and an
# HTTP server on the VIPs that answers with the real's name.
topo_reals_up() {
	local n dir
	mkdir -p "$T_WORK/www/big"
	head -c $((BLOB_MB << 20)) /dev/urandom >"$T_WORK/www/big/blob"
	BLOB_SHA=$(sha256sum "$T_WORK/www/big/blob" | cut -d' ' -f1)
	for ((n = 1; n <= T_NREALS; n++)); do
		in_ns_t 30 "real$n" "$SHOAL_REAL" setup --iface "$UPLINK" \
			--vip "$VIP4_IPIP" --vip "$VIP4_GUE" --vip "$VIP6_IPIP" --vip "$VIP6_GUE" \
			--tunnel-addr "$(real4 "$n")" --tunnel-addr "$(real6 "$n")" >/dev/null
		dir=$T_WORK/real$n
		mkdir -p "$dir"
		cat >"$dir/nginx.conf" <<-EOF
			user root;
			worker_processes 2;
			pid $dir/nginx.pid;
			error_log $dir/error.log warn;
			events { worker_connections 4096; }
			http {
			    access_log off;
			    keepalive_timeout 10;
			    server {
			        listen $VIP4_IPIP:$HTTP_PORT backlog=4096;
			        listen $VIP4_GUE:$HTTP_PORT backlog=4096;
			        listen [$VIP6_IPIP]:$HTTP_PORT backlog=4096;
			        listen [$VIP6_GUE]:$HTTP_PORT backlog=4096;
			        add_header X-Real real$n always;
			        location = / { default_type text/plain; return 200 "real$n\n"; }
			        location /big/ { root $T_WORK/www; limit_rate $BLOB_RATE; }
			    }
			}
		EOF
		in_ns_t 10 "real$n" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
	done
	# Every real answers on every VIP once the LB is there; until then, check that
	# nginx runs.
	for ((n = 1; n <= T_NREALS; n++)); do
		[[ -s $T_WORK/real$n/nginx.pid ]] || { echo "nginx did not start on real$n" >&2; return 1; }
	done
	# Where shoal-real keeps each real's state (pins, /run/shoal-real/netns-N): what
	# topo_real_kill leaves behind and topo_leftovers checks.
	local pins
	for ((n = 1; n <= T_NREALS; n++)); do
		pins=$(in_ns_t 10 "real$n" "$SHOAL_REAL" status --iface "$UPLINK" |
			awk '$1 == "pins:" { print $2 }') || true
		T_REAL_PINS[n]=$pins T_REAL_STATE[n]=
		pins=${pins%/*}
		[[ -z $pins ]] || T_REAL_STATE[n]=/run/shoal-real/${pins##*/}
		T_NGINX_PIDS[n]=$(cat "$T_WORK/real$n/nginx.pid")
	done
}

# topo_config FILE "ADDR PORT ENCAP realN:W ..." ...
# Writes an lb.json: an IPv4 VIP's reals are the reals' IPv4 tunnel addresses, an
# IPv6 VIP's their IPv6 ones.
topo_config() {
	local file=$1 spec vips=() a port encap r n w reals a_real
	shift
	for spec in "$@"; do
		read -r a port encap reals <<<"$spec"
		local rs=()
		for r in $reals; do
			n=${r%%:*} n=${n#real} w=${r#*:}
			if [[ $a == *:* ]]; then a_real=$(real6 "$n"); else a_real=$(real4 "$n"); fi
			rs+=("{\"address\": \"$a_real\", \"weight\": $w}")
		done
		vips+=("{\"address\": \"$a\", \"port\": $port, \"protocol\": \"tcp\", \"encap\": \"$encap\", \"reals\": [$(
			IFS=,
			echo "${rs[*]}"
		)]}")
	done
	jq . >"$file" <<-EOF
		{
		  "lb": {
		    "ipv4_src": "$LB4", "ipv6_src": "$LB6", "gateway_mac": "$T_GATEWAY_MAC",
		    "hash_key": "5e2e5e2e00112233445566778899aabb",
		    "ring_size": 65537, "conntrack_size": 65536
		  },
		  "vips": [$(
			IFS=,
			echo "${vips[*]}"
		)]
		}
	EOF
}

# The arguments that pick and place this run's dataplane.
backend_args() {
	if backend_is afxdp; then
		echo --backend afxdp --state-dir "$T_STATE"
	else
		echo --backend xdp --pin-root "$T_PINS"
	fi
}

# shoald on the LB's link to the router (native XDP, or AF_XDP on every queue), with
# ARGS added; returns once it answers.
topo_shoald_start() {
	local cfg=${1:?topo_shoald_start CONFIG [ARGS]} i
	shift
	# nsenter execs shoald: $! is shoald's pid (a backgrounded shell function would
	# give a subshell's).
	# shellcheck disable=SC2046 # backend_args: one argument a word
	nsenter --net="$(ns_path lb)" "$SHOALD" --config "$cfg" --iface "$UPLINK" \
		--socket "$T_SOCK" $(backend_args) --max-vips 8 "$@" >>"$T_WORK/shoald.log" 2>&1 &
	T_SHOALD_PID=$!
	for ((i = 0; i < 200; i++)); do
		if [[ -S $T_SOCK ]] && ctl show >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$T_SHOALD_PID" 2>/dev/null; then
			echo "shoald exited:" >&2
			tail -20 "$T_WORK/shoald.log" >&2
			T_SHOALD_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "shoald did not answer on $T_SOCK in 20 s" >&2
	return 1
}

# SIGTERM: shoald exits, the XDP program stays attached and forwarding.
topo_shoald_stop() {
	local i
	[[ -n $T_SHOALD_PID ]] || return 0
	kill -TERM "$T_SHOALD_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$T_SHOALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$T_SHOALD_PID" 2>/dev/null; then
		echo "shoald did not exit on SIGTERM in 10 s; killing it" >&2
		kill -KILL "$T_SHOALD_PID" 2>/dev/null
	fi
	wait "$T_SHOALD_PID" 2>/dev/null || true
	T_SHOALD_PID=
}

# Everything this run made, in reverse; quiet, and safe to call twice.
topo_down() {
	set +e
	local n pid
	[[ -n ${T_WORK:-} ]] || return 0
	T_LAST_WORK=$T_WORK
	topo_shoald_stop 2>/dev/null
	dl_kill_all
	reqloop_kill_all
	cap_kill_all
	if ((T_UP)); then
		[[ -e /var/run/netns/$(ns_name lb) ]] &&
			in_ns_t 30 lb "$SHOALD" --iface "$UPLINK" $(backend_args) --unload >/dev/null 2>&1
		# A real whose namespace went (topo_real_kill) cannot be torn down: what
		# shoal-real left for it goes with shoal-real prune (from the host).
		((${#T_GONE[@]} == 0)) || timeout 30 "$SHOAL_REAL" prune >/dev/null 2>&1
		for ((n = 1; n <= T_NREALS; n++)); do
			pid=$(cat "$T_WORK/real$n/nginx.pid" 2>/dev/null)
			[[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
			[[ -e /var/run/netns/$(ns_name "real$n") ]] &&
				in_ns_t 30 "real$n" "$SHOAL_REAL" teardown --iface "$UPLINK" >/dev/null 2>&1
		done
		for ((n = 1; n <= T_NREALS; n++)); do
			pid=$(cat "$T_WORK/real$n/nginx.pid" 2>/dev/null)
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then break; fi
				sleep 0.1
			done
		done
		for n in "${T_NAMESPACES[@]}"; do
			ip netns del "$(ns_name "$n")" 2>/dev/null
		done
	fi
	rm -rf "$T_PINS" "$T_WORK"
	T_UP=0 T_WORK=
}

# topo_start VIPSPEC...: the whole topology, the reals serving, shoald running with
# a config of these VIPs (see topo_config), neighbours resolved.
topo_start() {
	topo_up
	topo_reals_up
	topo_warm
	T_CONFIG=$T_WORK/lb.json
	topo_config "$T_CONFIG" "$@"
	topo_shoald_start "$T_CONFIG"
}

# --- faults -----------------------------------------------------------------------

# SIGKILL: shoald gets no chance to clean up (its control socket file stays). The
# XDP program keeps forwarding from the pinned maps, as after SIGTERM; AF_XDP stops
# (its steering program stays, dropping VIP frames, until the next start).
topo_shoald_kill9() {
	local i
	[[ -n $T_SHOALD_PID ]] || return 1
	kill -KILL "$T_SHOALD_PID" 2>/dev/null || return 1
	for ((i = 0; i < 100; i++)); do
		kill -0 "$T_SHOALD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$T_SHOALD_PID" 2>/dev/null || true
	T_SHOALD_PID=
}

# topo_real_kill N: real N disappears, as a machine that dies: every process in its
# namespace is killed (SIGKILL: nginx), the namespace is deleted, and with it its
# veth and the router's end of it. Nothing is torn down: shoal-real's pins and
# state for that namespace stay behind until `shoal-real prune` (topo_down runs
# it). Returns once the router's eth-realN is gone.
topo_real_kill() {
	local n=$1 ns pids i
	ns=$(ns_name "real$n")
	T_GONE+=("$n")
	rm -f "$T_WORK/real$n/nginx.pid" # killed here; topo_down must not signal a reused pid
	pids=$(ip netns pids "$ns")
	# shellcheck disable=SC2086 # one pid a word
	[[ -z $pids ]] || kill -KILL $pids 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		[[ -z $(ip netns pids "$ns") ]] && break
		sleep 0.1
	done
	ip netns del "$ns" || return 1
	for ((i = 0; i < 100; i++)); do
		ip -n "$(ns_name router)" link show dev "eth-real$n" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	echo "real$n: the router's eth-real$n still exists 10 s after its namespace was deleted" >&2
	return 1
}

# topo_leftovers: after topo_down, one line for each thing of this run still there:
# namespaces, shoald's pins, a real's shoal-real pins or state, an nginx, the files.
topo_leftovers() {
	local n x
	for x in $(ip netns list | awk '{ print $1 }'); do
		[[ $x == "$T_TAG"-* ]] && echo "namespace $x"
	done
	[[ -e $T_PINS ]] && echo "shoald pins $T_PINS"
	for n in "${!T_REAL_PINS[@]}"; do
		x=${T_REAL_PINS[n]}
		[[ -n $x && -e ${x%/*} ]] && echo "real$n: shoal-real pins ${x%/*}"
		x=${T_REAL_STATE[n]}
		[[ -n $x && -e $x ]] && echo "real$n: shoal-real state $x"
	done
	for n in "${!T_NGINX_PIDS[@]}"; do
		grep -qs "$T_TAG" "/proc/${T_NGINX_PIDS[n]}/cmdline" && echo "real$n: nginx pid ${T_NGINX_PIDS[n]}"
	done
	[[ -n ${T_LAST_WORK:-} && -e $T_LAST_WORK ]] && echo "files $T_LAST_WORK"
	return 0
}

# --- request loops and captures ---------------------------------------------------

# reqloop_start NAME VIP [CONNECT_TIMEOUT [FIRST_PORT]]: requests to VIP in the
# background, one curl after another (a new connection each, Connection: close),
# until reqloop_stop NAME. One line per request in reqloop_out NAME, as `requests`
# prints them: "HTTP_CODE REAL CLIENT_PORT" (REAL "-" when nothing came back).
# A failed connection's client port is known only with FIRST_PORT: the requests
# then use FIRST_PORT, FIRST_PORT + 1, ... (keep it out of the ephemeral range);
# without it, a connection that failed shows port 0. (Not curl --parallel: curl
# 7.88 starts a queued transfer's connect timeout when it is queued, and fails it
# unsent, "Failed to resolve host ... after 0 ms", once others time out.)
declare -A LOOP_PID=()
reqloop_start() {
	local name=$1 vip=$2 ct=${3:-3} port0=${4:-} f=$T_WORK/loop/$1
	mkdir -p "$T_WORK/loop"
	rm -f "$f.stop"
	: >>"$f.out"
	(
		trap - EXIT
		u=$(url "$vip")
		p=$port0 lp=()
		while [[ ! -e $f.stop ]]; do
			[[ -z $port0 ]] || lp=(--local-port "$p")
			r=$(timeout $((ct + 5)) nsenter --net="$(ns_path client)" curl -s -o /dev/null "${lp[@]}" \
				-H 'Connection: close' --connect-timeout "$ct" --max-time $((ct + 2)) \
				-w '%{http_code} %{local_port} %header{x-real}\n' "$u" 2>/dev/null) || true
			read -r code port real <<<"$r"
			[[ -z $port0 ]] || port=$p
			echo "${code:-000} ${real:--} ${port:-0}" >>"$f.out"
			[[ -z $port0 ]] || p=$((p + 1))
		done
	) &
	LOOP_PID[$name]=$!
}
reqloop_out() { echo "$T_WORK/loop/$1.out"; }
# reqloop_stop NAME: asks the loop to stop after its current request, waits for it.
reqloop_stop() {
	local pid=${LOOP_PID[$1]:-} i
	[[ -n $pid ]] || return 0
	touch "$T_WORK/loop/$1.stop"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "LOOP_PID[$1]"
}
reqloop_kill_all() {
	local n
	for n in "${!LOOP_PID[@]}"; do
		touch "$T_WORK/loop/$n.stop"
		kill "${LOOP_PID[$n]}" 2>/dev/null
	done
}

# cap_start NAME NS IF TCPDUMP_ARGS...: tcpdump on IF in namespace NS, writing
# cap_file NAME; returns once it listens. cap_stop NAME ends it (SIGINT) and
# waits; cap_dropped NAME is then the number of packets the kernel dropped for it.
declare -A CAP_PIDS=()
cap_start() {
	local name=$1 ns=$2 ifn=$3 f=$T_WORK/cap/$1 i
	shift 3
	mkdir -p "$T_WORK/cap"
	timeout 300 nsenter --net="$(ns_path "$ns")" tcpdump -i "$ifn" -n -U -B 8192 \
		-w "$f.pcap" "$@" 2>"$f.err" &
	CAP_PIDS[$name]=$!
	for ((i = 0; i < 100; i++)); do
		grep -qs "listening on" "$f.err" && return 0
		sleep 0.1
	done
	echo "tcpdump $name did not start: $(cat "$f.err")" >&2
	return 1
}
cap_stop() {
	local pid=${CAP_PIDS[$1]:-}
	[[ -n $pid ]] || return 0
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "CAP_PIDS[$1]"
}
cap_file() { echo "$T_WORK/cap/$1.pcap"; }
cap_dropped() { awk '/dropped by kernel/ { print $1 }' "$T_WORK/cap/$1.err"; }
cap_kill_all() {
	local n
	for n in "${!CAP_PIDS[@]}"; do kill -INT "${CAP_PIDS[$n]}" 2>/dev/null; done
}
# pcap_flows FILE: one line per IP packet of an Ethernet pcap:
# "OUTER_DST SRC SPORT DST DPORT TCP_FLAGS", the tunnel taken off (IPIP, IP6IP6,
# 4in6, 6in4, GUE to port 6080); OUTER_DST "-" for a packet not in a tunnel.
pcap_flows() { /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/pcap_flows.py" "$@"; }

# --- checks -----------------------------------------------------------------------
T_FAILS=0
ok() { echo "ok   - $*"; }
fail() {
	echo "FAIL - $*"
	T_FAILS=$((T_FAILS + 1))
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
# within A B TOL: |A - B| <= TOL (decimals allowed)
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
finish() {
	if ((T_FAILS)); then
		echo "$T_FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

# --- measuring ------------------------------------------------------------------

# url VIP [PATH]: the URL of VIP on the HTTP port.
url() { if [[ $1 == *:* ]]; then echo "http://[$1]:$HTTP_PORT${2:-/}"; else echo "http://$1:$HTTP_PORT${2:-/}"; fi; }

# requests VIP COUNT [PARALLEL]: COUNT requests from the client, each on a new
# connection; prints one line per request: "HTTP_CODE REAL CLIENT_PORT" (REAL "-"
# when nothing came back). curl keeps going after a failed request.
requests() {
	local vip=$1 count=$2 par=${3:-1} cfg i
	cfg=$(mktemp "$T_WORK/curl.XXXX")
	for ((i = 0; i < count; i++)); do
		printf 'url = "%s"\noutput = "/dev/null"\n' "$(url "$vip")"
	done >"$cfg"
	local p=()
	((par > 1)) && p=(--parallel --parallel-max "$par")
	# curl exits non-zero when a transfer fails: that is a line "000 ...", not an
	# error of this function (which, under set -e and pipefail, would end the test
	# without a word).
	{ in_ns_t $((30 + count / 10)) client curl -s --no-progress-meter -K "$cfg" "${p[@]}" \
		-H 'Connection: close' --connect-timeout 3 --max-time 5 \
		-w '%{http_code} %{local_port} %header{x-real}\n' 2>/dev/null || true; } |
		awk -v n="$count" '{ print $1, ($3 == "" ? "-" : $3), $2 }
			END { for (i = NR; i < n; i++) print "000 - 0" }' # curl cut short: not answered
	rm -f "$cfg"
}

# --- long downloads ---------------------------------------------------------------
# dl_start NAME VIP LOCAL_PORT: starts, in the background, a download of /big/blob
# (BLOB_MB MB at BLOB_RATE) from VIP, from a fixed client port (so that the real
# holding it can be found with ss). Results in $T_WORK/dl/NAME.*.
declare -A DL_PID=() DL_PORT=()
dl_start() {
	local name=$1 vip=$2 port=$3 f=$T_WORK/dl/$1
	mkdir -p "$T_WORK/dl"
	(
		rc=0
		timeout 120 nsenter --net="$(ns_path client)" curl -s --local-port "$port" -o "$f.body" -D "$f.hdr" \
			--connect-timeout 3 -w '%{http_code} %{size_download}\n' "$(url "$vip" /big/blob)" \
			>"$f.out" 2>"$f.err" &
		echo $! >"$f.pid"
		wait $! || rc=$?
		echo "$rc" >"$f.rc"
	) &
	DL_PORT[$name]=$port
	while [[ ! -s $f.pid ]]; do sleep 0.01; done
	DL_PID[$name]=$(cat "$f.pid") # timeout's: it passes a TERM on to curl
}
dl_running() { [[ ! -e $T_WORK/dl/$1.rc ]]; }
# dl_owner NAME: the real that holds the download's connection (ss on every real).
dl_owner() {
	local n i
	for ((i = 0; i < 50; i++)); do
		for ((n = 1; n <= T_NREALS; n++)); do
			if [[ -n $(in_ns_t 5 "real$n" ss -Htn state established "( dport = :${DL_PORT[$1]} )") ]]; then
				echo "real$n"
				return 0
			fi
		done
		sleep 0.1
	done
	echo none
}
dl_wait() { # dl_wait NAME [SECONDS]
	local i
	for ((i = 0; i < ${2:-120} * 10; i++)); do
		dl_running "$1" || return 0
		sleep 0.1
	done
	return 1
}
# dl_result NAME: "rc=N code=N bytes=N sha=ok|bad real=realN"
dl_result() {
	local f=$T_WORK/dl/$1 code bytes sha
	read -r code bytes <"$f.out" || true
	if [[ -e $f.body ]] && [[ $(sha256sum "$f.body" | cut -d' ' -f1) == "$BLOB_SHA" ]]; then sha=ok; else sha=bad; fi
	echo "rc=$(cat "$f.rc" 2>/dev/null || echo none) code=${code:-000} bytes=${bytes:-0} sha=$sha" \
		"real=$(awk 'tolower($1) == "x-real:" { print $2 }' "$f.hdr" 2>/dev/null | tr -d '\r')"
}
# dl_intact NAME [OWNER [WHAT]]: waits for download NAME, prints its result, and
# checks it completed byte for byte (from real OWNER, if given); 1 when it did not.
dl_intact() {
	local r
	dl_wait "$1" 60 || true
	r=$(dl_result "$1")
	echo "     download $1${3:+ $3}${2:+ (started on $2)}: $r"
	# shellcheck disable=SC2053 # an empty OWNER matches any real
	if [[ $r == "rc=0 code=200 bytes=$((BLOB_MB << 20)) sha=ok real="${2:-*} ]]; then
		ok "download $1 complete and intact"
	else
		fail "download $1 complete and intact"
		return 1
	fi
}
dl_kill_all() {
	local n
	for n in "${!DL_PID[@]}"; do kill "${DL_PID[$n]}" 2>/dev/null; done
}

# client_ports LOW HIGH: the client's ephemeral port range. The kernel advances
# through it (2 to 16 ports a connection) and reuses a port only after going round:
# a fresh range for each phase of a test keeps each phase's connections its own
# (a reused port is still a new flow to the LB: a SYN never reads conntrack).
client_ports() { sysctls client "net.ipv4.ip_local_port_range=$1 $2"; }

# tally: reads "CODE REAL" lines; prints "sent=N answered=N real1=N ..." (answered = 200s)
tally() {
	awk -v nreals="$T_NREALS" '
		{ sent++; if ($1 == 200) { ok++; by[$2]++ } }
		END {
			printf "sent=%d answered=%d", sent, ok
			for (n = 1; n <= nreals; n++) printf " real%d=%d", n, by["real" n]
			for (k in by) if (k !~ /^real[0-9]+$/) printf " other=%d", by[k]
			printf "\n"
		}'
}

# field KEY LINE: the value of KEY=VALUE in a tally line
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# vip_key ADDR: the VIP as shoalctl names it (ADDR:80/tcp, [ADDR]:80/tcp)
vip_key() { if [[ $1 == *:* ]]; then echo "[$1]:$HTTP_PORT/tcp"; else echo "$1:$HTTP_PORT/tcp"; fi; }
# stats_json: shoalctl stats --json
stats_json() { ctl stats --json; }
# real_packets STATS VIP_ADDR REAL_ADDR: that real's packet counter (over all its VIPs)
real_packets() {
	jq -r --arg v "$(vip_key "$2")" --arg r "$3" \
		'[.vips[] | select(.vip == $v) | .reals[] | select(.address == $r) | .packets][0] // 0' <<<"$1"
}
vip_packets() { jq -r --arg v "$(vip_key "$2")" '[.vips[] | select(.vip == $v) | .packets][0] // 0' <<<"$1"; }
vip_bytes() { jq -r --arg v "$(vip_key "$2")" '[.vips[] | select(.vip == $v) | .bytes][0] // 0' <<<"$1"; }
counter() { jq -r --arg c "$2" '.counters[$c] // 0' <<<"$1"; }
