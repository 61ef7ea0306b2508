// lib/net/iface/fragmentation.ts and the interface's one way out for IPv4
// datagrams of any size: fragments parse and reassemble to the original,
// with the right offsets, flags and identification; sizes around the MTU;
// then two stacks on the in-memory link exchanging pings and UDP datagrams
// up to the largest IPv4 allows, on a 1500 and a 576-byte MTU, with ARP
// unresolved at the start.
import { Ipv4Addr } from "atoll/net/addr";
import { ms } from "atoll/time";
import { WireError } from "atoll/net/wire/error";
import { Ipv4Packet, Ipv4Repr, IpProtocol, IPV4_HEADER_LEN } from "atoll/net/wire/ipv4";
import { EthernetFrame, EtherType, ETHERNET_HEADER_LEN } from "atoll/net/wire/ethernet";
import { UDP_MAX_PAYLOAD } from "atoll/net/wire/udp";
import { fragmentDatagram, fragmentDataLen } from "atoll/net/iface/fragmentation";
import { Reassembler, FragmentOutcome } from "atoll/net/iface/reassembly";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { UdpSocket, UdpHandler, UdpDatagram, UdpBindError, UdpSendError } from "atoll/net/socket/udp";
import { IcmpSocket, IcmpHandler, IcmpSendError } from "atoll/net/socket/icmp";
import { assertBytes } from "./net-util";
import { TwoStacks, IP_A, IP_B } from "./net-link";

function pattern(n: i32, seed: u8 = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = <u8>(i * 13 + seed);
  return b;
}

/** A frame: 14 bytes of room for Ethernet, then an IPv4 datagram carrying `payload`. */
function datagram(payload: Uint8Array, ident: u16, ttl: u8 = 33): Uint8Array {
  const f = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payload.length);
  const r = Ipv4Repr.of(IP_A, IP_B, IpProtocol.UDP, payload.length, ttl);
  r.ident = ident;
  r.emit(new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN)));
  f.set(payload, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN);
  return f;
}

/**
 * Checks `frags` (each with 14 bytes of room in front) as RFC 791 fragments
 * of `payload` at `mtu`, feeds them to a reassembler and checks it gets
 * `payload` back.
 */
function checkFragments(frags: Uint8Array[], payload: Uint8Array, ident: u16, mtu: i32): void {
  const step = fragmentDataLen(mtu);
  const r = new Reassembler();
  let next = 0;
  for (let i = 0; i < frags.length; i++) {
    const p = new Ipv4Packet(frags[i].subarray(ETHERNET_HEADER_LEN));
    const repr = new Ipv4Repr();
    assert(repr.parse(p) == WireError.None, "fragment " + i.toString() + " parses, checksum included");
    assert(<i32>p.totalLen <= mtu, "fragment " + i.toString() + " fits the MTU");
    assert(frags[i].length == ETHERNET_HEADER_LEN + <i32>p.totalLen);
    assert(repr.ident == ident && repr.src == IP_A && repr.dst == IP_B && repr.protocol == IpProtocol.UDP && repr.ttl == 33);
    assert(!repr.dontFragment);
    const last = i == frags.length - 1;
    assert(repr.moreFragments == !last, "MF on all but the last");
    assert(repr.fragmentOffset == next, "offset " + repr.fragmentOffset.toString() + ", want " + next.toString());
    assert((repr.fragmentOffset & 7) == 0);
    if (!last) assert(repr.payloadLen == step, "a full fragment");
    next += repr.payloadLen;
    const outcome = r.add(repr, p, p.payload(), 0);
    assert(outcome == (last ? FragmentOutcome.Complete : FragmentOutcome.Pending));
  }
  assert(next == payload.length);
  assertBytes(r.datagram, payload, "reassembled");
}

// --- fragmentDatagram ---

export function test_data_per_fragment_is_the_mtu_less_a_header_rounded_down_to_8(): void {
  assert(fragmentDataLen(1500) == 1480);
  assert(fragmentDataLen(576) == 552);
  assert(fragmentDataLen(1006) == 984); // 986 rounded down
  assert(fragmentDataLen(68) == 48); // RFC 791's smallest MTU
}

export function test_a_4008_byte_payload_becomes_three_fragments(): void {
  const payload = pattern(4008);
  const frags = fragmentDatagram(datagram(payload, 0x1234), ETHERNET_HEADER_LEN, 1500);
  assert(frags.length == 3);
  checkFragments(frags, payload, 0x1234, 1500);
  assert(new Ipv4Packet(frags[2].subarray(ETHERNET_HEADER_LEN)).payload().length == 4008 - 2960);
}

export function test_fragment_counts_around_the_mtu(): void {
  // payload bytes → fragments at 1500: one byte past a multiple of 1480 takes one more.
  const sizes: i32[] = [1481, 2960, 2961, 8008, 65515];
  const counts: i32[] = [2, 2, 3, 6, 45];
  for (let i = 0; i < sizes.length; i++) {
    const payload = pattern(sizes[i], <u8>i);
    const frags = fragmentDatagram(datagram(payload, <u16>i), ETHERNET_HEADER_LEN, 1500);
    assert(frags.length == counts[i], sizes[i].toString() + " bytes: " + frags.length.toString() + " fragments");
    checkFragments(frags, payload, <u16>i, 1500);
  }
}

export function test_an_odd_mtu_keeps_offsets_in_8_byte_units(): void {
  const payload = pattern(3000, 7);
  const frags = fragmentDatagram(datagram(payload, 9), ETHERNET_HEADER_LEN, 1006);
  assert(frags.length == 4); // 984 × 3 + 48
  checkFragments(frags, payload, 9, 1006);
}

export function test_nothing_comes_of_an_mtu_too_small_or_a_datagram_too_large(): void {
  assert(fragmentDatagram(datagram(pattern(100), 1), ETHERNET_HEADER_LEN, 27).length == 0, "no room for 8 bytes");
  assert(fragmentDatagram(datagram(pattern(65516), 1), ETHERNET_HEADER_LEN, 1500).length == 0, "65,536 bytes");
}

// --- two stacks ---

class Pings extends IcmpHandler {
  replies: i32 = 0;
  lastData: Uint8Array = new Uint8Array(0);
  lastSeq: u16 = 0;
  onEchoReply(socket: IcmpSocket, from: Ipv4Addr, seq: u16, data: Uint8Array, now: i64): void {
    this.replies++;
    this.lastSeq = seq;
    this.lastData = data.slice(0);
  }
}

class Collect extends UdpHandler {
  got: UdpDatagram[] = [];
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void { this.got.push(d); }
}

function quiet(ip: Ipv4Addr): InterfaceConfig {
  const c = new InterfaceConfig();
  c.address = ip;
  c.announcements = 0;
  return c;
}

/** IPv4 frames `side` sent (0: A, 1: B) since the log was cleared; checks each against the MTU and DF. */
function ipFramesFrom(net: TwoStacks, side: i32, mtu: i32): Ipv4Packet[] {
  const out: Ipv4Packet[] = [];
  for (let i = 0; i < net.link.sent.length; i++) {
    if (net.link.sentFrom[i] != side) continue;
    const f = net.link.sent[i];
    if (new EthernetFrame(f).etherType != EtherType.IPV4) continue;
    assert(f.length <= ETHERNET_HEADER_LEN + mtu, "a frame of " + f.length.toString() + " bytes");
    const p = new Ipv4Packet(f.subarray(ETHERNET_HEADER_LEN));
    assert(!p.dontFragment);
    out.push(p);
  }
  return out;
}

/** Pings B from A with `size` bytes of data (as `ping -s size`); checks the reply and returns how many IPv4 frames B answered in. */
function pingB(net: TwoStacks, size: i32, seq: u16, mtu: i32 = 1500): i32 {
  const pings = new Pings();
  const s = new IcmpSocket(pings, 0x4242);
  net.a.sockets.add(s);
  const data = pattern(size, <u8>seq);
  net.link.clearLog();
  const echoes = net.b.stats.echoReplies;
  assert(s.sendEcho(IP_B, seq, data) == IcmpSendError.None);
  net.run(ms(50));
  assert(pings.replies == 1 && pings.lastSeq == seq, "the echo of " + size.toString() + " bytes was answered");
  assertBytes(pings.lastData, data, "echoed data");
  assert(net.b.stats.echoReplies == echoes + 1);
  net.a.sockets.remove(s);
  return ipFramesFrom(net, 1, mtu).length;
}

export function test_pings_around_the_mtu_and_beyond_are_answered_in_fragments(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  // ping -s N: N bytes of data, 8 of ICMP header, 20 of IPv4.
  assert(pingB(net, 1472, 1) == 1, "1500 bytes: one frame");
  assert(net.b.stats.txFragmented == 0);
  assert(pingB(net, 1473, 2) == 2, "1501 bytes: two fragments");
  assert(pingB(net, 4000, 3) == 3);
  assert(pingB(net, 8000, 4) == 6);
  assert(pingB(net, 65507, 5) == 45, "the largest echo");
  assert(net.b.stats.txFragmented == 4 && net.b.stats.txFragments == 2 + 3 + 6 + 45);
  assert(net.b.stats.reassembled == 4 && net.b.reassembler.inProgress == 0);
}

export function test_a_4000_byte_ping_on_a_576_byte_mtu(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B), 576);
  assert(pingB(net, 4000, 1, 576) == 8, "4008 bytes in pieces of 552");
}

export function test_the_largest_udp_datagram_crosses_before_arp_has_answered(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const got = new Collect();
  const server = new UdpSocket(got);
  net.b.sockets.add(server);
  assert(server.bind(9) == UdpBindError.None);
  const c = new UdpSocket();
  net.a.sockets.add(c);
  assert(c.bind(0) == UdpBindError.None);
  assert(net.a.arp.get(IP_B) == null, "B is not resolved yet");
  const payload = pattern(UDP_MAX_PAYLOAD, 3);
  assert(c.sendTo(IP_B, 9, payload) == UdpSendError.None);
  assert(c.sendTo(IP_B, 9, new Uint8Array(UDP_MAX_PAYLOAD + 1)) == UdpSendError.TooBig);
  net.run(ms(50));
  assert(net.a.arp.droppedFrames == 0, "all 45 fragments waited for ARP");
  assert(got.got.length == 1 && got.got[0].remotePort == c.udpPort);
  assertBytes(got.got[0].payload, payload, "the datagram");
  assert(net.a.stats.txFragmented == 1 && net.a.stats.txFragments == 45);
}

export function test_udp_at_the_mtu_goes_whole_and_one_byte_more_in_two_fragments(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const got = new Collect();
  const server = new UdpSocket(got);
  net.b.sockets.add(server);
  server.bind(9);
  const c = new UdpSocket();
  net.a.sockets.add(c);
  c.bind(0);
  const sizes: i32[] = [1472, 1473, 2952, 2953];
  const frames: i32[] = [1, 2, 2, 3];
  for (let i = 0; i < sizes.length; i++) {
    net.link.clearLog();
    const payload = pattern(sizes[i], <u8>i);
    assert(c.sendTo(IP_B, 9, payload) == UdpSendError.None);
    net.run(ms(10));
    const sent = ipFramesFrom(net, 0, 1500);
    assert(sent.length == frames[i], sizes[i].toString() + " bytes of UDP went in " + sent.length.toString() + " frames");
    assert(got.got.length == i + 1);
    assertBytes(got.got[i].payload, payload, "datagram");
  }
}

export function test_a_fragmented_datagram_survives_a_reordering_link(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.link.reorderPerMille = 500;
  net.link.duplicatePerMille = 200;
  const got = new Collect();
  const server = new UdpSocket(got);
  net.b.sockets.add(server);
  server.bind(9);
  const c = new UdpSocket();
  net.a.sockets.add(c);
  c.bind(0);
  const payload = pattern(20_000, 1);
  assert(c.sendTo(IP_B, 9, payload) == UdpSendError.None);
  net.run(ms(100));
  assert(net.link.duplicated > 0, "the link duplicated something");
  assert(got.got.length == 1);
  assertBytes(got.got[0].payload, payload, "datagram");
}
