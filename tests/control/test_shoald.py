#!/usr/bin/python3
"""shoald and shoalctl end to end, on the XDP backend in a network namespace.

    test_shoald.py BUILD_DIR

Checks the control plane the way an operator meets it: the socket is root-only,
every command works and a bad one is refused whole (the running config, read
back, is byte for byte unchanged), SIGHUP reloads and refuses a bad file, the
socket survives garbage, oversized, silent and too many clients, counters agree
with the frames sent, and SIGTERM leaves the XDP program forwarding for the
next shoald.

The bad inputs are tables: every key of docs/config.md's tables and every
command and argument shoald itself lists (its unknown-key errors name them)
must have cases here, so a new field or argument cannot go untested.
Namespaces and addresses (198.18.0.0/15, 2001:db8::/32) are this test's own.
"""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else "build"
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHOALD = os.path.join(BUILD, "control", "shoald")
SHOALCTL = os.path.join(BUILD, "control", "shoalctl")
XDP_CTL = os.path.join(BUILD, "tests", "xdp", "xdp_live_ctl")
TAG = f"sd{os.getpid() % 100000}"
NS_LB, NS_CL = f"{TAG}lb", f"{TAG}cl"
LB_IF, CL_IF = f"{TAG}a", f"{TAG}b"
VIP = "198.18.100.1:80/tcp"
MAX_VIPS = 4         # shoald --max-vips here: room for the tests' VIPs, small enough to reach
MAX_CLIENTS = 64     # control/ctl_server.h
MAX_LINE = 65535     # bytes of a request before its newline (control/ctl_proto.h)
IDLE_MS = 10000      # control/ctl_server.h
with open(SHOALD, "rb") as _f:
    SANITIZED = b"__asan_init" in _f.read()  # an ASan build: resident memory means little
MAX_PENDING = 4 << 20  # answers queued for a client that does not read (ctl_server.h)

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


def render(value):
    """A JSON value the way shoald's errors show it (compact, ASCII)."""
    return json.dumps(value, separators=(",", ":"))


def docs_schema():
    """{(section, key): (type, range cell)} of docs/config.md's field tables."""
    rows, section = {}, None
    with open(os.path.join(SRC, "docs", "config.md")) as f:
        for line in f:
            if line.startswith("## "):
                m = re.search(r"`([^`]+)`", line)
                section = "top" if "Top level" in line else m.group(1) if m else None
            elif section and line.startswith("| `"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) == 4:
                    rows[(section, cells[0].strip("`"))] = (cells[1], cells[3])
    return rows


def docs_range(section, key):
    lo, hi = re.search(r"(-?\d+) \.\. (-?\d+)", docs_schema()[(section, key)][1]).groups()
    return int(lo), int(hi)


class Conn:
    """A raw client of the control socket: one JSON line each way."""

    def __init__(self, path, timeout=5):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def line(self):
        """The next line received, without its newline."""
        while b"\n" not in self.buf:
            data = self.s.recv(1 << 20)
            if not data:
                raise EOFError(f"the daemon closed the connection; received {self.buf[:200]!r}")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def ask(self, req):
        self.s.sendall((req if isinstance(req, bytes) else json.dumps(req).encode()) + b"\n")
        raw = self.line()
        return raw, json.loads(raw)

    def closed(self):
        """The daemon closed the connection (nothing more follows)."""
        try:
            return self.buf == b"" and self.s.recv(1 << 16) == b""
        except ConnectionResetError:  # closed with our unread bytes in its queue
            return self.buf == b""

    def close(self):
        self.s.close()


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
        # A veth delivers the LB's XDP_TX frames only to a peer that runs XDP too.
        sh(*in_ns(NS_CL, XDP_CTL, "pass", CL_IF))
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
    def write_config(cls, cfg, path=None):
        with open(path or cls.cfg_path, "w") as f:
            f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))

    @classmethod
    def start_daemon(cls):
        cls.log = open(os.path.join(cls.tmp, "shoald.log"), "a")
        cls.daemon = subprocess.Popen(
            in_ns(NS_LB, SHOALD, "--config", cls.cfg_path, "--iface", LB_IF, "--socket", cls.sock,
                  "--pin-root", cls.pins, "--max-vips", str(MAX_VIPS)),
            stdout=cls.log, stderr=cls.log)
        for _ in range(100):
            if os.path.exists(cls.sock) and cls.ctl("show").returncode == 0:
                return
            if cls.daemon.poll() is not None:
                with open(cls.log.name) as f:
                    raise AssertionError(f"shoald exited {cls.daemon.returncode}: " + f.read()[-2000:])
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
    def ctl(cls, *args, user=None):
        pre = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
        return subprocess.run([*pre, SHOALCTL, "--socket", cls.sock, *args], capture_output=True,
                              text=True, timeout=30)

    def setUp(self):
        self.assertIsNone(self.daemon.poll(), "shoald is gone")

    def tearDown(self):
        """Every test leaves shoald running the file's config, CONFIG."""
        if self.daemon and self.daemon.poll() is None:
            self.write_config(CONFIG)
            _, resp = self.ask({"cmd": "reload"})
            self.assertTrue(resp["ok"], resp)

    # ---- helpers ----

    def running_config(self):
        r = self.ctl("config")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def ask(self, req):
        c = Conn(self.sock)
        try:
            return c.ask(req)
        finally:
            c.close()

    def show_raw(self):
        raw, resp = self.ask({"cmd": "show"})
        self.assertTrue(resp["ok"], resp)
        return raw

    def assert_error_line(self, err):
        self.assertRegex(err, r"\A[\x20-\x7e]+\Z", "an error that is not one printable line")

    def refused(self, req, error):
        """req is refused with exactly `error` (a str, or a compiled regex to match whole);
        the running config, as show sends it, is byte for byte what it was."""
        before = self.show_raw()
        raw, resp = self.ask(req)
        self.assertEqual(set(resp), {"ok", "error"}, raw)
        self.assertIs(resp["ok"], False, raw)
        self.assert_error_line(resp["error"])
        if isinstance(error, str):
            self.assertEqual(resp["error"], error, f"request {req!r}")
        else:
            self.assertRegex(resp["error"], error, f"request {req!r}")
        self.assertEqual(self.show_raw(), before, f"{req!r} was refused but changed the config")
        return resp["error"]

    def accepted(self, req):
        raw, resp = self.ask(req)
        self.assertIs(resp.get("ok"), True, f"{req!r}: {raw}")
        return resp

    def reload_refused(self, cfg, error):
        """A config file that is refused whole by `reload`, with this error."""
        self.write_config(cfg)
        return self.refused({"cmd": "reload"}, error)

    def refused_cli(self, *args, error, code=1):
        """shoalctl exits `code` with exactly one line, `error`; the config is unchanged."""
        before = self.show_raw()
        r = self.ctl(*args)
        self.assertEqual(r.returncode, code, f"shoalctl {' '.join(args)}: {r.stdout}{r.stderr}")
        first = r.stderr.splitlines()[0] if r.stderr else ""
        self.assertEqual(first, error, f"shoalctl {' '.join(args)}")
        if code == 1:
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertEqual(self.show_raw(), before, f"shoalctl {' '.join(args)} changed the config")

    def wait_for(self, cond, what, seconds=10):
        end = time.time() + seconds
        while time.time() < end:
            if cond():
                return
            time.sleep(0.1)
        self.fail(f"{what}: not within {seconds} s")

    def forwarded(self, n=40):
        """Send n new TCP flows to VIP from the client side; the outer destinations of the
        tunnelled packets the LB sends back, as {address: packets}."""
        script = f"""
import json
from scapy.all import AsyncSniffer, Ether, IP, TCP, sendp
sn = AsyncSniffer(iface="{CL_IF}", lfilter=lambda p: IP in p and p[IP].proto == 4)
sn.start()
import time; time.sleep(0.3)
sendp([Ether(dst="02:00:00:00:00:0b") / IP(src="198.19.9.%d" % (i + 1), dst="198.18.100.1") /
       TCP(sport=41000 + i, dport=80, flags="S") for i in range({n})], iface="{CL_IF}", verbose=False)
time.sleep(0.5)
out = {{}}
for p in sn.stop():
    out[p[IP].dst] = out.get(p[IP].dst, 0) + 1
print(json.dumps(out))
"""
        return json.loads(sh(*in_ns(NS_CL, "/usr/bin/python3", "-c", script)).stdout)

    # ---- the socket itself ----

    def test_socket_is_root_only(self):
        st = os.stat(self.sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, 0)
        # As the files are: another user cannot even connect.
        r = self.ctl("show", user=65534)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stderr.strip(), f"shoalctl: {self.sock}: Permission denied (the control "
                         "socket is root only)")
        # With the file opened up, the peer's credentials still turn it away, with a reason.
        before = self.show_raw()
        client = f"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect({self.sock!r})
try:
    s.sendall(b'{{"cmd": "vip-del", "vip": "{VIP}"}}\\n')
except BrokenPipeError:  # turned away before the request was read
    pass
data = b""
while True:
    try:
        chunk = s.recv(4096)
    except ConnectionResetError:  # closed with the request unread: what came before counts
        break
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
"""
        os.chmod(self.tmp, 0o711)
        os.chmod(self.sock, 0o666)
        try:
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                "/usr/bin/python3", "-c", client], capture_output=True, text=True,
                               timeout=30)
            cli = self.ctl("vip", "del", VIP, user=65534)
        finally:
            os.chmod(self.sock, 0o600)
            os.chmod(self.tmp, 0o700)
        self.assertEqual(r.returncode, 0, r.stderr)
        refusal = {"ok": False, "error": "control: root only (the peer's uid is 65534)"}
        self.assertEqual([json.loads(l) for l in r.stdout.splitlines()], [refusal])
        self.assertEqual(cli.returncode, 1)
        self.assertEqual(cli.stderr.strip(), "shoalctl: " + refusal["error"])
        self.assertEqual(self.show_raw(), before)
        self.assertEqual(stat.S_IMODE(os.stat(self.sock).st_mode), 0o600)

    def test_socket_survives_garbage(self):
        """Each bad line gets one error line; the same connection then serves a good request."""
        cases = [
            (b"\x00\xffnot json at all", r"request: not JSON: column \d+: .+"),
            (b"\xff\xfe", r"request: not JSON: column \d+: unable to decode byte 0xff"),
            (b"", r"request: not JSON: column \d+: .+"),
            (b"{", r"request: not JSON: column \d+: .+"),
            (b"{'cmd': 'show'}", r"request: not JSON: column \d+: .+"),
            (b'{"cmd": "show"} x', r"request: not JSON: column \d+: end of file expected near 'x'"),
            (b'{"cmd": "show", "cmd": "stats"}', r"request: not JSON: .*duplicate object key.*"),
            (b"[1, 2]", r"request: must be a JSON object \(got \[1,2\]\)"),
            (b'"show"', r"request: must be a JSON object \(got \"show\"\)"),
            (b"42", r"request: must be a JSON object \(got 42\)"),
            (b"null", r"request: must be a JSON object \(got null\)"),
            (b"{}", r"request: cmd: required key is missing"),
            (b'{"cmd": 5}', r"request: cmd: must be a string, one of .* \(got 5\)"),
            (b'{"cmd": "SHOW"}', r"request: cmd: unknown command, one of .* \(got \"SHOW\"\)"),
            (b'{"cmd": "show\\u0000"}', r"request: not JSON: .*"),
            (b'{"cmd": "vip-del", "vip": "\xff"}', r"request: not JSON: .*unable to decode byte 0xff.*"),
            (b'{"cmd": "real-weight", "vip": "%s", "real": "198.18.1.1", "weight": 1e400}' %
             VIP.encode(), r"request: not JSON: .*real number overflow.*"),
            (b'{"cmd": "real-weight", "vip": "%s", "real": "198.18.1.1", "weight": 18446744073709551616}' %
             VIP.encode(), r"request: not JSON: .*too big integer.*"),
            (b"[" * 5000, r"request: not JSON: .*maximum parsing depth reached.*"),
            (b'{"cmd": "vip-add", "vip": ' + b'{"a": ' * 3000 + b"1" + b"}" * 3001,
             r"request: not JSON: .*maximum parsing depth reached.*"),
            (b'{"cmd": "vip-add", "vip": {"address": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
             r"vip-add: vips\[1\]\.address: must be an IPv4 or IPv6 address \(got \[\[\[.*\.\.\.\)"),
            (b'{"cmd": "vip-del", "vip": "a\\nb\\u0001\\u007f\\"c"}',
             r'vip-del: vip: must be ADDR:PORT/tcp .* \(got "a\\nb\\u0001.\\"c"\)'),
        ]
        before = self.show_raw()
        c = Conn(self.sock)
        for line, error in cases:
            c.s.sendall(line + b"\n")
            raw = c.line()
            resp = json.loads(raw)
            self.assertEqual(set(resp), {"ok", "error"}, f"{line[:80]!r}: {raw[:200]!r}")
            self.assertIs(resp["ok"], False)
            self.assert_error_line(resp["error"])
            self.assertRegex(resp["error"], re.compile(error + r"\Z"), repr(line[:80]))
            _, ok = c.ask({"cmd": "show"})
            self.assertTrue(ok["ok"], f"after {line[:80]!r}")
        # Carriage returns are JSON whitespace: a CRLF client is served.
        c.s.sendall(b'{"cmd": "show"}\r\n')
        self.assertTrue(json.loads(c.line())["ok"])
        c.close()
        self.assertEqual(self.show_raw(), before)

    def test_socket_request_size(self):
        # The longest request accepted: MAX_LINE bytes, then its newline.
        req = b'{"cmd": "show"' + b" " * (MAX_LINE - 15) + b"}"
        self.assertEqual(len(req), MAX_LINE)
        c = Conn(self.sock)
        self.assertTrue(c.ask(req)[1]["ok"])
        # One byte more: refused with a reason, and the connection is closed.
        c.s.sendall(req + b" ")
        self.assertEqual(json.loads(c.line()), {"ok": False, "error": (
            f"request: longer than {MAX_LINE} bytes before its newline: closing the connection")})
        self.assertTrue(c.closed())
        c.close()
        # A flood: the daemon answers (or resets a client it stops reading) and stays fine.
        c = Conn(self.sock)
        try:
            c.s.sendall(b"{" * (1 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass
        c.close()
        self.assertIsNone(self.daemon.poll())
        self.assertEqual(self.ctl("show").returncode, 0)

    def test_socket_client_that_never_reads(self):
        """Requests pipelined without reading a single answer: the daemon's memory for them is
        bounded (MAX_PENDING); past it the client is dropped, and service goes on."""
        def rss_kib():
            with open(f"/proc/{self.daemon.pid}/status") as f:
                return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        answer = len(self.show_raw()) + 1
        rss0 = rss_kib()
        c = Conn(self.sock, timeout=60)  # the daemon answers at its pace (slow under ASan)
        req, sent, dropped = b'{"cmd": "show"}\n' * 4096, 0, False
        while sent < 4 * MAX_PENDING // answer * len(b'{"cmd": "show"}\n'):
            try:
                c.s.sendall(req)
            except (BrokenPipeError, ConnectionResetError):
                dropped = True
                break
            sent += len(req)
        c.close()
        grew = rss_kib() - rss0
        print(f"\n  never-reading client: sent {sent} bytes of requests for {answer}-byte answers; "
              f"dropped: {dropped}; shoald's memory grew {grew} KiB", file=sys.stderr)
        self.assertTrue(dropped, "a client that never reads was served forever")
        if SANITIZED:
            print("  NOT CHECKED under ASan: the memory bound (its quarantine keeps what is freed)",
                  file=sys.stderr)
        else:
            self.assertLess(grew, 2 * MAX_PENDING // 1024)
        self.assertEqual(self.ctl("show").returncode, 0)

    def test_socket_clients(self):
        """Silent clients do not block others and are dropped after the idle limit; clients
        beyond MAX_CLIENTS are turned away with a reason; service goes on."""
        full = {"ok": False, "error": f"control: {MAX_CLIENTS} clients are connected, the most "
                                      "served at once: try again later"}
        idle = {"ok": False, "error": f"control: no complete request in {IDLE_MS} ms: closing "
                                      "the connection"}
        t0 = time.monotonic()
        silent = [Conn(self.sock, timeout=IDLE_MS / 1000 + 5) for _ in range(20)]
        # One that sends a request, later half of one, then nothing: the half does not count.
        chatty = Conn(self.sock, timeout=IDLE_MS / 1000 + 5)
        self.assertTrue(chatty.ask({"cmd": "show"})[1]["ok"])
        t_chatty = time.monotonic()
        self.assertEqual(self.ctl("show").returncode, 0, "a silent client blocked the daemon")

        # 200 clients at once: each gets one answer, the config or the refusal.
        config = self.show_raw()
        answers = []

        def client():
            try:
                c = Conn(self.sock, timeout=20)
                c.s.sendall(b'{"cmd": "show"}\n')
                line = c.line()
                answers.append((line, line == config or c.closed()))
                c.close()
            except Exception as e:  # pylint: disable=broad-except
                answers.append((repr(e).encode(), False))

        threads = [threading.Thread(target=client) for _ in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(len(answers), 200)
        served = [l for l, _ in answers if l == config]
        for line, closed in answers:
            if line != config:
                self.assertEqual(json.loads(line), full)
                self.assertTrue(closed, "a turned-away client was kept")
        self.assertGreaterEqual(len(served), MAX_CLIENTS - 21)

        # Fill every place (the burst's may take a moment to be freed); the next client is
        # turned away at once.
        fill = []
        while len(fill) < MAX_CLIENTS - 21:
            c = Conn(self.sock)
            if c.ask({"cmd": "show"})[0] == config:
                fill.append(c)
                continue
            c.close()
            self.assertLess(time.monotonic() - t0, IDLE_MS / 2000, "places not freed")
            time.sleep(0.05)
        extra = Conn(self.sock)
        self.assertEqual(json.loads(extra.line()), full)
        self.assertTrue(extra.closed())
        extra.close()
        for _ in range(5):  # shoalctl reads the reason even when its request could not be sent
            r = self.ctl("show")
            self.assertEqual((r.returncode, r.stderr.strip()), (1, "shoalctl: " + full["error"]))
        for c in fill:
            c.close()
        self.wait_for(lambda: self.ctl("show").returncode == 0, "a place freed")
        time.sleep(max(0.0, t_chatty + 3 - time.monotonic()))
        t_half = time.monotonic()
        chatty.s.sendall(b'{"cmd": "sh')

        # Past the idle limit: the silent ones get the reason, then the end.
        for c in silent:
            self.assertEqual(json.loads(c.line()), idle)
            self.assertTrue(c.closed())
        self.assertLess(time.monotonic() - t0, IDLE_MS / 1000 + 3, "idle clients were kept too long")
        self.assertEqual(json.loads(chatty.line()), idle)
        self.assertTrue(chatty.closed())
        # Dropped IDLE_MS after its last complete request, not after the half one.
        self.assertGreaterEqual(time.monotonic() - t_chatty, IDLE_MS / 1000 - 0.5)
        self.assertLess(time.monotonic() - t_half, IDLE_MS / 1000 - 1.5)
        for c in silent + [chatty]:
            c.close()
        self.assertEqual(self.show_raw(), config)

    # ---- commands and their arguments ----

    def test_commands_and_arguments(self):
        """Every command and argument shoald knows (it lists them in its errors) has cases
        here: missing, each wrong JSON type, an unknown key."""
        args = {  # argument -> (a valid value, what shoald says it must be)
            "show": {}, "stats": {}, "reload": {},
            "vip-add": {"vip": ({"address": "198.18.100.9", "protocol": "tcp"},
                                "an object, a VIP as in the config")},
            "vip-del": {"vip": (VIP, 'a string "ADDR:PORT/tcp|udp"')},
            "real-add": {"vip": (VIP, 'a string "ADDR:PORT/tcp|udp"'),
                         "real": ({"address": "198.18.1.9"}, "an object, a real as in the config")},
            "real-del": {"vip": (VIP, 'a string "ADDR:PORT/tcp|udp"'),
                         "real": ("198.18.1.2", "a string, the real's address")},
            "real-weight": {"vip": (VIP, 'a string "ADDR:PORT/tcp|udp"'),
                            "real": ("198.18.1.2", "a string, the real's address"),
                            "weight": (2, "an integer")},
        }
        err = self.refused({"cmd": "frobnicate"}, re.compile(
            r'request: cmd: unknown command, one of (.*) \(got "frobnicate"\)'))
        listed = re.search(r"one of (.*) \(got", err).group(1)
        self.assertEqual(re.split(r", | or ", listed), list(args), "commands shoald knows")
        # docs/control.md's table of commands says the same.
        with open(os.path.join(SRC, "docs", "control.md")) as f:
            documented = {m.group(1): list(dict.fromkeys(re.findall(r"`(\w+)`", m.group(2))))
                          for m in re.finditer(r"^\| `([a-z-]+)` +\|([^|]*)\|", f.read(), re.M)
                          if m.group(1) != "cmd"}
        self.assertEqual(documented, {c: list(a) for c, a in args.items()}, "docs/control.md")
        samples = ["x", 7, 7.5, True, None, [], {}]
        for cmd, cmd_args in args.items():
            err = self.refused({"cmd": cmd, **{a: v for a, (v, _) in cmd_args.items()}, "zz": 1},
                               re.compile(rf'{cmd}: unknown key, expected (.*) \(got "zz"\)'))
            listed = re.search(r"expected (.*) \(got", err).group(1)
            self.assertEqual(re.split(r", | or ", listed), ["cmd", *cmd_args], f"{cmd}'s arguments")
            for arg, (_, what) in cmd_args.items():
                others = {a: v for a, (v, _) in cmd_args.items() if a != arg}
                self.refused({"cmd": cmd, **others}, f"{cmd}: {arg}: required key is missing")
                for bad in samples:
                    kind = {"string": str, "object": dict, "integer": int}
                    want = [k for k in kind if what.startswith(("a " + k, "an " + k))][0]
                    if isinstance(bad, kind[want]) and not isinstance(bad, bool):
                        continue
                    self.refused({"cmd": cmd, **others, arg: bad},
                                 f"{cmd}: {arg}: must be {what} (got {render(bad)})")

    def test_command_values(self):
        """Well-typed arguments with bad values: each refused naming the argument or the
        config path, and the value."""
        bad_vip = 'must be ADDR:PORT/tcp or ADDR:PORT/udp, an IPv6 ADDR in brackets'
        for cmd, extra in (("vip-del", {}), ("real-del", {"real": "198.18.1.2"}),
                           ("real-weight", {"real": "198.18.1.2", "weight": 1}),
                           ("real-add", {"real": {"address": "198.18.1.9"}})):
            for spec in ("198.18.100.1", "198.18.100.1:80", "198.18.100.1/tcp", "198.18.100.1:80/sctp",
                         "198.18.100.1:80/TCP", "198.18.100.1:65536/tcp", "198.18.100.1:-1/tcp",
                         "198.18.100.1: 80/tcp", "198.18.100.1:+80/tcp", "198.18.100.1:/tcp",
                         "2001:db8:100::1:443/tcp", "[198.18.100.1]:80/tcp", "[2001:db8:100::1:443/tcp",
                         "198.18.100:80/tcp", ":80/tcp", "", "198.18.100.1:80/tcp ", "x" * 200):
                shown = render(spec) if len(render(spec)) < 64 else render(spec)[:60] + "..."
                self.refused({"cmd": cmd, "vip": spec, **extra},
                             f"{cmd}: vip: {bad_vip} (got {shown})")
            for spec in ("198.18.100.1:81/tcp", "198.18.100.1:80/udp", "198.18.100.2:80/tcp",
                         "[2001:db8:100::1]:80/tcp", "198.18.100.1:0/tcp"):
                self.refused({"cmd": cmd, "vip": spec, **extra},
                             f"{cmd}: vip: no such VIP (got {render(spec)})")
        for cmd, extra in (("real-del", {}), ("real-weight", {"weight": 1})):
            for real in ("198.18.1.300", "198.18.1", "", "x", "198.18.1.2 ", "198.18.1.2/32"):
                self.refused({"cmd": cmd, "vip": VIP, "real": real, **extra},
                             f"{cmd}: real: must be an IPv4 or IPv6 address (got {render(real)})")
            for real in ("198.18.1.3", "2001:db8:1::2", "198.18.100.1"):
                self.refused({"cmd": cmd, "vip": VIP, "real": real, **extra},
                             f"{cmd}: real: not a real of {VIP} (got {render(real)})")
        lo, hi = docs_range("vips[].reals[]", "weight")
        for w in (lo - 1, hi + 1, -2 ** 63, 2 ** 63 - 1):
            self.refused({"cmd": "real-weight", "vip": VIP, "real": "198.18.1.2", "weight": w},
                         f"real-weight: vips[0].reals[1].weight: must be an integer {lo}..{hi} (got {w})")
        for w in (lo, hi):  # both ends are accepted
            self.accepted({"cmd": "real-weight", "vip": VIP, "real": "198.18.1.2", "weight": w})
            self.assertEqual(self.running_config()["vips"][0]["reals"][1]["weight"], w)
        # A VIP or real named in another text form is the same one.
        self.accepted({"cmd": "vip-add", "vip": {"address": "2001:db8:100::1", "port": 443,
                                                  "protocol": "tcp",
                                                  "reals": [{"address": "2001:db8:1::2"}]}})
        self.accepted({"cmd": "real-weight", "vip": "[2001:DB8:100:0::1]:0443/tcp",
                       "real": "2001:DB8:1:0::2", "weight": 5})
        self.assertEqual(self.running_config()["vips"][1]["reals"][0]["weight"], 5)

    # ---- every field of the config, through the socket ----

    def test_every_field_through_the_socket(self):
        """Each key of docs/config.md: wrong types and out-of-range values are refused with
        its JSON path and the value (lb through reload, VIPs through vip-add, reals
        through real-add), the ends of its range are accepted."""
        def rng(section, key, prime=False):
            lo, hi = docs_range(section, key)
            return f"must be {'a prime integer' if prime else 'an integer'} {lo}..{hi}", lo, hi

        mac = 'must be a MAC address "aa:bb:cc:dd:ee:ff"'
        cases = {
            ("top", "lb"): [([], "must be an object"), (None, "must be an object")],
            ("top", "vips"): [({}, "must be an array of VIP objects"),
                              ([5], "must be an object", "vips[0]", 5)],
            ("lb", "ipv4_src"): [("2001:db8::10", "must be an IPv4 address"),
                                 ("0.0.0.0", "must not be the unspecified address"),
                                 (5, "must be an IPv4 address")],
            ("lb", "ipv6_src"): [("198.18.0.10", "must be an IPv6 address"),
                                 ("::", "must not be the unspecified address"),
                                 (None, "must be an IPv6 address")],
            ("lb", "gateway_mac"): [("02:00:00:00:00", mac), (2, mac), ("02-00-00-00-00-01", mac)],
            ("lb", "hash_key"): [("0" * 31, "must be 32 hex digits"), (12, "must be 32 hex digits")],
            ("lb", "ring_size"): [(65536, rng("lb", "ring_size", True)[0]),
                                  (rng("lb", "ring_size", True)[1] - 1, rng("lb", "ring_size", True)[0]),
                                  ("65537", rng("lb", "ring_size", True)[0])],
            ("lb", "conntrack_size"): [(63, rng("lb", "conntrack_size")[0]),
                                       (True, rng("lb", "conntrack_size")[0])],
            ("vips[]", "address"): [("198.18.100", "must be an IPv4 or IPv6 address"),
                                    ("::", "must not be the unspecified address"),
                                    ("fe80::1%eth0", "must be an IPv4 or IPv6 address"),
                                    (5, "must be an IPv4 or IPv6 address")],
            ("vips[]", "protocol"): [("sctp", 'must be "tcp" or "udp"'), ("TCP", 'must be "tcp" or "udp"'),
                                     (6, 'must be "tcp" or "udp"')],
            ("vips[]", "encap"): [("gre", 'must be "ipip" or "gue"'), (None, 'must be "ipip" or "gue"')],
            ("vips[]", "hash"): [("ring", 'must be "maglev" or "rendezvous"'),
                                 (1, 'must be "maglev" or "rendezvous"')],
            ("vips[]", "flags"): [
                ("no_lru", 'must be an array of flag names ("no_sport", "no_lru" or "dport_hash")'),
                (["no_lru", "no_lru"], "flag is listed twice", "flags[1]", "no_lru"),
                (["dport_hash", "no_sport"], '"no_sport" and "dport_hash" cannot be combined'),
                (["x"], 'must be "no_sport", "no_lru" or "dport_hash"', "flags[0]", "x")],
            ("vips[]", "reals"): [({}, "must be an array of real objects"),
                                  ([5], "must be an object", "reals[0]", 5)],
            ("vips[].reals[]", "address"): [("198.18.1.300", "must be an IPv4 or IPv6 address"),
                                            (True, "must be an IPv4 or IPv6 address"),
                                            ("0.0.0.0", "must not be the unspecified address")],
        }
        for section, key, bad in (("lb", "mtu", [9217, 1500.0]), ("lb", "gue_port", [65536, "6080"]),
                                  ("lb", "udp_timeout_ms", [86400001, {}]),
                                  ("vips[]", "port", [65536, "80", 80.5]),
                                  ("vips[].reals[]", "weight", [-1, 65536, "1", 1.5]),
                                  ("vips[].reals[]", "server_id", [0, 4294967296, 1.5])):
            what, lo, hi = rng(section, key)
            cases[(section, key)] = [(v, what) for v in [lo - 1, *bad]]
        self.assertEqual(set(cases), set(docs_schema()), "a key of docs/config.md without cases here")

        n_vips = len(CONFIG["vips"])
        for (section, key), key_cases in cases.items():
            for case in key_cases:
                value, what = case[0], case[1]
                sub = case[2] if len(case) > 2 else key
                got = render(case[3] if len(case) > 3 else value)
                if section in ("top", "lb"):
                    cfg = json.loads(json.dumps(CONFIG))
                    (cfg if section == "top" else cfg["lb"])[key] = value
                    path = sub if section == "top" else f"lb.{sub}"
                    self.reload_refused(cfg, f"{self.cfg_path}: {path}: {what} (got {got})")
                elif section == "vips[]":
                    vip = {"address": "198.18.100.9", "port": 80, "protocol": "tcp", key: value}
                    self.refused({"cmd": "vip-add", "vip": vip},
                                 f"vip-add: vips[{n_vips}].{sub}: {what} (got {got})")
                else:
                    real = {"address": "198.18.1.9", key: value}
                    self.refused({"cmd": "real-add", "vip": VIP, "real": real},
                                 f"real-add: vips[0].reals[2].{key}: {what} (got {got})")

        # Unknown and missing keys, in each object.
        self.reload_refused({**CONFIG, "vip": []}, f'{self.cfg_path}: top level: unknown key, '
                            'expected lb or vips (got "vip")')
        self.reload_refused({"vips": []}, f"{self.cfg_path}: lb: required key is missing")
        self.reload_refused({"lb": {**CONFIG["lb"], "mtu_size": 1}}, re.compile(
            re.escape(f"{self.cfg_path}: lb: unknown key, expected ") + r'.* \(got "mtu_size"\)'))
        self.reload_refused({"lb": {"ipv4_src": "198.18.0.10"}},
                            f"{self.cfg_path}: lb.gateway_mac: required key is missing")
        self.refused({"cmd": "vip-add", "vip": {"address": "198.18.100.9", "protocol": "tcp",
                                                "prot": "tcp"}},
                     re.compile(r'vip-add: vips\[1\]: unknown key, expected .* \(got "prot"\)'))
        self.refused({"cmd": "vip-add", "vip": {"address": "198.18.100.9"}},
                     "vip-add: vips[1].protocol: required key is missing")
        self.refused({"cmd": "vip-add", "vip": {"protocol": "tcp"}},
                     "vip-add: vips[1].address: required key is missing")
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "198.18.1.9", "wieght": 1}},
                     'real-add: vips[0].reals[2]: unknown key, expected address, weight or server_id '
                     '(got "wieght")')
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"weight": 1}},
                     "real-add: vips[0].reals[2].address: required key is missing")
        # A syntax error in the file names the file, its line and column.
        self.reload_refused('{"lb": {"ipv4_src": "198.18.0.10"}, "vips": [}', re.compile(
            re.escape(self.cfg_path) + r": line 1, column \d+: .+"))

        # The ends of each range are accepted (what cannot change while running aside).
        for key in ("mtu", "gue_port", "udp_timeout_ms"):
            _, lo, hi = rng("lb", key)
            for v in (lo, hi):
                self.write_config({**CONFIG, "lb": {**CONFIG["lb"], key: v}})
                self.accepted({"cmd": "reload"})
                self.assertEqual(self.running_config()["lb"][key], v)
        _, lo, hi = rng("vips[]", "port")
        for port in (lo, hi):
            vip = {"address": "198.18.100.9", "port": port, "protocol": "udp"}
            self.accepted({"cmd": "vip-add", "vip": vip})
            self.assertIn(vip, self.running_config()["vips"])
            self.accepted({"cmd": "vip-del", "vip": f"198.18.100.9:{port}/udp"})
        for key in ("weight", "server_id"):
            _, lo, hi = rng("vips[].reals[]", key)
            for v in (lo, hi):
                real = {"address": "198.18.1.9", key: v}
                self.accepted({"cmd": "real-add", "vip": VIP, "real": real})
                self.assertEqual(self.running_config()["vips"][0]["reals"][2], real)
                self.accepted({"cmd": "real-del", "vip": VIP, "real": "198.18.1.9"})

    def test_sizes_fixed_while_running(self):
        """ring_size and conntrack_size size the dataplane at start: a reload that changes
        them is refused whole, not accepted and ignored."""
        for key, value in (("ring_size", 7), ("conntrack_size", 8192)):
            self.reload_refused(
                {**CONFIG, "lb": {**CONFIG["lb"], key: value}},
                f"{self.cfg_path}: lb.{key}: fixed at {CONFIG['lb'][key]} while shoald runs; a new "
                f"size needs a cold start (shoald --unload, then start) (got {value})")

    def test_duplicates(self):
        vip6 = {"address": "2001:db8:100::1", "port": 443, "protocol": "tcp",
                "reals": [{"address": "2001:db8:1::2", "server_id": 12}]}
        self.accepted({"cmd": "vip-add", "vip": vip6})
        for vip, shown in (({"address": "198.18.100.1", "port": 80, "protocol": "tcp"}, VIP),
                           ({"address": "2001:DB8:100:0::1", "port": 443, "protocol": "tcp"},
                            "[2001:db8:100::1]:443/tcp")):
            self.refused({"cmd": "vip-add", "vip": vip},
                         f"vip-add: vips[2]: same address, port and protocol as "
                         f"vips[{0 if shown == VIP else 1}] (got {shown})")
        # Port 0 is the default: left out and given are the same VIP.
        self.accepted({"cmd": "vip-add", "vip": {"address": "198.18.100.1", "protocol": "udp"}})
        self.refused({"cmd": "vip-add", "vip": {"address": "198.18.100.1", "port": 0, "protocol": "udp"}},
                     "vip-add: vips[3]: same address, port and protocol as vips[2] "
                     "(got 198.18.100.1:0/udp)")
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "198.18.1.1"}},
                     'real-add: vips[0].reals[2].address: duplicate of vips[0].reals[0] (got "198.18.1.1")')
        self.refused({"cmd": "real-add", "vip": "[2001:db8:100::1]:443/tcp",
                      "real": {"address": "2001:DB8:1:0::2"}},
                     'real-add: vips[1].reals[1].address: duplicate of vips[1].reals[0] '
                     '(got "2001:DB8:1:0::2")')
        # server_id and address are one to one over the whole config; the error is at the
        # real being added even when the other one comes later in the config.
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "198.18.1.9", "server_id": 12}},
                     "real-add: vips[0].reals[2].server_id: already used by 2001:db8:1::2 at "
                     "vips[1].reals[0] (got 12)")
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "2001:db8:1::2", "server_id": 13}},
                     "real-add: vips[0].reals[2].server_id: 2001:db8:1::2 already has server_id 12 "
                     "at vips[1].reals[0] (got 13)")
        self.refused({"cmd": "real-add", "vip": "[2001:db8:100::1]:443/tcp",
                      "real": {"address": "198.18.1.9", "server_id": 11}},
                     "real-add: vips[1].reals[1].server_id: already used by 198.18.1.1 at "
                     "vips[0].reals[0] (got 11)")
        # The same (address, id) in another VIP is fine, and so is leaving the id out.
        self.accepted({"cmd": "real-add", "vip": VIP, "real": {"address": "2001:db8:1::2", "server_id": 12}})
        self.accepted({"cmd": "real-add", "vip": "[2001:db8:100::1]:443/tcp",
                       "real": {"address": "198.18.1.1"}})

    def test_families(self):
        """The tunnel has the real's family: any VIP family with any real family, as long
        as the LB has a source address of the real's family."""
        self.accepted({"cmd": "vip-add", "vip": {
            "address": "2001:db8:100::1", "port": 443, "protocol": "tcp", "encap": "gue",
            "reals": [{"address": "198.18.1.5"}, {"address": "2001:db8:1::5"}]}})
        self.accepted({"cmd": "real-add", "vip": VIP, "real": {"address": "2001:db8:1::6"}})
        # Without ipv6_src: an IPv4-only fleet is fine, an IPv6 real is not.
        ipv4_only = {"lb": {k: v for k, v in CONFIG["lb"].items() if k != "ipv6_src"},
                     "vips": CONFIG["vips"]}
        self.write_config(ipv4_only)
        self.accepted({"cmd": "reload"})
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "2001:db8:1::9"}},
                     'real-add: vips[0].reals[2].address: an IPv6 real needs lb.ipv6_src '
                     '(got "2001:db8:1::9")')
        self.refused({"cmd": "vip-add", "vip": {"address": "2001:db8:100::1", "protocol": "udp",
                                                "reals": [{"address": "2001:db8:1::9"}]}},
                     'vip-add: vips[1].reals[0].address: an IPv6 real needs lb.ipv6_src '
                     '(got "2001:db8:1::9")')
        self.accepted({"cmd": "vip-add", "vip": {"address": "2001:db8:100::1", "protocol": "udp",
                                                 "reals": [{"address": "198.18.1.9"}]}})
        # Without ipv4_src, the first IPv4 real is named.
        self.reload_refused({"lb": {k: v for k, v in CONFIG["lb"].items() if k != "ipv4_src"},
                             "vips": CONFIG["vips"]},
                            f'{self.cfg_path}: vips[0].reals[0].address: an IPv4 real needs '
                            'lb.ipv4_src (got "198.18.1.1")')

    def test_limits(self):
        """--max-vips and the 4096 distinct reals, reached through the socket; a refusal
        leaves the dataplane forwarding as before."""
        # --max-vips: the VIPs up to it are taken, the next one is refused by the dataplane.
        for i in range(len(CONFIG["vips"]), MAX_VIPS):
            self.accepted({"cmd": "vip-add", "vip": {"address": f"198.18.101.{i}", "protocol": "udp"}})
        self.refused({"cmd": "vip-add", "vip": {"address": "198.18.101.99", "protocol": "udp"}},
                     f"vip-add: {MAX_VIPS + 1} VIPs: the XDP dataplane was started with room for "
                     f"{MAX_VIPS} (--max-vips)")
        counts = self.forwarded()
        self.assertEqual(set(counts), {"198.18.1.1", "198.18.1.2"}, counts)
        self.assertEqual(sum(counts.values()), 40)
        self.write_config(CONFIG)
        self.accepted({"cmd": "reload"})

        # 4096 distinct reals, in requests under the size limit (a shared address counts once).
        n = 4096 - 2
        per = [n // 3, n // 3, n - 2 * (n // 3)]
        addrs = [f"198.19.{i // 250}.{i % 250 + 1}" for i in range(n)]
        start = 0
        for v, k in enumerate(per):
            reals = [{"address": a} for a in addrs[start:start + k]] + [{"address": "198.18.1.1"}]
            start += k
            req = {"cmd": "vip-add", "vip": {"address": f"198.18.102.{v}", "protocol": "tcp",
                                             "reals": reals}}
            self.assertLess(len(json.dumps(req)), MAX_LINE)
            self.accepted(req)
        # One more, in the first VIP: the error is at that real, not at a later VIP's.
        self.refused({"cmd": "real-add", "vip": VIP, "real": {"address": "198.18.1.99"}},
                     'real-add: vips[0].reals[2].address: more than 4096 distinct real addresses '
                     'in the config (got "198.18.1.99")')
        self.accepted({"cmd": "real-add", "vip": VIP, "real": {"address": addrs[-1]}})
        counts = self.forwarded()
        self.assertTrue(set(counts) <= {"198.18.1.1", "198.18.1.2", addrs[-1]}, counts)
        self.assertEqual(sum(counts.values()), 40)

    def test_cli(self):
        """shoalctl: each command form of its usage, with bad arguments; exit 2 for usage
        (never reaching shoald), 1 for a refusal, one line each naming the argument."""
        usage = self.ctl("--help").stdout
        forms = {" ".join(l.split()[:2]) if l.split()[0] in ("vip", "real") else l.split()[0]
                 for l in usage.splitlines() if l.startswith("  ")}
        cases = [
            (("show", "x"), 2, "usage: shoalctl [--iface IF | --socket PATH] COMMAND"),
            (("config", "x"), 2, "usage: shoalctl [--iface IF | --socket PATH] COMMAND"),
            (("stats", "--watch", "0"), 2, 'shoalctl: --watch: must be 0.1 to 3600 seconds (got "0")'),
            (("stats", "--watch", "nan"), 2, 'shoalctl: --watch: must be 0.1 to 3600 seconds (got "nan")'),
            (("reload", "x"), 2, "usage: shoalctl [--iface IF | --socket PATH] COMMAND"),
            (("vip", "add", "198.18.100.9/tcp"), 2, 'shoalctl: vip: must be ADDR:PORT/tcp or '
             'ADDR:PORT/udp, an IPv6 ADDR in brackets (got "198.18.100.9/tcp")'),
            (("vip", "add", "2001:db8:100::9:80/tcp"), 2, 'shoalctl: vip: must be ADDR:PORT/tcp or '
             'ADDR:PORT/udp, an IPv6 ADDR in brackets (got "2001:db8:100::9:80/tcp")'),
            (("vip", "add", "198.18.100.9:-1/tcp"), 2, 'shoalctl: vip: must be ADDR:PORT/tcp or '
             'ADDR:PORT/udp, an IPv6 ADDR in brackets (got "198.18.100.9:-1/tcp")'),
            (("vip", "add", "198.18.100.9:99999/tcp"), 1,
             "shoalctl: vip-add: vips[1].port: must be an integer 0..65535 (got 99999)"),
            (("vip", "add", "198.18.100.9:80/sctp"), 1,
             'shoalctl: vip-add: vips[1].protocol: must be "tcp" or "udp" (got "sctp")'),
            (("vip", "add", "198.18.100.9:80/tcp", "--encap", "vxlan"), 1,
             'shoalctl: vip-add: vips[1].encap: must be "ipip" or "gue" (got "vxlan")'),
            (("vip", "add", "198.18.100.9:80/tcp", "--hash", "Maglev"), 1,
             'shoalctl: vip-add: vips[1].hash: must be "maglev" or "rendezvous" (got "Maglev")'),
            (("vip", "add", "198.18.100.9:80/tcp", "--flag", "no_lru", "--flag", "no_lru"), 1,
             'shoalctl: vip-add: vips[1].flags[1]: flag is listed twice (got "no_lru")'),
            (("vip", "add", VIP), 1, f"shoalctl: vip-add: vips[1]: same address, port and protocol "
             f"as vips[0] (got {VIP})"),
            (("vip", "del", "198.18.100.7:80/tcp"), 1,
             'shoalctl: vip-del: vip: no such VIP (got "198.18.100.7:80/tcp")'),
            (("vip", "del", "not-a-vip"), 1, 'shoalctl: vip-del: vip: must be ADDR:PORT/tcp or '
             'ADDR:PORT/udp, an IPv6 ADDR in brackets (got "not-a-vip")'),
            (("real", "add", VIP, "198.18.1.9", "--weight", "x"), 2,
             'shoalctl: --weight: must be a whole number (got "x")'),
            (("real", "add", VIP, "198.18.1.9", "--weight", "-1"), 2,
             'shoalctl: --weight: must be a whole number (got "-1")'),
            (("real", "add", VIP, "198.18.1.9", "--weight", "65536"), 1,
             "shoalctl: real-add: vips[0].reals[2].weight: must be an integer 0..65535 (got 65536)"),
            (("real", "add", VIP, "198.18.1.9", "--server-id", "0"), 1,
             "shoalctl: real-add: vips[0].reals[2].server_id: must be an integer 1..4294967295 (got 0)"),
            (("real", "add", VIP, "198.18.1.9", "--server-id", "99999999999999999999"), 2,
             'shoalctl: --server-id: must be a whole number (got "99999999999999999999")'),
            (("real", "add", VIP, "198.18.1.9", "--server-id", "11"), 1,
             "shoalctl: real-add: vips[0].reals[2].server_id: already used by 198.18.1.1 at "
             "vips[0].reals[0] (got 11)"),
            (("real", "add", VIP, "198.18.1.1"), 1,
             'shoalctl: real-add: vips[0].reals[2].address: duplicate of vips[0].reals[0] '
             '(got "198.18.1.1")'),
            (("real", "add", VIP, "198.18.1.300"), 1,
             'shoalctl: real-add: vips[0].reals[2].address: must be an IPv4 or IPv6 address '
             '(got "198.18.1.300")'),
            (("real", "add", "198.18.200.1:80/tcp", "198.18.1.9"), 1,
             'shoalctl: real-add: vip: no such VIP (got "198.18.200.1:80/tcp")'),
            (("real", "del", VIP, "198.18.7.7"), 1,
             f'shoalctl: real-del: real: not a real of {VIP} (got "198.18.7.7")'),
            (("real", "weight", VIP, "198.18.1.1", "heavy"), 2,
             'shoalctl: weight: must be a whole number (got "heavy")'),
            (("real", "weight", VIP, "198.18.1.1", "70000"), 1,
             "shoalctl: real-weight: vips[0].reals[0].weight: must be an integer 0..65535 (got 70000)"),
            (("real", "weight", "198.18.200.1:80/tcp", "198.18.1.1", "1"), 1,
             'shoalctl: real-weight: vip: no such VIP (got "198.18.200.1:80/tcp")'),
            (("real", "drain", VIP, "x"), 1,
             'shoalctl: real-weight: real: must be an IPv4 or IPv6 address (got "x")'),
            (("frobnicate",), 2, "usage: shoalctl [--iface IF | --socket PATH] COMMAND"),
        ]
        covered = {" ".join(a[:2]) if a[0] in ("vip", "real") else a[0] for a, _, _ in cases}
        self.assertLessEqual(forms, covered, "a shoalctl command without cases")
        for args, code, error in cases:
            self.refused_cli(*args, error=error, code=code)
        # An argument that is not UTF-8 cannot go into JSON: refused, not dropped on the way.
        r = subprocess.run([SHOALCTL, "--socket", self.sock, "vip", "add", "198.18.100.9:80/tcp",
                            "--encap", b"gue\xff"], capture_output=True, timeout=30)
        self.assertEqual((r.returncode, r.stderr.splitlines()[0]),
                         (2, b'shoalctl: argument 7: must be UTF-8 text (got "gue\xff")'))
        self.assertEqual(len(self.running_config()["vips"]), 1)

    def test_shoald_arguments(self):
        """shoald refuses bad arguments and a bad config before touching anything."""
        sock = os.path.join(self.tmp, "other.sock")
        bad_cfg = os.path.join(self.tmp, "bad.json")
        self.write_config({"lb": {**CONFIG["lb"], "mtu": 70000}}, bad_cfg)
        for args, code, error in (
                (["--max-vips", v], 2, f'shoald: --max-vips: must be an integer 1..512 (got "{v}")')
                for v in ("0", "513", "4294967297", "-1", "", "5x", " 5")):
            r = subprocess.run([SHOALD, "--config", self.cfg_path, "--iface", LB_IF, "--socket", sock,
                                *args], capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stderr.splitlines()[0]), (code, error))
        for args, error in ((["--xdp-mode", "fast"], 'shoald: --xdp-mode: must be native or generic '
                             '(got "fast")'),
                            (["--backend", "dpdk"], 'shoald: --backend: must be xdp or afxdp (got "dpdk")')):
            r = subprocess.run([SHOALD, "--config", self.cfg_path, "--iface", LB_IF, "--socket", sock,
                                *args], capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stderr.splitlines()[0]), (2, error))
        r = subprocess.run(in_ns(NS_LB, SHOALD, "--config", bad_cfg, "--iface", LB_IF, "--socket",
                                 sock, "--pin-root", self.pins), capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr.strip(), re.escape(f"{bad_cfg}: lb.mtu: must be an integer "
                                                     "576..9216 (got 70000)") + r"\Z")
        self.assertFalse(os.path.exists(sock), "a socket left behind")
        self.assertEqual(self.ctl("show").returncode, 0)

    # ---- the rest of the operator's view ----

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

    def test_sighup_reload_and_refusal(self):
        good = json.loads(json.dumps(CONFIG))
        good["vips"][0]["reals"].append({"address": "198.18.1.4"})
        self.write_config(good)
        self.daemon.send_signal(signal.SIGHUP)
        self.wait_for(lambda: len(self.running_config()["vips"][0]["reals"]) == 3, "reload")
        before = self.show_raw()
        with open(self.cfg_path, "w") as f:
            f.write('{"lb": {"ipv4_src": "198.18.0.10"}, "vips": [}')
        self.daemon.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(self.daemon.poll(), "shoald died on a bad config")
        self.assertEqual(self.show_raw(), before)
        r = self.ctl("reload")
        self.assertEqual(r.returncode, 1)
        self.assertIn(self.cfg_path, r.stderr)
        self.write_config(CONFIG)
        self.assertEqual(self.ctl("reload").returncode, 0)
        self.assertEqual(len(self.running_config()["vips"][0]["reals"]), 2)

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
