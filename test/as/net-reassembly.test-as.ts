// lib/net/iface/reassembly.ts: fragments in order, out of order,
// overlapping, duplicated; the limits (datagrams, bytes, fragments); the
// timeout; and a fragmented UDP datagram between two stacks.
import { Ipv4Addr } from "atoll/net/addr";
import { seconds, ms, FOREVER } from "atoll/time";
import { WireError } from "atoll/net/wire/error";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "atoll/net/wire/ipv4";
import { EthernetRepr, EthernetFrame, EtherType } from "atoll/net/wire/ethernet";
import { UdpPacket, UdpRepr } from "atoll/net/wire/udp";
import { Reassembler, ReassemblyConfig, FragmentOutcome } from "atoll/net/iface/reassembly";
import { UdpSocket, UdpHandler, UdpDatagram } from "atoll/net/socket/udp";
import { sameBytes, assertBytes } from "./net-util";
import { TwoStacks, simNow, MAC_A, MAC_B, IP_A, IP_B } from "./net-link";

/** One fragment: bytes [offset, offset + len) of `data` as an IPv4 packet. */
function frag(ident: u16, data: Uint8Array, offset: i32, len: i32, more: bool, protocol: u8 = IpProtocol.UDP): Uint8Array {
  const r = Ipv4Repr.of(IP_A, IP_B, protocol, len);
  r.ident = ident;
  r.moreFragments = more;
  r.fragmentOffset = offset;
  const b = new Uint8Array(20 + len);
  r.emit(new Ipv4Packet(b));
  b.set(data.subarray(offset, offset + len), 20);
  return b;
}

function pattern(n: i32, seed: u8 = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = <u8>(i * 31 + seed);
  return b;
}

function add(r: Reassembler, pkt: Uint8Array, now: i64 = 0): FragmentOutcome {
  const p = new Ipv4Packet(pkt);
  const repr = new Ipv4Repr();
  assert(repr.parse(p) == WireError.None);
  assert(repr.isFragment || repr.fragmentOffset == 0);
  return r.add(repr, p, p.payload(), now);
}

// --- completion ---

export function test_in_order_fragments_complete_the_datagram(): void {
  const data = pattern(3000);
  const r = new Reassembler();
  assert(add(r, frag(1, data, 0, 1480, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(1, data, 1480, 1480, true)) == FragmentOutcome.Pending);
  assert(r.inProgress == 1 && r.bytesHeld == 2960);
  assert(add(r, frag(1, data, 2960, 40, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "reassembled");
  assert(r.inProgress == 0 && r.bytesHeld == 0 && r.pollAt() == FOREVER);
  assert(r.datagramQuote.length == 28, "header and 8 bytes of fragment zero");
}

export function test_out_of_order_fragments_complete_the_datagram(): void {
  const data = pattern(2000);
  const r = new Reassembler();
  assert(add(r, frag(2, data, 1600, 400, false)) == FragmentOutcome.Pending);
  assert(add(r, frag(2, data, 800, 800, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(2, data, 0, 800, true)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "reassembled");
}

export function test_interleaved_datagrams_are_kept_apart(): void {
  const d1 = pattern(1000, 1);
  const d2 = pattern(1000, 2);
  const r = new Reassembler();
  add(r, frag(1, d1, 0, 504, true));
  add(r, frag(2, d2, 504, 496, false));
  add(r, frag(2, d2, 0, 504, true));
  assertBytes(r.datagram, d2, "second datagram");
  assert(add(r, frag(1, d1, 504, 496, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d1, "first datagram");
}

export function test_duplicates_change_nothing(): void {
  const data = pattern(1600);
  const r = new Reassembler();
  add(r, frag(3, data, 0, 800, true));
  add(r, frag(3, data, 0, 800, true));
  assert(r.bytesHeld == 800);
  assert(add(r, frag(3, data, 800, 800, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "reassembled");
}

export function test_overlapping_fragments_keep_the_first_bytes(): void {
  const data = pattern(48);
  const other = pattern(48, 100);
  const r = new Reassembler();
  add(r, frag(4, data, 0, 24, true));    // [0, 24)
  add(r, frag(4, other, 16, 24, true));  // [16, 40): 16..24 overlaps, other bytes lose there
  assert(r.bytesHeld == 40);
  assert(add(r, frag(4, data, 32, 16, false)) == FragmentOutcome.Complete); // [32, 48)
  const want = new Uint8Array(48);
  want.set(data.subarray(0, 24));
  want.set(other.subarray(24, 40), 24);
  want.set(data.subarray(40, 48), 40);
  assertBytes(r.datagram, want, "first bytes win");
}

export function test_a_fragment_spanning_a_gap_fills_only_the_gap(): void {
  const data = pattern(64);
  const r = new Reassembler();
  add(r, frag(5, data, 0, 16, true));
  add(r, frag(5, data, 32, 16, true));
  add(r, frag(5, data, 0, 56, true)); // covers both, fills [16, 32) and [48, 56)
  assert(r.bytesHeld == 56);
  assert(add(r, frag(5, data, 56, 8, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "reassembled");
}

// --- invalid fragments ---

export function test_unaligned_middle_fragments_are_invalid(): void {
  const data = pattern(100);
  const r = new Reassembler();
  add(r, frag(6, data, 0, 16, true));
  assert(add(r, frag(6, data, 16, 20, true)) == FragmentOutcome.Invalid);
  assert(r.inProgress == 0 && r.bytesHeld == 0, "the whole datagram is dropped");
}

export function test_conflicting_ends_are_invalid(): void {
  const data = pattern(100);
  let r = new Reassembler();
  add(r, frag(7, data, 64, 16, false));
  assert(add(r, frag(7, data, 72, 16, false)) == FragmentOutcome.Invalid, "two different last fragments");
  r = new Reassembler();
  add(r, frag(7, data, 40, 8, false));
  assert(add(r, frag(7, data, 40, 16, true)) == FragmentOutcome.Invalid, "data beyond the end");
  r = new Reassembler();
  add(r, frag(7, data, 48, 16, true));
  assert(add(r, frag(7, data, 0, 40, false)) == FragmentOutcome.Invalid, "an end before data already seen");
  assert(r.inProgress == 0);
}

// --- limits ---

export function test_too_many_datagrams_drops_the_newcomer(): void {
  const cfg = new ReassemblyConfig();
  cfg.maxDatagrams = 2;
  const r = new Reassembler(cfg);
  const data = pattern(32);
  add(r, frag(10, data, 0, 16, true));
  add(r, frag(11, data, 0, 16, true));
  assert(add(r, frag(12, data, 0, 16, true)) == FragmentOutcome.TooManyDatagrams);
  assert(r.inProgress == 2);
  assert(add(r, frag(10, data, 16, 16, false)) == FragmentOutcome.Complete);
  assert(add(r, frag(12, data, 0, 16, true)) == FragmentOutcome.Pending, "room again");
}

export function test_too_many_bytes_drops_the_datagram(): void {
  const cfg = new ReassemblyConfig();
  cfg.maxBytes = 1000;
  const r = new Reassembler(cfg);
  const data = pattern(2000);
  add(r, frag(20, data, 0, 400, true));
  add(r, frag(21, data, 0, 400, true));
  assert(r.bytesHeld == 800);
  assert(add(r, frag(20, data, 400, 400, true)) == FragmentOutcome.TooBig);
  assert(r.inProgress == 1 && r.bytesHeld == 400, "datagram 20 and its bytes are gone, 21 stays");
}

export function test_too_many_fragments_drops_the_datagram(): void {
  const cfg = new ReassemblyConfig();
  cfg.maxFragments = 4;
  const r = new Reassembler(cfg);
  const data = pattern(80);
  for (let i = 0; i < 4; i++) assert(add(r, frag(30, data, i * 8, 8, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(30, data, 32, 8, true)) == FragmentOutcome.TooBig);
  assert(r.inProgress == 0);
}

export function test_datagrams_past_65535_bytes_are_rejected(): void {
  // An offset of 65528 plus any data ends past the largest datagram ("ping of death").
  const r = new Reassembler();
  const data = pattern(65600);
  const f = frag(40, data, 65528, 8, false);
  const p = new Ipv4Packet(f);
  assert(new Ipv4Repr().parse(p) == WireError.BadLength, "the wire layer refuses it");
  // Through the reassembler directly: the end is checked there too.
  const repr = Ipv4Repr.of(IP_A, IP_B, IpProtocol.UDP, 8);
  repr.fragmentOffset = 65520;
  repr.moreFragments = false;
  assert(r.add(repr, p, data.subarray(0, 8), 0) == FragmentOutcome.Invalid);
}

// --- timeout ---

export function test_timeout_drops_and_quotes_fragment_zero(): void {
  const cfg = new ReassemblyConfig();
  cfg.timeout = seconds(30);
  const r = new Reassembler(cfg);
  const data = pattern(100);
  add(r, frag(50, data, 0, 16, true), seconds(1));
  add(r, frag(51, data, 16, 16, true), seconds(2));
  assert(r.pollAt() == seconds(31));
  assert(r.expire(seconds(30)) == 0);
  assert(r.expire(seconds(31)) == 1);
  assert(r.expired.length == 1 && r.expired[0].length == 28);
  assert(r.pollAt() == seconds(32));
  assert(r.expire(seconds(40)) == 1);
  assert(r.expired.length == 1, "no fragment zero: nothing to quote");
  assert(r.inProgress == 0 && r.bytesHeld == 0 && r.pollAt() == FOREVER);
  // A late fragment starts a new datagram rather than completing the old one.
  assert(add(r, frag(50, data, 16, 84, false), seconds(41)) == FragmentOutcome.Pending);
}

// --- between two stacks ---

class Collect extends UdpHandler {
  got: UdpDatagram[] = [];
  onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void { this.got.push(d); }
}

/** A UDP datagram from A:1111 to B:9 with `payload`, cut into Ethernet frames of `chunk` data bytes. */
function fragmentedUdp(ident: u16, payload: Uint8Array, chunk: i32): Uint8Array[] {
  const udp = UdpRepr.of(1111, 9, payload);
  const whole = new Uint8Array(udp.bufferLen());
  udp.emit(new UdpPacket(whole), IP_A, IP_B);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < whole.length; off += chunk) {
    const len = min(chunk, whole.length - off);
    const ip = frag(ident, whole, off, len, off + len < whole.length);
    const f = new Uint8Array(14 + ip.length);
    EthernetRepr.of(MAC_A, MAC_B, EtherType.IPV4).emit(new EthernetFrame(f));
    f.set(ip, 14);
    frames.push(f);
  }
  return frames;
}

export function test_fragmented_udp_reaches_the_socket_whole(): void {
  const net = new TwoStacks();
  const got = new Collect();
  const s = new UdpSocket(got);
  net.b.sockets.add(s);
  s.bind(9);
  const payload = pattern(4000);
  const frames = fragmentedUdp(77, payload, 1480);
  assert(frames.length == 3);
  for (let i = 0; i < frames.length; i++) net.link.a.transmit(frames[i]);
  net.run(ms(10));
  assert(got.got.length == 1);
  assert(got.got[0].remote == IP_A && got.got[0].remotePort == 1111);
  assert(sameBytes(got.got[0].payload, payload));
  assert(net.b.stats.reassembled == 1);
}

export function test_fragmented_udp_reordered_and_duplicated_on_the_wire(): void {
  const net = new TwoStacks();
  const got = new Collect();
  const s = new UdpSocket(got);
  net.b.sockets.add(s);
  s.bind(9);
  const payload = pattern(5000, 9);
  const frames = fragmentedUdp(78, payload, 1000);
  // Last first, then the rest backwards, then a duplicate of the middle one.
  for (let i = frames.length - 1; i >= 0; i--) net.link.a.transmit(frames[i]);
  net.link.a.transmit(frames[2]);
  net.run(ms(10));
  assert(got.got.length == 1 && sameBytes(got.got[0].payload, payload));
}

export function test_incomplete_datagram_times_out_with_icmp_time_exceeded(): void {
  const net = new TwoStacks();
  const s = new UdpSocket(new Collect());
  net.b.sockets.add(s);
  s.bind(9);
  const frames = fragmentedUdp(79, pattern(3000), 1480);
  net.link.a.transmit(frames[0]);
  net.link.a.transmit(frames[2]);
  net.run(seconds(59));
  assert(net.b.reassembler.inProgress == 1);
  net.link.clearLog();
  net.run(seconds(2));
  assert(net.b.reassembler.inProgress == 0);
  // B tells A: time exceeded (11), fragment reassembly (1) (RFC 1122 §3.3.2).
  let seen = false;
  for (let i = 0; i < net.link.sent.length; i++) {
    if (net.link.sentFrom[i] != 1) continue;
    const f = net.link.sent[i];
    if (new EthernetFrame(f).etherType != EtherType.IPV4) continue;
    const ip = new Ipv4Packet(f.subarray(14));
    if (ip.protocol != IpProtocol.ICMP) continue;
    const icmp = ip.payload();
    assert(icmp[0] == 11 && icmp[1] == 1 && ip.dst == IP_A);
    seen = true;
  }
  assert(seen);
}
