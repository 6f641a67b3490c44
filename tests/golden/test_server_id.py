# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests: the server_id TCP option (kind 0xB7, length 6). A non-SYN TCP
packet carrying a configured id goes to that id's real (sid_hit) whatever the
ring or conntrack say; an unknown id counts sid_miss and takes the normal path.
"""
import struct

import goldenlib as G
from goldenlib import P

REALS4 = [P.real(P.real4(1), 1, 101), P.real(P.real4(2), 1, 102), P.real(P.real4(3), 1, 103),
          P.real(P.real4(4), 0, 104)]  # .4 drained: keeps its server_id connections
REALS6 = [P.real(P.real6(1), 1, 201), P.real(P.real6(2), 1, 202), P.real(P.real4(1), 1, 101)]
SID_OF = {101: P.real4(1), 102: P.real4(2), 103: P.real4(3), 104: P.real4(4),
          201: P.real6(1), 202: P.real6(2)}
CFG = P.config([P.vip(P.VIP4, "tcp", 80, REALS4), P.vip(P.VIP6, "tcp", 443, REALS6),
                P.vip(P.VIP4, "tcp", 8080, [P.real4(1), P.real4(2)], flags=["no_lru"])])

SID = lambda i: struct.pack("!BBI", 0xB7, 6, i)  # noqa: E731
NOP, EOL = b"\x01", b"\x00"
MSS = b"\x02\x04\x05\xb4"
WS = b"\x03\x03\x07"
SACKOK = b"\x04\x02"
TS = b"\x08\x0a" + b"\x00\x00\x10\x00" + b"\x00\x00\x20\x00"


def ack(i, opt_bytes, vip_addr=P.VIP4, port=80, flags="A", doff=None):
    c = P.client6(i) if P.is6(vip_addr) else P.client4(i)
    return P.tcp_raw_opts_frame(c, vip_addr, 30000 + i, port, opt_bytes, flags=flags, doff=doff)


def ring_choice(test, frames):
    """The real each flow gets without any option: replay SYNs of the same flows."""
    syns = []
    for f in frames:
        e = P.Ether(bytes(f))
        ip = e.getlayer(P.IP) or e.getlayer(P.IPv6)
        syns.append(P.tcp_frame(ip.src, ip.dst, e[P.TCP].sport, e[P.TCP].dport, "S"))
    return [G.real_of(o) for o in test.replay(CFG, syns).out]


class ServerIdTest(G.GoldenCase):

    def check_hits(self, frames, sids, what):
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": len(frames), "tx": len(frames), "sid_hit": len(frames)},
                            what)
        for k, (fin, fout, sid) in enumerate(zip(frames, r.out, sids)):
            self.assertEncap(fin, fout, SID_OF[sid], "ipip", "%s #%d (id %d)" % (what, k, sid))

    def test_each_id_reaches_its_real(self):
        sids = [101, 102, 103, 104] * 5
        frames = [ack(i, SID(s)) for i, s in enumerate(sids)]
        self.check_hits(frames, sids, "ACK with server_id")

    def test_ipv6_vip_ids(self):
        sids = [201, 202, 101] * 4
        frames = [ack(i, SID(s), P.VIP6, 443) for i, s in enumerate(sids)]
        self.check_hits(frames, sids, "IPv6 ACK with server_id")

    def test_id_beats_conntrack_and_ring(self):
        """Flows placed by SYN on one real, then ACKs naming each other real."""
        syns = [P.tcp_frame(P.client4(i), P.VIP4, 30000 + i, 80, "S") for i in range(40)]
        placed = [G.real_of(o) for o in self.replay(CFG, syns).out]
        sids = []
        for real in placed:
            sids.append(next(s for s in (101, 102, 103) if SID_OF[s] != real))
        frames = syns + [ack(i, SID(s)) for i, s in enumerate(sids)]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 80, "tx": 80, "ct_miss": 40, "sid_hit": 40},
                            "SYN then ACK with another real's id")
        for i, (fout, s) in enumerate(zip(r.out[40:], sids)):
            self.assertEqual(G.real_of(fout), SID_OF[s], "flow %d: id %d wins" % (i, s))

    def test_id_on_no_lru_vip(self):
        frames = [ack(i, SID(102), port=8080) for i in range(10)]
        self.check_hits(frames, [102] * 10, "no_lru VIP ACK with server_id")

    def test_unknown_id_takes_normal_path(self):
        frames = [ack(i, SID(sid)) for i, sid in enumerate([999, 0xFFFFFFFF, 105, 201 + 1000])]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 4, "tx": 4, "sid_miss": 4, "ct_miss": 4}, "unknown ids")
        self.assertEqual([G.real_of(o) for o in r.out], ring_choice(self, frames),
                         "unknown id: the ring's choice")

    def test_id_zero_is_no_id(self):
        frames = [ack(1, SID(0))]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1}, "server_id 0")

    def test_syn_ignores_id(self):
        frames = [ack(i, SID(102), flags="S") for i in range(30)]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 30, "tx": 30, "ct_miss": 30}, "SYN with server_id")
        self.assertEqual([G.real_of(o) for o in r.out], ring_choice(self, frames),
                         "SYN with server_id: the ring's choice")

    def test_synack_and_rst_and_fin_use_id(self):
        flags = ["SA", "R", "FA", "PA", "RA", "U"]
        frames = [ack(i, SID(103), flags=fl) for i, fl in enumerate(flags)]
        r = self.replay(CFG, frames)
        self.assertCounters(r, {"rx": 6, "tx": 6, "sid_hit": 5, "ct_miss": 1},
                            "flags with id (SYN-ACK has SYN: no id lookup)")
        got = [G.real_of(o) for o in r.out]
        self.assertEqual(got[1:], [P.real4(3)] * 5, "R, FA, PA, RA, U follow the id")

    def test_option_positions(self):
        placements = {
            "first": SID(102),
            "after NOPs": NOP * 2 + SID(102),
            "after MSS WS SACKOK": MSS + WS + SACKOK + SID(102),
            "after timestamps": NOP + NOP + TS + SID(102),
            "before timestamps": SID(102) + NOP + NOP + TS,
            "after 14 NOPs (15th option)": NOP * 14 + SID(102),
            "ending at byte 40 of the options": TS + TS + TS + NOP * 4 + SID(102),
            "after an unknown option": b"\xfd\x04\xab\xcd" + SID(102),
        }
        for name, opts in placements.items():
            with self.subTest(placement=name):
                self.assertLessEqual(len(opts), 40, "test bug: %s too long" % name)
                self.check_hits([ack(3, opts)], [102], "id %s" % name)

    def test_option_not_found(self):
        """Options the walk must not (or need not) find: the packet takes the normal path."""
        cases = {
            "after EOL": EOL + SID(102),
            "length 8 (not 6)": struct.pack("!BBIH", 0xB7, 8, 102, 0),
            "length 4": struct.pack("!BBH", 0xB7, 4, 102),
            "after a zero-length option": b"\x22\x00" + SID(102),
            "after a length-1 option": b"\x22\x01" + SID(102),
            "after an option running past the header": b"\x22\x28" + SID(102),
            "after 15 NOPs (walk limit)": NOP * 15 + SID(102),
        }
        for name, opts in cases.items():
            with self.subTest(case=name):
                f = ack(4, opts)
                r = self.replay(CFG, [f])
                self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1}, "id %s" % name)
                self.assertEncap(f, r.out[0], G.real_of(r.out[0]), "ipip", name)
                self.assertEqual(G.real_of(r.out[0]), ring_choice(self, [f])[0],
                                 "%s: the ring's choice" % name)

    def test_option_cut_by_data_offset(self):
        """The id option runs past the TCP header (data offset): not used."""
        opts = NOP * 2 + SID(102)  # 8 bytes, header says only 4 of them are options
        f = ack(5, opts, doff=6)
        r = self.replay(CFG, [f])
        self.assertCounters(r, {"rx": 1, "tx": 1, "ct_miss": 1}, "id cut by data offset")
        self.assertEncap(f, r.out[0], ring_choice(self, [f])[0], "ipip", "id cut by data offset")


if __name__ == "__main__":
    G.main()
