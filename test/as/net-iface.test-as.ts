// lib/net/iface and lib/net/socket: the ARP cache state by state, then two
// stacks on an in-memory link (net-link.ts): ARP resolution and queueing,
// ping, UDP echo, routing, errors, and a faulty wire.
import { ipv4, Ipv4Addr, IPV4_BROADCAST, MAC_BROADCAST } from "atoll/net/addr";
import { seconds, ms, FOREVER } from "atoll/time";
import { NetResult } from "atoll/net/device";
import { ArpCache, ArpConfig } from "atoll/net/iface/arp-cache";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { EthernetFrame, EtherType } from "atoll/net/wire/ethernet";
import { ArpPacket, ArpRepr, ArpOperation } from "atoll/net/wire/arp";
import { Ipv4Packet, IpProtocol } from "atoll/net/wire/ipv4";
import { WireError } from "atoll/net/wire/error";
import { UdpSocket, UdpHandler, UdpDatagram, UdpBindError, UdpSendError } from "atoll/net/socket/udp";
import { IcmpSocket, IcmpHandler, IcmpSendError } from "atoll/net/socket/icmp";
import { SendError } from "atoll/net/socket/socket";
import { ascii, sameBytes, Rng } from "./net-util";
import { Icmpv4Packet } from "atoll/net/wire/icmpv4";
import { UdpPacket, UDP_MAX_PAYLOAD } from "atoll/net/wire/udp";
import { TwoStacks, FrameFilter, simNow, setSimNow, MAC_A, MAC_B, IP_A, IP_B } from "./net-link";

// === ARP cache, state by state ==================================================

function frameN(n: u8): Uint8Array {
  const f = new Uint8Array(20);
  f[19] = n;
  return f;
}

// --- no entry ---

export function test_arp_cache_absent_lookup_misses_and_enqueue_asks(): void {
  const c = new ArpCache();
  assert(c.lookup(IP_B, 0) == -1);
  assert(c.get(IP_B) == null);
  assert(c.enqueue(IP_B, frameN(1), 0), "first frame for an unknown neighbour sends a request");
  const n = c.get(IP_B)!;
  assert(!n.resolved && n.queue.length == 1);
  assert(c.pollAt() == seconds(1));
}

export function test_arp_cache_absent_merge_does_not_create(): void {
  const c = new ArpCache();
  assert(c.learn(IP_B, MAC_B, 0, false) == null);
  assert(c.size == 0);
  assert(c.learn(IP_B, MAC_B, 0, true) == null);
  assert(c.lookup(IP_B, 0) == <i64>MAC_B);
}

// --- pending ---

export function test_arp_cache_pending_rate_limits_requests(): void {
  const c = new ArpCache();
  c.enqueue(IP_B, frameN(1), 0);
  assert(!c.enqueue(IP_B, frameN(2), ms(500)), "a second request within a second");
  assert(c.enqueue(IP_B, frameN(3), ms(1000)), "a request a second later");
  assert(!c.enqueue(IP_B, frameN(4), ms(1500)));
}

export function test_arp_cache_pending_queue_drops_oldest(): void {
  const cfg = new ArpConfig();
  cfg.queueLimit = 3;
  const c = new ArpCache(cfg);
  for (let i: u8 = 1; i <= 5; i++) c.enqueue(IP_B, frameN(i), 0);
  assert(c.droppedFrames == 2);
  const q = c.learn(IP_B, MAC_B, ms(10), false)!;
  assert(q.length == 3 && q[0][19] == 3 && q[1][19] == 4 && q[2][19] == 5);
}

export function test_arp_cache_pending_queue_is_bounded_in_bytes(): void {
  const cfg = new ArpConfig();
  cfg.queueBytes = 50; // two 20-byte frames, not three
  const c = new ArpCache(cfg);
  for (let i: u8 = 1; i <= 4; i++) c.enqueue(IP_B, frameN(i), 0);
  assert(c.droppedFrames == 2 && c.queuedBytes == 40);
  c.enqueue(IP_B, new Uint8Array(51), 0);
  assert(c.droppedFrames == 3 && c.queuedBytes == 40, "a frame larger than the whole queue is dropped, not the queue");
  const q = c.learn(IP_B, MAC_B, ms(10), false)!;
  assert(q.length == 2 && q[0][19] == 3 && q[1][19] == 4);
  assert(c.queuedBytes == 0);
}

export function test_arp_cache_pending_queues_share_a_total(): void {
  const cfg = new ArpConfig();
  cfg.maxQueuedBytes = 100; // five 20-byte frames over all neighbours
  const c = new ArpCache(cfg);
  const IP_C = ipv4(10, 0, 0, 3);
  for (let i: u8 = 1; i <= 3; i++) c.enqueue(IP_B, frameN(i), 0);
  for (let i: u8 = 4; i <= 6; i++) c.enqueue(IP_C, frameN(i), 0);
  assert(c.queuedBytes == 100 && c.droppedFrames == 1, "the sixth frame did not fit");
  c.due(seconds(3)); // both given up: their frames are gone and the room is back
  assert(c.queuedBytes == 0 && c.droppedFrames == 6);
  c.enqueue(IP_C, frameN(7), seconds(3));
  assert(c.queuedBytes == 20);
}

export function test_arp_cache_default_queue_holds_the_largest_datagram_in_fragments(): void {
  // 65,507 bytes of UDP payload at an MTU of 1500: 45 frames, 67,045 bytes.
  const c = new ArpCache();
  for (let i = 0; i < 44; i++) c.enqueue(IP_B, new Uint8Array(14 + 1500), 0);
  c.enqueue(IP_B, new Uint8Array(14 + 20 + 395), 0);
  assert(c.droppedFrames == 0 && c.queuedBytes == 67_045);
  assert(c.learn(IP_B, MAC_B, ms(1), false)!.length == 45);
}

export function test_arp_cache_pending_retries_then_gives_up(): void {
  const c = new ArpCache();
  c.enqueue(IP_B, frameN(1), 0);
  c.enqueue(IP_B, frameN(2), 0);
  c.due(ms(999));
  assert(c.requests.length == 0);
  c.due(seconds(1));
  assert(c.requests.length == 1 && c.requests[0] == IP_B);
  c.requests.length = 0;
  assert(c.pollAt() == seconds(2));
  c.due(seconds(2));
  assert(c.requests.length == 1);
  c.requests.length = 0;
  assert(c.pollAt() == seconds(3));
  c.due(seconds(3));
  assert(c.requests.length == 0 && c.size == 0);
  assert(c.givenUp == 1 && c.droppedFrames == 2);
  assert(c.pollAt() == FOREVER);
}

export function test_arp_cache_pending_answer_returns_frames_in_order(): void {
  const c = new ArpCache();
  c.enqueue(IP_B, frameN(1), 0);
  c.enqueue(IP_B, frameN(2), 0);
  const q = c.learn(IP_B, MAC_B, ms(300), true)!;
  assert(q.length == 2 && q[0][19] == 1 && q[1][19] == 2);
  assert(c.lookup(IP_B, ms(300)) == <i64>MAC_B);
  assert(c.pollAt() == FOREVER, "a resolved entry needs no timer");
}

// --- resolved ---

export function test_arp_cache_resolved_expires_after_its_lifetime(): void {
  const c = new ArpCache();
  c.learn(IP_B, MAC_B, 0, true);
  assert(c.lookup(IP_B, seconds(59)) == <i64>MAC_B);
  assert(c.lookup(IP_B, seconds(60)) == -1);
  assert(c.size == 0);
}

export function test_arp_cache_resolved_refreshes_and_changes_mac(): void {
  const c = new ArpCache();
  c.learn(IP_B, MAC_B, 0, true);
  assert(c.learn(IP_B, 0x020000000099, seconds(50), false) == null);
  assert(c.lookup(IP_B, seconds(100)) == 0x020000000099);
}

export function test_arp_cache_resolved_but_expired_starts_a_new_request(): void {
  const c = new ArpCache();
  c.learn(IP_B, MAC_B, 0, true);
  assert(c.enqueue(IP_B, frameN(1), seconds(61)));
  assert(!c.get(IP_B)!.resolved);
}

export function test_arp_cache_evicts_when_full(): void {
  const cfg = new ArpConfig();
  cfg.maxEntries = 2;
  const c = new ArpCache(cfg);
  c.learn(ipv4(10, 0, 0, 5), MAC_B, 0, true);
  c.learn(ipv4(10, 0, 0, 6), MAC_B, 10, true);
  c.learn(ipv4(10, 0, 0, 7), MAC_B, 20, true);
  assert(c.size == 2);
  assert(c.get(ipv4(10, 0, 0, 5)) == null, "the entry closest to expiry goes first");
  // Pending entries go only when nothing resolved is left.
  c.clear();
  c.enqueue(ipv4(10, 0, 0, 5), frameN(1), 0);
  c.enqueue(ipv4(10, 0, 0, 6), frameN(2), 10);
  c.enqueue(ipv4(10, 0, 0, 7), frameN(3), 20);
  assert(c.size == 2 && c.get(ipv4(10, 0, 0, 5)) == null && c.droppedFrames == 1);
}

// === two stacks ==================================================================

function quiet(ip: Ipv4Addr): InterfaceConfig {
  const c = new InterfaceConfig();
  c.address = ip;
  c.announcements = 0;
  return c;
}

class Collect extends UdpHandler {
  got: UdpDatagram[] = [];
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void { this.got.push(d); }
}

class Echo extends UdpHandler {
  failures: i32 = 0;
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void {
    // A mangled source (off-link, port 0) cannot be answered: an error value, not a trap.
    if (socket.sendTo(d.remote, d.remotePort, d.payload) != UdpSendError.None) this.failures++;
  }
}

class Pings extends IcmpHandler {
  seqs: u16[] = [];
  from: Ipv4Addr[] = [];
  lastData: Uint8Array = new Uint8Array(0);
  onEchoReply(socket: IcmpSocket, from: Ipv4Addr, seq: u16, data: Uint8Array, now: i64): void {
    this.seqs.push(seq);
    this.from.push(from);
    this.lastData = data.slice(0);
  }
}

/** Drops every frame of one EtherType from one side. */
class DropType extends FrameFilter {
  constructor(public from: i32, public etherType: u16) { super(); }
  drop(from: i32, frame: Uint8Array): bool {
    return from == this.from && ((<u16>frame[12] << 8) | frame[13]) == this.etherType;
  }
}

function udpPair(net: TwoStacks, port: u16, handler: UdpHandler): UdpSocket {
  const s = new UdpSocket(handler);
  net.b.sockets.add(s);
  assert(s.bind(port) == UdpBindError.None);
  return s;
}

function client(net: TwoStacks, handler: UdpHandler | null = null): UdpSocket {
  const s = new UdpSocket(handler);
  net.a.sockets.add(s);
  assert(s.bind(0) == UdpBindError.None);
  return s;
}

// --- ARP between stacks ---

export function test_arp_resolution_queues_then_flushes_in_order(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const got = new Collect();
  udpPair(net, 9, got);
  const c = client(net);
  for (let i = 0; i < 3; i++) assert(c.sendTo(IP_B, 9, ascii("m" + i.toString())) == UdpSendError.None);
  net.run(ms(100));
  assert(got.got.length == 3);
  for (let i = 0; i < 3; i++) assert(sameBytes(got.got[i].payload, ascii("m" + i.toString())));
  // One request from A, one reply from B: B learned A from the request itself (RFC 826).
  assert(net.link.countSent(0, EtherType.ARP) == 1);
  assert(net.link.countSent(1, EtherType.ARP) == 1);
  assert(net.a.arp.lookup(IP_B, simNow()) == <i64>MAC_B);
  assert(net.b.arp.lookup(IP_A, simNow()) == <i64>MAC_A);
}

export function test_arp_queue_is_bounded_and_drops_the_oldest(): void {
  const ca = quiet(IP_A);
  ca.arp.queueLimit = 4;
  const net = new TwoStacks(ca, quiet(IP_B));
  const got = new Collect();
  udpPair(net, 9, got);
  const c = client(net);
  net.link.filter = new DropType(1, EtherType.ARP); // B's first reply is lost
  for (let i = 0; i < 6; i++) c.sendTo(IP_B, 9, ascii("m" + i.toString()));
  net.run(ms(500));
  assert(got.got.length == 0);
  assert(net.a.arp.droppedFrames == 2);
  net.link.filter = null;
  net.run(seconds(1)); // the retry a second later is answered
  assert(got.got.length == 4);
  assert(sameBytes(got.got[0].payload, ascii("m2")) && sameBytes(got.got[3].payload, ascii("m5")));
  assert(net.link.countSent(0, EtherType.ARP) == 2);
}

export function test_arp_gives_up_on_a_silent_neighbour(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const c = client(net);
  net.link.filter = new DropType(1, EtherType.ARP);
  c.sendTo(IP_B, 9, ascii("lost"));
  net.run(seconds(10));
  assert(net.link.countSent(0, EtherType.ARP) == 3, "requests at 0, 1 and 2 s");
  assert(net.a.arp.givenUp == 1 && net.a.arp.droppedFrames == 1);
  assert(net.a.pollAt() == FOREVER);
  // A later packet starts resolution afresh.
  net.link.filter = null;
  const got = new Collect();
  udpPair(net, 9, got);
  c.sendTo(IP_B, 9, ascii("found"));
  net.run(ms(10));
  assert(got.got.length == 1);
}

export function test_arp_requests_are_rate_limited_per_neighbour(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.link.filter = new DropType(1, EtherType.ARP);
  const c = client(net);
  for (let i = 0; i < 10; i++) {
    c.sendTo(IP_B, 9, ascii("x"));
    net.run(ms(100));
  }
  // One second: the first request and one retry at most.
  assert(net.link.countSent(0, EtherType.ARP) <= 2);
}

export function test_gratuitous_arp_announces_the_address_on_start(): void {
  const net = new TwoStacks();
  // Start sent the first announcement of each; the second follows 2 s later (RFC 5227 §2.3).
  net.run(seconds(5));
  let announcements = 0;
  for (let i = 0; i < net.link.sent.length; i++) {
    const f = net.link.sent[i];
    if (net.link.sentFrom[i] != 0) continue;
    const e = new EthernetFrame(f);
    if (e.etherType != EtherType.ARP) continue;
    const r = new ArpRepr();
    assert(r.parse(new ArpPacket(e.payload())) == WireError.None);
    assert(e.dst == MAC_BROADCAST && r.operation == ArpOperation.Request);
    assert(r.senderIp == IP_A && r.targetIp == IP_A && r.senderMac == MAC_A);
    announcements++;
  }
  assert(announcements == 2);
  // An announcement does not fill the neighbour's table (RFC 826: not addressed to it).
  assert(net.b.arp.lookup(IP_A, simNow()) == -1);
}

export function test_gratuitous_arp_updates_a_known_neighbour(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.b.arp.learn(IP_A, 0x020000000077, simNow(), true);
  net.a.setAddress(IP_A, 24, 0, simNow()); // unchanged: no announcement
  assert(net.link.countSent(0, EtherType.ARP) == 0);
  net.a.config.announcements = 1;
  net.a.setAddress(ipv4(10, 0, 0, 3), 24, 0, simNow());
  net.a.setAddress(IP_A, 24, 0, simNow());
  net.run(ms(1));
  assert(net.b.arp.lookup(IP_A, simNow()) == <i64>MAC_A);
}

function arpFrame(op: ArpOperation, senderMac: u64, senderIp: Ipv4Addr, targetIp: Ipv4Addr, dst: u64): Uint8Array {
  const f = new Uint8Array(42);
  const e = new EthernetFrame(f);
  e.dst = dst;
  e.src = senderMac;
  e.etherType = EtherType.ARP;
  ArpRepr.of(op, senderMac, senderIp, 0, targetIp).emit(new ArpPacket(f.subarray(14)));
  return f;
}

export function test_arp_answers_only_for_its_own_address(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.a.receive(arpFrame(ArpOperation.Request, 0x020000000033, ipv4(10, 0, 0, 33), ipv4(10, 0, 0, 99), MAC_BROADCAST), simNow());
  assert(net.link.sent.length == 0);
  assert(net.a.arp.size == 0, "a request for someone else teaches nothing new");
  net.a.receive(arpFrame(ArpOperation.Request, 0x020000000033, ipv4(10, 0, 0, 33), IP_A, MAC_BROADCAST), simNow());
  assert(net.link.sent.length == 1);
  const r = new ArpRepr();
  assert(r.parse(new ArpPacket(net.link.sent[0].subarray(14))) == WireError.None);
  assert(r.operation == ArpOperation.Reply && r.senderIp == IP_A && r.senderMac == MAC_A);
  assert(r.targetIp == ipv4(10, 0, 0, 33) && r.targetMac == 0x020000000033);
  assert(new EthernetFrame(net.link.sent[0]).dst == 0x020000000033);
  assert(net.a.arp.lookup(ipv4(10, 0, 0, 33), simNow()) == 0x020000000033);
}

export function test_arp_claiming_our_address_is_counted_not_learned(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.a.receive(arpFrame(ArpOperation.Reply, 0x020000000033, IP_A, IP_A, MAC_BROADCAST), simNow());
  assert(net.a.stats.addressConflicts == 1 && net.a.arp.size == 0);
}

// --- ICMP echo ---

export function test_ping_between_two_stacks(): void {
  const net = new TwoStacks();
  const pings = new Pings();
  const s = new IcmpSocket(pings, 0x77);
  net.a.sockets.add(s);
  assert(s.sendEcho(IP_B, 1, ascii("are you there")) == IcmpSendError.None);
  assert(s.sendEcho(IP_B, 2, ascii("still there")) == IcmpSendError.None);
  net.run(ms(10));
  assert(pings.seqs.length == 2 && pings.seqs[0] == 1 && pings.seqs[1] == 2);
  assert(pings.from[0] == IP_B);
  assert(sameBytes(pings.lastData, ascii("still there")));
  assert(net.b.stats.echoReplies == 2);
}

export function test_ping_to_a_broadcast_address_is_not_answered(): void {
  const net = new TwoStacks();
  const pings = new Pings();
  const s = new IcmpSocket(pings, 1);
  net.a.sockets.add(s);
  s.sendEcho(ipv4(10, 0, 0, 255), 1, ascii("anyone"));
  net.run(ms(10));
  assert(pings.seqs.length == 0 && net.b.stats.echoReplies == 0);
}

export function test_ping_replies_go_to_the_socket_with_that_ident(): void {
  const net = new TwoStacks();
  const p1 = new Pings();
  const p2 = new Pings();
  const s1 = new IcmpSocket(p1, 1);
  const s2 = new IcmpSocket(p2, 2);
  net.a.sockets.add(s1);
  net.a.sockets.add(s2);
  s2.sendEcho(IP_B, 5, ascii("two"));
  net.run(ms(10));
  assert(p1.seqs.length == 0 && p2.seqs.length == 1 && p2.seqs[0] == 5);
}

export function test_ping_errors(): void {
  const net = new TwoStacks();
  const s = new IcmpSocket(new Pings(), 1);
  assert(s.sendEcho(IP_B, 1, ascii("x")) == IcmpSendError.NotInSet);
  net.a.sockets.add(s);
  assert(s.sendEcho(IP_B, 1, new Uint8Array(65535 - 28 + 1)) == IcmpSendError.TooBig, "beyond the largest datagram");
  assert(s.sendEcho(ipv4(8, 8, 8, 8), 1, ascii("x")) == IcmpSendError.NoRoute);
  for (let i = 0; i < 8; i++) assert(s.sendEcho(IP_B, <u16>i, ascii("x")) == IcmpSendError.None);
  assert(s.sendEcho(IP_B, 9, ascii("x")) == IcmpSendError.QueueFull);
}

// --- UDP ---

export function test_udp_echo_between_two_stacks(): void {
  const net = new TwoStacks();
  udpPair(net, 7, new Echo());
  const got = new Collect();
  const c = client(net, got);
  assert(c.udpPort >= 49152);
  assert(c.sendTo(IP_B, 7, ascii("hello")) == UdpSendError.None);
  net.run(ms(10));
  assert(got.got.length == 1);
  const d = got.got[0];
  assert(d.remote == IP_B && d.remotePort == 7 && d.local == IP_A);
  assert(sameBytes(d.payload, ascii("hello")));
}

export function test_udp_echo_of_a_full_mtu_datagram(): void {
  const net = new TwoStacks();
  udpPair(net, 7, new Echo());
  const got = new Collect();
  const c = client(net, got);
  const big = new Uint8Array(1500 - 28);
  for (let i = 0; i < big.length; i++) big[i] = <u8>(i * 7);
  assert(c.sendTo(IP_B, 7, big) == UdpSendError.None);
  assert(c.sendTo(IP_B, 7, new Uint8Array(UDP_MAX_PAYLOAD + 1)) == UdpSendError.TooBig);
  net.run(ms(10));
  assert(got.got.length == 1 && sameBytes(got.got[0].payload, big));
}

export function test_udp_to_a_closed_port_gets_port_unreachable(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const c = client(net);
  c.sendTo(IP_B, 4444, ascii("anyone?"));
  net.run(ms(10));
  assert(net.b.stats.rxNoSocket == 1 && net.b.stats.icmpErrors == 1);
  // The last frame from B is ICMP type 3 code 3 quoting our datagram.
  let found = false;
  for (let i = 0; i < net.link.sent.length; i++) {
    const f = net.link.sent[i];
    if (net.link.sentFrom[i] != 1 || new EthernetFrame(f).etherType != EtherType.IPV4) continue;
    const ip = new Ipv4Packet(f.subarray(14));
    if (ip.protocol != IpProtocol.ICMP) continue;
    const icmp = ip.payload();
    assert(icmp[0] == 3 && icmp[1] == 3);
    assert(icmp.length == 8 + 20 + 8, "quotes the header and 8 bytes");
    found = true;
  }
  assert(found);
}

export function test_udp_broadcast_reaches_the_socket_and_never_an_icmp_error(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const got = new Collect();
  udpPair(net, 9, got);
  const c = client(net);
  c.sendTo(IPV4_BROADCAST, 9, ascii("all"));
  c.sendTo(ipv4(10, 0, 0, 255), 9, ascii("subnet"));
  c.sendTo(IPV4_BROADCAST, 10, ascii("closed port"));
  net.run(ms(10));
  assert(got.got.length == 2);
  assert(got.got[0].local == IPV4_BROADCAST && got.got[1].local == ipv4(10, 0, 0, 255));
  assert(net.link.countSent(0, EtherType.ARP) == 0, "broadcasts need no ARP");
  assert(net.b.stats.icmpErrors == 0);
}

export function test_udp_socket_bound_to_one_address_ignores_others(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const got = new Collect();
  const s = new UdpSocket(got);
  net.b.sockets.add(s);
  assert(s.bind(9, IP_B) == UdpBindError.None);
  const c = client(net);
  c.sendTo(IPV4_BROADCAST, 9, ascii("bcast"));
  c.sendTo(IP_B, 9, ascii("unicast"));
  net.run(ms(10));
  assert(got.got.length == 1 && sameBytes(got.got[0].payload, ascii("unicast")));
}

export function test_udp_bind_errors(): void {
  const net = new TwoStacks();
  const s = new UdpSocket();
  assert(s.bind(7) == UdpBindError.NotInSet);
  net.a.sockets.add(s);
  assert(s.bind(7) == UdpBindError.None);
  assert(s.bind(8) == UdpBindError.AlreadyBound);
  const t = new UdpSocket();
  net.a.sockets.add(t);
  assert(t.bind(7) == UdpBindError.PortInUse);
  s.close();
  assert(t.bind(7) == UdpBindError.None);
  // Removing frees the port too.
  net.a.sockets.remove(t);
  assert(s.bind(7) == UdpBindError.None);
  // Ephemeral ports differ.
  const u = new UdpSocket();
  const v = new UdpSocket();
  net.a.sockets.add(u);
  net.a.sockets.add(v);
  u.bind(0);
  v.bind(0);
  assert(u.udpPort != v.udpPort && u.udpPort >= 49152 && v.udpPort >= 49152);
}

export function test_udp_send_errors(): void {
  const cfg = quiet(IP_A);
  const net = new TwoStacks(cfg, quiet(IP_B));
  const s = new UdpSocket(null, 2);
  net.a.sockets.add(s);
  assert(s.sendTo(IP_B, 9, ascii("x")) == UdpSendError.NotBound);
  s.bind(5000);
  assert(s.sendTo(0, 9, ascii("x")) == UdpSendError.Unaddressable);
  assert(s.sendTo(IP_B, 0, ascii("x")) == UdpSendError.Unaddressable);
  assert(s.sendTo(ipv4(192, 168, 9, 9), 9, ascii("x")) == UdpSendError.NoRoute, "off-link without a gateway");
  assert(s.sendTo(IP_B, 9, new Uint8Array(65508)) == UdpSendError.TooBig, "beyond 65,535 bytes of IPv4");
  assert(s.sendTo(IP_B, 9, ascii("1")) == UdpSendError.None);
  assert(s.sendTo(IP_B, 9, ascii("2")) == UdpSendError.None);
  assert(s.sendTo(IP_B, 9, ascii("3")) == UdpSendError.QueueFull);
  net.run(ms(10));
  assert(s.queued == 0);
  assert(s.sendTo(IP_B, 9, ascii("3")) == UdpSendError.None);
}

export function test_udp_receive_queue_is_bounded(): void {
  const net = new TwoStacks();
  const s = new UdpSocket(null, 2);
  net.b.sockets.add(s);
  s.bind(9);
  const c = client(net);
  net.a.arp.learn(IP_B, MAC_B, simNow(), true); // else the ARP queue's bound of 4 drops one first
  for (let i = 0; i < 5; i++) c.sendTo(IP_B, 9, ascii("d" + i.toString()));
  net.run(ms(10));
  assert(s.received == 2 && s.rxDropped == 3);
  const d0 = s.recv()!;
  const d1 = s.recv()!;
  assert(sameBytes(d0.payload, ascii("d0")) && sameBytes(d1.payload, ascii("d1")));
  assert(d0.remote == IP_A && d0.remotePort == c.udpPort);
  assert(s.recv() == null);
}

export function test_udp_goes_through_the_gateway_off_link(): void {
  const cfg = quiet(IP_A);
  cfg.gateway = IP_B;
  const net = new TwoStacks(cfg, quiet(IP_B));
  const c = client(net);
  assert(c.sendTo(ipv4(192, 168, 5, 5), 53, ascii("q")) == UdpSendError.None);
  net.run(ms(10));
  // A resolved the gateway, not the far address, and sent the datagram to B's MAC.
  assert(net.a.arp.lookup(IP_B, simNow()) == <i64>MAC_B);
  assert(net.a.arp.get(ipv4(192, 168, 5, 5)) == null);
  const last = net.link.sent[net.link.sent.length - 1];
  const e = new EthernetFrame(last);
  assert(e.dst == MAC_B && e.etherType == EtherType.IPV4);
  assert(new Ipv4Packet(last.subarray(14)).dst == ipv4(192, 168, 5, 5));
  // B is not that host and does not forward.
  assert(net.b.stats.rxIgnored >= 1);
}

export function test_udp_device_refusal_is_counted(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const c = client(net);
  net.a.arp.learn(IP_B, MAC_B, simNow(), true);
  net.link.a.result = NetResult.Busy;
  c.sendTo(IP_B, 9, ascii("x"));
  net.run(ms(1));
  assert(c.txFailed == 1 && c.lastTxError == SendError.Device && net.a.stats.txRefused == 1);
}

export function test_udp_socket_without_address_sends_only_broadcasts(): void {
  const net = new TwoStacks(quiet(0), quiet(IP_B));
  const c = client(net);
  assert(c.sendTo(IP_B, 9, ascii("x")) == UdpSendError.NoRoute);
  assert(c.sendTo(IPV4_BROADCAST, 9, ascii("x")) == UdpSendError.None);
}

// --- a faulty wire ---

export function test_udp_echo_survives_loss_duplication_and_reordering(): void {
  const net = new TwoStacks();
  net.link.latency = ms(1);
  net.link.dropPerMille = 200;
  net.link.duplicatePerMille = 200;
  net.link.reorderPerMille = 300;
  udpPair(net, 7, new Echo());
  const got = new Collect();
  const c = client(net, got);
  for (let round = 0; round < 20; round++) {
    c.sendTo(IP_B, 7, ascii("n" + round.toString()));
    net.run(ms(50));
  }
  net.run(seconds(5));
  assert(net.link.dropped > 0 && net.link.duplicated > 0);
  // Every echo that arrived is one we sent; some are lost, some doubled.
  let distinct = 0;
  for (let r = 0; r < 20; r++) {
    const want = ascii("n" + r.toString());
    for (let i = 0; i < got.got.length; i++) {
      if (sameBytes(got.got[i].payload, want)) { distinct++; break; }
    }
  }
  assert(distinct >= 5, "most rounds get through: " + distinct.toString());
  for (let i = 0; i < got.got.length; i++) assert(got.got[i].payload[0] == 0x6e);
}

export function test_random_frames_do_not_disturb_the_stack(): void {
  const net = new TwoStacks();
  udpPair(net, 7, new Echo());
  const got = new Collect();
  const c = client(net, got);
  let x: u32 = 99;
  for (let i = 0; i < 2000; i++) {
    const f = new Uint8Array(<i32>(i % 120));
    for (let k = 0; k < f.length; k++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; f[k] = <u8>x; }
    if (f.length >= 14) {
      // Aim at the stack: our MAC, and ARP or IPv4.
      f[0] = 0x02; f[1] = 0; f[2] = 0; f[3] = 0; f[4] = 0; f[5] = 0x0B;
      f[12] = (i & 1) != 0 ? 0x08 : 0x08; f[13] = (i & 1) != 0 ? 0x06 : 0x00;
      if ((i & 1) == 0 && f.length > 14) f[14] = 0x45;
    }
    net.b.receive(f, simNow());
  }
  c.sendTo(IP_B, 7, ascii("still alive"));
  net.run(ms(10));
  assert(got.got.length == 1);
}

export function test_mutated_real_frames_do_not_disturb_the_stack(): void {
  // Record a session (ARP, ping, UDP echo, broadcast), then feed both stacks
  // mutated copies of its frames with their checksums repaired, so the
  // mutations reach every layer, not just the first checksum.
  const net = new TwoStacks();
  udpPair(net, 7, new Echo());
  const got = new Collect();
  const c = client(net, got);
  const ping = new IcmpSocket(new Pings(), 3);
  net.a.sockets.add(ping);
  c.sendTo(IP_B, 7, ascii("warm up"));
  c.sendTo(IPV4_BROADCAST, 7, ascii("to all"));
  c.sendTo(IP_B, 8, ascii("closed"));
  ping.sendEcho(IP_B, 1, ascii("ping"));
  net.run(ms(10));
  const seeds = net.link.sent.slice(0);
  assert(seeds.length >= 8);
  const rng = new Rng(31337);
  for (let i = 0; i < 4000; i++) {
    const f = rng.mutate(seeds[rng.below(seeds.length)]);
    if (f.length >= 34 && f[12] == 0x08 && f[13] == 0x00) {
      const ip = new Ipv4Packet(f.subarray(14));
      if (ip.checkLen() == WireError.None) {
        ip.fillChecksum();
        const body = ip.payload();
        if (ip.protocol == IpProtocol.UDP && body.length >= 8 && new UdpPacket(body).checkLen() == WireError.None && rng.below(2) == 0) {
          new UdpPacket(body).fillChecksum(ip.src, ip.dst);
        } else if (ip.protocol == IpProtocol.ICMP && body.length >= 8) {
          new Icmpv4Packet(body).fillChecksum();
        }
      }
    }
    if (rng.below(2) == 0) net.a.receive(f, simNow());
    else net.b.receive(f, simNow());
    if (i % 100 == 0) net.run(ms(200));
  }
  net.run(seconds(5));
  const sa = net.a.stats;
  const sb = net.b.stats;
  // The mutations reached each layer: bad frames counted, UDP to closed ports,
  // fragments, echo, ARP answered.
  assert(sa.rxMalformed + sb.rxMalformed > 0 && sa.rxNoSocket + sb.rxNoSocket > 0);
  assert(sb.fragmentsDropped + sb.reassembled + sa.fragmentsDropped > 0 && sa.echoReplies + sb.echoReplies > 1);
  assert(sa.arpReplies + sb.arpReplies > 0 && got.got.length > 1);
  got.got.length = 0;
  c.sendTo(IP_B, 7, ascii("still alive"));
  net.run(seconds(2));
  let alive = false;
  for (let i = 0; i < got.got.length; i++) if (sameBytes(got.got[i].payload, ascii("still alive"))) alive = true;
  assert(alive);
}
