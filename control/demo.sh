#!/usr/bin/env bash
# shoal's demo: install what is missing, build, and forward demo traffic
# through the forwarding core with shoal-replay. Needs no NIC.
#   bash control/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/deps.sh
[[ -d build ]] || meson setup build --buildtype=release
ninja -C build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 control/examples/demo_traffic.py "$work/in.pcap" 1000
echo "== shoal-replay: 1000 TCP flows to 198.18.100.1:80 (weights 1:1:2, IPIP)"
echo "==               1000 UDP flows to [2001:db8:100::1]:53 (GUE), a ping, a too-big segment"
build/control/shoal-replay --config control/examples/lb.json --in "$work/in.pcap" \
	--out "$work/out.pcap"
echo "== the first packets out (outer headers, then the untouched inner packet):"
tcpdump -n -r "$work/out.pcap" -c 4 2>/dev/null
