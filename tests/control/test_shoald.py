#!/usr/bin/python3
"""shoald and shoalctl end to end, on the XDP backend in a network namespace.

    test_shoald.py BUILD_DIR

Checks the control plane the way an operator meets it: the socket is root-only,
every command works and a bad one is refused whole (the running config, read
back, is unchanged), SIGHUP reloads and refuses a bad file, the socket survives
garbage, oversized and silent clients, counters agree with the frames sent,
and SIGTERM leaves the XDP program forwarding for the next shoald.
Namespaces and addresses (198.18.0.0/15, 2001:db8::/32) are this test's own.
"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build"
SHOALD = os.path.join(BUILD, "control", "shoald")
SHOALCTL = os.path.join(BUILD, "control", "shoalctl")
TAG = f"sd{os.getpid() % 100000}"
NS_LB, NS_CL = f"{TAG}lb", f"{TAG}cl"
LB_IF, CL_IF = f"{TAG}a", f"{TAG}b"
VIP = "198.18.100.1:80/tcp"

CONFIG = {
    "lb": {"ipv4_src": "198.18.0.10", "ipv6_src": "2001:db8::10",
           "gateway_mac": "02:00:00:00:00:01", "ring_size": 65537, "conntrack_size": 4096},
    "vips": [{"address": "198.18.100.1", "port": 80, "protocol": "tcp",
              "reals": [{"address": "198.18.1.1", "weight": 1, "server_id": 11},
                        {"address": "198.18.1.2", "weight": 1}]}],
}


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=60)


def in_ns(ns, *cmd):
    """nsenter keeps the host's /sys/fs/bpf, where the pins live (ip netns exec does not)."""
    return ["nsenter", f"--net=/var/run/netns/{ns}", *cmd]


class Shoald(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shoald-test-")
        cls.sock = os.path.join(cls.tmp, "ctl.sock")
        cls.cfg_path = os.path.join(cls.tmp, "lb.json")
        cls.pins = f"/sys/fs/bpf/{TAG}"
        cls.write_config(CONFIG)
        sh("ip", "netns", "add", NS_LB)
        sh("ip", "netns", "add", NS_CL)
        sh("ip", "link", "add", LB_IF, "netns", NS_LB, "type", "veth", "peer", CL_IF, "netns", NS_CL)
        for ns, ifname in ((NS_LB, LB_IF), (NS_CL, CL_IF)):
            sh("ip", "-n", ns, "link", "set", ifname, "up")
            sh(*in_ns(ns, "ethtool", "-K", ifname, "tx", "off"))
        cls.daemon = None
        cls.start_daemon()

    @classmethod
    def tearDownClass(cls):
        cls.stop_daemon()
        subprocess.run(in_ns(NS_LB, SHOALD, "--iface", LB_IF, "--pin-root", cls.pins, "--unload"),
                       capture_output=True, timeout=30)
        for ns in (NS_LB, NS_CL):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["rm", "-rf", cls.tmp, cls.pins], capture_output=True)

    @classmethod
    def write_config(cls, cfg):
        with open(cls.cfg_path, "w") as f:
            json.dump(cfg, f)

    @classmethod
    def start_daemon(cls):
        cls.log = open(os.path.join(cls.tmp, "shoald.log"), "a")
        cls.daemon = subprocess.Popen(
            in_ns(NS_LB, SHOALD, "--config", cls.cfg_path, "--iface", LB_IF, "--socket", cls.sock,
                  "--pin-root", cls.pins), stdout=cls.log, stderr=cls.log)
        for _ in range(100):
            if os.path.exists(cls.sock) and cls.ctl("show").returncode == 0:
                return
            if cls.daemon.poll() is not None:
                raise AssertionError(f"shoald exited {cls.daemon.returncode}: " +
                                     open(cls.log.name).read()[-2000:])
            time.sleep(0.1)
        raise AssertionError("shoald did not answer on its socket in 10 s")

    @classmethod
    def stop_daemon(cls, sig=signal.SIGTERM):
        if cls.daemon and cls.daemon.poll() is None:
            cls.daemon.send_signal(sig)
            cls.daemon.wait(timeout=20)
        cls.daemon = None
        cls.log.close()

    @classmethod
    def ctl(cls, *args):
        return subprocess.run([SHOALCTL, "--socket", cls.sock, *args], capture_output=True,
                              text=True, timeout=30)

    def running_config(self):
        r = self.ctl("config")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def refused(self, *args, mentions=()):
        """The command is refused (exit 1, one line naming what was wrong); nothing changes."""
        before = self.running_config()
        r = self.ctl(*args)
        self.assertEqual(r.returncode, 1, f"shoalctl {' '.join(args)}: {r.stdout}{r.stderr}")
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        for word in mentions:
            self.assertIn(word, r.stderr, f"shoalctl {' '.join(args)}")
        self.assertEqual(self.running_config(), before, f"shoalctl {' '.join(args)} changed the config")

    def test_socket_is_root_only(self):
        st = os.stat(self.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, 0)
        # A client that is not root is turned away even if it can reach the socket.
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            SHOALCTL, "--socket", self.sock, "show"], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)

    def test_edits_apply_and_read_back(self):
        r = self.ctl("real", "add", VIP, "198.18.1.3", "--weight", "2", "--server-id", "13")
        self.assertEqual(r.returncode, 0, r.stderr)
        reals = self.running_config()["vips"][0]["reals"]
        self.assertIn({"address": "198.18.1.3", "weight": 2, "server_id": 13}, reals)
        self.assertEqual(self.ctl("real", "drain", VIP, "198.18.1.3").returncode, 0)
        weights = {r["address"]: r.get("weight", 1) for r in self.running_config()["vips"][0]["reals"]}
        self.assertEqual(weights["198.18.1.3"], 0)
        self.assertEqual(self.ctl("real", "del", VIP, "198.18.1.3").returncode, 0)
        self.assertEqual(len(self.running_config()["vips"][0]["reals"]), 2)
        r = self.ctl("vip", "add", "[2001:db8:100::1]:443/tcp", "--encap", "gue")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.ctl("real", "add", "[2001:db8:100::1]:443/tcp", "2001:db8:1::1").returncode, 0)
        show = self.ctl("show").stdout
        self.assertIn("2001:db8:100::1", show)
        self.assertIn("2001:db8:1::1", show)
        self.assertEqual(self.ctl("vip", "del", "[2001:db8:100::1]:443/tcp").returncode, 0)
        self.assertEqual(len(self.running_config()["vips"]), 1)

    def test_bad_commands_are_refused_whole(self):
        self.refused("real", "weight", VIP, "198.18.1.1", "70000", mentions=("weight", "70000"))
        self.refused("real", "add", VIP, "198.18.1.9", "--server-id", "11", mentions=("server_id", "11"))
        self.refused("real", "add", VIP, "198.18.1.1", mentions=("198.18.1.1",))
        self.refused("real", "del", VIP, "198.18.7.7", mentions=("198.18.7.7",))
        self.refused("real", "weight", "198.18.200.1:80/tcp", "198.18.1.1", "1",
                     mentions=("198.18.200.1",))
        self.refused("vip", "add", VIP, mentions=("same address, port and protocol",))
        self.refused("vip", "add", "198.18.100.2:80/tcp", "--encap", "vxlan", mentions=("encap", "vxlan"))
        self.refused("vip", "del", "198.18.100.7:80/tcp", mentions=("198.18.100.7",))
        self.refused("real", "weight", "not-a-vip", "198.18.1.1", "1", mentions=("not-a-vip",))
        # Usage errors never reach the daemon: exit 2.
        self.assertEqual(self.ctl("real", "weight", VIP, "198.18.1.1", "heavy").returncode, 2)
        self.assertEqual(self.ctl("frobnicate").returncode, 2)

    def test_sighup_reload_and_refusal(self):
        good = json.loads(json.dumps(CONFIG))
        good["vips"][0]["reals"].append({"address": "198.18.1.4"})
        self.write_config(good)
        self.daemon.send_signal(signal.SIGHUP)
        self.wait_for(lambda: len(self.running_config()["vips"][0]["reals"]) == 3, "reload")
        before = self.running_config()
        with open(self.cfg_path, "w") as f:
            f.write('{"lb": {"ipv4_src": "198.18.0.10"}, "vips": [}')
        self.daemon.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(self.daemon.poll(), "shoald died on a bad config")
        self.assertEqual(self.running_config(), before)
        r = self.ctl("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.cfg_path, r.stderr)
        self.write_config(CONFIG)
        self.assertEqual(self.ctl("reload").returncode, 0)
        self.assertEqual(len(self.running_config()["vips"][0]["reals"]), 2)

    def wait_for(self, cond, what, seconds=10):
        end = time.time() + seconds
        while time.time() < end:
            if cond():
                return
            time.sleep(0.1)
        self.fail(f"{what}: not within {seconds} s")

    def test_socket_survives_bad_clients(self):
        def client():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.sock)  # blocking: waits for room in the listen backlog
            s.settimeout(5)
            return s

        garbage = client()
        garbage.sendall(b"\x00\xffnot json at all\n")
        self.assertIn(b'"ok":false', garbage.recv(4096))
        garbage.sendall(b'{"cmd": "show"}\n')
        self.assertIn(b'"ok":true', garbage.recv(1 << 20))
        garbage.close()
        big = client()
        try:
            big.sendall(b"{" * (70 * 1024))
            self.assertIn(b"longer than", big.recv(4096))
        except (BrokenPipeError, ConnectionResetError):
            pass
        big.close()
        silent = [client() for _ in range(20)]
        self.assertEqual(self.ctl("show").returncode, 0, "a silent client blocked the daemon")
        time.sleep(11)  # longer than the idle limit: the silent ones are dropped
        for s in silent:
            self.assertEqual(s.recv(16), b"", "an idle client was kept past the idle limit")
            s.close()
        self.assertEqual(self.ctl("show").returncode, 0)

    def test_counters_agree_with_frames_sent(self):
        before = json.loads(self.ctl("stats", "--json").stdout)
        sent = 50
        sender = f"""
from scapy.all import Ether, IP, TCP, sendp
frames = [Ether(dst="02:00:00:00:00:0b") / IP(src="198.19.0.%d" % (i + 1), dst="198.18.100.1") /
          TCP(sport=40000 + i, dport=80, flags="S") for i in range({sent})]
sendp(frames, iface="{CL_IF}", verbose=False)
"""
        sh(*in_ns(NS_CL, "/usr/bin/python3", "-c", sender))
        self.wait_for(lambda: self.vip_packets() - before["vips"][0]["packets"] >= sent, "counters")
        after = json.loads(self.ctl("stats", "--json").stdout)
        vip = after["vips"][0]
        self.assertEqual(vip["packets"] - before["vips"][0]["packets"], sent)
        to_reals = sum(r["packets"] for r in vip["reals"]) - sum(r["packets"] for r in before["vips"][0]["reals"])
        self.assertEqual(to_reals, sent)
        self.assertEqual(after["counters"]["tx"] - before["counters"]["tx"], sent)

    def vip_packets(self):
        return json.loads(self.ctl("stats", "--json").stdout)["vips"][0]["packets"]

    def test_z_restart_keeps_forwarding(self):
        """Last: SIGTERM leaves the program attached and pinned; a new shoald picks it up."""
        self.stop_daemon()
        link = sh(*in_ns(NS_LB, "ip", "-d", "link", "show", LB_IF)).stdout
        self.assertIn("xdp", link, "the XDP program left with the daemon")
        self.start_daemon()
        self.assertEqual(self.running_config()["vips"][0]["reals"][0]["address"], "198.18.1.1")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("CANNOT RUN test_shoald: needs root", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
