# SPDX-License-Identifier: BSD-3-Clause
"""
Shared machinery of the golden tests: run shoal-replay on scapy-made packets,
read its JSON summary and out.pcap, and check output packets field by field.

Every test script is run as
    /usr/bin/python3 tests/golden/test_X.py path/to/shoal-replay [unittest args]
(meson passes the path); SHOAL_REPLAY in the environment works too.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC_ROOT, "tests", "pkts"))

import shoalpkts as P  # noqa: E402
from scapy.all import ICMP, IP, UDP, IPv6, Dot1Q, Ether, Raw, in6_chksum  # noqa: E402

BINARY = os.environ.get("SHOAL_REPLAY")


def _counter_names():
    """(all counter keys, drop reason keys) in counters.def order."""
    path = os.path.join(SRC_ROOT, "core", "include", "shoal", "counters.def")
    with open(path) as f:
        text = f.read()
    ctrs = re.findall(r"^SH_(CTR|DROP)\((\w+),", text, re.M)
    return [n.lower() for _, n in ctrs], [n.lower() for k, n in ctrs if k == "DROP"]


COUNTERS, DROPS = _counter_names()
VERDICTS = ["tx", "pass"] + DROPS  # exactly one of these per packet


class Run:
    """What one shoal-replay run gave: exit code, output, summary, out.pcap frames."""

    def __init__(self, rc, stdout, stderr, out_frames):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.out = out_frames
        self.summary = json.loads(stdout) if rc == 0 and stdout.strip().startswith("{") else None

    @property
    def counters(self):
        return self.summary["counters"]

    def real_stats(self):
        """{address: (packets, bytes)} from the JSON summary."""
        return {P.norm(r["address"]): (r["packets"], r["bytes"]) for r in self.summary["reals"]}

    def verdicts(self):
        return {k: self.counters[k] for k in VERDICTS}


def run_replay(cfg, frames, times_us=None, json_out=True, extra_args=None, cfg_path=None,
               in_path=None, out_path=None):
    """Run shoal-replay on frames with config cfg (a dict or raw text) in a temp dir."""
    with tempfile.TemporaryDirectory(prefix="shoal-golden-") as d:
        cfg_file = cfg_path or os.path.join(d, "lb.json")
        in_file = in_path or os.path.join(d, "in.pcap")
        out_file = out_path or os.path.join(d, "out.pcap")
        if cfg is not None:
            P.write_config(cfg_file, cfg)
        if frames is not None:
            P.write_pcap(in_file, frames, times_us=times_us)
        args = [BINARY, "--config", cfg_file, "--in", in_file, "--out", out_file]
        if json_out:
            args.append("--json")
        args += extra_args or []
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        out = P.read_pcap(out_file) if p.returncode == 0 and os.path.exists(out_file) else []
        return Run(p.returncode, p.stdout, p.stderr, out)


# --- decoding outputs -------------------------------------------------------

class Encap:
    """An encapsulated output frame taken apart with scapy."""

    def __init__(self, frame):
        self.raw = bytes(frame)
        self.eth = Ether(self.raw)
        self.vlan = self.eth.getlayer(Dot1Q)
        self.l2_len = P.l2_len(self.raw)
        ip_raw = self.raw[self.l2_len:]
        self.v6 = (ip_raw[0] >> 4) == 6
        if self.v6:
            self.ip = IPv6(ip_raw)
            self.ip_len = 40 + self.ip.plen
            next_off, proto = 40, self.ip.nh
        else:
            self.ip = IP(ip_raw)
            self.ip_len = self.ip.len
            next_off, proto = self.ip.ihl * 4, self.ip.proto
        self.ip_raw = ip_raw[:self.ip_len]
        self.udp = None
        if proto == 17:
            self.udp = UDP(self.ip_raw[next_off:next_off + 8])
            next_off += 8
        self.proto = proto
        self.inner = self.ip_raw[next_off:]

    @property
    def dst(self):
        return P.norm(self.ip.dst)


def real_of(frame):
    """Destination of an encapsulated frame's outer header: the real (fast, no scapy)."""
    b = bytes(frame)
    ip = b[P.l2_len(b):]
    if ip[0] >> 4 == 6:
        return str(ipaddress.IPv6Address(ip[24:40]))
    return str(ipaddress.IPv4Address(ip[16:20]))


def inner_len(frame):
    """Length of the inner packet of an encapsulated frame (fast, no scapy)."""
    b = bytes(frame)
    ip = b[P.l2_len(b):]
    if ip[0] >> 4 == 6:
        n, proto = int.from_bytes(ip[4:6], "big"), ip[6]
    else:
        n, proto = int.from_bytes(ip[2:4], "big") - (ip[0] & 0xF) * 4, ip[9]
    return n - 8 if proto == 17 else n


# --- checksums, recomputed by scapy ---------------------------------------

def ipv4_header_csum_ok(ip_raw):
    """Does the IPv4 header checksum match scapy's recomputation?"""
    ihl = (ip_raw[0] & 0xF) * 4
    hdr = IP(ip_raw[:ihl])
    got = hdr.chksum
    del hdr.chksum
    return IP(bytes(hdr)).chksum == got, got, IP(bytes(hdr)).chksum


def icmp4_csum_ok(ip_raw):
    """ICMPv4 checksum of the IP packet ip_raw, against scapy's recomputation."""
    ihl = (ip_raw[0] & 0xF) * 4
    icmp_raw = ip_raw[ihl:]
    got = int.from_bytes(icmp_raw[2:4], "big")
    rebuilt = ICMP(icmp_raw[:8]) / Raw(icmp_raw[8:])
    del rebuilt[ICMP].chksum
    want = ICMP(bytes(rebuilt)).chksum
    return got == want, got, want


def icmp6_csum_ok(ip_raw):
    """ICMPv6 checksum (type, code, checksum right after a bare IPv6 header)."""
    ip = IPv6(ip_raw[:40])
    body = ip_raw[40:40 + ip.plen]
    got = int.from_bytes(body[2:4], "big")
    want = in6_chksum(58, IPv6(ip_raw[:40]), body[:2] + b"\0\0" + body[4:])
    return got == want, got, want


# --- assertions ---------------------------------------------------------------

class GoldenCase(unittest.TestCase):
    """unittest.TestCase with shoal-specific assertions."""

    maxDiff = None

    def replay(self, cfg, frames, **kw):
        r = run_replay(cfg, frames, **kw)
        self.assertEqual(r.rc, 0, "shoal-replay failed (rc %d): %s" % (r.rc, r.stderr.strip()))
        self.assertIsNotNone(r.summary, "no JSON summary: %r" % r.stdout[:200])
        self.assertEqual(r.summary["packets_in"], len(frames), "packets_in")
        self.assertEqual(len(r.out), r.summary["tx"], "out.pcap holds every tx packet")
        return r

    def assertCounters(self, run, expected, what):
        """Every counter is as expected (counters not named must be 0)."""
        want = {k: expected.get(k, 0) for k in COUNTERS}
        got = dict(run.counters)
        self.assertEqual(got, want, "%s: counters (got vs expected)" % what)
        drops = sum(run.counters[k] for k in DROPS)
        self.assertEqual(run.summary["drop"], drops, "%s: drop total" % what)
        self.assertEqual(run.summary["tx"], run.counters["tx"], "%s: tx" % what)
        self.assertEqual(run.summary["pass"], run.counters["pass"], "%s: pass" % what)

    def assertSomeCounters(self, run, expected, what):
        """The named counters have exactly these values; others are not checked."""
        got = {k: run.counters[k] for k in expected}
        self.assertEqual(got, dict(expected), "%s: counters" % what)

    def assertEncap(self, frame_in, frame_out, real, encap="ipip", what="packet",
                    gue_port=P.GUE_PORT, hash_key=P.HASH_KEY):
        """
        frame_out is frame_in tunnelled to real, checked field by field against
        the spec: L2, outer IP, GUE UDP, inner bytes.
        """
        fin = bytes(frame_in)
        inner = P.ip_bytes(fin)
        o = Encap(frame_out)
        real6 = P.is6(real)
        gue = encap == "gue"
        self.assertL2Forward(fin, o, what)
        self.assertEqual(o.v6, real6, "%s: outer family follows the real" % what)
        self.assertEqual(o.dst, P.norm(real), "%s: outer dst is the real" % what)
        tos = self._inner_tos(inner)
        udp_len = 8 if gue else 0
        if real6:
            self.assertEqual(P.norm(o.ip.src), P.norm(P.LB6), "%s: outer src is lb.ipv6_src" % what)
            self.assertEqual(o.ip.version, 6, "%s: version" % what)
            self.assertEqual(o.ip.hlim, P.TTL, "%s: outer hop limit" % what)
            self.assertEqual(o.ip.tc, tos, "%s: outer traffic class copies inner tos" % what)
            self.assertEqual(o.ip.plen, udp_len + len(inner), "%s: outer payload length" % what)
            nh = 17 if gue else (41 if len(inner) and inner[0] >> 4 == 6 else 4)
            self.assertEqual(o.ip.nh, nh, "%s: outer next header" % what)
            h = self._flow_hash_of(inner, hash_key)
            if h is not None:
                self.assertEqual(o.ip.fl, P.flow_label(h),
                                 "%s: flow label is the low 20 bits of the flow hash" % what)
        else:
            ip = o.ip
            self.assertEqual(P.norm(ip.src), P.norm(P.LB4), "%s: outer src is lb.ipv4_src" % what)
            self.assertEqual((ip.version, ip.ihl), (4, 5), "%s: outer version/ihl" % what)
            self.assertEqual(ip.ttl, P.TTL, "%s: outer TTL" % what)
            self.assertEqual(ip.tos, tos, "%s: outer tos copies inner" % what)
            self.assertEqual(ip.id, 0, "%s: outer id" % what)
            self.assertEqual(int(ip.flags), 2, "%s: outer flags = DF only" % what)
            self.assertEqual(ip.frag, 0, "%s: outer fragment offset" % what)
            self.assertEqual(ip.len, 20 + udp_len + len(inner), "%s: outer total length" % what)
            proto = 17 if gue else (41 if inner[0] >> 4 == 6 else 4)
            self.assertEqual(ip.proto, proto, "%s: outer protocol" % what)
            ok, got, want = ipv4_header_csum_ok(o.ip_raw)
            self.assertTrue(ok, "%s: outer IPv4 checksum %#06x, scapy says %#06x" % (what, got, want))
        if gue:
            self.assertIsNotNone(o.udp, "%s: GUE needs an outer UDP header" % what)
            self.assertEqual(o.udp.dport, gue_port, "%s: GUE dport is lb.gue_port" % what)
            self.assertEqual(o.udp.len, 8 + len(inner), "%s: GUE UDP length" % what)
            self.assertEqual(o.udp.chksum, 0, "%s: GUE UDP checksum is 0" % what)
            self.assertEqual(o.udp.sport & 0xC000, 0xC000, "%s: GUE sport in 0xC000.." % what)
            h = self._flow_hash_of(inner, hash_key)
            if h is not None:
                self.assertEqual(o.udp.sport, P.gue_sport(h),
                                 "%s: GUE sport = 0xC000 | 14 bits of the flow hash" % what)
        self.assertEqual(o.inner, inner, "%s: inner packet bytes identical to the input's" % what)
        return o

    def assertL2Forward(self, fin, o, what):
        """Ethernet of a frame sent to the gateway: dst gateway, src the LB, VLAN kept."""
        self.assertEqual(o.eth.dst, P.GW_MAC, "%s: eth dst is lb.gateway_mac" % what)
        self.assertEqual(o.eth.src, Ether(fin).dst, "%s: eth src is the input's dst MAC" % what)
        self._assertVlanKept(fin, o.raw, "0800" if not o.v6 else "86dd", what)

    def _assertVlanKept(self, fin, fout, ethertype_hex, what):
        in_l2, out_l2 = P.l2_len(fin), P.l2_len(fout)
        self.assertEqual(out_l2, in_l2, "%s: VLAN tag kept (or absent) as on input" % what)
        if in_l2 == 18:
            self.assertEqual(fout[12:16], fin[12:16], "%s: VLAN TPID and TCI kept" % what)
            self.assertNotIn(fout[16:18], (b"\x81\x00", b"\x88\xa8"), "%s: one tag only" % what)
        self.assertEqual(fout[out_l2 - 2:out_l2].hex(), ethertype_hex, "%s: ethertype" % what)

    def assertL2Reply(self, fin, fout, ethertype_hex, what):
        """Ethernet of a reply: MACs swapped, VLAN kept."""
        ein, eout = Ether(fin), Ether(fout)
        self.assertEqual(eout.dst, ein.src, "%s: reply eth dst is the input's src" % what)
        self.assertEqual(eout.src, ein.dst, "%s: reply eth src is the input's dst" % what)
        self._assertVlanKept(fin, fout, ethertype_hex, what)

    @staticmethod
    def _inner_tos(inner):
        if inner[0] >> 4 == 6:
            return ((inner[0] & 0xF) << 4) | (inner[1] >> 4)
        return inner[1]

    @staticmethod
    def _flow_hash_of(inner, hash_key):
        """The hash the LB uses for this inner packet (None if not TCP/UDP unfragmented)."""
        if inner[0] >> 4 == 4:
            ip = IP(inner)
            if ip.flags.MF or ip.frag:
                return P.flow_hash(ip.src, ip.dst, 0, 0, ip.proto, hash_key)
            if ip.proto not in (6, 17):
                return None
            l4 = inner[ip.ihl * 4:]
            return P.flow_hash(ip.src, ip.dst, int.from_bytes(l4[0:2], "big"),
                               int.from_bytes(l4[2:4], "big"), ip.proto, hash_key)
        ip = IPv6(inner)
        if ip.nh == 44:
            fh = inner[40:48]
            if int.from_bytes(fh[2:4], "big") & 0xFFF9:
                return P.flow_hash(ip.src, ip.dst, 0, 0, fh[0], hash_key)
            if fh[0] not in (6, 17):
                return None
            l4 = inner[48:]
            return P.flow_hash(ip.src, ip.dst, int.from_bytes(l4[0:2], "big"),
                               int.from_bytes(l4[2:4], "big"), fh[0], hash_key)
        if ip.nh not in (6, 17):
            return None
        l4 = inner[40:]
        return P.flow_hash(ip.src, ip.dst, int.from_bytes(l4[0:2], "big"),
                           int.from_bytes(l4[2:4], "big"), ip.nh, hash_key)

    # --- verdicts of many packets, grouped -------------------------------

    def assertVerdicts(self, cfg, cases, what):
        """
        cases: [(name, frame, verdict)] with verdict one of VERDICTS. Runs each
        group of equal expected verdict once and compares every verdict
        counter; on a mismatch, splits the group in halves (recursively) to
        name each offending packet and the verdict it got.
        """
        groups = {}
        for name, frame, verdict in cases:
            self.assertIn(verdict, VERDICTS, "test bug: unknown verdict %s" % verdict)
            groups.setdefault(verdict, []).append((name, bytes(frame)))
        failures = []
        for verdict, members in sorted(groups.items()):
            self._find_wrong_verdicts(cfg, verdict, members, failures)
        if failures:
            self.fail("%s: %d of %d packets with a wrong verdict:\n  %s" % (
                what, len(failures), len(cases), "\n  ".join(failures[:30])))

    def _find_wrong_verdicts(self, cfg, verdict, members, failures):
        r = self.replay(cfg, [f for _, f in members])
        want = {k: 0 for k in VERDICTS}
        want[verdict] = len(members)
        if r.verdicts() == want and r.counters["rx"] == len(members):
            return
        if len(members) == 1:
            got = [k for k in VERDICTS if r.counters[k]]
            name, f = members[0]
            failures.append("%s: expected %s, got %s (frame %s)" % (
                name, verdict, "+".join(got) or "nothing", f.hex()))
            return
        half = len(members) // 2
        self._find_wrong_verdicts(cfg, verdict, members[:half], failures)
        self._find_wrong_verdicts(cfg, verdict, members[half:], failures)


def main():
    global BINARY
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BINARY = sys.argv.pop(1)
    if not BINARY or not os.access(BINARY, os.X_OK):
        sys.exit("usage: %s path/to/shoal-replay [unittest args] (or set SHOAL_REPLAY)"
                 % sys.argv[0])
    BINARY = os.path.abspath(BINARY)
    unittest.main(module="__main__", verbosity=2)
