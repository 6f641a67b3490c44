# SPDX-License-Identifier: BSD-3-Clause
"""
Golden tests, malformed input: TCP option lists, as the server_id walk
(core/include/shoal/tcpopt.h) reads them. The walk stops at the end of the
TCP header, at EOL, at an option whose length is below 2 (a length of 0 or
1 would point at itself) or runs past the header, and after 15 options; it
never loops and never reads past the header. Whatever the options, a packet
with a whole TCP header to a VIP is tunnelled untouched: by the server_id when
the walk finds a known one (tx+sid_hit), else by conntrack or the ring (tx).
table() holds every case; the id's real is drained (weight 0), so only a
server_id reaches it.
"""
import struct

import goldenlib as G
import test_malformed_hdr as H
from goldenlib import P

ID = 103
ID_REAL = P.real4(3)
CFG = P.config([
    P.vip(P.VIP4, "tcp", 80, [P.real(P.real4(1), 1, 101), P.real(P.real4(2), 1, 102),
                              P.real(ID_REAL, 0, ID)]),
    P.vip(P.VIP6, "tcp", 80, [P.real(P.real6(1), 1, 201), P.real(P.real6(2), 1, 202),
                              P.real(ID_REAL, 0, ID)]),
])

SID = struct.pack("!BBI", 0xB7, 6, ID)
OTHER_SID = struct.pack("!BBI", 0xB7, 6, 101)  # a known id of a real the ring uses too
NOP, EOL = b"\x01", b"\x00"
SHORT = b"\x22\x02"                           # an unknown option, length 2 (no data)
WS = b"\x03\x03\x07"
TS = b"\x08\x0a" + b"\x00\x00\x10\x00" + b"\x00\x00\x20\x00"
FOUND, RING = "tx+sid_hit", "tx"

# (name, option bytes, data offset (None: fits the options), payload, outcome)
OPTION_LISTS = [
    ("no options", b"", None, b"", RING),
    ("server_id first", SID, None, b"", FOUND),
    ("server_id, then EOL padding", SID + EOL * 2, None, b"", FOUND),
    ("server_id then payload", SID, None, b"payload", FOUND),
    # The walk limit: 15 options, however short.
    ("14 NOPs, server_id 15th", NOP * 14 + SID, None, b"", FOUND),
    ("15 NOPs, server_id 16th", NOP * 15 + SID, None, b"", RING),
    ("40 NOPs", NOP * 40, None, b"", RING),
    ("14 2-byte options, server_id 15th", SHORT * 14 + SID, None, b"", FOUND),
    ("15 2-byte options, server_id 16th", SHORT * 15 + SID, None, b"", RING),
    ("7 NOPs, 7 2-byte options, server_id 15th", NOP * 7 + SHORT * 7 + SID, None, b"", FOUND),
    ("7 NOPs, 8 2-byte options, server_id 16th", NOP * 7 + SHORT * 8 + SID, None, b"", RING),
    ("11 window scales, NOP, server_id 13th", WS * 11 + NOP + SID, None, b"", FOUND),
    ("14 server_ids of length 2, server_id 15th", b"\xb7\x02" * 14 + SID, None, b"", FOUND),
    ("15 server_ids of length 2, server_id 16th", b"\xb7\x02" * 15 + SID, None, b"", RING),
    ("server_id in the last 6 bytes, 14th option", TS * 3 + NOP * 4 + SID, None, b"", FOUND),
    # Lengths of 0 and 1 would point at the option itself: the walk stops.
    ("zero-length option, then server_id", b"\x22\x00" + SID, None, b"", RING),
    ("length-1 option, then server_id", b"\x22\x01" + SID, None, b"", RING),
    ("zero-length options only", b"\x22\x00" * 4, None, b"", RING),
    ("length-1 options only", b"\x22\x01\x22\x01", None, b"", RING),
    ("server_id of length 0, then server_id", b"\xb7\x00" + SID, None, b"", RING),
    ("server_id of length 1, then server_id", b"\xb7\x01" + SID, None, b"", RING),
    ("14 NOPs, zero-length option 15th", NOP * 14 + b"\x22\x00" + SID, None, b"", RING),
    # Lengths past the header end: the walk stops, whatever the bytes after.
    ("length past the header, then server_id", b"\x22\x28" + SID, None, b"", RING),
    ("length 255 options", b"\xff" * 40, None, b"", RING),
    ("server_id of length 255", b"\xb7\xff\x00\x00\x00\x67", None, b"", RING),
    ("server_id cut by the data offset", NOP * 2 + SID, 6, b"", RING),
    ("server_id cut by the data offset, payload after", NOP * 2 + SID, 6, b"more-bytes", RING),
    ("ends mid-option (MSS cut)", b"\x02\x04\x05", None, b"", RING),
    ("only a server_id kind, last byte of the frame", TS * 3 + NOP * 9 + b"\xb7", None, b"",
     RING),
    ("only a server_id kind, last header byte, payload after", TS * 3 + NOP * 9 + b"\xb7", None,
     b"\xb7\x06payload", RING),
    # Lengths are followed exactly: an option's data is never read as options.
    ("one option of 40 bytes holding a server_id", b"\x22\x28" + SID + b"\0" * 32, None, b"",
     RING),
    ("option of 8 holding another id, then server_id", b"\xfd\x08" + OTHER_SID + SID, None, b"",
     FOUND),
    ("length-2 server_id holding nothing, then server_id", b"\xb7\x02" + SID, None, b"", FOUND),
    ("server_id of length 8 holding an id", b"\xb7\x08" + SID[2:] + b"\0\0", None, b"", RING),
    ("server_id of length 8, then server_id", b"\xb7\x08" + b"\0" * 6 + SID, None, b"", FOUND),
    ("EOL, then server_id", EOL + SID, None, b"", RING),
    ("EOL only", EOL * 8, None, b"", RING),
]


def frame(i, opts, doff, payload, six, vlan):
    """Option list i in an ACK to the VIP (its own client port: no conntrack between cases)."""
    c, vip = (P.client6(1), P.VIP6) if six else (P.client4(1), P.VIP4)
    seg = P.tcp_bytes(c, vip, 20000 + i, 80, "A", opts, payload, doff)
    ip = P.IPv6(src=c, dst=vip, nh=6, plen=len(seg)) if six else \
        P.IP(src=c, dst=vip, proto=6, len=20 + len(seg))
    return P.frame_of(bytes(ip) + seg, vlan)


def table():
    """[(name, frame, outcome)]: every option list over IPv4, IPv6 and IPv4 in a VLAN tag."""
    rows = []
    for k, (six, vlan, what) in enumerate(((False, None, "IPv4"), (True, None, "IPv6"),
                                           (False, 12, "IPv4 VLAN"))):
        for i, (name, opts, doff, payload, outcome) in enumerate(OPTION_LISTS):
            assert doff is not None or len(opts) <= 40, "test bug: %s: too many options" % name
            rows.append(("%s: %s" % (what, name),
                         frame(100 * k + i, opts, doff, payload, six, vlan), outcome))
    return rows


class TcpOptionTest(H.MalformedCase):

    def test_option_lists(self):
        self.assertOutcomes(CFG, table(), "TCP option lists")

    def test_routed_untouched(self):
        """Found: to the id's real; not found: to a real of the ring. The inner packet untouched."""
        cases = table()
        r = self.replay(CFG, [f for _, f, _ in cases])
        self.assertEqual(r.summary["tx"], len(cases), "every packet tunnelled")
        for (name, fin, outcome), fout in zip(cases, r.out):
            real = G.real_of(fout)
            if outcome == FOUND:
                self.assertEqual(real, ID_REAL, "%s: the id's real" % name)
            else:
                self.assertNotEqual(real, ID_REAL, "%s: a real of the ring" % name)
            self.assertEncap(fin, fout, real, "ipip", name)


if __name__ == "__main__":
    G.main()
