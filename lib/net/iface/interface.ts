// An Ethernet interface with one IPv4 address: the layer between a NetDevice
// and the sockets. It answers ARP and ICMP echo itself, reassembles
// fragments, routes what it sends to the local subnet or the gateway
// (fragmenting datagrams larger than the MTU), and hands UDP datagrams and
// ICMP replies to its sockets.
//
// Time comes in as `now` (monotonic ns) on every call, and frames go out
// through the device it was given: nothing here reads a clock or arms a
// timer. Whoever drives the interface calls receive() for each frame, and
// poll() once pollAt() is reached.

import {
  Ipv4Addr, MacAddr, IPV4_BROADCAST, IPV4_UNSPECIFIED, MAC_BROADCAST, MAC_ZERO,
  prefixMask, isMulticast, isMulticastMac, multicastMac,
} from "../addr";
import { seconds, FOREVER } from "../../time";
import { NetDevice, NetResult, FrameHandler } from "../device";
import { WireError } from "../wire/error";
import { EthernetFrame, EthernetRepr, EtherType, ETHERNET_HEADER_LEN } from "../wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation, ARP_IPV4_LEN } from "../wire/arp";
import { Ipv4Packet, Ipv4Repr, IpProtocol, IPV4_HEADER_LEN, IPV4_MAX_LEN, IPV4_DEFAULT_TTL } from "../wire/ipv4";
import { Icmpv4Packet, Icmpv4Repr, IcmpKind, DstUnreachableCode, TimeExceededCode, ICMP_ERROR_QUOTE } from "../wire/icmpv4";
import { UdpPacket, UdpRepr, UDP_HEADER_LEN } from "../wire/udp";
import { TcpPacket, TcpRepr } from "../wire/tcp";
import { tcpResetFor } from "../socket/tcp";
import { Egress, SendError, SocketSet, TcpVerdict } from "../socket/socket";
import { ArpCache, ArpConfig } from "./arp-cache";
import { Reassembler, ReassemblyConfig, FragmentOutcome } from "./reassembly";
import { fragmentDatagram } from "./fragmentation";

/** How an interface starts and the limits it keeps. */
export class InterfaceConfig {
  /** Static address; 0 leaves the interface unconfigured (for DHCP). */
  address: Ipv4Addr = IPV4_UNSPECIFIED;
  prefixLen: i32 = 24;
  /** Default gateway; 0 for none (only the local subnet is reachable). */
  gateway: Ipv4Addr = IPV4_UNSPECIFIED;
  ttl: u8 = IPV4_DEFAULT_TTL;
  /** Gratuitous ARP announcements after an address is set (RFC 5227 §2.3: ANNOUNCE_NUM, ANNOUNCE_INTERVAL). */
  announcements: i32 = 2;
  announceInterval: i64 = seconds(2);
  /** Smallest gap between two ICMP errors we send (RFC 1122 §3.2.2 asks for a rate limit). */
  icmpErrorInterval: i64 = 100_000_000;
  arp: ArpConfig = new ArpConfig();
  reassembly: ReassemblyConfig = new ReassemblyConfig();
}

/** Counters, for tests and for anyone debugging a network. */
export class InterfaceStats {
  rxFrames: i32 = 0;
  /** Frames dropped because they did not parse (any layer). */
  rxMalformed: i32 = 0;
  /** Frames for another host, another EtherType, or an IP protocol nobody handles. */
  rxIgnored: i32 = 0;
  /** UDP datagrams to a port no socket holds, TCP segments no connection or listener took. */
  rxNoSocket: i32 = 0;
  /** Resets sent for TCP segments that had no connection (RFC 9293 §3.10.7.1). */
  tcpResets: i32 = 0;
  txFrames: i32 = 0;
  /** Frames the device refused. */
  txRefused: i32 = 0;
  arpRequests: i32 = 0;
  arpReplies: i32 = 0;
  /** ARP packets claiming our own address from another MAC (RFC 5227 §2.4). */
  addressConflicts: i32 = 0;
  echoReplies: i32 = 0;
  icmpErrors: i32 = 0;
  /** Fragments the reassembler refused (invalid, or a datagram too big on its own); evictions are its own counters. */
  fragmentsDropped: i32 = 0;
  reassembled: i32 = 0;
  /** Datagrams sent as fragments, and the fragments they took. */
  txFragmented: i32 = 0;
  txFragments: i32 = 0;
}

/** An Ethernet interface and its sockets. */
export class EthernetInterface {
  readonly mac: MacAddr;
  /** IPv4 MTU: the device's payload size. */
  readonly mtu: i32;
  private addr: Ipv4Addr = IPV4_UNSPECIFIED;
  private prefix: i32 = 0;
  private gw: Ipv4Addr = IPV4_UNSPECIFIED;
  readonly sockets: SocketSet;
  readonly arp: ArpCache;
  readonly reassembler: Reassembler;
  readonly stats: InterfaceStats = new InterfaceStats();
  private announcementsLeft: i32 = 0;
  private nextAnnounceAt: i64 = FOREVER;
  private started: bool = false;
  /** When the latest ICMP error went out; -1 before the first. */
  private lastIcmpErrorAt: i64 = -1;
  private nextIdent: u16 = 1;
  // Reused for every received frame: parsing allocates nothing but views.
  private eth: EthernetRepr = new EthernetRepr();
  private arpRepr: ArpRepr = new ArpRepr();
  private ip: Ipv4Repr = new Ipv4Repr();
  private icmp: Icmpv4Repr = new Icmpv4Repr();
  private udp: UdpRepr = new UdpRepr();
  private tcp: TcpRepr = new TcpRepr();
  private rxEth: EthernetFrame = new EthernetFrame(new Uint8Array(0));
  private rxIp: Ipv4Packet = new Ipv4Packet(new Uint8Array(0));
  private rxTcp: TcpPacket = new TcpPacket(new Uint8Array(0));
  // Sending reuses these too: a bulk TCP transfer sends a frame per segment,
  // and a fresh frame and header objects each time kept the allocator busy
  // (a fifth of the CPU against Linux). NetDevice.transmit copies a frame or
  // is done with it on return, so one buffer serves every TCP segment; a
  // frame left waiting for ARP gets its own copy (sendIpFrame).
  private txFrame: Uint8Array = new Uint8Array(0);
  private txIp: Ipv4Repr = new Ipv4Repr();
  private txIpPacket: Ipv4Packet = new Ipv4Packet(new Uint8Array(0));
  private txTcp: TcpPacket = new TcpPacket(new Uint8Array(0));
  private txEth: EthernetRepr = new EthernetRepr();
  private txEthFrame: EthernetFrame = new EthernetFrame(new Uint8Array(0));

  constructor(readonly device: NetDevice, readonly config: InterfaceConfig = new InterfaceConfig()) {
    this.mac = macOf(device);
    this.mtu = <i32>device.mtu;
    this.arp = new ArpCache(config.arp);
    this.reassembler = new Reassembler(config.reassembly);
    const egress = new InterfaceEgress();
    this.sockets = new SocketSet(egress);
    this.addr = config.address;
    this.prefix = config.prefixLen;
    this.gw = config.gateway;
    egress.iface = this;
  }

  get address(): Ipv4Addr { return this.addr; }
  get prefixLen(): i32 { return this.prefix; }
  get gateway(): Ipv4Addr { return this.gw; }

  /** Starts announcing the address (if any) and sets `clock` as the source of `now` for frames from the device. */
  start(now: i64, clock: () => i64): void {
    this.device.listen(new FrameInput(this, clock));
    this.begin(now);
  }

  /** Starts without listening to the device: the caller passes frames to receive() itself. */
  begin(now: i64): void {
    this.started = true;
    this.scheduleAnnouncements(now);
  }

  /** Sets the address (DHCP, or a change of static configuration) and announces it. */
  setAddress(address: Ipv4Addr, prefixLen: i32, gateway: Ipv4Addr, now: i64): void {
    const changed = address != this.addr || prefixLen != this.prefix;
    this.addr = address;
    this.prefix = prefixLen;
    this.gw = gateway;
    if (changed) {
      this.arp.clear();
      if (this.started) this.scheduleAnnouncements(now);
    }
  }

  /** Drops the address: only broadcasts go out until setAddress. */
  clearAddress(): void {
    this.addr = IPV4_UNSPECIFIED;
    this.gw = IPV4_UNSPECIFIED;
    this.announcementsLeft = 0;
    this.nextAnnounceAt = FOREVER;
    this.arp.clear();
  }

  /** True when `a` is on the local subnet. */
  isLocal(a: Ipv4Addr): bool {
    if (this.addr == IPV4_UNSPECIFIED) return false;
    const m = prefixMask(this.prefix);
    return (a & m) == (this.addr & m);
  }

  /** True for the limited broadcast and our subnet's directed broadcast. */
  isBroadcast(a: Ipv4Addr): bool {
    if (a == IPV4_BROADCAST) return true;
    if (this.addr == IPV4_UNSPECIFIED || this.prefix >= 31) return false;
    return a == (this.addr | ~prefixMask(this.prefix));
  }

  /** The next hop towards `dst`: itself when local or broadcast, the gateway, or -1 for none. */
  route(dst: Ipv4Addr): i64 {
    if (dst == IPV4_BROADCAST || isMulticast(dst)) return <i64>dst;
    if (this.addr == IPV4_UNSPECIFIED || dst == IPV4_UNSPECIFIED) return -1;
    if (this.isLocal(dst)) return <i64>dst;
    if (this.gw != IPV4_UNSPECIFIED) return <i64>this.gw;
    return -1;
  }

  // --- receiving -------------------------------------------------------------

  /** Processes one received Ethernet frame; `frame` is not kept. */
  receive(frame: Uint8Array, now: i64): void {
    this.stats.rxFrames++;
    const f = this.rxEth;
    f.buffer = frame;
    const eth = this.eth;
    if (eth.parse(f) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    // Ours, or broadcast; no multicast group is joined.
    if (eth.dst != this.mac && eth.dst != MAC_BROADCAST) {
      this.stats.rxIgnored++;
      return;
    }
    if (eth.etherType == EtherType.ARP) this.processArp(f.payload(), now);
    else if (eth.etherType == EtherType.IPV4) this.processIpv4(f.payload(), now);
    else this.stats.rxIgnored++;
    // Replies the sockets queued while handling the frame go out now.
    this.sockets.dispatch(now);
  }

  private processArp(body: Uint8Array, now: i64): void {
    const r = this.arpRepr;
    if (r.parse(new ArpPacket(body)) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    if (isMulticastMac(r.senderMac) || r.senderMac == MAC_ZERO || r.senderMac == this.mac) {
      this.stats.rxIgnored++;
      return;
    }
    const me = this.addr;
    if (me != IPV4_UNSPECIFIED && r.senderIp == me) {
      // Someone else claims our address. We keep it (RFC 5227 §2.4 (a)) and count.
      this.stats.addressConflicts++;
      return;
    }
    const forUs = me != IPV4_UNSPECIFIED && r.targetIp == me;
    // RFC 826: refresh a known sender from any packet; add it only from one meant for us.
    // A probe's sender address is 0 (RFC 5227 §2.1.1): nothing to learn.
    if (r.senderIp != IPV4_UNSPECIFIED) {
      const waiting = this.arp.learn(r.senderIp, r.senderMac, now, forUs);
      if (waiting != null) {
        for (let i = 0; i < waiting.length; i++) this.transmitTo(waiting[i], r.senderMac);
      }
    }
    if (forUs && r.operation == ArpOperation.Request) {
      this.sendArp(ArpRepr.of(ArpOperation.Reply, this.mac, me, r.senderMac, r.senderIp), r.senderMac);
      this.stats.arpReplies++;
    }
  }

  private processIpv4(body: Uint8Array, now: i64): void {
    const packet = this.rxIp;
    packet.buffer = body;
    const ip = this.ip;
    if (ip.parse(packet) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    // A source may not be a broadcast or multicast address (RFC 1122 §3.2.1.3).
    if (ip.src == IPV4_BROADCAST || isMulticast(ip.src) || this.isBroadcast(ip.src)) {
      this.stats.rxMalformed++;
      return;
    }
    const toUs = ip.dst == this.addr || this.isBroadcast(ip.dst) ||
      // Unconfigured, we take unicast to our MAC: a DHCP server may send the offer to the address it offers.
      (this.addr == IPV4_UNSPECIFIED && !isMulticast(ip.dst));
    if (!toUs) {
      this.stats.rxIgnored++;
      return;
    }
    let payload = packet.payload();
    // What an ICMP error would quote; TCP never sends one.
    let quote = ip.protocol == IpProtocol.TCP ? body : body.subarray(0, ip.headerLen + min(payload.length, ICMP_ERROR_QUOTE));
    if (ip.isFragment) {
      const outcome = this.reassembler.add(ip, packet, payload, now);
      if (outcome == FragmentOutcome.Pending) return;
      if (outcome != FragmentOutcome.Complete) {
        this.stats.fragmentsDropped++;
        return;
      }
      this.stats.reassembled++;
      payload = this.reassembler.datagram;
      quote = this.reassembler.datagramQuote;
      ip.payloadLen = payload.length;
      ip.moreFragments = false;
      ip.fragmentOffset = 0;
    }
    const p = ip.protocol;
    if (p == IpProtocol.ICMP) this.processIcmp(ip, payload, now);
    else if (p == IpProtocol.UDP) this.processUdp(ip, payload, quote, now);
    else if (p == IpProtocol.TCP) this.processTcp(ip, payload, now);
    else {
      this.stats.rxIgnored++;
      this.sendIcmpError(ip, quote, IcmpKind.DstUnreachable, DstUnreachableCode.PROTOCOL, now);
    }
  }

  private processIcmp(ip: Ipv4Repr, payload: Uint8Array, now: i64): void {
    const r = this.icmp;
    if (r.parse(new Icmpv4Packet(payload)) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    if (r.kind == IcmpKind.EchoRequest) {
      // Echo to a broadcast address may go unanswered (RFC 1122 §3.2.2.6); it does here.
      if (ip.dst != this.addr || this.addr == IPV4_UNSPECIFIED) return;
      const reply = Icmpv4Repr.echo(false, r.ident, r.seq, r.data);
      if (this.sendIcmp(ip.src, reply, now) == SendError.None) this.stats.echoReplies++;
      return;
    }
    const sockets = this.sockets.datagramTakers;
    for (let i = 0; i < sockets.length; i++) {
      if (sockets[i].processIcmp(ip.src, r, now)) return;
    }
    this.stats.rxIgnored++;
  }

  private processUdp(ip: Ipv4Repr, payload: Uint8Array, quote: Uint8Array, now: i64): void {
    const r = this.udp;
    if (r.parse(new UdpPacket(payload), ip.src, ip.dst) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    const sockets = this.sockets.datagramTakers;
    for (let i = 0; i < sockets.length; i++) {
      const s = sockets[i];
      if (s.acceptsUdp(ip.dst, r.dstPort)) {
        s.processUdp(ip.src, r.srcPort, ip.dst, r.dstPort, r.payload, now);
        return;
      }
    }
    this.stats.rxNoSocket++;
    this.sendIcmpError(ip, quote, IcmpKind.DstUnreachable, DstUnreachableCode.PORT, now);
  }

  private processTcp(ip: Ipv4Repr, payload: Uint8Array, now: i64): void {
    const r = this.tcp;
    const packet = this.rxTcp;
    packet.buffer = payload;
    if (r.parse(packet, ip.src, ip.dst) != WireError.None) {
      this.stats.rxMalformed++;
      return;
    }
    // TCP is unicast only: nothing to or from a broadcast or group address (RFC 1122 §4.2.3.10).
    if (ip.dst != this.addr || this.addr == IPV4_UNSPECIFIED) {
      this.stats.rxIgnored++;
      return;
    }
    const sockets = this.sockets;
    let verdict = TcpVerdict.NotMine;
    const conn = sockets.tcpConnection(r.dstPort, ip.src, r.srcPort);
    if (conn != null) verdict = conn.processTcp(ip.src, ip.dst, r, now);
    if (verdict == TcpVerdict.NotMine) {
      const listener = sockets.tcpListener(r.dstPort);
      if (listener != null) verdict = listener.processTcp(ip.src, ip.dst, r, now);
    }
    if (verdict == TcpVerdict.Taken) return;
    if (verdict == TcpVerdict.NotMine) this.stats.rxNoSocket++;
    this.sendTcpReset(ip, r, now);
  }

  /** Answers a segment no connection took with a reset (RFC 9293 §3.10.7.1). */
  private sendTcpReset(ip: Ipv4Repr, seg: TcpRepr, now: i64): void {
    const reply = tcpResetFor(seg);
    if (reply == null) return;
    this.stats.tcpResets++;
    this.sendTcp(ip.dst, ip.src, reply, now);
  }

  // --- timers ----------------------------------------------------------------

  /** Does what is due at `now`: ARP retries and give-ups, announcements, reassembly timeouts, socket sends. */
  poll(now: i64): void {
    const re = this.reassembler;
    re.expire(now);
    const expired = re.expired;
    for (let i = 0; i < expired.length; i++) {
      // RFC 1122 §3.3.2: time exceeded to the source when fragment zero had
      // arrived (rate limited: of many expiring at once, few are told).
      // The quote is a header and 8 bytes, shorter than its total length, so
      // no checkLen: the address fields are inside the 20 bytes it holds.
      const q = expired[i];
      if (q.length < IPV4_HEADER_LEN) continue;
      const quoted = new Ipv4Packet(q);
      this.sendIcmpErrorTo(quoted.src, quoted.dst, q, IcmpKind.TimeExceeded, TimeExceededCode.REASSEMBLY, now);
    }
    expired.length = 0;
    const arp = this.arp;
    arp.due(now);
    while (arp.requests.length > 0) this.sendArpRequest(arp.requests.shift());
    if (this.announcementsLeft > 0 && now >= this.nextAnnounceAt) {
      this.announce();
      this.announcementsLeft--;
      this.nextAnnounceAt = this.announcementsLeft > 0 ? now + this.config.announceInterval : FOREVER;
    }
    this.sockets.dispatch(now);
  }

  /** When poll() next has work: FOREVER for nothing, a past instant for now. */
  pollAt(): i64 {
    let t = min(this.arp.pollAt(), this.reassembler.pollAt());
    if (this.announcementsLeft > 0) t = min(t, this.nextAnnounceAt);
    return min(t, this.sockets.pollAt());
  }

  // --- sending ---------------------------------------------------------------

  /** Sends a UDP datagram (the socket layer's way out; see Egress.sendUdp). */
  sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError {
    const udp = UdpRepr.of(srcPort, dstPort, payload);
    const len = udp.bufferLen();
    const from = src != IPV4_UNSPECIFIED ? src : this.addr;
    const frame = this.ipFrame(from, dst, IpProtocol.UDP, len);
    if (frame == null) return SendError.TooBig;
    udp.emit(new UdpPacket(frame.subarray(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN)), from, dst);
    return this.sendIpFrame(frame, dst, now);
  }

  /** Sends a TCP segment (the socket layer's way out; see Egress.sendTcp). */
  sendTcp(src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr, now: i64): SendError {
    const len = repr.bufferLen();
    if (IPV4_HEADER_LEN + len > this.mtu) return SendError.TooBig;
    const from = src != IPV4_UNSPECIFIED ? src : this.addr;
    const size = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + len;
    if (this.txFrame.length < size) this.txFrame = new Uint8Array(max(size, ETHERNET_HEADER_LEN + this.mtu));
    // Every byte of the headers is written: the buffer's old contents never show.
    const frame = this.txFrame.subarray(0, size);
    const ip = this.txIp;
    ip.src = from;
    ip.dst = dst;
    ip.protocol = IpProtocol.TCP;
    ip.payloadLen = len;
    ip.ttl = this.config.ttl;
    ip.ident = this.nextIdent++;
    const ipPacket = this.txIpPacket;
    ipPacket.buffer = frame.subarray(ETHERNET_HEADER_LEN);
    ip.emit(ipPacket);
    const tcp = this.txTcp;
    tcp.buffer = frame.subarray(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN);
    repr.emit(tcp, from, dst);
    return this.sendIpFrame(frame, dst, now, true);
  }

  /** Sends an ICMP message from our address. */
  sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError {
    const len = repr.bufferLen();
    const frame = this.ipFrame(this.addr, dst, IpProtocol.ICMP, len);
    if (frame == null) return SendError.TooBig;
    repr.emit(new Icmpv4Packet(frame.subarray(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN)));
    return this.sendIpFrame(frame, dst, now);
  }

  /**
   * A frame with the IPv4 header written and room for `payloadLen` bytes, or
   * null beyond the largest datagram; sendIpFrame fragments it if it exceeds the MTU.
   */
  private ipFrame(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payloadLen: i32): Uint8Array | null {
    if (IPV4_HEADER_LEN + payloadLen > IPV4_MAX_LEN) return null;
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payloadLen);
    const ip = Ipv4Repr.of(src, dst, protocol, payloadLen, this.config.ttl);
    ip.ident = this.nextIdent++;
    ip.emit(new Ipv4Packet(frame.subarray(ETHERNET_HEADER_LEN)));
    return frame;
  }

  /**
   * Sends the IPv4 datagram in `frame` (after room for the Ethernet header)
   * to the next hop of `dst`, in fragments when it exceeds the MTU: the one
   * way out for every datagram, whatever its size or protocol. A fragmented
   * datagram fails as a whole: the first error of its fragments is returned.
   */
  private sendIpFrame(frame: Uint8Array, dst: Ipv4Addr, now: i64, reused: bool = false): SendError {
    const hop = this.route(dst);
    if (hop < 0) return SendError.NoRoute;
    const next = <Ipv4Addr>hop;
    if (frame.length - ETHERNET_HEADER_LEN <= this.mtu) return this.sendToHop(frame, next, now, reused);
    const fragments = fragmentDatagram(frame, ETHERNET_HEADER_LEN, this.mtu);
    if (fragments.length == 0) return SendError.TooBig;
    this.stats.txFragmented++;
    let result = SendError.None;
    for (let i = 0; i < fragments.length; i++) {
      this.stats.txFragments++;
      const e = this.sendToHop(fragments[i], next, now, false);
      if (result == SendError.None) result = e;
    }
    return result;
  }

  /**
   * Addresses `frame` to `next`: now when its MAC is known, after ARP
   * otherwise (a copy when `reused`: the buffer serves the next frame).
   */
  private sendToHop(frame: Uint8Array, next: Ipv4Addr, now: i64, reused: bool): SendError {
    if (next == IPV4_BROADCAST || this.isBroadcast(next)) return this.transmitTo(frame, MAC_BROADCAST);
    if (isMulticast(next)) return this.transmitTo(frame, multicastMac(next));
    const mac = this.arp.lookup(next, now);
    if (mac >= 0) return this.transmitTo(frame, <MacAddr>mac);
    if (this.arp.enqueue(next, reused ? frame.slice(0) : frame, now)) this.sendArpRequest(next);
    return SendError.None;
  }

  /** Fills the Ethernet header of `frame` (IPv4 inside) and transmits it. */
  private transmitTo(frame: Uint8Array, dst: MacAddr): SendError {
    const eth = this.txEth;
    eth.src = this.mac;
    eth.dst = dst;
    eth.etherType = EtherType.IPV4;
    const f = this.txEthFrame;
    f.buffer = frame;
    eth.emit(f);
    return this.transmit(frame);
  }

  private transmit(frame: Uint8Array): SendError {
    const r = this.device.transmit(frame);
    if (r == NetResult.Ok) {
      this.stats.txFrames++;
      return SendError.None;
    }
    this.stats.txRefused++;
    return r == NetResult.TooBig ? SendError.TooBig : SendError.Device;
  }

  private sendArp(r: ArpRepr, dstMac: MacAddr): void {
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + ARP_IPV4_LEN);
    EthernetRepr.of(this.mac, dstMac, EtherType.ARP).emit(new EthernetFrame(frame));
    r.emit(new ArpPacket(frame.subarray(ETHERNET_HEADER_LEN)));
    this.transmit(frame);
  }

  private sendArpRequest(target: Ipv4Addr): void {
    this.stats.arpRequests++;
    this.sendArp(ArpRepr.of(ArpOperation.Request, this.mac, this.addr, MAC_ZERO, target), MAC_BROADCAST);
  }

  /** A gratuitous ARP request announcing our address (RFC 5227 §2.3). */
  private announce(): void {
    if (this.addr == IPV4_UNSPECIFIED) return;
    this.sendArp(ArpRepr.of(ArpOperation.Request, this.mac, this.addr, MAC_ZERO, this.addr), MAC_BROADCAST);
  }

  private scheduleAnnouncements(now: i64): void {
    if (this.addr == IPV4_UNSPECIFIED || this.config.announcements <= 0) return;
    this.announce();
    this.announcementsLeft = this.config.announcements - 1;
    this.nextAnnounceAt = this.announcementsLeft > 0 ? now + this.config.announceInterval : FOREVER;
  }

  /** An ICMP error about the datagram `ip` (quoted by `quote`), unless the rules forbid one. */
  private sendIcmpError(ip: Ipv4Repr, quote: Uint8Array, kind: IcmpKind, code: u8, now: i64): void {
    // Never about a broadcast, a non-first fragment, or a non-unicast source (RFC 1122 §3.2.2).
    if (this.isBroadcast(ip.dst) || isMulticast(ip.dst) || ip.dst != this.addr) return;
    if (ip.fragmentOffset != 0) return;
    this.sendIcmpErrorTo(ip.src, ip.dst, quote, kind, code, now);
  }

  private sendIcmpErrorTo(src: Ipv4Addr, dst: Ipv4Addr, quote: Uint8Array, kind: IcmpKind, code: u8, now: i64): void {
    if (src == IPV4_UNSPECIFIED || this.isBroadcast(src) || isMulticast(src)) return;
    if (dst != this.addr) return;
    // Nor about an ICMP error (RFC 1122 §3.2.2): the quote shows the protocol, and the type after the header.
    if (quote.length > 9 && quote[9] == IpProtocol.ICMP) {
      const hl = <i32>(quote[0] & 0x0F) * 4;
      if (quote.length <= hl) return;
      const t = quote[hl];
      if (t != 0 && t != 8 && t != 13 && t != 14 && t != 15 && t != 16 && t != 17 && t != 18) return;
    }
    if (this.lastIcmpErrorAt >= 0 && now - this.lastIcmpErrorAt < this.config.icmpErrorInterval) return;
    this.lastIcmpErrorAt = now;
    this.stats.icmpErrors++;
    this.sendIcmp(src, Icmpv4Repr.error(kind, code, quote), now);
  }
}

/** The interface's sending side as its sockets see it. */
class InterfaceEgress extends Egress {
  /** Set once the interface is constructed (it cannot pass itself before). */
  iface: EthernetInterface | null = null;
  get address(): Ipv4Addr { return this.iface!.address; }
  get mtu(): i32 { return this.iface!.mtu; }
  canReach(dst: Ipv4Addr): bool { return this.iface!.route(dst) >= 0; }
  sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError {
    return this.iface!.sendUdp(src, srcPort, dst, dstPort, payload, now);
  }
  sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError {
    return this.iface!.sendIcmp(dst, repr, now);
  }
  sendTcp(src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr, now: i64): SendError {
    return this.iface!.sendTcp(src, dst, repr, now);
  }
}

/**
 * Feeds a device's frames to an interface. NetDevice's FrameHandler passes
 * no time, so this one asks `clock` (the loop's monotonic clock in a
 * unikernel, a simulated one in tests).
 */
export class FrameInput extends FrameHandler {
  constructor(readonly iface: EthernetInterface, readonly clock: () => i64) { super(); }
  onFrame(frame: Uint8Array): void { this.iface.receive(frame, this.clock()); }
}

function macOf(device: NetDevice): MacAddr {
  const b = device.mac;
  if (b.length < 6) return 0;
  return (<u64>b[0] << 40) | (<u64>b[1] << 32) | (<u64>b[2] << 24) | (<u64>b[3] << 16) | (<u64>b[4] << 8) | <u64>b[5];
}
