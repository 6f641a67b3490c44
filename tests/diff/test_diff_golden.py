# SPDX-License-Identifier: BSD-3-Clause
"""
Differential test over the golden corpus: run golden test modules as they are
(shoal-replay --backend user, their own checks included), record every
(config, frames) they replay, then replay the frames of each config again,
concatenated into one pcap, through --backend user and --backend xdp:
out.pcap byte-identical, JSON summaries equal.

    /usr/bin/python3 tests/diff/test_diff_golden.py path/to/shoal-replay MODULE...

MODULE is a golden test module (test_encap, test_balance, ...), or MODULE:K/N
for its test methods K, K+N, K+2N, ... (in name order), to split a long one.
Frames the XDP
test run cannot take (under 14 or over 3520 bytes) are left out of the
comparison; the count is printed.
"""
import io
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difflib_shoal as D  # noqa: E402

import goldenlib as G  # noqa: E402

GAP_US = 1_000_000  # between the captures of two recorded runs


def harvest(binary, modules):
    """{config text: [(frames, times_us)]} from running the golden modules."""
    G.BINARY = binary
    runs = {}
    original = G.run_replay

    def recording(cfg, frames, times_us=None, json_out=True, extra_args=None, **kw):
        if isinstance(cfg, dict) and frames is not None and not extra_args and not kw:
            runs.setdefault(json.dumps(cfg, sort_keys=True), []).append(
                ([bytes(f) for f in frames], times_us))
        return original(cfg, frames, times_us=times_us, json_out=json_out,
                        extra_args=extra_args, **kw)

    G.run_replay = recording
    for spec in modules:
        name, _, part = spec.partition(":")
        mod = __import__(name)
        suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
        if part:
            k, n = (int(x) for x in part.split("/"))
            tests = sorted((t for group in suite for t in group), key=lambda t: t.id())
            suite = unittest.TestSuite(tests[k::n])
        out = io.StringIO()
        result = unittest.TextTestRunner(stream=out, verbosity=0).run(suite)
        if not result.wasSuccessful():
            print("note: golden %s fails with --backend user on its own; its replays are "
                  "still compared:\n%s" % (name, out.getvalue()[-2000:]), flush=True)
    G.run_replay = original
    return runs


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: %s path/to/shoal-replay MODULE..." % sys.argv[0])
    D.need_root()
    binary = os.path.abspath(sys.argv[1])
    t0 = time.monotonic()
    runs = harvest(binary, sys.argv[2:])
    print("harvested %d configs, %d replays from %s (%.1f s)" % (
        len(runs), sum(len(r) for r in runs.values()), " ".join(sys.argv[2:]),
        time.monotonic() - t0), flush=True)
    failed = compared = skipped = 0
    for n, (cfg_text, calls) in enumerate(sorted(runs.items())):
        frames, times, base = [], [], 0
        for fs, ts in calls:
            ts = ts if ts is not None else [i * 1000 for i in range(len(fs))]
            for f, t in zip(fs, ts):
                if D.runnable(f):
                    frames.append(f)
                    times.append(base + t)
                else:
                    skipped += 1
            base += (max(ts) if ts else 0) + GAP_US
        if not frames:
            continue
        try:
            D.compare(binary, "config %d (%d replays)" % (n, len(calls)), json.loads(cfg_text),
                      frames, times)
            compared += len(frames)
        except D.Mismatch as e:
            failed += 1
            print("FAIL %s\n  config: %s" % (e, cfg_text), flush=True)
    print("%s: %d frames compared over %d configs, %d not runnable in XDP, %d configs "
          "differ (%.1f s)" % ("FAIL" if failed else "ok", compared, len(runs), skipped, failed,
                               time.monotonic() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
