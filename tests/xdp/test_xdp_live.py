# SPDX-License-Identifier: BSD-3-Clause
"""
The XDP backend live on a veth pair between two network namespaces this test
creates and deletes (bounded: every command has a timeout, the namespaces and
pins go in all cases).

  1. cold start on the LB veth (native XDP), config A applied; the driver
     process exits leaving the dataplane forwarding (stop(keep_forwarding)).
  2. real frames sent from the client namespace come back (XDP_TX) tunnelled,
     byte for byte as shoal-replay --backend user makes them from config A.
  3. warm restart with config B (a real added to each VIP): the tables are
     recovered from the pinned maps, no map and no link is made anew (same
     ids), the new program is swapped into the link.
  4. data packets of the flows of step 2 keep their real (conntrack
     survived), even where config B's ring now picks another; new flows
     follow config B, again byte for byte.
  5. a restart asking for another ring_size is refused and changes nothing.
  6. unload: link detached, pins removed, nothing comes back any more.
  7. a peer MTU that lets frames outgrow a page is refused with the limit
     named; the largest MTU that fits attaches.

    /usr/bin/python3 tests/xdp/test_xdp_live.py path/to/xdp_live_ctl path/to/shoal-replay
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pkts"))

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET, PACKET_AUXDATA = 263, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40


def with_vlan_tag(data, ancdata):
    """
    The frame as it was on the wire: the kernel hands a packet socket VLAN-tagged
    frames untagged, the tag in PACKET_AUXDATA; put it back after the MACs.
    """
    import struct
    for level, kind, aux in ancdata:
        if level != SOL_PACKET or kind != PACKET_AUXDATA or len(aux) < 20:
            continue
        status, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", aux[:20])
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = 0x8100
            return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


# --- the client side: runs inside the client namespace ---------------------

def send_capture(ifname, in_pcap, out_pcap, gap_s=0.002, drain_s=0.4):
    """Send every frame of in_pcap on ifname; write what comes back to out_pcap."""
    import shoalpkts as P

    frames = P.read_pcap(in_pcap)
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    rx.bind((ifname, 0))
    rx.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    rx.setblocking(False)
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((ifname, 0))
    got = []

    def drain(until):
        while time.monotonic() < until:
            try:
                data, anc, _, addr = rx.recvmsg(65535, socket.CMSG_SPACE(64))
            except BlockingIOError:
                time.sleep(0.0005)
                continue
            if addr[2] != PACKET_OUTGOING:
                got.append(with_vlan_tag(data, anc))

    for f in frames:
        tx.send(f)
        drain(time.monotonic() + gap_s)
    drain(time.monotonic() + drain_s)
    P.write_pcap(out_pcap, got)


if len(sys.argv) > 1 and sys.argv[1] == "--send-capture":
    send_capture(*sys.argv[2:5])
    sys.exit(0)

# --- the test ------------------------------------------------------------------

import shoalpkts as P  # noqa: E402

CTL, REPLAY = (os.path.abspath(a) for a in sys.argv[1:3]) if len(sys.argv) >= 3 else (None, None)
TAG = "shx%d" % (os.getpid() % 100000)
NS_LB, NS_CL = TAG + "lb", TAG + "cl"
PIN_ROOT = "/sys/fs/bpf/" + TAG
IF_LB, IF_CL = "lb0", "cl0"
N_FLOWS = 48
SH_XDP_VETH_MAX_MTU = 3506  # backends/xdp/xdp_probe.h


def run(cmd, check=True, timeout=30):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode:
        raise AssertionError("%s: rc %d: %s" % (" ".join(cmd), p.returncode,
                                                 (p.stderr or p.stdout).strip()))
    return p


def in_ns(ns, *cmd, **kw):
    # nsenter, not "ip netns exec": that remounts /sys, hiding the bpf filesystem.
    return run(["nsenter", "--net=/var/run/netns/" + ns] + list(cmd), **kw)


def config(extra_real):
    reals4 = [P.real4(i) for i in range(1, 5)] + ([P.real4(5)] if extra_real else [])
    reals6 = [P.real6(i) for i in range(1, 4)] + [P.real4(6)] + ([P.real6(7)] if extra_real else [])
    return P.config([
        P.vip(P.VIP4, "tcp", 80, reals4),
        P.vip(P.VIP6, "tcp", 443, reals6, encap="gue"),
        P.vip(P.VIP4, "udp", 53, [P.real6(1), P.real6(2)], encap="gue"),
    ])


def flow(i, flags, seq=1000, payload=b""):
    if i % 2:
        return P.tcp_frame(P.client6(i), P.VIP6, 40000 + i, 443, flags, seq=seq, payload=payload)
    return P.tcp_frame(P.client4(i), P.VIP4, 40000 + i, 80, flags, seq=seq, payload=payload,
                       vlan=12 if i % 4 == 0 else None)


class Live:
    def __init__(self, work):
        self.work = work
        self.n = 0

    def path(self, name):
        return os.path.join(self.work, name)

    def apply(self, cfg, check=True):
        cfg_file = self.path("lb-%d.json" % self.n)
        self.n += 1
        P.write_config(cfg_file, cfg)
        p = in_ns(NS_LB, CTL, "apply", IF_LB, PIN_ROOT, cfg_file, check=check)
        return (json.loads(p.stdout) if p.returncode == 0 else None), p

    def exchange(self, frames):
        """Send frames from the client namespace (on CPU 0); the frames that come back."""
        name = "x%d" % self.n
        self.n += 1
        in_file, cap = self.path(name + "-in.pcap"), self.path(name + "-cap.pcap")
        P.write_pcap(in_file, frames)
        run(["taskset", "-c", "0", "nsenter", "--net=/var/run/netns/" + NS_CL, "/usr/bin/python3",
             os.path.abspath(__file__), "--send-capture", IF_CL, in_file, cap])
        return P.read_pcap(cap)

    def replay(self, cfg, frames):
        """What shoal-replay --backend user sends for frames under cfg."""
        name = "r%d" % self.n
        self.n += 1
        cfg_file, in_file = self.path(name + ".json"), self.path(name + "-in.pcap")
        out_file = self.path(name + "-out.pcap")
        P.write_config(cfg_file, cfg)
        P.write_pcap(in_file, frames)
        run([REPLAY, "--config", cfg_file, "--in", in_file, "--out", out_file, "--json"])
        return P.read_pcap(out_file)


def real_of(frame):
    """The outer destination (the real) of a tunnelled frame."""
    import ipaddress
    ip = frame[P.l2_len(frame):]
    if ip[0] >> 4 == 6:
        return str(ipaddress.IPv6Address(ip[24:40]))
    return str(ipaddress.IPv4Address(ip[16:20]))


def same_frames(got, want):
    """Equal lists of frames; else say where they first differ."""
    if got == want:
        return True
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            print("frame %d differs:\n  live   %s\n  replay %s" % (i, a.hex(), b.hex()))
            break
    else:
        print("live sent %d frames, replay %d" % (len(got), len(want)))
    return False


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok   " + what, flush=True)


def setup():
    run(["ip", "netns", "add", NS_LB])
    run(["ip", "netns", "add", NS_CL])
    run(["ip", "link", "add", IF_LB, "netns", NS_LB, "type", "veth", "peer", "name", IF_CL,
         "netns", NS_CL])
    for ns, ifname, mac in ((NS_LB, IF_LB, P.LB_MAC), (NS_CL, IF_CL, P.CLIENT_MAC)):
        in_ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        in_ns(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        in_ns(ns, "ip", "link", "set", ifname, "address", mac, "up")
        in_ns(ns, "ethtool", "-K", ifname, "tx", "off")
    # veth delivers XDP_TX frames to a peer only when the peer runs XDP too.
    in_ns(NS_CL, CTL, "pass", IF_CL)


def cleanup():
    for ns in (NS_LB, NS_CL):
        run(["ip", "netns", "del", ns], check=False)
    if os.path.isdir(PIN_ROOT):
        for root, dirs, files in os.walk(PIN_ROOT, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(PIN_ROOT)


def test(live):
    cfg_a, cfg_b = config(False), config(True)
    probe = in_ns(NS_LB, CTL, "probe", IF_LB, check=False)
    print("probe: " + probe.stdout.strip(), flush=True)

    # 1. Cold start.
    rep_a, _ = live.apply(cfg_a)
    check(not rep_a["recovered"] and "link" in rep_a["pins"] and len(rep_a["pins"]) == 10,
          "cold start: link and 9 maps pinned, nothing recovered")

    # 2. Forwarding with no daemon running, byte for byte as the userspace core.
    syns = [flow(i, "S") for i in range(N_FLOWS)]
    others = [P.udp_frame(P.client4(i), P.VIP4, 5000 + i, 53, payload=b"u" * i) for i in range(6)]
    others += [P.echo_frame(P.client4(1), P.VIP4), P.tcp_frame(P.client4(1), P.NOT_VIP4, 1, 80)]
    got = live.exchange(syns + others)
    want = live.replay(cfg_a, syns + others)
    check(len(want) == N_FLOWS + 7, "replay sends %d of %d frames" % (len(want), N_FLOWS + 8))
    check(same_frames(got, want), "live XDP_TX frames equal shoal-replay --backend user (%d frames)"
          % len(got))
    real_a = [real_of(f) for f in got[:N_FLOWS]]

    # 3. Warm restart with a real more per VIP.
    rep_b, _ = live.apply(cfg_b)
    check(rep_b["recovered"] and rep_b["recovered_reals"] == len(rep_a["reals"]),
          "warm start: tables recovered from the pinned maps (%d reals)"
          % rep_b["recovered_reals"])
    check(rep_b["reals"][:len(rep_a["reals"])] == rep_a["reals"],
          "warm start: every real kept its index")
    maps_a = {k: v for k, v in rep_a["pins"].items() if k != "link"}
    maps_b = {k: v for k, v in rep_b["pins"].items() if k != "link"}
    check(maps_a == maps_b, "warm start: no map made anew (same map ids)")
    check(rep_b["pins"]["link"]["id"] == rep_a["pins"]["link"]["id"],
          "warm start: the same link (never detached)")
    check(rep_b["pins"]["link"]["prog_id"] != rep_a["pins"]["link"]["prog_id"],
          "warm start: the new program swapped into the link")

    # 4. Established flows keep their real; new flows follow config B.
    acks = [flow(i, "PA", seq=2000, payload=b"data-%d" % i) for i in range(N_FLOWS)]
    news = [flow(i, "S") for i in range(N_FLOWS, N_FLOWS + 16)]
    got = live.exchange(acks + news)
    check(len(got) == len(acks) + len(news), "every data packet and new SYN sent back")
    check([real_of(f) for f in got[:N_FLOWS]] == real_a,
          "all %d established flows kept their real across the restart" % N_FLOWS)
    ring_b = [real_of(f) for f in live.replay(cfg_b, acks)]
    moved = sum(a != b for a, b in zip(real_a, ring_b))
    check(moved > 0, "%d of them would have moved by config B's ring alone" % moved)
    check(same_frames(got[:N_FLOWS], live.replay(cfg_a, acks)),
          "their bytes equal shoal-replay --backend user's")
    check(same_frames(got[N_FLOWS:], live.replay(cfg_b, news)), "new flows follow config B, byte for byte")

    # 5. A restart with another ring size is refused; the dataplane is untouched.
    rep_c, p = live.apply(P.config(cfg_b["vips"], ring_size=257), check=False)
    check(rep_c is None and "cold start" in p.stderr,
          "a new ring_size is refused: " + p.stderr.strip().splitlines()[-1])
    got = live.exchange(acks[:4])
    check([real_of(f) for f in got] == real_a[:4], "... and forwarding went on as it was")

    # 6. Unload.
    in_ns(NS_LB, CTL, "unload", IF_LB, PIN_ROOT)
    check(not os.path.exists(os.path.join(PIN_ROOT, IF_LB)), "unload: pins removed")
    link = in_ns(NS_LB, "ip", "link", "show", IF_LB).stdout
    check(" xdp" not in link and "prog/xdp" not in link, "unload: no XDP program on " + IF_LB)
    check(live.exchange(syns[:4]) == [], "unload: nothing comes back")

    # 7. A frame larger than a page cannot reach a program without multi-buffer
    # support: on veth the kernel refuses native XDP when the peer's MTU allows one.
    in_ns(NS_CL, "ip", "link", "set", IF_CL, "mtu", "9000")
    _, p = live.apply(cfg_a, check=False)
    why = [line for line in p.stderr.splitlines() if "MTU" in line]
    check(p.returncode != 0 and why and str(SH_XDP_VETH_MAX_MTU) in why[0],
          "peer MTU 9000: refused, naming the MTU limit: %s" % (why or p.stderr))
    check(not os.path.exists(os.path.join(PIN_ROOT, IF_LB)), "... and nothing is left pinned")
    in_ns(NS_CL, "ip", "link", "set", IF_CL, "mtu", str(SH_XDP_VETH_MAX_MTU))
    rep, _ = live.apply(cfg_a)
    check(rep is not None and "link" in rep["pins"],
          "peer MTU %d, the largest a page holds: attached" % SH_XDP_VETH_MAX_MTU)
    in_ns(NS_LB, CTL, "unload", IF_LB, PIN_ROOT)


def main():
    if not CTL or not REPLAY:
        sys.exit("usage: %s path/to/xdp_live_ctl path/to/shoal-replay" % sys.argv[0])
    if os.geteuid() != 0:
        print("CANNOT RUN: needs root (network namespaces, XDP)")
        sys.exit(1)
    for tool in ("ip", "nsenter", "ethtool", "taskset"):
        if not shutil.which(tool):
            print("CANNOT RUN: %s not found (run tests/deps.sh)" % tool)
            sys.exit(1)
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="shoal-xdp-live-")
    try:
        cleanup()
        setup()
        test(Live(work))
    finally:
        cleanup()
        shutil.rmtree(work, ignore_errors=True)
    print("xdp_live: ok (%.1f s)" % (time.monotonic() - t0))


if __name__ == "__main__":
    main()
