# SPDX-License-Identifier: BSD-3-Clause
"""
Shared machinery of the AF_XDP backend tests (tests/afxdp): a pair of network
namespaces joined by a veth (the LB side runs shoald --backend afxdp, the peer
injects frames and captures what the LB transmits), shoald and shoalctl, and a
frame sender run inside the peer namespace.

Only 198.18.0.0/15 and 2001:db8::/32 appear in frames; the namespaces are this
process's own (named after its pid) and are removed by Lab.close(). Every
external command runs under a timeout.

Run with /usr/bin/python3 (scapy); needs root. Also a script:
    afxdplib.py send IFACE PCAP [GAP_US [BATCH]]   (used inside the peer namespace)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "pkts"))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "golden"))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "diff"))

import shoalpkts as P  # noqa: E402
import goldenlib as G  # noqa: E402,F401  (tests use A.G)

PY = "/usr/bin/python3"
# Largest MTU a veth takes with a (non-frags) XDP program on either end: the
# kernel refuses more ("Peer MTU is too large to set XDP").
VETH_XDP_MTU = 3506
ERROR_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} error: (.*)$")


class CannotRun(Exception):
    """The test cannot run here (not root, a tool missing): a failure, never a skip."""


def need_root_and_tools(*tools):
    if os.geteuid() != 0:
        raise CannotRun("needs root (namespaces, XDP, AF_XDP)")
    for t in ("ip", "nsenter", "ethtool", "bpftool", "tcpdump") + tools:
        if not shutil.which(t):
            raise CannotRun("needs %s in PATH" % t)


def sh(*cmd, check=True, timeout=60, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s: rc %d: %s" % (" ".join(cmd), p.returncode,
                                                (p.stderr or p.stdout).strip()))
    return p


def in_ns(ns, *cmd):
    """nsenter keeps the host's /sys/fs/bpf (ip netns exec mounts its own /sys)."""
    return ["nsenter", "--net=/var/run/netns/%s" % ns, *cmd]


def in_ns_sys(ns, *cmd):
    """ip netns exec: the namespace's own /sys (its interfaces' queues, sysctls)."""
    return ["ip", "netns", "exec", ns, *cmd]


class Build:
    def __init__(self, root):
        root = os.path.abspath(root)
        self.shoald = os.path.join(root, "control", "shoald")
        self.shoalctl = os.path.join(root, "control", "shoalctl")
        self.replay = os.path.join(root, "control", "shoal-replay")
        for b in (self.shoald, self.shoalctl, self.replay):
            if not os.access(b, os.X_OK):
                raise CannotRun("%s is not built" % b)


class Lab:
    """Two namespaces, LB and peer, and a veth between them; a work directory."""

    def __init__(self, tag, queues=1, mtu=VETH_XDP_MTU):
        self.tag = "%s%d" % (tag, os.getpid() % 100000)
        self.ns_lb, self.ns_peer = self.tag + "lb", self.tag + "pe"
        self.lb_if, self.peer_if = self.tag + "a", self.tag + "b"
        self.work = tempfile.mkdtemp(prefix="shoal-afxdp-%s-" % tag)
        self.state_dir = os.path.join(self.work, "state")
        self.sock = os.path.join(self.work, "ctl.sock")
        self.extra_links = []
        try:
            for ns in (self.ns_lb, self.ns_peer):
                sh("ip", "netns", "add", ns)
                # No IPv6 (router solicitations, MLD): nothing but the test's frames on the wire.
                sh(*in_ns_sys(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                              "net.ipv6.conf.default.disable_ipv6=1"))
            q = ["numrxqueues", str(queues), "numtxqueues", str(queues)]
            sh("ip", "link", "add", self.lb_if, "netns", self.ns_lb, *q, "type", "veth",
               "peer", self.peer_if, "netns", self.ns_peer, *q)
            for ns, ifname in ((self.ns_lb, self.lb_if), (self.ns_peer, self.peer_if)):
                sh("ip", "-n", ns, "link", "set", ifname, "mtu", str(mtu))
                # Frames leave as written: no checksum filled in, no VLAN tag moved.
                sh(*in_ns(ns, "ethtool", "-K", ifname, "tx", "off", "txvlan", "off",
                          "rxvlan", "off"))
                sh("ip", "-n", ns, "link", "set", ifname, "up")
        except BaseException:
            self.close()
            raise

    def close(self):
        for ns in (self.ns_lb, self.ns_peer):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        shutil.rmtree(self.work, ignore_errors=True)

    # ---- what is attached ----

    def xdp_progs(self, ns=None, ifname=None):
        """Names of the XDP programs on the LB interface (bpftool net, in the namespace)."""
        out = sh(*in_ns(ns or self.ns_lb, "bpftool", "-j", "net", "show")).stdout
        names = []
        for section in json.loads(out):
            for e in section.get("xdp", []):
                if ifname is None or e.get("devname") == (ifname or self.lb_if):
                    names.append(prog_name(e["id"]))
        return names

    def link_has_xdp(self, ns=None, ifname=None):
        """ip -d link show: does the interface carry an XDP program (prog/xdp ...)?"""
        out = sh("ip", "-n", ns or self.ns_lb, "-d", "-j", "link", "show", "dev",
                 ifname or self.lb_if).stdout
        link = json.loads(out)[0]
        return "xdp" in link

    # ---- shoald ----

    def shoald_cmd(self, build, cfg_path, *args, iface=None):
        return in_ns(self.ns_lb, build.shoald, "--backend", "afxdp", "--config", cfg_path,
                     "--iface", iface or self.lb_if, "--state-dir", self.state_dir,
                     "--socket", self.sock, *args)

    def shoald_start(self, build, cfg_path, *args, log_name="shoald.log"):
        log_path = os.path.join(self.work, log_name)
        log = open(log_path, "a")
        p = subprocess.Popen(self.shoald_cmd(build, cfg_path, *args), stdout=log, stderr=log)
        log.close()
        p.log_path = log_path
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise AssertionError("shoald exited %d: %s" % (p.returncode, read(log_path)[-3000:]))
            if os.path.exists(self.sock) and self.ctl(build, "show", check=False).returncode == 0:
                return p
            time.sleep(0.05)
        p.kill()
        p.wait(10)
        raise AssertionError("shoald did not answer on %s in 15 s: %s" % (
            self.sock, read(log_path)[-3000:]))

    def ctl(self, build, *args, check=True):
        return sh(build.shoalctl, "--socket", self.sock, *args, check=check, timeout=20)

    def stats(self, build):
        return json.loads(self.ctl(build, "stats", "--json").stdout)


def shoald_stop(p, sig=signal.SIGTERM):
    if p and p.poll() is None:
        p.send_signal(sig)
        p.wait(timeout=20)
    return p.returncode if p else None


def prog_name(prog_id):
    out = sh("bpftool", "-j", "prog", "show", "id", str(prog_id)).stdout
    return json.loads(out).get("name", "?")


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def error_lines(text):
    return [m.group(1) for m in map(ERROR_LINE.match, text.splitlines()) if m]


# ---- capture on the peer ----

class Capture:
    """tcpdump on the peer, frames arriving from the LB only (-Q in)."""

    def __init__(self, lab, name="cap", ns=None, ifname=None, bpf_filter=()):
        self.path = os.path.join(lab.work, name + ".pcap")
        self.err_path = os.path.join(lab.work, name + ".err")
        err = open(self.err_path, "w")
        self.p = subprocess.Popen(
            in_ns(ns or lab.ns_peer, "timeout", "600", "tcpdump", "-i", ifname or lab.peer_if,
                  "-Q", "in", "-n", "-s", "0", "-B", "65536", "-U", "--immediate-mode",
                  "-w", self.path, *bpf_filter),
            stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        deadline = time.monotonic() + 10
        while "listening on" not in read(self.err_path):
            if self.p.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("tcpdump did not start: " + read(self.err_path))
            time.sleep(0.02)

    def count(self):
        """Frames written so far (whole records only)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return 0
        n, off = 0, 24
        while off + 16 <= len(data):
            caplen = int.from_bytes(data[off + 8:off + 12], "little")
            if off + 16 + caplen > len(data):
                break
            n, off = n + 1, off + 16 + caplen
        return n

    def stop(self):
        """The frames captured; fails if the kernel dropped any."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            self.p.wait(timeout=20)
        err = read(self.err_path)
        m = re.search(r"(\d+) packets? dropped by kernel", err)
        if m and int(m.group(1)):
            raise AssertionError("tcpdump: %s frames dropped by the kernel" % m.group(1))
        return P.read_pcap(self.path)


def wait_for(cond, seconds, step=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def send_pcap(lab, pcap_path, gap_us=0, batch=64, ns=None, ifname=None, cpu=None, timeout=300):
    """Send every frame of pcap_path from the peer, in order (see send_main)."""
    cmd = in_ns(ns or lab.ns_peer, PY, os.path.abspath(__file__), "send", ifname or lab.peer_if,
                pcap_path, str(gap_us), str(batch))
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    p = sh("timeout", str(timeout), *cmd, timeout=timeout + 10)
    return int(p.stdout.split()[0])


def send_main(argv):
    """
    Send each frame of a pcap on IFACE with an AF_PACKET socket, in order. GAP_US > 0:
    frame i leaves no earlier than i * GAP_US after the first (never closer together).
    Otherwise a pause of 1 ms after every BATCH frames keeps the receiving rings from
    overflowing. Prints the number sent.
    """
    ifname, path = argv[0], argv[1]
    gap_us = int(argv[2]) if len(argv) > 2 else 0
    batch = int(argv[3]) if len(argv) > 3 else 64
    frames = P.read_pcap(path)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((ifname, 0))
    t0 = time.monotonic()
    last = None
    for i, f in enumerate(frames):
        if gap_us > 0:
            # Never less than gap_us after the previous frame, whatever the sleeps do.
            target = t0 + i * gap_us / 1e6
            if last is not None:
                target = max(target, last + gap_us / 1e6)
            while True:
                now = time.monotonic()
                if now >= target:
                    break
                time.sleep(max(0.0, target - now - 0.0002) or 0)
        elif i and i % batch == 0:
            time.sleep(0.001)
        n = s.send(f)
        last = time.monotonic()
        if n != len(f):
            sys.exit("short send: frame %d, %d of %d bytes" % (i, n, len(f)))
    print(len(frames))


def run_replay(build, cfg_path, in_path, out_path):
    p = sh(build.replay, "--backend", "user", "--config", cfg_path, "--in", in_path,
           "--out", out_path, "--json", timeout=120)
    return json.loads(p.stdout), P.read_pcap(out_path)


def vip_key(v):
    """shoalctl's name of a VIP from shoal-replay's JSON entry."""
    addr = v["address"]
    addr = "[%s]" % addr if ":" in addr else addr
    return "%s:%d/%s" % (addr, v["port"], v["protocol"])


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "send":
        send_main(sys.argv[2:])
    else:
        sys.exit(__doc__)
