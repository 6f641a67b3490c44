#!/usr/bin/env bash
# Install what building and testing shoal needs on Debian 12 (apt only).
# Idempotent: installs only what is missing, so it is cheap to run every time.
set -euo pipefail

packages=(
	build-essential meson ninja-build pkg-config clang llvm gcc-multilib
	libbpf-dev libxdp-dev libelf-dev bpftool xdp-tools
	libpcap-dev libjansson-dev libcmocka-dev libclang-rt-14-dev
	python3-scapy tcpdump iproute2 ethtool
	# the AF_XDP bad-input test drops CAP_IPC_LOCK with capsh (tests/afxdp)
	libcap2-bin
	# the load-balancer end-to-end tests and the demo (tests/e2e/test_lb_*.sh, control/demo.sh)
	nginx wrk curl jq iputils-ping
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "shoal: need root to install: ${missing[*]}" >&2
		exit 1
	fi
	echo "shoal: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
