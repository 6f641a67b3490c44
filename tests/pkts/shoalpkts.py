# SPDX-License-Identifier: BSD-3-Clause
"""
Packets and configs for shoal's golden tests, made with scapy at test time.

Everything here is deterministic (no randomness), so a failing test fails the
same way every run. Addresses come only from the documentation/benchmark
ranges 198.18.0.0/15 and 2001:db8::/32.

Run with /usr/bin/python3 (the interpreter that has scapy).
"""
import ipaddress
import json
import struct

from scapy.all import (  # noqa: F401  (several re-exported for the tests: P.ARP, ...)
    ARP,
    ICMP,
    IP,
    TCP,
    UDP,
    Dot1Q,
    Ether,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    IPOption,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    Raw,
    conf,
)

conf.verb = 0

# --- the lab ---------------------------------------------------------------

GW_MAC = "02:00:00:00:00:01"      # lb.gateway_mac: next hop toward the reals
LB_MAC = "02:00:00:00:00:0a"      # destination MAC of frames sent to the LB
CLIENT_MAC = "02:00:00:00:00:c1"  # source MAC of client frames

LB4 = "198.18.0.10"               # lb.ipv4_src
LB6 = "2001:db8::10"              # lb.ipv6_src
VIP4 = "198.18.100.1"
VIP4_B = "198.18.100.2"
VIP6 = "2001:db8:100::1"
VIP6_B = "2001:db8:100::2"
NOT_VIP4 = "198.18.100.99"
NOT_VIP6 = "2001:db8:100::99"

HASH_KEY = "00112233445566778899aabbccddeeff"
GUE_PORT = 6080
TTL = 64


def real4(i):
    """The i-th IPv4 real (1-based)."""
    return "198.18.1.%d" % i


def real6(i):
    """The i-th IPv6 real (1-based)."""
    return "2001:db8:1::%x" % i


def client4(i):
    """The i-th IPv4 client (0-based, up to 65535 of them)."""
    return "198.19.%d.%d" % (i // 250, 1 + i % 250)


def client6(i):
    """The i-th IPv6 client (0-based)."""
    return "2001:db8:c000::%x" % (i + 1)


def norm(addr):
    """Canonical text of an address, for comparisons."""
    return str(ipaddress.ip_address(addr))


def is6(addr):
    return ipaddress.ip_address(addr).version == 6


# --- configs ---------------------------------------------------------------

def real(address, weight=None, server_id=None):
    r = {"address": address}
    if weight is not None:
        r["weight"] = weight
    if server_id is not None:
        r["server_id"] = server_id
    return r


def vip(address, protocol="tcp", port=None, reals=(), encap=None, hash=None, flags=None):
    """One vips[] entry; reals are addresses or real() dicts."""
    v = {"address": address, "protocol": protocol}
    if port is not None:
        v["port"] = port
    if encap is not None:
        v["encap"] = encap
    if hash is not None:
        v["hash"] = hash
    if flags is not None:
        v["flags"] = list(flags)
    v["reals"] = [r if isinstance(r, dict) else real(r) for r in reals]
    return v


def config(vips, **lb):
    """A whole lb.json document; keyword arguments override lb settings."""
    section = {
        "ipv4_src": LB4,
        "ipv6_src": LB6,
        "gateway_mac": GW_MAC,
        "hash_key": HASH_KEY,
        "conntrack_size": 65536,
        "mtu": 1500,
        "gue_port": GUE_PORT,
    }
    for k, v in lb.items():
        if v is None:
            section.pop(k, None)
        else:
            section[k] = v
    return {"lb": section, "vips": list(vips)}


def write_config(path, cfg):
    with open(path, "w") as f:
        if isinstance(cfg, str):
            f.write(cfg)
        else:
            json.dump(cfg, f, indent=1)


# --- frames ----------------------------------------------------------------

def l2(vlan=None, src=CLIENT_MAC, dst=LB_MAC):
    """Ethernet header, with one 802.1Q tag when vlan is a VLAN id."""
    e = Ether(src=src, dst=dst)
    if vlan is not None:
        e = e / Dot1Q(vlan=vlan, prio=3)
    return e


def frame_of(ip, vlan=None):
    """A frame carrying the IP packet ip (bytes), ethertype from its version."""
    ip = bytes(ip)
    ethertype = 0x86DD if ip and ip[0] >> 4 == 6 else 0x0800
    if vlan is None:
        return bytes(Ether(src=CLIENT_MAC, dst=LB_MAC, type=ethertype)) + ip
    return bytes(Ether(src=CLIENT_MAC, dst=LB_MAC) / Dot1Q(vlan=vlan, prio=3, type=ethertype)) + ip


def ip_of(src, dst, tos=0, df=True, **kw):
    """An IPv4 or IPv6 header by the addresses' family."""
    if is6(src):
        return IPv6(src=src, dst=dst, tc=tos, hlim=kw.pop("ttl", 61), **kw)
    return IP(src=src, dst=dst, tos=tos, flags="DF" if df else 0, ttl=kw.pop("ttl", 61),
              id=kw.pop("id", 0x1234), **kw)


def tcp_frame(src, dst, sport, dport, flags="S", options=(), payload=b"", tos=0, df=True,
              vlan=None, seq=1000):
    l4 = TCP(sport=sport, dport=dport, flags=flags, seq=seq, options=list(options))
    return l2(vlan) / ip_of(src, dst, tos, df) / l4 / payload


def udp_frame(src, dst, sport, dport, payload=b"udp-payload", tos=0, df=True, vlan=None):
    return l2(vlan) / ip_of(src, dst, tos, df) / UDP(sport=sport, dport=dport) / payload


def echo_frame(src, dst, ident=0x4242, seq=7, payload=b"ping-payload", vlan=None):
    if is6(src):
        icmp = ICMPv6EchoRequest(id=ident, seq=seq, data=payload)
        return l2(vlan) / IPv6(src=src, dst=dst, hlim=61) / icmp
    return l2(vlan) / IP(src=src, dst=dst, ttl=61, id=0x77) / ICMP(
        type=8, id=ident, seq=seq) / payload


def sid_option(server_id):
    """The server_id TCP option, kind 0xB7 length 6, as a scapy option."""
    return (0xB7, struct.pack("!I", server_id))


def tcp_raw_opts_frame(src, dst, sport, dport, opt_bytes, flags="A", doff=None, vlan=None):
    """TCP with hand-made option bytes (possibly malformed) and a chosen data offset."""
    if doff is None:
        doff = 5 + (len(opt_bytes) + 3) // 4
        opt_bytes = opt_bytes + b"\x00" * ((doff - 5) * 4 - len(opt_bytes))
    l4 = TCP(sport=sport, dport=dport, flags=flags, seq=1000, dataofs=doff) / Raw(opt_bytes)
    return l2(vlan) / ip_of(src, dst) / l4


HOPOPTS, ROUTING, FRAGMENT, AH, DSTOPTS = 0, 43, 44, 51, 60


def ip6_ext_bytes(kind, nh, hdrlen=0, frag_off=0, m=0, ident=1):
    """
    One IPv6 extension header as bytes. Hop-by-hop/routing/destination options
    take (hdrlen+1)*8 bytes (options padded with PadN), AH (hdrlen+2)*4, and a
    fragment header 8 bytes (frag_off in 8-byte units, M flag m).
    """
    if kind == FRAGMENT:
        return struct.pack("!BBHI", nh, 0, (frag_off << 3) | m, ident)
    if kind == AH:
        return bytes([nh, hdrlen, 0, 0]) + b"\x00\x00\x01\x00" + b"\0" * ((hdrlen + 2) * 4 - 8)
    size = (hdrlen + 1) * 8
    if kind == ROUTING:
        return bytes([nh, hdrlen, 4, 0]) + b"\0" * (size - 4)
    return bytes([nh, hdrlen, 1, size - 4]) + b"\0" * (size - 4)


def ip6_with_exts(src, dst, exts, proto, l4, tc=0):
    """
    IPv6 bytes: the header, then extension headers exts ([(kind, hdrlen)] or
    [(kind, dict)]), then l4 (bytes) with protocol proto.
    """
    kinds = [e[0] for e in exts] + [proto]
    body = b""
    for i, (kind, arg) in enumerate(exts):
        kw = arg if isinstance(arg, dict) else {"hdrlen": arg}
        body += ip6_ext_bytes(kind, kinds[i + 1], **kw)
    body += bytes(l4)
    hdr = IPv6(src=src, dst=dst, nh=kinds[0], plen=len(body), tc=tc, hlim=61)
    return bytes(hdr) + body


def tcp_bytes(src, dst, sport, dport, flags="A", opts=b"", payload=b"", doff=None):
    """TCP segment bytes with a correct checksum for src -> dst, raw option bytes."""
    if doff is None:
        doff = 5 + (len(opts) + 3) // 4
        opts = opts + b"\0" * ((doff - 5) * 4 - len(opts))
    ip = IPv6(src=src, dst=dst) if is6(src) else IP(src=src, dst=dst)
    seg = TCP(sport=sport, dport=dport, flags=flags, seq=1000, dataofs=doff) / Raw(opts + payload)
    return bytes(ip / seg)[40 if is6(src) else 20:]


def l2_len(frame):
    """Bytes of Ethernet header in front of the IP header (one VLAN tag at most)."""
    b = bytes(frame)
    return 18 if b[12:14] in (b"\x81\x00", b"\x88\xa8") else 14


def ip_bytes(frame):
    """The IP packet of a frame, as its own header's length field says, as bytes."""
    b = bytes(frame)
    ip = b[l2_len(b):]
    if ip[0] >> 4 == 4:
        return ip[:struct.unpack("!H", ip[2:4])[0]]
    return ip[:40 + struct.unpack("!H", ip[4:6])[0]]


# --- the flow hash (core/include/shoal/hash.h, flow.h), for exact checks ---

M64 = (1 << 64) - 1


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _sip_round(v):
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & M64
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & M64
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & M64
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & M64
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash13_words(key, words):
    """SipHash-1-3 over 64-bit words, the length folded in as shoal does."""
    k0, k1 = key
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D,
         k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]

    def word(v, m):
        v[3] ^= m
        v = _sip_round(v)
        v[0] ^= m
        return v

    for w in words:
        v = word(v, w)
    v = word(v, ((len(words) * 8) << 56) & M64)
    v[2] ^= 0xFF
    for _ in range(3):
        v = _sip_round(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def hash_key_words(hex_key=HASH_KEY):
    return (int(hex_key[:16], 16), int(hex_key[16:], 16))


def flow_hash(src, dst, sport, dport, proto, hex_key=HASH_KEY):
    """sh_flow_hash() of the client -> VIP flow."""
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    family = 6 if a.version == 6 else 4
    ports = (sport << 48) | (dport << 32) | (proto << 8) | family
    if family == 4:
        words = [(int(a) << 32) | int(b), ports]
    else:
        sa, da = int(a), int(b)
        words = [sa >> 64, sa & M64, da >> 64, da & M64, ports]
    return siphash13_words(hash_key_words(hex_key), words)


def gue_sport(h):
    return 0xC000 | ((h >> 48) & 0x3FFF)


def flow_label(h):
    return h & 0xFFFFF


# --- pcaps -----------------------------------------------------------------

T0 = 1_700_000_000  # capture time of the first packet, in seconds

LINKTYPE_ETHERNET = 1


def write_pcap(path, frames, times_us=None, step_us=1000, linktype=LINKTYPE_ETHERNET):
    """
    Write frames (scapy packets or bytes) to a classic pcap, byte for byte.
    Packet i is stamped T0 + times_us[i] microseconds (default i * step_us).
    """
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for i, frame in enumerate(frames):
            b = bytes(frame)
            t = times_us[i] if times_us is not None else i * step_us
            f.write(struct.pack("<IIII", T0 + t // 1000000, t % 1000000, len(b), len(b)))
            f.write(b)


def read_pcap(path):
    """The frames of a classic pcap as a list of bytes (any byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError("%s: not a pcap (magic %#x)" % (path, magic))
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != LINKTYPE_ETHERNET:
        raise ValueError("%s: link type %d, expected Ethernet" % (path, linktype))
    frames, off = [], 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + caplen])
        off += caplen
    return frames
