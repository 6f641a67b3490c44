# SPDX-License-Identifier: BSD-3-Clause
"""
The AF_XDP backend on two receive queues: two workers, two sockets, two conntracks.

    /usr/bin/python3 tests/afxdp/test_afxdp_multiqueue.py BUILD_DIR [unittest args]

The LB's veth has 2 rx and 2 tx queues; shoald --backend afxdp starts a worker on
each. On a veth a frame arrives on the receive queue of the transmit queue the
peer sent it on, and XPS picks that by the sending CPU: the peer's tx-0 is CPU 0's,
tx-1 CPU 1's. Two senders, pinned to CPU 0 and CPU 1 with taskset, each send their
own TCP flows (SYN, ACK, ACK with data; 3 packets a flow) at the same time, so the
two workers serve at once. tcpdump on the peer captures what shoald transmits.
Checked:
  - shoalctl show reports "queues 2";
  - the veth's own per-queue XDP counters (ethtool -S: rx_queue_N_xdp_redirect)
    saw exactly each sender's frames redirected to the sockets on queue 0 and 1;
  - every packet of a flow reaches the same real (outer destination of the captured
    frames, per inner flow), the real shoal-replay picks for that flow;
  - ct_miss = flows and ct_hit = packets - flows (a flow's packets stayed on one
    worker, whose conntrack knows it), so ct_hit + ct_miss = packets;
  - rx = tx = packets sent, VIP packets = rx (bytes: the IP bytes sent), the reals'
    packets add up to the VIP's;
  - every counter, VIP and real figure equals shoal-replay's over the same frames,
    and the frames captured are, as a multiset, byte-identical to its out.pcap
    (order differs across queues, so only as a multiset).
"""
import collections
import ipaddress
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import afxdplib as A  # noqa: E402

P = A.P
BUILD_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
FLOWS_PER_QUEUE = 400
PKTS_PER_FLOW = 3
REALS = [P.real4(i) for i in range(1, 5)]
CONFIG = P.config([P.vip(P.VIP4, "tcp", 80, REALS)], conntrack_size=65536)


def flow_frames(queue):
    """FLOWS_PER_QUEUE flows' packets, round by round (all SYNs, then ACKs, then data)."""
    flows = [(P.client4(queue * 1000 + i), 10000 + i) for i in range(FLOWS_PER_QUEUE)]
    rounds = [[P.tcp_frame(c, P.VIP4, sp, 80, "S") for c, sp in flows],
              [P.tcp_frame(c, P.VIP4, sp, 80, "A") for c, sp in flows],
              [P.tcp_frame(c, P.VIP4, sp, 80, "PA", payload=b"GET / HTTP/1.0\r\n\r\n")
               for c, sp in flows]]
    return [bytes(f) for r in rounds for f in r]


def inner_flow(frame):
    """(client, sport) of the TCP packet inside an IPIP frame."""
    ip = frame[P.l2_len(frame):]
    inner = ip[(ip[0] & 0xF) * 4:]
    ihl = (inner[0] & 0xF) * 4
    return str(ipaddress.IPv4Address(inner[12:16])), int.from_bytes(inner[ihl:ihl + 2], "big")


def ethtool_stats(lab):
    out = A.sh(*A.in_ns(lab.ns_lb, "ethtool", "-S", lab.lb_if)).stdout
    stats = {}
    for line in out.splitlines()[1:]:
        k, _, v = line.strip().partition(":")
        stats[k.strip()] = int(v)
    return stats


class MultiQueue(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        A.need_root_and_tools("taskset")
        if os.cpu_count() < 2:
            raise A.CannotRun("needs 2 CPUs, one sender on each")
        cls.build = A.Build(BUILD_DIR)
        cls.lab = A.Lab("mq", queues=2)
        cls.daemon = None
        try:
            cls.run_traffic()
        except BaseException:
            if cls.daemon:  # what shoald said, for the error report
                print("shoald log:\n" + A.read(cls.daemon.log_path)[-3000:])
            cls.tearDownClass()
            raise

    @classmethod
    def run_traffic(cls):
        lab, build = cls.lab, cls.build
        for q in (0, 1):  # tx-q is CPU q's: XPS picks the queue by the sending CPU
            A.sh(*A.in_ns_sys(lab.ns_peer, "sh", "-c", "echo %x > /sys/class/net/%s/queues/"
                              "tx-%d/xps_cpus" % (1 << q, lab.peer_if, q)))
        cfg_path = os.path.join(lab.work, "lb.json")
        P.write_config(cfg_path, CONFIG)
        cls.frames = {q: flow_frames(q) for q in (0, 1)}
        pcaps = {}
        for q in (0, 1):
            pcaps[q] = os.path.join(lab.work, "in-%d.pcap" % q)
            P.write_pcap(pcaps[q], cls.frames[q])
        everything = os.path.join(lab.work, "in-all.pcap")
        P.write_pcap(everything, cls.frames[0] + cls.frames[1])
        cls.summary, cls.want = A.run_replay(build, cfg_path, everything,
                                             os.path.join(lab.work, "out.pcap"))
        cls.daemon = lab.shoald_start(build, cfg_path)
        cls.show = lab.ctl(build, "show").stdout
        cls.before = lab.stats(build)["counters"]
        cls.eth_before = ethtool_stats(lab)
        cap = A.Capture(lab)
        sent, errors = {}, []

        def sender(q):
            try:
                sent[q] = A.send_pcap(lab, pcaps[q], cpu=q)
            except Exception as e:  # reported by the test, not lost in the thread
                errors.append("sender on CPU %d: %s" % (q, e))

        threads = [threading.Thread(target=sender, args=(q,)) for q in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        if errors:
            raise AssertionError("; ".join(errors))
        cls.sent = sent
        total = sum(len(f) for f in cls.frames.values())
        A.wait_for(lambda: lab.stats(build)["counters"]["rx"] >= total and cap.count() >= total,
                   20)
        time.sleep(0.3)
        cls.stats = lab.stats(build)
        cls.eth_after = ethtool_stats(lab)
        cls.got = cap.stop()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.daemon:
                A.shoald_stop(cls.daemon)
        finally:
            cls.lab.close()

    def test_two_workers(self):
        self.assertRegex(self.show, r"(?m)^backend afxdp\s+queues 2\s+mode ", self.show)

    def test_both_queues_received_their_frames(self):
        for q in (0, 1):
            key = "rx_queue_%d_xdp_redirect" % q
            got = self.eth_after[key] - self.eth_before[key]
            print("queue %d: %d frames redirected to its socket (sent from CPU %d: %d)" % (
                q, got, q, len(self.frames[q])))
            self.assertEqual(self.sent[q], len(self.frames[q]))
            self.assertEqual(got, len(self.frames[q]),
                             "%s: the frames sent from CPU %d reach queue %d's socket" % (key, q, q))
            drops = "rx_queue_%d_xdp_drops" % q
            self.assertEqual(self.eth_after[drops] - self.eth_before[drops], 0, drops)

    def test_counters_add_up(self):
        c = self.stats["counters"]
        n = sum(len(f) for f in self.frames.values())
        flows = 2 * FLOWS_PER_QUEUE
        self.assertFalse(any(self.before.values()), "counters before sending: %s" % self.before)
        print("counters: " + ", ".join("%s %d" % (k, v) for k, v in c.items() if v))
        self.assertEqual(c["rx"], n, "rx = packets sent")
        self.assertEqual(c["tx"], n, "tx = packets sent")
        self.assertEqual(c["ct_miss"], flows, "ct_miss = flows: one miss per flow, on its worker")
        self.assertEqual(c["ct_hit"], n - flows, "ct_hit = the flows' later packets")
        self.assertEqual(c["ct_hit"] + c["ct_miss"], n, "ct_hit + ct_miss = packets")
        (vip,) = self.stats["vips"]
        self.assertEqual(vip["packets"], c["rx"], "VIP packets = rx")
        self.assertEqual(vip["bytes"], sum(len(f) - 14 for fs in self.frames.values() for f in fs),
                         "VIP bytes = IP bytes sent")
        self.assertEqual(sum(r["packets"] for r in vip["reals"]), vip["packets"],
                         "reals' packets add up to the VIP's")
        self.assertEqual(len([r for r in vip["reals"] if r["packets"]]), len(REALS),
                         "flows spread over every real")

    def test_flow_stays_on_one_real(self):
        reals_of = collections.defaultdict(set)
        for f in self.got:
            reals_of[inner_flow(f)].add(A.P.norm(A.G.real_of(f)))
        want = {}
        for f in self.want:
            want[inner_flow(f)] = A.P.norm(A.G.real_of(f))
        self.assertEqual(len(reals_of), 2 * FLOWS_PER_QUEUE, "every flow came out")
        split = {k: v for k, v in reals_of.items() if len(v) != 1}
        self.assertEqual(split, {}, "flows whose packets reached more than one real")
        self.assertEqual({k: min(v) for k, v in reals_of.items()}, want,
                         "each flow reaches the real shoal-replay picks")

    def test_same_as_replay(self):
        s = self.summary
        self.assertEqual(self.stats["counters"], s["counters"], "every counter as shoal-replay's")
        (vip,) = self.stats["vips"]
        (rvip,) = s["vips"]
        self.assertEqual((vip["packets"], vip["bytes"]), (rvip["packets"], rvip["bytes"]))
        self.assertEqual({P.norm(r["address"]): (r["packets"], r["bytes"]) for r in vip["reals"]},
                         {P.norm(r["address"]): (r["packets"], r["bytes"]) for r in s["reals"]})
        self.assertEqual(len(self.got), len(self.want), "frames transmitted")
        self.assertEqual(sorted(self.got), sorted(self.want),
                         "the frames transmitted, byte for byte (in any order)")


if __name__ == "__main__":
    unittest.main(verbosity=2)  # CannotRun in setUpClass is an error: a failure, not a skip
