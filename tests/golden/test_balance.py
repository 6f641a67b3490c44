# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: choosing the real. Weights, conntrack (same flow -> same real),
Maglev minimal disruption when a real is removed, draining, VIP flags
(no_lru, no_sport, dport_hash), UDP timeouts, and the per-real JSON counters
against out.pcap.
"""
import functools
from collections import Counter

import goldenlib as G
from goldenlib import P

N_FLOWS = 4000


@functools.lru_cache(maxsize=None)
def syn_frames(vip_addr, port, n, proto="tcp"):
    """n distinct client flows, one SYN (or datagram) each, as bytes (built once: scapy is slow)."""
    six = P.is6(vip_addr)
    out = []
    for i in range(n):
        c = P.client6(i) if six else P.client4(i)
        sport = 1024 + (i * 7919) % 60000
        if proto == "tcp":
            out.append(bytes(P.tcp_frame(c, vip_addr, sport, port, "S")))
        else:
            out.append(bytes(P.udp_frame(c, vip_addr, sport, port)))
    return tuple(out)


def reals_of(run):
    return [G.real_of(f) for f in run.out]


class BalanceTest(G.GoldenCase):

    def assertRealStatsMatchPcap(self, run, frames_in, what):
        """The JSON per-real packets/bytes equal what out.pcap holds for each real."""
        want = Counter(), Counter()
        for fout in run.out:
            dst = G.real_of(fout)
            want[0][dst] += 1
            want[1][dst] += G.inner_len(fout)
        got = run.real_stats()
        for addr, (packets, nbytes) in got.items():
            self.assertEqual((packets, nbytes), (want[0][addr], want[1][addr]),
                             "%s: JSON packets/bytes of real %s vs out.pcap" % (what, addr))
        self.assertLessEqual(set(want[0]), set(got), "%s: every real in out.pcap is in the JSON" % what)
        self.assertEqual(sum(p for p, _ in got.values()), len(frames_in), "%s: real packets" % what)

    def check_weights(self, vip_addr, hash_kind, reals_weights, what):
        reals = [P.real(a, w) for a, w in reals_weights]
        cfg = P.config([P.vip(vip_addr, "tcp", 80, reals, hash=hash_kind)])
        frames = syn_frames(vip_addr, 80, N_FLOWS)
        r = self.replay(cfg, frames)
        self.assertCounters(r, {"rx": N_FLOWS, "tx": N_FLOWS, "ct_miss": N_FLOWS}, what)
        counts = Counter(reals_of(r))
        total_w = sum(w for _, w in reals_weights)
        for addr, w in reals_weights:
            share = counts[P.norm(addr)] / N_FLOWS
            self.assertAlmostEqual(share, w / total_w, delta=0.03,
                                   msg="%s: share of %s (weight %d of %d): %s" % (
                                       what, addr, w, total_w, dict(counts)))
        self.assertRealStatsMatchPcap(r, frames, what)
        for fin, fout in list(zip(frames, r.out))[:50]:
            self.assertEncap(fin, fout, G.real_of(fout), "ipip", what)
        vip = r.summary["vips"][0]
        self.assertEqual((vip["packets"], vip["bytes"]),
                         (N_FLOWS, sum(len(P.ip_bytes(f)) for f in frames)), "%s: VIP counters" % what)

    def test_weights_maglev_1_1_2(self):
        self.check_weights(P.VIP4, "maglev", [(P.real4(1), 1), (P.real4(2), 1), (P.real4(3), 2)],
                           "maglev 1:1:2")

    def test_weights_maglev_v6_mixed_families(self):
        self.check_weights(P.VIP6, "maglev", [(P.real6(1), 1), (P.real4(2), 1), (P.real6(3), 2)],
                           "maglev v6 VIP 1:1:2")

    def test_weights_rendezvous_1_1_2(self):
        self.check_weights(P.VIP4, "rendezvous",
                           [(P.real4(1), 1), (P.real4(2), 1), (P.real4(3), 2)], "rendezvous 1:1:2")

    def test_weights_maglev_1_3(self):
        self.check_weights(P.VIP4, "maglev", [(P.real4(1), 1), (P.real4(2), 3)], "maglev 1:3")

    def test_same_flow_same_real(self):
        """SYN picks a real, conntrack remembers it: every later packet follows."""
        n = 300
        cfg = P.config([P.vip(P.VIP4, "tcp", 80, [P.real4(i) for i in range(1, 5)]),
                        P.vip(P.VIP6, "tcp", 80, [P.real6(1), P.real4(2), P.real6(3)])])
        frames, flow_of = [], []
        for step, flags in enumerate(["S", "A", "PA", "FA"]):
            for i in range(n):
                vip_addr = P.VIP6 if i % 2 else P.VIP4
                c = P.client6(i) if i % 2 else P.client4(i)
                frames.append(P.tcp_frame(c, vip_addr, 2000 + i, 80, flags,
                                          payload=b"d" * step, seq=1000 + step))
                flow_of.append(i)
        r = self.replay(cfg, frames)
        self.assertCounters(r, {"rx": 4 * n, "tx": 4 * n, "ct_miss": n, "ct_hit": 3 * n},
                            "SYN then 3 packets per flow")
        real_of_flow = {}
        for i, fout in zip(flow_of, r.out):
            real_of_flow.setdefault(i, G.real_of(fout))
            self.assertEqual(G.real_of(fout), real_of_flow[i], "flow %d changed real" % i)
        self.assertGreaterEqual(len(set(real_of_flow.values())), 5, "flows spread over reals")
        self.assertRealStatsMatchPcap(r, frames, "4 packets per flow")

    def check_removed_real(self, hash_kind):
        reals = [P.real4(i) for i in range(1, 6)]
        gone = P.real4(3)
        frames = syn_frames(P.VIP4, 80, N_FLOWS)
        before = reals_of(self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals, hash=hash_kind)]),
                                      frames))
        after_run = self.replay(P.config([P.vip(P.VIP4, "tcp", 80, [a for a in reals if a != gone],
                                                hash=hash_kind)]), frames)
        after = reals_of(after_run)
        self.assertEqual(len(after), N_FLOWS, "%s: every flow still forwarded" % hash_kind)
        self.assertNotIn(gone, after, "%s: the removed real gets no flows" % hash_kind)
        self.assertNotIn(gone, after_run.real_stats(), "%s: removed real not in JSON" % hash_kind)
        stay = [(a, b) for a, b in zip(before, after) if a != gone]
        kept = sum(1 for a, b in stay if a == b)
        self.assertGreaterEqual(kept / len(stay), 0.95,
                                "%s: flows of remaining reals keeping their real: %d of %d" % (
                                    hash_kind, kept, len(stay)))
        moved = Counter(b for a, b in zip(before, after) if a == gone)
        self.assertEqual(sum(moved.values()), before.count(gone), hash_kind)
        self.assertEqual(len(moved), 4, "%s: the removed real's flows spread over the other 4: %s"
                         % (hash_kind, dict(moved)))

    def test_removed_real_maglev(self):
        self.check_removed_real("maglev")

    def test_removed_real_rendezvous(self):
        self.check_removed_real("rendezvous")

    def test_real_order_irrelevant(self):
        """The ring depends on the set of reals, not their order (or their indices)."""
        reals = [P.real(P.real4(1), 1), P.real(P.real6(2), 2), P.real(P.real4(3), 1)]
        frames = syn_frames(P.VIP4, 80, 1000)
        a = reals_of(self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals)]), frames))
        other = P.vip(P.VIP4_B, "tcp", 80, [P.real4(3), P.real6(2)])
        b = reals_of(self.replay(P.config([other, P.vip(P.VIP4, "tcp", 80, reals[::-1])]), frames))
        self.assertEqual(a, b, "same reals in another order give the same choices")

    def test_hash_key_changes_choices(self):
        reals = [P.real4(i) for i in range(1, 5)]
        frames = syn_frames(P.VIP4, 80, 1000)
        a = reals_of(self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals)]), frames))
        a2 = reals_of(self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals)]), frames))
        b = reals_of(self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals)],
                                          hash_key="0f" * 16), frames))
        self.assertEqual(a, a2, "same config, same choices")
        differ = sum(1 for x, y in zip(a, b) if x != y)
        self.assertGreater(differ, 500, "another hash_key reshuffles flows (%d of 1000 moved)" % differ)

    def test_weight_zero_gets_no_new_flows(self):
        reals = [P.real(P.real4(1), 1), P.real(P.real4(2), 0), P.real(P.real4(3), 1)]
        frames = syn_frames(P.VIP4, 80, 2000)
        r = self.replay(P.config([P.vip(P.VIP4, "tcp", 80, reals)]), frames)
        counts = Counter(reals_of(r))
        self.assertEqual(counts[P.real4(2)], 0, "weight 0 real got flows: %s" % dict(counts))
        self.assertEqual(sum(counts.values()), 2000, "all flows forwarded")
        self.assertEqual(r.real_stats()[P.real4(2)], (0, 0), "weight 0 real: JSON counters")

    def test_no_real_drops(self):
        cfg = P.config([P.vip(P.VIP4, "tcp", 80, []),
                        P.vip(P.VIP4, "tcp", 81, [P.real(P.real4(1), 0), P.real(P.real4(2), 0)]),
                        P.vip(P.VIP6, "udp", 0, [])])
        frames = [P.tcp_frame(P.client4(1), P.VIP4, 1000, 80, "S"),
                  P.tcp_frame(P.client4(1), P.VIP4, 1000, 81, "S"),
                  P.tcp_frame(P.client4(1), P.VIP4, 1000, 81, "A"),
                  P.udp_frame(P.client6(1), P.VIP6, 1000, 9)]
        r = self.replay(cfg, frames)
        self.assertCounters(r, {"rx": 4, "no_real": 4, "ct_miss": 4}, "VIPs without usable reals")
        self.assertEqual(r.out, [], "nothing sent")

    def test_rst_not_remembered(self):
        cfg = P.config([P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(2)])])
        c = P.client4(5)
        frames = [P.tcp_frame(c, P.VIP4, 3333, 80, "R"),
                  P.tcp_frame(c, P.VIP4, 3333, 80, "A"),
                  P.tcp_frame(c, P.VIP4, 3333, 80, "A")]
        r = self.replay(cfg, frames)
        self.assertCounters(r, {"rx": 3, "tx": 3, "ct_miss": 2, "ct_hit": 1},
                            "RST (not remembered), ACK (remembered), ACK")
        self.assertEqual(len(set(reals_of(r))), 1, "one flow, one real")

    def test_no_lru_uses_ring_only(self):
        cfg = P.config([P.vip(P.VIP4, "tcp", 80, [P.real4(i) for i in range(1, 4)],
                              flags=["no_lru"])])
        frames = list(syn_frames(P.VIP4, 80, 200))
        frames += [P.tcp_frame(P.Ether(bytes(f))[P.IP].src, P.VIP4, P.Ether(bytes(f))[P.TCP].sport,
                               80, "A") for f in frames]
        r = self.replay(cfg, frames)
        self.assertCounters(r, {"rx": 400, "tx": 400}, "no_lru: no conntrack lookups")
        got = reals_of(r)
        self.assertEqual(got[:200], got[200:], "no_lru: same flow, same real (ring)")
        self.assertEqual(len(set(got)), 3, "no_lru: flows spread")

    def test_udp_timeout(self):
        """A UDP flow idle longer than udp_timeout_ms is new again; TCP never times out."""
        cfg = P.config([P.vip(P.VIP4, "udp", 53, [P.real4(1), P.real4(2)]),
                        P.vip(P.VIP4, "tcp", 80, [P.real4(1), P.real4(2)])], udp_timeout_ms=1000)
        c = P.client4(3)
        udp = [P.udp_frame(c, P.VIP4, 5353, 53)] * 5
        tcp = [P.tcp_frame(c, P.VIP4, 8080, 80, "S"), P.tcp_frame(c, P.VIP4, 8080, 80, "A")]
        # udp: new; idle 0.9 s (hit); 0.9 s (hit); 1.1 s (expired: new); 0.1 s (hit)
        times_us = [0, 900_000, 1_800_000, 2_900_000, 3_000_000, 4_000_000, 90_004_000_000]
        r = self.replay(cfg, udp + tcp, times_us=times_us)
        self.assertCounters(r, {"rx": 7, "tx": 7, "ct_miss": 3, "ct_hit": 4},
                            "udp: new, hit, hit, expired after 1.1 s idle, hit; "
                            "tcp: new, hit after 25 h")
        got = reals_of(r)
        self.assertEqual(len(set(got[:5])), 1, "udp flow: same real before and after expiry")
        self.assertEqual(got[5], got[6], "tcp flow: same real")

    def test_no_sport_affinity(self):
        cfg = P.config([P.vip(P.VIP4, "tcp", 443, [P.real4(i) for i in range(1, 5)],
                              flags=["no_sport"])])
        one_client = [P.tcp_frame(P.client4(7), P.VIP4, 1024 + i, 443, "S") for i in range(60)]
        many = [P.tcp_frame(P.client4(i), P.VIP4, 1024, 443, "S") for i in range(60)]
        r = self.replay(cfg, one_client + many)
        got = reals_of(r)
        self.assertEqual(len(set(got[:60])), 1, "no_sport: one client, 60 ports, one real")
        self.assertGreaterEqual(len(set(got[60:])), 3, "no_sport: 60 clients spread")

    def test_dport_hash(self):
        cfg = P.config([P.vip(P.VIP4, "tcp", 0, [P.real4(i) for i in range(1, 5)],
                              flags=["dport_hash"])])
        one_port = [P.tcp_frame(P.client4(i), P.VIP4, 1024 + i, 8080, "S") for i in range(60)]
        many = [P.tcp_frame(P.client4(1), P.VIP4, 1024, 9000 + i, "S") for i in range(60)]
        r = self.replay(cfg, one_port + many)
        got = reals_of(r)
        self.assertEqual(len(set(got[:60])), 1, "dport_hash: 60 clients to one port, one real")
        self.assertGreaterEqual(len(set(got[60:])), 3, "dport_hash: 60 ports spread")


if __name__ == "__main__":
    G.main()
