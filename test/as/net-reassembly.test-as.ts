// lib/net/iface/reassembly.ts: fragments in order, out of order,
// overlapping, duplicated; the lookup by key; the byte budget with
// oldest-first eviction and the per-source share, under floods of
// incomplete datagrams; the fragment limit; the timeout; and a fragmented
// UDP datagram between two stacks.
import { Ipv4Addr, ipv4, IPV4_BROADCAST } from "atoll/net/addr";
import { seconds, ms, FOREVER } from "atoll/time";
import { WireError } from "atoll/net/wire/error";
import { Ipv4Packet, Ipv4Repr, IpProtocol } from "atoll/net/wire/ipv4";
import { EthernetRepr, EthernetFrame, EtherType } from "atoll/net/wire/ethernet";
import { UdpPacket, UdpRepr } from "atoll/net/wire/udp";
import {
  Reassembler, ReassemblyConfig, FragmentOutcome, REASSEMBLY_DATAGRAM_COST, REASSEMBLY_PIECE_COST,
} from "atoll/net/iface/reassembly";
import { UdpSocket, UdpHandler, UdpDatagram } from "atoll/net/socket/udp";
import { sameBytes, assertBytes } from "./net-util";
import { TwoStacks, simNow, MAC_A, MAC_B, IP_A, IP_B } from "./net-link";

/** One fragment: bytes [offset, offset + len) of `data` as an IPv4 packet from `src` to `dst`. */
function frag(ident: u16, data: Uint8Array, offset: i32, len: i32, more: bool, protocol: u8 = IpProtocol.UDP, src: Ipv4Addr = IP_A, dst: Ipv4Addr = IP_B): Uint8Array {
  const r = Ipv4Repr.of(src, dst, protocol, len);
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

/** What the reassembler charges for `data` bytes kept in `pieces` pieces of `datagrams` datagrams. */
function charge(data: i32, pieces: i32, datagrams: i32 = 1): i32 {
  return data + pieces * REASSEMBLY_PIECE_COST + datagrams * REASSEMBLY_DATAGRAM_COST;
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
  assert(r.inProgress == 1 && r.bytesHeld == charge(2960, 2));
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
  assert(r.bytesHeld == charge(800, 1), "a duplicate is not charged");
  assert(add(r, frag(3, data, 800, 800, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "reassembled");
}

export function test_overlapping_fragments_keep_the_first_bytes(): void {
  const data = pattern(48);
  const other = pattern(48, 100);
  const r = new Reassembler();
  add(r, frag(4, data, 0, 24, true));    // [0, 24)
  add(r, frag(4, other, 16, 24, true));  // [16, 40): 16..24 overlaps, other bytes lose there
  assert(r.bytesHeld == charge(40, 2));
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
  assert(r.bytesHeld == charge(56, 4));
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

// --- lookup ---

export function test_datagrams_are_told_apart_by_source_destination_protocol_and_ident(): void {
  // Same ident from another source, with another protocol, and to two other
  // destinations (those three share a Map key and sit in one chain).
  const r = new Reassembler();
  const OTHER = ipv4(10, 0, 0, 3);
  const SUBNET_BROADCAST = ipv4(10, 0, 0, 255);
  const d0 = pattern(32, 10);
  const d1 = pattern(32, 11);
  const d2 = pattern(32, 12);
  const d3 = pattern(32, 13);
  const d4 = pattern(32, 14);
  add(r, frag(9, d0, 0, 16, true));
  add(r, frag(9, d1, 0, 16, true, IpProtocol.UDP, OTHER));
  add(r, frag(9, d2, 0, 16, true, IpProtocol.ICMP));
  add(r, frag(9, d3, 0, 16, true, IpProtocol.UDP, IP_A, IPV4_BROADCAST));
  add(r, frag(9, d4, 0, 16, true, IpProtocol.UDP, IP_A, SUBNET_BROADCAST));
  assert(r.inProgress == 5 && r.sources == 2);
  // The chain of (IP_A, 9, UDP) is [d4, d3, d0]: finish its middle, tail, then head.
  assert(add(r, frag(9, d3, 16, 16, false, IpProtocol.UDP, IP_A, IPV4_BROADCAST)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d3, "to the broadcast address");
  assert(add(r, frag(9, d0, 16, 16, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d0, "to us");
  assert(add(r, frag(9, d4, 16, 16, false, IpProtocol.UDP, IP_A, SUBNET_BROADCAST)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d4, "to the subnet broadcast");
  assert(add(r, frag(9, d2, 16, 16, false, IpProtocol.ICMP)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d2, "ICMP");
  assert(add(r, frag(9, d1, 16, 16, false, IpProtocol.UDP, OTHER)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, d1, "from the other source");
  assert(r.inProgress == 0 && r.sources == 0 && r.bytesHeld == 0);
}

// --- the byte budget ---

/** Bytes a flood's fragments carry. */
const FLOOD_DATA = pattern(1480, 77);

/** Fragment zero, `len` bytes, of a datagram from `src` whose other fragments never come. */
function orphan(src: Ipv4Addr, ident: u16, len: i32 = 8): Uint8Array {
  return frag(ident, FLOOD_DATA, 0, len, true, IpProtocol.UDP, src);
}

/** The i-th of many flood sources: 172.16.0.0/12 (RFC 1918), one address each. */
function floodSource(i: i32): Ipv4Addr { return ipv4(172, 16, 0, 0) + <u32>i; }

/** A budget for exactly `n` datagrams of one `len`-byte fragment each, and no limit per source. */
function budgetFor(n: i32, len: i32): ReassemblyConfig {
  const cfg = new ReassemblyConfig();
  cfg.maxBytes = charge(n * len, n, n);
  cfg.maxBytesPerSource = i32.MAX_VALUE >> 1;
  return cfg;
}

export function test_a_full_budget_evicts_the_oldest_datagram_for_a_newcomer(): void {
  const cfg = budgetFor(3, 400);
  cfg.maxBytes += charge(400, 1, 0); // and the second fragment of one of them
  const r = new Reassembler(cfg);
  const data = pattern(800);
  for (let i = 0; i < 3; i++) add(r, frag(<u16>(20 + i), data, 0, 400, true), seconds(1 + i));
  assert(r.evicted == 0 && r.pollAt() == seconds(1) + cfg.timeout);
  assert(add(r, frag(23, data, 0, 400, true), seconds(4)) == FragmentOutcome.Pending, "a newcomer is never refused for room");
  assert(r.inProgress == 3 && r.evicted == 1 && r.bytesHeld <= cfg.maxBytes);
  assert(r.pollAt() == seconds(2) + cfg.timeout, "the oldest (20) went; 21 is the oldest now");
  for (let i = 1; i < 4; i++) {
    assert(add(r, frag(<u16>(20 + i), data, 400, 400, false)) == FragmentOutcome.Complete, "21, 22 and 23 were kept");
    assertBytes(r.datagram, data, "reassembled");
  }
  assert(add(r, frag(20, data, 400, 400, false)) == FragmentOutcome.Pending, "20's last fragment starts a new datagram");
}

export function test_a_fragment_of_a_held_datagram_evicts_the_oldest_other(): void {
  const r = new Reassembler(budgetFor(3, 400));
  const data = pattern(800);
  for (let i = 0; i < 3; i++) add(r, frag(<u16>(30 + i), data, 0, 400, true), seconds(1 + i));
  // 30 is the oldest, but it is the one growing: 31 makes room.
  assert(add(r, frag(30, data, 400, 400, false), seconds(4)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "30 reassembled");
  assert(r.evicted == 1 && r.inProgress == 1);
  assert(add(r, frag(32, data, 400, 400, false), seconds(4)) == FragmentOutcome.Complete, "32 was kept");
  assert(add(r, frag(31, data, 400, 400, false), seconds(4)) == FragmentOutcome.Pending, "31 was evicted");
}

export function test_a_datagram_too_big_for_the_budget_is_dropped_alone(): void {
  const cfg = budgetFor(2, 400);
  const r = new Reassembler(cfg);
  const data = pattern(2000);
  add(r, frag(40, data, 0, 400, true));
  add(r, frag(41, data, 0, 400, true));
  // 41 grows: 40 is evicted for it, and then 41 alone does not fit.
  assert(add(r, frag(41, data, 400, 400, true)) == FragmentOutcome.Pending);
  assert(r.evicted == 1 && r.inProgress == 1);
  assert(add(r, frag(41, data, 800, 800, true)) == FragmentOutcome.TooBig);
  assert(r.inProgress == 0 && r.bytesHeld == 0 && r.sources == 0);
}

export function test_a_source_over_its_share_loses_its_own_oldest_first(): void {
  const cfg = budgetFor(10, 400);
  cfg.maxBytesPerSource = charge(2 * 400, 2, 2);
  const r = new Reassembler(cfg);
  const X = ipv4(10, 0, 0, 7);
  const data = pattern(800);
  add(r, frag(50, data, 0, 400, true), seconds(1)); // from IP_A: the oldest of all
  add(r, frag(51, data, 0, 400, true, IpProtocol.UDP, X), seconds(2));
  add(r, frag(52, data, 0, 400, true, IpProtocol.UDP, X), seconds(3));
  assert(r.bytesHeldFor(X) == cfg.maxBytesPerSource && r.sources == 2);
  assert(add(r, frag(53, data, 0, 400, true, IpProtocol.UDP, X), seconds(4)) == FragmentOutcome.Pending);
  assert(r.evictedForSource == 1 && r.evicted == 0, "X's oldest went, not the oldest of all");
  assert(r.bytesHeldFor(X) == cfg.maxBytesPerSource && r.inProgress == 3);
  assert(add(r, frag(50, data, 400, 400, false)) == FragmentOutcome.Complete, "IP_A's datagram stayed");
  assert(add(r, frag(51, data, 400, 400, false, IpProtocol.UDP, X)) == FragmentOutcome.Pending, "51 was evicted");
  assert(add(r, frag(53, data, 400, 400, false, IpProtocol.UDP, X)) == FragmentOutcome.Complete);
}

export function test_a_datagram_larger_than_its_source_share_is_dropped(): void {
  const cfg = new ReassemblyConfig();
  cfg.maxBytesPerSource = charge(1000, 2);
  const r = new Reassembler(cfg);
  const data = pattern(2000);
  add(r, frag(60, data, 0, 800, true));
  assert(add(r, frag(60, data, 800, 800, true)) == FragmentOutcome.TooBig);
  assert(r.inProgress == 0 && r.bytesHeldFor(IP_A) == 0 && r.evictedForSource == 0);
}

export function test_one_host_flooding_cannot_push_out_another(): void {
  const r = new Reassembler();
  const X = ipv4(10, 0, 0, 66);
  const data = pattern(3000, 5);
  assert(add(r, frag(70, data, 0, 1480, true)) == FragmentOutcome.Pending);
  for (let i = 0; i < 10_000; i++) {
    add(r, orphan(X, <u16>i, 1480));
    assert(r.bytesHeldFor(X) <= r.config.maxBytesPerSource);
  }
  assert(r.evicted == 0 && r.evictedForSource > 9_900, "X pushed out only its own");
  assert(add(r, frag(70, data, 1480, 1480, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(70, data, 2960, 40, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "the other host's datagram");
}

/** Adds `n` orphans from distinct sources, numbered from `first`, of 8, 512 or 1480 bytes, checking the limits after each. */
function flood(r: Reassembler, first: i32, n: i32): void {
  const cap = r.config.maxBytes / REASSEMBLY_DATAGRAM_COST;
  for (let i = first; i < first + n; i++) {
    const len = i % 3 == 0 ? 8 : i % 3 == 1 ? 512 : 1480;
    assert(add(r, orphan(floodSource(i), <u16>i, len)) == FragmentOutcome.Pending);
    assert(r.bytesHeld <= r.config.maxBytes, "over the budget: " + r.bytesHeld.toString());
    assert(r.inProgress <= cap);
  }
}

export function test_a_datagram_completes_after_20000_incomplete_ones_from_as_many_sources(): void {
  const r = new Reassembler();
  flood(r, 0, 20_000);
  assert(r.evicted > 19_000 && r.evictedForSource == 0);
  const data = pattern(4000, 3);
  assert(add(r, frag(80, data, 0, 1480, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(80, data, 1480, 1480, true)) == FragmentOutcome.Pending);
  assert(add(r, frag(80, data, 2960, 1040, false)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "the legitimate datagram");
}

export function test_a_datagram_completes_with_a_flood_between_its_fragments(): void {
  const r = new Reassembler();
  flood(r, 0, 2_000);
  const data = pattern(4000, 4);
  assert(add(r, frag(81, data, 0, 1480, true)) == FragmentOutcome.Pending);
  flood(r, 2_000, 100);
  assert(add(r, frag(81, data, 2960, 1040, false)) == FragmentOutcome.Pending);
  flood(r, 2_100, 100);
  assert(add(r, frag(81, data, 1480, 1480, true)) == FragmentOutcome.Complete);
  assertBytes(r.datagram, data, "the legitimate datagram");
}

export function test_fragments_further_apart_than_the_budget_lasts_are_lost(): void {
  // The limit of the guarantee: a datagram is evicted once the flood has
  // filled the budget since its first fragment.
  const r = new Reassembler();
  const data = pattern(3000, 6);
  add(r, frag(82, data, 0, 1480, true));
  flood(r, 0, 2_000);
  add(r, frag(82, data, 1480, 1480, true));
  assert(add(r, frag(82, data, 2960, 40, false)) == FragmentOutcome.Pending, "fragment zero was evicted");
}

export function test_the_heap_stays_bounded_under_a_flood(): void {
  const r = new Reassembler();
  __collect();
  const before = memory.size();
  flood(r, 0, 20_000);
  // A few times the 320 KiB budget: garbage waits for the collector, and the
  // heap grows in doublings. Unbounded, 20,000 datagrams take about 12 MB.
  const grown = <i32>(memory.size() - before);
  assert(grown <= 32, "the heap grew by " + grown.toString() + " pages");
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
  assert(r.inProgress == 0 && r.bytesHeld == 0 && r.pollAt() == FOREVER && r.timedOut == 2);
  // A late fragment starts a new datagram rather than completing the old one.
  assert(add(r, frag(50, data, 16, 84, false), seconds(41)) == FragmentOutcome.Pending);
}

export function test_expiry_follows_the_arrival_of_first_fragments(): void {
  const r = new Reassembler();
  const data = pattern(100);
  const t = r.config.timeout;
  for (let i = 0; i < 5; i++) add(r, frag(<u16>(90 + i), data, 0, 16, true), seconds(i));
  // A later fragment of the oldest does not make it younger.
  add(r, frag(90, data, 16, 16, true), seconds(5));
  assert(r.pollAt() == t);
  add(r, frag(90, data, 32, 68, false), seconds(5));
  assert(r.pollAt() == seconds(1) + t, "90 completed: 91 is the oldest");
  assert(r.expire(seconds(2) + t) == 2 && r.inProgress == 2);
  assert(r.pollAt() == seconds(3) + t);
}

export function test_evicted_datagrams_get_no_time_exceeded(): void {
  const r = new Reassembler(budgetFor(2, 16));
  const data = pattern(100);
  add(r, frag(95, data, 0, 16, true), seconds(1));
  add(r, frag(96, data, 0, 16, true), seconds(2));
  add(r, frag(97, data, 0, 16, true), seconds(3)); // evicts 95
  assert(r.evicted == 1);
  assert(r.expire(seconds(100)) == 2 && r.timedOut == 2);
  assert(r.expired.length == 2, "96 and 97 timed out; 95 was evicted, and nothing tells its sender");
  for (let i = 0; i < 2; i++) assert(new Ipv4Packet(r.expired[i]).ident == <u16>(96 + i));
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
  net.run(net.b.config.reassembly.timeout - seconds(1));
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
