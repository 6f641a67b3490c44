# SPDX-License-Identifier: BSD-3-Clause
"""
Differential test of the AF_XDP backend against shoal-replay, on real packets.

    /usr/bin/python3 tests/afxdp/test_afxdp_diff.py BUILD_DIR MODULE...

MODULE is a golden test module (test_encap, ...), or MODULE:K/N, as for
tests/diff/test_diff_golden.py, whose harvest() records every (config, frames)
the golden tests replay. For each config: the frames go into one pcap, which
shoal-replay --backend user runs; then shoald --backend afxdp (one queue, one
worker) serves the same config on a veth in a namespace of its own, the same
frames are sent on the veth's peer with an AF_PACKET socket, and tcpdump on the
peer captures what shoald transmits. Required, for every config:
  - the frames captured are byte-identical to shoal-replay's out.pcap, in order;
  - shoalctl stats reports exactly shoal-replay's counters, every one, and the
    same packets and bytes per VIP and per real.

Left out of the comparison, with the count printed:
  - replays that give their own capture times (test_balance's udp timeout, with
    gaps of seconds to 25 h): shoal-replay's clock is the capture's, shoald's
    is the real one;
  - frames under 14 bytes: an AF_PACKET socket pads them to an Ethernet header;
  - frames too long for the veth: with XDP attached a veth takes an MTU of at most
    3506, and the encapsulated copy (up to 48 bytes more) must fit too.
Conntrack choices depend on time only when a full bucket gives up a way (idle
longest goes); for a config where shoal-replay counts ct_evict, frames are sent
at least 1.5 ms apart (more than one conntrack tick, ~1.05 ms) and replayed
1.5 ms apart, so both see the same order of idle times.
"""
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import afxdplib as A  # noqa: E402
import test_diff_golden as DG  # noqa: E402

P = A.P
MIN_FRAME = 14
MAX_FRAME = A.VETH_XDP_MTU + 14 - 48  # the input, and its encapsulated copy, cross the veth
FAST_STEP_US = 10
PACED_STEP_US = 1500


def frames_of(calls, excluded):
    frames = []
    for fs, ts in calls:
        if ts is not None:
            excluded["own capture times (clock-dependent)"] += len(fs)
            continue
        for f in fs:
            if len(f) < MIN_FRAME:
                excluded["under 14 bytes"] += 1
            elif len(f) > MAX_FRAME:
                excluded["over %d bytes (veth MTU with XDP)" % MAX_FRAME] += 1
            else:
                frames.append(f)
    return frames


def stats_problems(summary, st):
    """Differences between shoal-replay's JSON summary and shoalctl stats --json."""
    problems = []
    want, got = summary["counters"], st["counters"]
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            problems.append("counter %s: replay %r, shoald %r" % (k, want.get(k), got.get(k)))
    vips = {v["vip"]: v for v in st["vips"]}
    reals = {}
    for v in st["vips"]:
        for r in v["reals"]:
            reals.setdefault(P.norm(r["address"]), (r["packets"], r["bytes"]))
    for v in summary["vips"]:
        key = A.vip_key(v)
        g = vips.get(key)
        if g is None:
            problems.append("vip %s: not in shoalctl stats" % key)
        elif (g["packets"], g["bytes"]) != (v["packets"], v["bytes"]):
            problems.append("vip %s: replay %d packets %d bytes, shoald %d packets %d bytes" % (
                key, v["packets"], v["bytes"], g["packets"], g["bytes"]))
    for r in summary["reals"]:
        addr = P.norm(r["address"])
        if addr not in reals:
            if r["packets"]:
                problems.append("real %s: %d packets in replay, not in shoalctl stats" % (
                    addr, r["packets"]))
            continue
        if reals[addr] != (r["packets"], r["bytes"]):
            problems.append("real %s: replay %d packets %d bytes, shoald %d packets %d bytes" % (
                addr, r["packets"], r["bytes"], reals[addr][0], reals[addr][1]))
    return problems


def frame_problems(want, got):
    problems = []
    if len(want) != len(got):
        problems.append("replay transmits %d frames, shoald %d" % (len(want), len(got)))
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            problems.append("frame %d of the output differs:\n    replay %s\n    shoald %s" % (
                i, a.hex(), b.hex()))
            break
    return problems


def verdicts(counters):
    return counters["tx"] + counters["pass"] + sum(counters[k] for k in DG.G.DROPS)


def run_config(build, lab, n, cfg, frames):
    d = os.path.join(lab.work, "c%d" % n)
    os.makedirs(d)
    cfg_path, in_path, out_path = (os.path.join(d, x) for x in ("lb.json", "in.pcap", "out.pcap"))
    P.write_config(cfg_path, cfg)
    step = FAST_STEP_US
    P.write_pcap(in_path, frames, step_us=step)
    summary, want = A.run_replay(build, cfg_path, in_path, out_path)
    if summary["counters"]["ct_evict"]:
        step = PACED_STEP_US
        P.write_pcap(in_path, frames, step_us=step)
        summary, want = A.run_replay(build, cfg_path, in_path, out_path)
    problems = []
    if summary["packets_in"] != len(frames):
        problems.append("replay read %d of %d frames" % (summary["packets_in"], len(frames)))

    shutil.rmtree(lab.state_dir, ignore_errors=True)  # a fresh conntrack, counters at 0
    daemon = lab.shoald_start(build, cfg_path, log_name="shoald-%d.log" % n)
    try:
        before = lab.stats(build)["counters"]
        if any(before.values()):
            problems.append("counters before any frame was sent: %s" % {
                k: v for k, v in before.items() if v})
        cap = A.Capture(lab, "cap-%d" % n)
        t0 = time.monotonic()
        sent = A.send_pcap(lab, in_path, gap_us=step if step == PACED_STEP_US else 0)
        if sent != len(frames):
            problems.append("sent %d of %d frames" % (sent, len(frames)))
        # Every frame has its verdict, and what replay transmits has arrived (or 20 s).
        A.wait_for(lambda: verdicts(lab.stats(build)["counters"]) >= len(frames)
                   and cap.count() >= len(want), 20)
        time.sleep(0.3)  # anything more would be extra
        st = lab.stats(build)
        got = cap.stop()
        elapsed = time.monotonic() - t0
    finally:
        rc = A.shoald_stop(daemon)
    if rc != 0:
        problems.append("shoald exited %d on SIGTERM: %s" % (rc, A.read(daemon.log_path)[-1000:]))
    problems += frame_problems(want, got)
    problems += stats_problems(summary, st)
    c = summary["counters"]
    print("%s config %d: %d frames%s, tx %d pass %d drop %d, ct_evict %d (%.1f s)" % (
        "FAIL" if problems else "ok  ", n, len(frames),
        ", paced %d us" % step if step == PACED_STEP_US else "", c["tx"], c["pass"],
        summary["drop"], c["ct_evict"], elapsed), flush=True)
    return problems


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: %s BUILD_DIR MODULE..." % sys.argv[0])
    try:
        A.need_root_and_tools()
        build = A.Build(sys.argv[1])
    except A.CannotRun as e:
        print("CANNOT RUN: %s" % e)
        sys.exit(1)
    t0 = time.monotonic()
    runs = DG.harvest(build.replay, sys.argv[2:])
    print("harvested %d configs, %d replays from %s (%.1f s)" % (
        len(runs), sum(len(r) for r in runs.values()), " ".join(sys.argv[2:]),
        time.monotonic() - t0), flush=True)
    excluded = {k: 0 for k in ("own capture times (clock-dependent)", "under 14 bytes",
                               "over %d bytes (veth MTU with XDP)" % MAX_FRAME)}
    failed = compared = 0
    lab = A.Lab("ad", queues=1)
    try:
        for n, (cfg_text, calls) in enumerate(sorted(runs.items())):
            frames = frames_of(calls, excluded)
            if not frames:
                continue
            problems = run_config(build, lab, n, json.loads(cfg_text), frames)
            compared += len(frames)
            if problems:
                failed += 1
                print("  " + "\n  ".join(problems[:20]) + "\n  config: " + cfg_text, flush=True)
    finally:
        lab.close()
    print("left out: " + ", ".join("%d %s" % (v, k) for k, v in excluded.items()))
    print("%s: %d frames compared over %d configs, %d configs differ (%.1f s)" % (
        "FAIL" if failed or not compared else "ok", compared, len(runs), failed,
        time.monotonic() - t0))
    sys.exit(1 if failed or not compared else 0)


if __name__ == "__main__":
    main()
