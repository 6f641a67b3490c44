# SPDX-License-Identifier: BSD-3-Clause
"""
shoald --backend afxdp refusing to start, and starting again after it died.

    /usr/bin/python3 tests/afxdp/test_afxdp_bad_input.py BUILD_DIR [unittest args]

In a namespace of its own (LB side of a veth with 2 queues; the peer in another
namespace), each refused start must exit 1 with exactly one error line, naming
what was wrong, and leave nothing attached: no XDP program on any interface of
the namespace (bpftool net, ip -d link), no control socket; and when it failed
before the state file is made (a missing interface, too many queues), no state
file or directory either:
  (a) an interface that does not exist;
  (b) an interface without native XDP, so the steering program cannot attach
      (a dummy interface; a bridge where the kernel has no dummy driver);
  (c) --queues 4 on a 2-queue veth;
  (d) a UMEM the kernel will not pin: no CAP_IPC_LOCK and RLIMIT_MEMLOCK 64 KiB.
And (e): after SIGKILL the steering program stays (documented); a second start
removes it, says so, and the interface then has exactly one steering program,
a new one, which forwards a VIP frame; after SIGTERM nothing is attached.
"""
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import afxdplib as A  # noqa: E402

P = A.P
BUILD_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
CONFIG = P.config([P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(2)])], conntrack_size=4096)


class BadInput(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        A.need_root_and_tools("capsh", "xdp-loader")
        cls.build = A.Build(BUILD_DIR)
        cls.lab = A.Lab("bi", queues=2)
        cls.cfg_path = os.path.join(cls.lab.work, "lb.json")
        P.write_config(cls.cfg_path, CONFIG)

    @classmethod
    def tearDownClass(cls):
        cls.lab.close()

    def setUp(self):
        self.assertEqual(self.attached(), [], "an XDP program before the test")
        A.sh("rm", "-rf", self.lab.state_dir)

    # ---- helpers ----

    def attached(self):
        """(interface, program name) of every XDP program in the LB namespace."""
        out = A.sh(*A.in_ns(self.lab.ns_lb, "bpftool", "-j", "net", "show")).stdout
        return [(e["devname"], A.prog_name(e["id"]))
                for s in A.json.loads(out) for e in s.get("xdp", [])]

    def steering_progs(self, ifname):
        """Programs named xsk_steer on ifname, as xdp-loader lists them (dispatcher or not)."""
        out = A.sh(*A.in_ns(self.lab.ns_lb, "xdp-loader", "status", ifname)).stdout
        return [line for line in out.splitlines() if "xsk_steer" in line]

    def refused(self, ifname, *args, wrap=None):
        """Run a start that must fail; returns its one error line, after the common checks."""
        cmd = self.lab.shoald_cmd(self.build, self.cfg_path, *args, iface=ifname)
        if wrap:
            cmd = wrap(cmd)
        p = subprocess.run(["timeout", "30", *cmd], capture_output=True, text=True, timeout=40)
        out = p.stdout + p.stderr
        print("  %s -> rc %d: %s" % (" ".join(args) or ifname, p.returncode,
                                     "; ".join(A.error_lines(out))))
        self.assertEqual(p.returncode, 1, "exit status 1; output:\n" + out)
        errors = A.error_lines(out)
        self.assertEqual(len(errors), 1, "exactly one error line; output:\n" + out)
        self.assertEqual(self.attached(), [], "XDP programs left attached in the namespace")
        for i in (self.lab.lb_if, ifname):
            if i and subprocess.run(["ip", "-n", self.lab.ns_lb, "link", "show", "dev", i],
                                    capture_output=True).returncode == 0:
                self.assertFalse(self.lab.link_has_xdp(ifname=i), "ip -d link: XDP on %s" % i)
        self.assertFalse(os.path.exists(self.lab.sock), "the control socket is left")
        return errors[0]

    def assertNoState(self):
        self.assertFalse(os.path.exists(self.lab.state_dir),
                         "state directory %s made by a start that failed before it: %s" % (
                             self.lab.state_dir, os.listdir(self.lab.state_dir)
                             if os.path.isdir(self.lab.state_dir) else ""))

    def assertNoStateFile(self):
        """A start that failed after making its state file removes it (it held nothing)."""
        left = os.listdir(self.lab.state_dir) if os.path.isdir(self.lab.state_dir) else []
        self.assertEqual(left, [], "state files left by a failed start in " + self.lab.state_dir)

    # ---- (a) .. (d): refused starts ----

    def test_a_no_such_interface(self):
        err = self.refused("nosuch0")
        self.assertIn("nosuch0", err)
        self.assertIn("no such interface", err)
        self.assertNoState()

    def test_b_no_native_xdp(self):
        ns = self.lab.ns_lb
        kind = "dummy"
        if subprocess.run(["ip", "-n", ns, "link", "add", "nx0", "type", "dummy"],
                          capture_output=True).returncode:
            kind = "bridge"  # this kernel has no dummy driver; a bridge has no native XDP either
            A.sh("ip", "-n", ns, "link", "add", "nx0", "type", "bridge")
        try:
            A.sh("ip", "-n", ns, "link", "set", "nx0", "up")
            print("  (b) on a %s interface" % kind)
            err = self.refused("nx0")
            self.assertIn("nx0", err)
            self.assertIn("attaching the steering program", err)
            self.assertRegex(err, r"lack native XDP")
            self.assertIn("Operation not supported", err)
            self.assertNoStateFile()
        finally:
            subprocess.run(["ip", "-n", ns, "link", "del", "nx0"], capture_output=True)

    def test_c_too_many_queues(self):
        err = self.refused(self.lab.lb_if, "--queues", "4")
        self.assertIn("--queues", err)
        self.assertIn(self.lab.lb_if, err)
        self.assertIn("has 2 receive queues", err)
        self.assertIn("got 4", err)
        self.assertNoState()

    def test_d_umem_not_pinned(self):
        def no_ipc_lock(cmd):
            quoted = " ".join("'%s'" % c for c in cmd)
            return ["capsh", "--drop=cap_ipc_lock", "--", "-c", "ulimit -l 64; exec " + quoted]

        # The setting itself: capsh really dropped the capability and the limit holds.
        p = A.sh(*no_ipc_lock(["sh", "-c", "grep CapEff /proc/self/status; ulimit -l"]))
        eff = int(re.search(r"CapEff:\s*([0-9a-f]+)", p.stdout).group(1), 16)
        self.assertFalse(eff & (1 << 14), "CAP_IPC_LOCK still effective")
        self.assertEqual(p.stdout.split()[-1], "64")
        err = self.refused(self.lab.lb_if, wrap=no_ipc_lock)
        self.assertIn("UMEM", err)
        self.assertIn("%s queue 0" % self.lab.lb_if, err)
        self.assertNoStateFile()
        self.assertIn("RLIMIT_MEMLOCK", err)
        self.assertIn("CAP_IPC_LOCK", err)

    # ---- (e) SIGKILL, then a second start ----

    def test_e_restart_after_sigkill(self):
        lab, build = self.lab, self.build
        d1 = lab.shoald_start(build, self.cfg_path, log_name="kill9-1.log")
        try:
            first = self.attached()
            self.assertEqual([p for _, p in first], ["xsk_steer"], first)
        finally:
            d1.kill()
            d1.wait(10)
        self.assertEqual(d1.returncode, -signal.SIGKILL)
        left = A.sh(*A.in_ns(lab.ns_lb, "bpftool", "-j", "net", "show")).stdout
        self.assertEqual(self.attached(), first, "SIGKILL leaves the steering program attached")
        old_id = A.json.loads(left)[0]["xdp"][0]["id"]

        d2 = lab.shoald_start(build, self.cfg_path, log_name="kill9-2.log")
        try:
            log = A.read(d2.log_path)
            self.assertIn("removed the steering program a previous shoald left", log)
            self.assertEqual(A.error_lines(log), [], log)
            now = A.json.loads(A.sh(*A.in_ns(lab.ns_lb, "bpftool", "-j", "net", "show")).stdout)
            progs = now[0]["xdp"]
            self.assertEqual(len(progs), 1, "one XDP program on the interface: %s" % progs)
            self.assertEqual(progs[0]["devname"], lab.lb_if)
            self.assertNotEqual(progs[0]["id"], old_id, "the old steering program removed")
            self.assertEqual(len(self.steering_progs(lab.lb_if)), 1,
                             "exactly one xsk_steer (xdp-loader status)")
            self.assertTrue(lab.link_has_xdp())
            # The new one steers to the new sockets: a SYN to the VIP comes out encapsulated.
            cap = A.Capture(lab, "kill9")
            pcap = os.path.join(lab.work, "syn.pcap")
            P.write_pcap(pcap, [P.tcp_frame(P.client4(1), P.VIP4, 4242, 80, "S")])
            A.send_pcap(lab, pcap)
            A.wait_for(lambda: cap.count() >= 1, 10)
            got = cap.stop()
            self.assertEqual(len(got), 1, "the SYN forwarded by the restarted shoald")
            self.assertIn(P.norm(A.G.real_of(got[0])), {P.real4(1), P.real4(2)})
            c = lab.stats(build)["counters"]
            self.assertEqual((c["rx"], c["tx"], c["no_worker"]), (1, 1, 0), c)
        finally:
            rc = A.shoald_stop(d2)
        self.assertEqual(rc, 0, "SIGTERM: exit 0")
        self.assertEqual(self.attached(), [], "SIGTERM leaves nothing attached")
        self.assertFalse(lab.link_has_xdp(), "ip -d link: no XDP after SIGTERM")
        self.assertEqual(self.steering_progs(lab.lb_if), [])
        self.assertFalse(os.path.exists(lab.sock), "SIGTERM removes the control socket")


if __name__ == "__main__":
    unittest.main(verbosity=2)
