// lib/net under fuzzing (issue 7): one EthernetInterface with a UDP echo
// socket, a TCP listener, a DHCP client and fragments in flight is fed
// random and mutated frames from a seeded generator, with simulated time
// moving on. Every 10,000 frames, and at the end, a clean peer must get
// an ARP reply and a ping reply, and the reassembler, ARP cache, TCP tables
// and the wasm heap must stay under their limits. A trap fails the case; a
// failed check names the seed and the frame number; the seed also seeds
// Math.random (TCP's ISN secret), so a run replays exactly.
//
// Frame kinds: pure random bytes; valid ARP requests and replies, ICMP echo,
// UDP to an open and a closed port, IPv4 fragments, DHCP offers and acks for
// the client's transaction, TCP segments to the listening and a closed port
// (some answering the stack's own SYN-ACKs, so handshakes complete); each
// valid frame is sent as is or mutated (bit flips, random bytes, truncation,
// extension, length, offset and checksum fields set to edge values), with
// checksums repaired half the time so a mutation gets past them; now and
// then every fragment of a datagram, shuffled, so some reassemble. A second
// case starts the interface without an address and lets the fuzzer's short
// DHCP leases set, change and clear it; the checks ping when it has one.
import { Ipv4Addr, MacAddr, ipv4, macToBytes, IPV4_BROADCAST, MAC_BROADCAST } from "atoll/net/addr";
import { NetDevice, NetResult, FrameHandler } from "atoll/net/device";
import { ms, seconds } from "atoll/time";
import { EthernetInterface, InterfaceConfig } from "atoll/net/iface/interface";
import { EthernetFrame, EthernetRepr, EtherType, ETHERNET_HEADER_LEN } from "atoll/net/wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation, ARP_IPV4_LEN } from "atoll/net/wire/arp";
import { Ipv4Packet, Ipv4Repr, IpProtocol, IPV4_HEADER_LEN } from "atoll/net/wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr } from "atoll/net/wire/icmpv4";
import { UdpPacket, UdpRepr, UDP_HEADER_LEN } from "atoll/net/wire/udp";
import { TcpPacket, TcpRepr, TcpFlags } from "atoll/net/wire/tcp";
import { DhcpPacket, DhcpRepr, DhcpOp, DhcpMessageType, DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from "atoll/net/wire/dhcp";
import { WireError } from "atoll/net/wire/error";
import { UdpSocket, UdpHandler, UdpDatagram, UdpBindError } from "atoll/net/socket/udp";
import { TcpSocket, TcpHandler, TcpError } from "atoll/net/socket/tcp";
import { TcpListener, TcpListenHandler } from "atoll/net/socket/tcp-listener";
import { DhcpClient, DhcpConfig, DhcpHandler, DhcpLease } from "atoll/net/socket/dhcp";
import { startDhcp } from "atoll/net/iface/dhcp";
import { REASSEMBLY_DATAGRAM_COST } from "atoll/net/iface/reassembly";
import { AbiConsole } from "atoll/console";

const out = new AbiConsole();

const MAC_US: MacAddr = 0x02000000000B;
const IP_US: Ipv4Addr = ipv4(10, 0, 0, 2);
const GATEWAY: Ipv4Addr = ipv4(10, 0, 0, 1);
const ECHO_PORT: u16 = 7;
const CLOSED_PORT: u16 = 9;
const LISTEN_PORT: u16 = 80;
/** The clean peer of the health checks: an address and MAC the fuzzer never uses. */
const CLEAN_MAC: MacAddr = 0x020000000077;
const CLEAN_IP: Ipv4Addr = ipv4(10, 0, 0, 250);
/** The wasm heap may not pass this (pages of 64 KiB). */
const MAX_PAGES: i32 = 512;
const MAX_TCP_CONNECTIONS: i32 = 256;
/** Where frames for the stack go: its address, or IP_US while it has none. */
let us: Ipv4Addr = IP_US;

/** splitmix32-style generator: any seed, including 0, gives a full stream. */
class Prng {
  constructor(private state: u32) {}
  next(): u32 {
    this.state += 0x9E3779B9;
    let z = this.state;
    z = (z ^ (z >>> 16)) * 0x85EBCA6B;
    z = (z ^ (z >>> 13)) * 0xC2B2AE35;
    return z ^ (z >>> 16);
  }
  below(bound: i32): i32 { return bound <= 0 ? 0 : <i32>(this.next() % <u32>bound); }
  chance(perMille: i32): bool { return this.below(1000) < perMille; }
  fill(b: Uint8Array): void { for (let i = 0; i < b.length; i++) b[i] = <u8>this.next(); }
  bytes(n: i32): Uint8Array { const b = new Uint8Array(n); this.fill(b); return b; }
}

/** Keeps the latest frames the stack sent, for the checks and for answering its SYN-ACKs. */
class FuzzDevice extends NetDevice {
  handler: FrameHandler | null = null;
  sent: Uint8Array[] = [];
  total: i32 = 0;
  get name(): string { return "fuzz"; }
  get mac(): Uint8Array { return macToBytes(MAC_US); }
  get mtu(): u32 { return 1500; }
  transmit(frame: Uint8Array): NetResult {
    if (frame.length > 1514) return NetResult.TooBig;
    this.total++;
    if (this.sent.length >= 64) this.sent.splice(0, 32);
    this.sent.push(frame.slice(0));
    return NetResult.Ok;
  }
  listen(handler: FrameHandler): void { this.handler = handler; }
}

class Echo extends UdpHandler {
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void { socket.sendTo(d.remote, d.remotePort, d.payload); }
}

/** Reads what arrives, closes when the peer does, and keeps at most 8 accepted connections (aborting the oldest). */
class Server extends TcpListenHandler {
  conns: TcpSocket[] = [];
  accepted: i32 = 0;
  private peer: ServerConn = new ServerConn();
  onAccept(l: TcpListener, c: TcpSocket, now: i64): void {
    this.accepted++;
    c.handler = this.peer;
    this.conns.push(c);
    if (this.conns.length > 8) this.conns.shift().abort(now);
    c.write(this.peer.hello);
  }
}

class ServerConn extends TcpHandler {
  hello: Uint8Array = Uint8Array.wrap(String.UTF8.encode("hello\n"));
  private buf: Uint8Array = new Uint8Array(2048);
  onConnected(c: TcpSocket, now: i64): void {}
  onReadable(c: TcpSocket, now: i64): void { while (c.read(this.buf) > 0) {} }
  onWritable(c: TcpSocket, now: i64): void {}
  onPeerClosed(c: TcpSocket, now: i64): void { while (c.read(this.buf) > 0) {} c.close(now); }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void {}
}

/** Records leases without applying them: the interface keeps its static address. */
class Leases extends DhcpHandler {
  bound: i32 = 0;
  unbound: i32 = 0;
  onBound(client: DhcpClient, lease: DhcpLease, now: i64): void { this.bound++; }
  onUnbound(client: DhcpClient, now: i64): void { this.unbound++; }
}

// --- building valid frames ---------------------------------------------------

function ethFrame(src: MacAddr, dst: MacAddr, type: u16, bodyLen: i32): Uint8Array {
  const f = new Uint8Array(ETHERNET_HEADER_LEN + bodyLen);
  EthernetRepr.of(src, dst, type).emit(new EthernetFrame(f));
  return f;
}

function arpFrame(op: ArpOperation, mac: MacAddr, ip: Ipv4Addr, targetMac: MacAddr, targetIp: Ipv4Addr, dstMac: MacAddr): Uint8Array {
  const f = ethFrame(mac, dstMac, EtherType.ARP, ARP_IPV4_LEN);
  ArpRepr.of(op, mac, ip, targetMac, targetIp).emit(new ArpPacket(f.subarray(ETHERNET_HEADER_LEN)));
  return f;
}

/** An IPv4 frame with room for `len` payload bytes; the caller writes the payload, then fixIp(). */
function ipFrame(srcMac: MacAddr, dstMac: MacAddr, src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: i32, ident: u16): Uint8Array {
  const f = ethFrame(srcMac, dstMac, EtherType.IPV4, IPV4_HEADER_LEN + len);
  const r = Ipv4Repr.of(src, dst, proto, len);
  r.ident = ident;
  r.emit(new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN)));
  return f;
}

function ipBody(f: Uint8Array): Uint8Array { return f.subarray(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN); }

function udpFrame(srcMac: MacAddr, src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, payload: Uint8Array, ident: u16): Uint8Array {
  const u = UdpRepr.of(sport, dport, payload);
  const f = ipFrame(srcMac, dst == IPV4_BROADCAST ? MAC_BROADCAST : MAC_US, src, dst, IpProtocol.UDP, u.bufferLen(), ident);
  u.emit(new UdpPacket(ipBody(f)), src, dst);
  return f;
}

function tcpFrame(srcMac: MacAddr, src: Ipv4Addr, r: TcpRepr, ident: u16): Uint8Array {
  const f = ipFrame(srcMac, MAC_US, src, us, IpProtocol.TCP, r.bufferLen(), ident);
  r.emit(new TcpPacket(ipBody(f)), src, us);
  return f;
}

/** Recomputes whatever checksums the frame's (possibly mutated) lengths still let us find. */
function repairChecksums(f: Uint8Array): void {
  if (f.length < ETHERNET_HEADER_LEN + IPV4_HEADER_LEN || f[12] != 0x08 || f[13] != 0x00) return;
  const ip = new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN));
  const hl = ip.headerLen;
  if (hl < IPV4_HEADER_LEN || hl > ip.buffer.length) return;
  ip.fillChecksum();
  if (ip.checkLen() != WireError.None || ip.fragmentOffset != 0) return;
  const body = ip.payload();
  const p = ip.protocol;
  if (p == IpProtocol.UDP) {
    const u = new UdpPacket(body);
    if (u.checkLen() == WireError.None) u.fillChecksum(ip.src, ip.dst);
  } else if (p == IpProtocol.TCP) {
    const t = new TcpPacket(body);
    if (t.checkLen() == WireError.None) t.fillChecksum(ip.src, ip.dst);
  } else if (p == IpProtocol.ICMP) {
    const c = new Icmpv4Packet(body);
    if (c.checkLen() == WireError.None) c.fillChecksum();
  }
}

// --- the fuzzer --------------------------------------------------------------

class Fuzzer {
  readonly rng: Prng;
  readonly dev: FuzzDevice = new FuzzDevice();
  iface!: EthernetInterface;
  listener!: TcpListener;
  readonly server: Server = new Server();
  dhcp!: DhcpClient;
  readonly leases: Leases = new Leases();
  now: i64 = seconds(1);
  frames: i64 = 0;
  checks: i32 = 0;
  mutated: i64 = 0;
  random: i64 = 0;
  private pingSeq: u16 = 0;
  private fragIdent: u16 = 0;
  private fragHeld: Uint8Array[] = [];
  /** Frames to feed before generating more (the fragments of a burst). */
  private queue: Uint8Array[] = [];

  /** Health checks that found an address to ping. */
  pinged: i32 = 0;

  /** `viaDhcp`: the interface starts without an address and takes what DHCP offers (the fuzzer's own offers). */
  constructor(readonly seed: u32, readonly viaDhcp: bool = false) {
    this.rng = new Prng(seed);
    // The stack's own randomness (TCP's ISN secret) too, so a seed replays exactly.
    Math.seedRandom(<i64>seed * 0x9E3779B97F4A7C15 + 1);
    const cfg = new InterfaceConfig();
    if (!viaDhcp) {
      cfg.address = IP_US;
      cfg.prefixLen = 24;
      cfg.gateway = GATEWAY;
    }
    cfg.announcements = 1;
    const iface = new EthernetInterface(this.dev, cfg);
    this.iface = iface;
    const echo = new UdpSocket(new Echo());
    iface.sockets.add(echo);
    assert(echo.bind(ECHO_PORT) == UdpBindError.None);
    const l = new TcpListener(this.server);
    iface.sockets.add(l);
    assert(l.listen(LISTEN_PORT) == TcpError.None);
    this.listener = l;
    if (viaDhcp) this.dhcp = startDhcp(iface, this.now, seed | 1, this.leases);
    else {
      const d = new DhcpClient(MAC_US, this.leases, new DhcpConfig(), seed | 1, this.now);
      iface.sockets.add(d);
      this.dhcp = d;
    }
    iface.begin(this.now);
  }

  fail(what: string): void {
    assert(false, "net fuzz, seed " + this.seed.toString() + ", after frame " + this.frames.toString() + ": " + what);
  }

  /** A sender on our subnet (or beyond it, or a broadcast, now and then). */
  peerIp(): Ipv4Addr {
    const k = this.rng.below(100);
    if (k < 85) return ipv4(10, 0, 0, <u8>(3 + this.rng.below(40)));
    if (k < 95) return this.rng.next();
    return GATEWAY;
  }
  peerMac(ip: Ipv4Addr): MacAddr { return 0x020000000000 | <u64>(ip & 0xFF) | (<u64>this.rng.below(2) << 16); }

  /** One valid frame of a random kind. */
  validFrame(): Uint8Array {
    const rng = this.rng;
    const src = this.peerIp();
    const mac = this.peerMac(src);
    const ident = <u16>rng.next();
    switch (rng.below(11)) {
      case 0: // ARP request, for us or someone else, sometimes a probe or an announcement
        return arpFrame(ArpOperation.Request, mac, rng.chance(100) ? 0 : src, 0, rng.chance(700) ? us : this.peerIp(), MAC_BROADCAST);
      case 1: // ARP reply
        return arpFrame(ArpOperation.Reply, mac, src, MAC_US, rng.chance(800) ? us : this.peerIp(), MAC_US);
      case 2: { // ICMP echo request
        const e = Icmpv4Repr.echo(true, <u16>rng.next(), <u16>rng.next(), rng.bytes(rng.below(200)));
        const f = ipFrame(mac, MAC_US, src, rng.chance(900) ? us : IPV4_BROADCAST, IpProtocol.ICMP, e.bufferLen(), ident);
        e.emit(new Icmpv4Packet(ipBody(f)));
        return f;
      }
      case 3: // UDP to the echo port
        return udpFrame(mac, src, rng.chance(900) ? us : IPV4_BROADCAST, <u16>rng.next(), ECHO_PORT, rng.bytes(rng.below(600)), ident);
      case 4: // UDP to a closed port
        return udpFrame(mac, src, us, <u16>rng.next(), rng.chance(500) ? CLOSED_PORT : <u16>rng.next(), rng.bytes(rng.below(100)), ident);
      case 5: return this.fragment(mac, src);
      case 6: return this.dhcpReply();
      case 7: case 8: return this.tcpToListener(mac, src, ident);
      case 9: { // TCP to a closed port
        const r = TcpRepr.of(<u16>rng.next(), <u16>(81 + rng.below(1000)), rng.next(), rng.next(), <u16>(rng.next() & 0x3F), <u16>rng.next());
        return tcpFrame(mac, src, r, ident);
      }
      default: { // something else over IPv4: another protocol, or ICMP that is not an echo
        const f = ipFrame(mac, MAC_US, src, us, rng.chance(500) ? IpProtocol.ICMP : <u8>rng.next(), 8 + rng.below(60), ident);
        rng.fill(ipBody(f));
        return f;
      }
    }
  }

  /** A fragment of one of a few datagrams in progress: their pieces come in any order, overlap, or complete. */
  fragment(mac: MacAddr, src: Ipv4Addr): Uint8Array {
    const rng = this.rng;
    if (rng.chance(50)) this.fragIdent++;
    const ident = <u16>(this.fragIdent * 4 + <u16>rng.below(4));
    const fsrc = ipv4(10, 0, 0, <u8>(3 + (ident & 3)));
    const total = 8 * (1 + (<i32>ident % 64));
    const offset = rng.below(total / 8) * 8;
    const len = min(total - offset, 8 * (1 + rng.below(16)));
    const last = offset + len >= total;
    const proto = (ident & 1) != 0 ? IpProtocol.UDP : IpProtocol.ICMP;
    const f = ipFrame(mac, MAC_US, fsrc, us, proto, len, ident);
    const ip = new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN));
    ip.setFragment(false, !last, offset);
    ip.fillChecksum();
    const body = ipBody(f);
    for (let i = 0; i < body.length; i++) body[i] = <u8>(ident + offset + i);
    if (offset == 0 && proto == IpProtocol.UDP && len >= UDP_HEADER_LEN) {
      // A UDP header for the echo port with the whole datagram's length (checksum 0: none).
      body[0] = 0x30; body[1] = 0x39; body[2] = 0; body[3] = <u8>ECHO_PORT;
      body[4] = <u8>(total >> 8); body[5] = <u8>total; body[6] = 0; body[7] = 0;
    }
    if (rng.chance(100)) this.burst(mac, ident, fsrc, proto, total);
    if (this.fragHeld.length < 32 && rng.chance(200)) this.fragHeld.push(f);
    else if (this.fragHeld.length > 0 && rng.chance(300)) return this.fragHeld.splice(rng.below(this.fragHeld.length), 1)[0];
    return f;
  }

  /** Queues every fragment of datagram `ident` in a shuffled order, so whole datagrams get reassembled too. */
  burst(mac: MacAddr, ident: u16, src: Ipv4Addr, proto: u8, total: i32): void {
    const rng = this.rng;
    const pieces: Uint8Array[] = [];
    const size = 8 * (1 + rng.below(8));
    for (let offset = 0; offset < total; offset += size) {
      const len = min(size, total - offset);
      const f = ipFrame(mac, MAC_US, src, us, proto, len, ident);
      const ip = new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN));
      ip.setFragment(false, offset + len < total, offset);
      ip.fillChecksum();
      const body = ipBody(f);
      for (let i = 0; i < body.length; i++) body[i] = <u8>(ident + offset + i);
      if (offset == 0 && proto == IpProtocol.UDP && len >= UDP_HEADER_LEN) {
        body[0] = 0x30; body[1] = 0x39; body[2] = 0; body[3] = <u8>ECHO_PORT;
        body[4] = <u8>(total >> 8); body[5] = <u8>total; body[6] = 0; body[7] = 0;
      }
      pieces.push(f);
    }
    while (pieces.length > 0) this.queue.push(pieces.splice(rng.below(pieces.length), 1)[0]);
  }

  /** A DHCP offer, ack or nak for the client's current transaction (or another one). */
  dhcpReply(): Uint8Array {
    const rng = this.rng;
    const d = new DhcpRepr();
    d.op = DhcpOp.BootReply;
    const k = rng.below(10);
    d.messageType = k < 5 ? DhcpMessageType.OFFER : k < 9 ? DhcpMessageType.ACK : DhcpMessageType.NAK;
    d.xid = rng.chance(900) ? this.dhcp.transactionId : rng.next();
    d.clientMac = MAC_US;
    d.yourIp = rng.chance(900) ? ipv4(10, 0, 0, <u8>(100 + rng.below(100))) : rng.next();
    d.serverId = rng.chance(900) ? GATEWAY : rng.next();
    d.subnetMask = rng.chance(900) ? 0xFFFFFF00 : rng.next();
    d.router = GATEWAY;
    // Short leases under DHCP, so renewals, rebinding and expiry come round.
    d.leaseTime = rng.chance(100) ? -1 : <i64>rng.below(this.viaDhcp ? 300 : 100000);
    d.renewalTime = rng.chance(500) ? -1 : <i64>rng.below(100000);
    d.rebindingTime = rng.chance(500) ? -1 : <i64>rng.below(100000);
    d.dnsCount = rng.below(4);
    for (let i = 0; i < d.dnsCount; i++) d.dnsServers[i] = rng.next();
    const payload = new Uint8Array(d.bufferLen());
    d.emit(new DhcpPacket(payload));
    return udpFrame(this.peerMac(GATEWAY), GATEWAY, rng.chance(500) ? IPV4_BROADCAST : us, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, payload, <u16>rng.next());
  }

  /** A segment to the listener: a SYN, or an answer to a SYN-ACK or data segment the stack sent. */
  tcpToListener(mac: MacAddr, src: Ipv4Addr, ident: u16): Uint8Array {
    const rng = this.rng;
    const sent = this.dev.sent;
    if (sent.length > 0 && rng.chance(600)) {
      const f = sent[rng.below(sent.length)];
      if (f.length >= ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + 20 && f[23] == IpProtocol.TCP) {
        const ip = new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN));
        const seg = new TcpRepr();
        if (ip.checkLen() == WireError.None && seg.parse(new TcpPacket(ip.payload()), ip.src, ip.dst) == WireError.None) {
          const r = TcpRepr.of(seg.dstPort, seg.srcPort, seg.ack, seg.seq + seg.segLen, TcpFlags.ACK, <u16>rng.next());
          const k = rng.below(8);
          if (k == 0) r.flags |= TcpFlags.FIN;
          else if (k == 1) r.flags = TcpFlags.RST | (rng.chance(500) ? TcpFlags.ACK : 0);
          else if (k == 2) r.seq += <u32>rng.below(70000) - 35000;
          else if (k == 3) r.ack += <u32>rng.below(70000) - 35000;
          if (k != 1 && rng.chance(500)) { r.payload = rng.bytes(rng.below(1400)); r.flags |= TcpFlags.PSH; }
          if (rng.chance(200)) { r.hasTimestamps = true; r.tsVal = rng.next(); r.tsEcr = rng.next(); }
          return tcpFrame(this.peerMac(ip.dst), ip.dst, r, ident);
        }
      }
    }
    const r = TcpRepr.of(<u16>(1024 + rng.below(64)), LISTEN_PORT, rng.next(), 0, TcpFlags.SYN, <u16>rng.next());
    if (rng.chance(700)) r.mss = <u16>rng.below(2000);
    if (rng.chance(500)) r.windowShift = rng.below(20);
    r.sackPermitted = rng.chance(500);
    if (rng.chance(500)) { r.hasTimestamps = true; r.tsVal = rng.next(); }
    if (rng.chance(50)) r.flags |= <u16>(rng.next() & 0xFF);
    return tcpFrame(mac, src, r, ident);
  }

  /** A copy of `f` changed in one to four ways. */
  mutate(f: Uint8Array): Uint8Array {
    const rng = this.rng;
    let b = f;
    const n = 1 + rng.below(4);
    for (let i = 0; i < n; i++) {
      const len = b.length;
      switch (rng.below(9)) {
        case 0: if (len > 0) { const k = rng.below(len); b[k] ^= <u8>(1 << <u8>rng.below(8)); } break;
        case 1: if (len > 0) b[rng.below(len)] = <u8>rng.next(); break;
        case 2: b = b.slice(0, rng.below(len + 1)); break;
        case 3: { // extension
          const e = new Uint8Array(len + 1 + rng.below(64));
          e.set(b);
          for (let k = len; k < e.length; k++) e[k] = <u8>rng.next();
          b = e;
          break;
        }
        default: b = this.mutateField(b); break;
      }
    }
    if (rng.chance(500)) repairChecksums(b);
    return b;
  }

  /** Sets a length, offset, count or checksum field of some layer to an edge value. */
  mutateField(b: Uint8Array): Uint8Array {
    const rng = this.rng;
    if (b.length < 34) return b;
    const ihl = (b[14] & 0x0F) * 4;
    const l4 = 14 + max(20, ihl);
    let at = 0;
    let wide = true;
    switch (rng.below(12)) {
      case 0: at = 16; break; // IPv4 total length
      case 1: at = 14; wide = false; break; // version and IHL
      case 2: at = 20; break; // flags and fragment offset
      case 3: at = 24; break; // IPv4 checksum
      case 4: at = 23; wide = false; break; // protocol
      case 5: at = l4 + 4; break; // UDP length
      case 6: at = l4 + 6; break; // UDP checksum
      case 7: at = l4 + 12; wide = false; break; // TCP data offset
      case 8: at = l4 + 16; break; // TCP checksum
      case 9: at = l4; wide = false; break; // ICMP type
      case 10: at = 18 + rng.below(10); wide = false; break; // ARP lengths and operation
      default: at = l4 + 8 + 240 + rng.below(64); wide = false; break; // DHCP options
    }
    if (at + (wide ? 2 : 1) > b.length) return b;
    let v: u32;
    const k = rng.below(6);
    const cur: u32 = wide ? (<u32>b[at] << 8) | b[at + 1] : b[at];
    if (k == 0) v = 0;
    else if (k == 1) v = wide ? 0xFFFF : 0xFF;
    else if (k == 2) v = cur + 1;
    else if (k == 3) v = cur - 1;
    else if (k == 4) v = <u32>rng.below(b.length + 8);
    else v = rng.next();
    if (wide) { b[at] = <u8>(v >> 8); b[at + 1] = <u8>v; } else b[at] = <u8>v;
    return b;
  }

  /** Random bytes, usually addressed to us as ARP or IPv4 so they get past the first check. */
  randomFrame(): Uint8Array {
    const rng = this.rng;
    const f = rng.bytes(rng.below(rng.chance(900) ? 120 : 1600));
    if (f.length >= 14 && rng.chance(800)) {
      const m = macToBytes(rng.chance(800) ? MAC_US : MAC_BROADCAST);
      for (let i = 0; i < 6; i++) f[i] = m[i];
      f[12] = 0x08; f[13] = rng.chance(500) ? 0x06 : 0x00;
      if (f[13] == 0 && f.length > 14 && rng.chance(800)) f[14] = 0x45;
    }
    return f;
  }

  /** Feeds one frame and moves the clock on. */
  step(): void {
    const rng = this.rng;
    let f: Uint8Array;
    us = this.iface.address != 0 ? this.iface.address : IP_US;
    const k = rng.below(10);
    if (this.queue.length > 0) { f = this.queue.shift(); if (k == 0) { f = this.mutate(f); this.mutated++; } }
    else if (k == 0) { f = this.randomFrame(); this.random++; }
    else if (k < 3) f = this.validFrame();
    else { f = this.mutate(this.validFrame()); this.mutated++; }
    this.iface.receive(f, this.now);
    this.frames++;
    // Mostly back to back; now and then a pause long enough for timers.
    const t = rng.below(1000);
    if (t < 900) this.now += <i64>rng.below(20_000);
    else if (t < 995) this.now += ms(rng.below(50));
    else this.now += ms(rng.below(5000));
    if (this.iface.pollAt() <= this.now) this.iface.poll(this.now);
  }

  /** Limits on what the stack holds, and a clean peer's ARP request and ping answered. */
  check(): void {
    this.checks++;
    const iface = this.iface;
    const re = iface.reassembler;
    if (re.inProgress > re.config.maxBytes / REASSEMBLY_DATAGRAM_COST) this.fail("reassembling " + re.inProgress.toString() + " datagrams");
    if (re.bytesHeld > re.config.maxBytes) this.fail("reassembler holds " + re.bytesHeld.toString() + " bytes");
    if (iface.arp.size > iface.config.arp.maxEntries) this.fail("ARP cache has " + iface.arp.size.toString() + " entries");
    if (iface.sockets.tcpConnectionCount > MAX_TCP_CONNECTIONS) this.fail(iface.sockets.tcpConnectionCount.toString() + " TCP connections");
    if (this.listener.pending > this.listener.config.backlog) this.fail("listener backlog " + this.listener.pending.toString());
    if (!this.viaDhcp && iface.address != IP_US) this.fail("the address changed");
    const pages = <i32>memory.size();
    if (pages > MAX_PAGES) this.fail("heap grew to " + pages.toString() + " pages");

    us = iface.address;
    // Under DHCP the fuzzer's leases may leave no address, or one the clean peer is not beside.
    if (us == 0 || !iface.isLocal(CLEAN_IP) || iface.isBroadcast(CLEAN_IP) || us == CLEAN_IP || iface.isBroadcast(us)) {
      if (this.viaDhcp) return;
      this.fail("no usable address");
    }
    this.pinged++;
    const sent = this.dev.total;
    iface.receive(arpFrame(ArpOperation.Request, CLEAN_MAC, CLEAN_IP, 0, us, MAC_BROADCAST), this.now);
    if (!this.sawArpReply(sent)) this.fail("no ARP reply to a clean peer");
    const seq = ++this.pingSeq;
    const data = this.rng.bytes(32);
    const e = Icmpv4Repr.echo(true, 0xC1EA, seq, data);
    const f = ipFrame(CLEAN_MAC, MAC_US, CLEAN_IP, us, IpProtocol.ICMP, e.bufferLen(), <u16>seq);
    e.emit(new Icmpv4Packet(ipBody(f)));
    const before = this.dev.total;
    iface.receive(f, this.now);
    if (!this.sawEchoReply(before, seq, data)) this.fail("no echo reply to a clean peer");
  }

  private sawArpReply(since: i32): bool {
    const s = this.dev.sent;
    const n = min(this.dev.total - since, s.length);
    for (let i = s.length - n; i < s.length; i++) {
      const r = new ArpRepr();
      const fr = s[i];
      if (fr.length < 14 || fr[12] != 0x08 || fr[13] != 0x06) continue;
      if (r.parse(new ArpPacket(fr.subarray(14))) != WireError.None) continue;
      if (r.operation == ArpOperation.Reply && r.targetIp == CLEAN_IP && r.targetMac == CLEAN_MAC && r.senderIp == us && r.senderMac == MAC_US) return true;
    }
    return false;
  }

  private sawEchoReply(since: i32, seq: u16, data: Uint8Array): bool {
    const s = this.dev.sent;
    const n = min(this.dev.total - since, s.length);
    for (let i = s.length - n; i < s.length; i++) {
      const fr = s[i];
      if (fr.length < 34 || fr[12] != 0x08 || fr[13] != 0x00) continue;
      const eth = new EthernetRepr();
      if (eth.parse(new EthernetFrame(fr)) != WireError.None || eth.dst != CLEAN_MAC) continue;
      const ipp = new Ipv4Packet(fr.subarray(14));
      const ip = new Ipv4Repr();
      if (ip.parse(ipp) != WireError.None || ip.dst != CLEAN_IP || ip.protocol != IpProtocol.ICMP) continue;
      const r = new Icmpv4Repr();
      if (r.parse(new Icmpv4Packet(ipp.payload())) != WireError.None) continue;
      if (r.seq != seq || r.ident != 0xC1EA || r.data.length != data.length) continue;
      let same = true;
      for (let k = 0; k < data.length; k++) if (r.data[k] != data[k]) same = false;
      if (same) return true;
    }
    return false;
  }

  run(count: i64, checkEvery: i64): void {
    this.check();
    for (let i: i64 = 0; i < count; i++) {
      this.step();
      if (this.frames % checkEvery == 0) this.check();
    }
    // Let every timer run out, then the stack must still answer.
    for (let i = 0; i < 200; i++) {
      this.now += seconds(1);
      if (this.iface.pollAt() <= this.now) this.iface.poll(this.now);
    }
    this.check();
    const re = this.iface.reassembler;
    if (re.inProgress != 0 || re.bytesHeld != 0) this.fail("fragments still held after their timeout");
  }

  report(): void {
    const s = this.iface.stats;
    out.log("net fuzz: seed " + this.seed.toString() + ", " + this.frames.toString() + " frames (" +
      this.mutated.toString() + " mutated, " + this.random.toString() + " random), " + this.checks.toString() + " checks (" + this.pinged.toString() + " pinged)" + (this.viaDhcp ? " via DHCP" : "") + "; " +
      "malformed " + s.rxMalformed.toString() + ", ignored " + s.rxIgnored.toString() + ", no socket " + s.rxNoSocket.toString() +
      ", echo replies " + s.echoReplies.toString() + ", ARP replies " + s.arpReplies.toString() +
      ", reassembled " + s.reassembled.toString() + ", fragments dropped " + s.fragmentsDropped.toString() +
      ", evicted " + (this.iface.reassembler.evicted + this.iface.reassembler.evictedForSource).toString() +
      ", TCP resets " + s.tcpResets.toString() + ", accepted " + this.server.accepted.toString() +
      ", DHCP leases " + this.leases.bound.toString() + ", tx " + this.dev.total.toString() +
      ", heap " + (<i32>memory.size()).toString() + " pages");
  }
}

function fuzz(frames: i64, seed: u32, viaDhcp: bool = false): void {
  const z = new Fuzzer(seed, viaDhcp);
  z.run(frames, 10_000);
  z.report();
  const s = z.iface.stats;
  // The frames reached every layer.
  assert(s.rxMalformed > 0 && s.rxNoSocket > 0 && s.echoReplies > 0 && s.arpReplies > 0, "frames reached each layer");
  assert(s.reassembled > 0 && s.fragmentsDropped > 0 && s.tcpResets > 0, "fragments and TCP were exercised");
  assert(z.server.accepted > 0 && z.leases.bound > 0, "handshakes and DHCP leases completed");
  assert(z.pinged > z.checks / 2, "most checks pinged: " + z.pinged.toString() + " of " + z.checks.toString());
}

export function test_a_million_random_and_mutated_frames_never_trap_and_ping_still_works(): void { fuzz(1_000_000, 7); }
export function test_frames_to_an_interface_configured_by_dhcp(): void { fuzz(200_000, 11, true); }
