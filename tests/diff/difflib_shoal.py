# SPDX-License-Identifier: BSD-3-Clause
"""
The differential test's machinery: one pcap and one config through
shoal-replay --backend user (the core over userspace tables, as AF_XDP and
DPDK run it) and --backend xdp (the production XDP object in the kernel via
BPF_PROG_TEST_RUN). The two out.pcap files must be byte-identical and the two
JSON summaries equal, every counter included.

Run with /usr/bin/python3 (the interpreter with scapy); needs root (BPF).
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "pkts"))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "golden"))

import shoalpkts as P  # noqa: E402

# What BPF_PROG_TEST_RUN takes for XDP (backends/xdp/xdp_replay.h): frames outside
# this range cannot reach the XDP program, so they are not compared.
XDP_MIN_FRAME = 14
XDP_MAX_FRAME = 3520


def runnable(frame):
    return XDP_MIN_FRAME <= len(frame) <= XDP_MAX_FRAME


def need_root():
    """Fail, loudly, when BPF_PROG_TEST_RUN cannot be used: a skip would pass unseen."""
    if os.geteuid() != 0:
        print("CANNOT RUN: the XDP side needs root (BPF)")
        sys.exit(1)


class Mismatch(AssertionError):
    pass


def _replay(binary, backend, cfg_file, in_file, out_file):
    args = [binary, "--backend", backend, "--config", cfg_file, "--in", in_file,
            "--out", out_file, "--json"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Mismatch("shoal-replay --backend %s failed (rc %d): %s" % (
            backend, p.returncode, p.stderr.strip()))
    return json.loads(p.stdout), P.read_pcap(out_file)


def _json_diff(a, b, path=""):
    """Paths where two JSON values differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += _json_diff(a.get(k), b.get(k), "%s.%s" % (path, k) if path else k)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += _json_diff(x, y, "%s[%d]" % (path, i))
        return out
    return [] if a == b else ["%s: user %r, xdp %r" % (path, a, b)]


def compare(binary, name, cfg, frames, times_us=None, keep_dir=None):
    """
    Run frames (bytes or scapy packets) with config cfg through both backends;
    raise Mismatch naming the first difference. Returns the user summary.
    """
    frames = [bytes(f) for f in frames]
    with tempfile.TemporaryDirectory(prefix="shoal-diff-") as d:
        d = keep_dir or d
        cfg_file, in_file = os.path.join(d, "lb.json"), os.path.join(d, "in.pcap")
        P.write_config(cfg_file, cfg)
        P.write_pcap(in_file, frames, times_us=times_us)
        su, ou = _replay(binary, "user", cfg_file, in_file, os.path.join(d, "out-user.pcap"))
        sx, ox = _replay(binary, "xdp", cfg_file, in_file, os.path.join(d, "out-xdp.pcap"))
        with open(os.path.join(d, "out-user.pcap"), "rb") as f:
            bu = f.read()
        with open(os.path.join(d, "out-xdp.pcap"), "rb") as f:
            bx = f.read()
    problems = []
    if su["packets_in"] != len(frames):
        problems.append("user replay read %d of %d frames" % (su["packets_in"], len(frames)))
    if bu != bx:
        if len(ou) != len(ox):
            problems.append("out.pcap: user sent %d frames, xdp %d" % (len(ou), len(ox)))
        for i, (a, b) in enumerate(zip(ou, ox)):
            if a != b:
                problems.append("out.pcap frame %d differs:\n    user %s\n    xdp  %s" % (
                    i, a.hex(), b.hex()))
                break
        if len(ou) == len(ox) and not any(a != b for a, b in zip(ou, ox)):
            problems.append("out.pcap files differ outside the frames (headers or stamps)")
    problems += _json_diff(su, sx)
    if problems:
        raise Mismatch("%s: %d frames, user and xdp differ:\n  %s" % (
            name, len(frames), "\n  ".join(problems[:20])))
    return su
