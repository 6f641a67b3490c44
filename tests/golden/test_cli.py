# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: the shoal-replay command line. Exit 0 ok; 1 bad config or pcap,
with a one-line error on stderr naming the file (and, for configs, the field);
2 usage. The --json summary has every counter key.
"""
import os
import subprocess
import tempfile

import goldenlib as G
from goldenlib import P

GOOD_FRAMES = [P.tcp_frame(P.client4(1), P.VIP4, 1000, 80, "S"),
               P.tcp_frame(P.client4(1), P.NOT_VIP4, 1000, 80, "S")]


def good_config():
    return P.config([P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real6(2)]),
                     P.vip(P.VIP6, "udp", 0, [P.real6(2), P.real4(3)], encap="gue")])


def lb(**kw):
    d = {"gateway_mac": P.GW_MAC, "ipv4_src": P.LB4, "ipv6_src": P.LB6}
    d.update(kw)
    return d


def vipd(**kw):
    d = {"address": P.VIP4, "port": 80, "protocol": "tcp", "reals": [{"address": P.real4(1)}]}
    d.update(kw)
    return d


# (name, config document or text, JSON path the error must name)
BAD_CONFIGS = [
    ("syntax error", '{"lb": {"gateway_mac": "02:00:00:00:00:01", }', "line 1"),
    ("weight not an integer",
     {"lb": lb(), "vips": [vipd(reals=[{"address": P.real4(1), "weight": "x"}])]},
     "vips[0].reals[0].weight"),
    ("ring size not prime", {"lb": lb(ring_size=65536)}, "lb.ring_size"),
    ("mtu too small", {"lb": lb(mtu=575)}, "lb.mtu"),
    ("missing gateway_mac", {"lb": {"ipv4_src": P.LB4}}, "lb.gateway_mac"),
    ("IPv4 real without ipv4_src",
     {"lb": {"gateway_mac": P.GW_MAC}, "vips": [vipd()]}, "vips[0].reals[0].address"),
    ("IPv6 real without ipv6_src",
     {"lb": {"gateway_mac": P.GW_MAC, "ipv4_src": P.LB4},
      "vips": [vipd(reals=[{"address": P.real4(1)}, {"address": P.real6(3)}])]},
     "vips[0].reals[1].address"),
    ("unknown vip key", {"lb": lb(), "vips": [dict(vipd(), prot="tcp")]}, "vips[0]"),
    ("duplicate VIP", {"lb": lb(), "vips": [vipd(), vipd()]}, "vips[1]"),
    ("port as a string", {"lb": lb(), "vips": [vipd(port="80")]}, "vips[0].port"),
    ("server_id on two addresses",
     {"lb": lb(), "vips": [vipd(reals=[{"address": P.real4(1), "server_id": 7},
                                       {"address": P.real4(2), "server_id": 7}])]},
     "vips[0].reals[1].server_id"),
    ("conflicting flags", {"lb": lb(), "vips": [vipd(flags=["no_sport", "dport_hash"])]},
     "vips[0].flags"),
    ("bad hash_key", {"lb": lb(hash_key="0011")}, "lb.hash_key"),
]


def run(args, cwd=None):
    p = subprocess.run([G.BINARY] + args, capture_output=True, text=True, timeout=60, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


class CliTest(G.GoldenCase):

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="shoal-cli-")
        self.d = self.tmp.name
        self.cfg = os.path.join(self.d, "good-lb.json")
        self.pcap = os.path.join(self.d, "good-in.pcap")
        self.out = os.path.join(self.d, "out.pcap")
        P.write_config(self.cfg, good_config())
        P.write_pcap(self.pcap, GOOD_FRAMES)

    def tearDown(self):
        self.tmp.cleanup()

    def assertOneLineError(self, rc, out, err, names, what):
        self.assertEqual(rc, 1, "%s: exit code (stderr %r)" % (what, err))
        lines = err.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, "%s: one line on stderr, got %r" % (what, err))
        for n in names:
            self.assertIn(n, lines[0], "%s: error names %r" % (what, n))
        self.assertEqual(out, "", "%s: nothing on stdout" % what)

    def test_good_run(self):
        rc, out, err = run(["--config", self.cfg, "--in", self.pcap, "--out", self.out, "--json"])
        self.assertEqual(rc, 0, "good run: %s" % err)
        self.assertEqual(out.count("\n"), 1, "--json prints one line")
        self.assertTrue(os.path.exists(self.out), "out.pcap written")
        self.assertEqual(len(P.read_pcap(self.out)), 1, "one packet transmitted")

    def test_text_summary(self):
        rc, out, err = run(["--config", self.cfg, "--in", self.pcap, "--out", self.out])
        self.assertEqual(rc, 0, "text summary: %s" % err)
        self.assertIn("packets in 2: tx 1, pass 1, drop 0", out, "text summary line")

    def test_json_shape(self):
        r = self.replay(good_config(), GOOD_FRAMES)
        s = r.summary
        self.assertEqual(set(s), {"packets_in", "tx", "pass", "drop", "drop_reasons", "counters",
                                  "reals", "vips"}, "top-level keys")
        self.assertEqual(list(s["counters"]), G.COUNTERS, "every counter of counters.def, in order")
        self.assertEqual(list(s["drop_reasons"]), G.DROPS, "every drop reason, in order")
        self.assertCounters(r, {"rx": 2, "tx": 1, "pass": 1, "ct_miss": 1}, "good frames")
        self.assertEqual([P.norm(x["address"]) for x in s["reals"]],
                         [P.real4(1), P.norm(P.real6(2)), P.real4(3)],
                         "reals: each address once, in order of first appearance")
        for x in s["reals"]:
            self.assertEqual(set(x), {"address", "packets", "bytes"}, "real keys")
        self.assertEqual([(P.norm(v["address"]), v["port"], v["protocol"]) for v in s["vips"]],
                         [(P.VIP4, 80, "tcp"), (P.norm(P.VIP6), 0, "udp")], "vips in config order")
        for v in s["vips"]:
            self.assertEqual(set(v), {"address", "port", "protocol", "packets", "bytes"}, "vip keys")

    def test_empty_capture(self):
        r = self.replay(good_config(), [])
        self.assertCounters(r, {}, "pcap with a header and no packets")
        self.assertEqual(r.summary["packets_in"], 0, "packets_in")

    def test_bad_configs(self):
        for name, doc, field in BAD_CONFIGS:
            with self.subTest(config=name):
                path = os.path.join(self.d, "bad-%s.json" % name.replace(" ", "-"))
                P.write_config(path, doc)
                rc, out, err = run(["--config", path, "--in", self.pcap, "--out", self.out])
                self.assertOneLineError(rc, out, err, [path, field], "config " + name)

    def test_config_unreadable(self):
        missing = os.path.join(self.d, "no-such-lb.json")
        rc, out, err = run(["--config", missing, "--in", self.pcap, "--out", self.out])
        self.assertOneLineError(rc, out, err, [missing, "cannot open"], "missing config")
        rc, out, err = run(["--config", self.d, "--in", self.pcap, "--out", self.out])
        self.assertOneLineError(rc, out, err, [self.d], "config is a directory")

    def bad_pcap(self, name, data, extra=()):
        path = os.path.join(self.d, name)
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run(["--config", self.cfg, "--in", path, "--out", self.out])
        self.assertOneLineError(rc, out, err, [path] + list(extra), "pcap " + name)

    def test_bad_pcaps(self):
        with open(self.pcap, "rb") as f:
            good = f.read()
        frame_len = len(bytes(GOOD_FRAMES[1]))
        self.bad_pcap("empty-file.pcap", b"")
        self.bad_pcap("garbage.pcap", bytes(range(256)) * 4)
        self.bad_pcap("short-header.pcap", good[:20])
        self.bad_pcap("cut-in-record-header.pcap", good[:len(good) - frame_len - 8])
        self.bad_pcap("cut-in-frame.pcap", good[:-10])

    def test_pcap_missing(self):
        missing = os.path.join(self.d, "no-such-in.pcap")
        rc, out, err = run(["--config", self.cfg, "--in", missing, "--out", self.out])
        self.assertOneLineError(rc, out, err, [missing], "missing pcap")

    def test_non_ethernet_pcap(self):
        for linktype, name in ((101, "raw-ip.pcap"), (0, "null.pcap"), (113, "linux-sll.pcap")):
            with self.subTest(linktype=linktype):
                path = os.path.join(self.d, name)
                P.write_pcap(path, [P.ip_bytes(GOOD_FRAMES[0])], linktype=linktype)
                rc, out, err = run(["--config", self.cfg, "--in", path, "--out", self.out])
                self.assertOneLineError(rc, out, err, [path, "link type"], "linktype %d" % linktype)

    def test_out_unwritable(self):
        bad_out = os.path.join(self.d, "no-such-dir", "out.pcap")
        rc, out, err = run(["--config", self.cfg, "--in", self.pcap, "--out", bad_out])
        self.assertOneLineError(rc, out, err, [bad_out], "unwritable out.pcap")

    def test_usage(self):
        cases = {
            "no arguments": [],
            "missing --out": ["--config", self.cfg, "--in", self.pcap],
            "missing --config": ["--in", self.pcap, "--out", self.out],
            "unknown option": ["--config", self.cfg, "--in", self.pcap, "--out", self.out, "--bogus"],
            "extra argument": ["--config", self.cfg, "--in", self.pcap, "--out", self.out, "x"],
            "option without value": ["--config", self.cfg, "--in", self.pcap, "--out"],
        }
        for name, args in cases.items():
            with self.subTest(usage=name):
                rc, out, err = run(args)
                self.assertEqual(rc, 2, "%s: exit code 2 (stderr %r)" % (name, err))
                self.assertIn("usage:", err, "%s: usage on stderr" % name)
                self.assertFalse(os.path.exists(self.out), "%s: no output written" % name)
        rc, out, err = run(["--help"])
        self.assertEqual((rc, "usage:" in out), (0, True), "--help: usage on stdout, exit 0")


if __name__ == "__main__":
    G.main()
