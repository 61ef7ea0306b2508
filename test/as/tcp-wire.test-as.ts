// lib/net/wire/tcp.ts (byte-level round trips, options, rejects, a fuzz that
// must never trap) and the pieces of lib/net/socket/tcp*: sequence
// arithmetic, the send and receive buffers, the RTO estimator, NewReno.
import { ipv4 } from "atoll/net/addr";
import { TcpPacket, TcpRepr, TcpFlags, TCP_HEADER_LEN, TCP_MAX_SACK_BLOCKS } from "atoll/net/wire/tcp";
import { WireError } from "atoll/net/wire/error";
import { seqLt, seqLe, seqGt, seqGe, seqDiff } from "atoll/net/socket/tcp-seq";
import { SendBuffer } from "atoll/net/socket/tcp-send";
import { MIN_BUFFER, minBufferPool } from "atoll/net/socket/tcp-buffer-memory";
import { RecvBuffer, MAX_RANGES } from "atoll/net/socket/tcp-recv";
import { MemoryBudget, unlimitedBudget } from "atoll/budget";
import { makeCookie, checkCookie, cookieMssIndex, cookieTimestamp, cookieOptionsFromEcho, CookieOptions } from "atoll/net/socket/tcp-syncookie";
import { RttEstimator } from "atoll/net/socket/tcp-rtt";
import { NewReno } from "atoll/net/socket/tcp-congestion";
import { windowShiftFor, effectiveMss } from "atoll/net/socket/tcp-options";
import { ms, seconds } from "atoll/time";
import { bytes, ascii, assertBytes, Rng } from "./net-util";
import { sumBytes, fold } from "atoll/net/wire/checksum";

const SRC = ipv4(10, 0, 0, 1);
const DST = ipv4(10, 0, 0, 2);

// The checksum's bulk loop sums 64-bit loads in little-endian order and
// swaps once (it was a fifth of the CPU of a bulk transfer against Linux):
// against the definition, 16-bit big-endian words, for every length and
// alignment a segment can have, and with a running sum carried in.
export function test_checksum_bulk_loop_matches_rfc1071_definition(): void {
  const rng = new Rng(77);
  const b = new Uint8Array(3100);
  for (let i = 0; i < b.length; i++) b[i] = <u8>rng.below(256);
  // All bytes 0xFF: the largest sums, to show no carry is lost.
  const ff = new Uint8Array(3100);
  ff.fill(0xFF);
  for (let round = 0; round < 2; round++) {
    const data = round == 0 ? b : ff;
    for (let len = 0; len <= 1600; len += (len < 40 ? 1 : 37)) {
      for (let off = 0; off < 8; off++) {
        let want: u64 = 0x1234;
        for (let i = 0; i + 1 < len; i += 2) want += (<u64>data[off + i] << 8) | <u64>data[off + i + 1];
        if ((len & 1) != 0) want += <u64>data[off + len - 1] << 8;
        const got = sumBytes(0x1234, data, off, len);
        if (fold(got) != fold(want)) assert(false, "len " + len.toString() + " off " + off.toString() + ": " + fold(got).toString(16) + " != " + fold(want).toString(16));
      }
    }
  }
}

function emitted(r: TcpRepr): Uint8Array {
  const b = new Uint8Array(r.bufferLen());
  r.emit(new TcpPacket(b), SRC, DST);
  return b;
}

// === wire ===========================================================================

export function test_wire_plain_header_bytes(): void {
  const r = TcpRepr.of(0x1234, 80, 0x01020304, 0x0A0B0C0D, TcpFlags.ACK | TcpFlags.PSH, 0x4000);
  r.payload = ascii("hi");
  const b = emitted(r);
  assertBytes(b.subarray(0, 16), bytes([0x12, 0x34, 0x00, 0x50, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D, 0x50, 0x18, 0x40, 0x00]), "header");
  assertBytes(b.subarray(20), ascii("hi"), "payload");
  const p = new TcpPacket(b);
  assert(p.verifyChecksum(SRC, DST));
  assert(!p.verifyChecksum(SRC, DST + 1), "the pseudo-header counts");
  const q = new TcpRepr();
  assert(q.parse(p, SRC, DST) == WireError.None);
  assert(q.seq == 0x01020304 && q.ack == 0x0A0B0C0D && q.flags == (TcpFlags.ACK | TcpFlags.PSH) && q.window == 0x4000);
  assertBytes(q.payload, ascii("hi"), "parsed payload");
  assert(q.mss == 0 && q.windowShift == -1 && !q.hasTimestamps && q.segLen == 2);
}

export function test_wire_syn_options_round_trip(): void {
  const r = TcpRepr.of(1000, 2000, 7, 0, TcpFlags.SYN, 65535);
  r.mss = 1460;
  r.windowShift = 7;
  r.sackPermitted = true;
  r.hasTimestamps = true;
  r.tsVal = 0xDEADBEEF;
  r.tsEcr = 0x01020304;
  const b = emitted(r);
  assert(b.length == 44, "20 + 4 + 4 + 4 + 12 bytes, got " + b.length.toString());
  assertBytes(b.subarray(20, 24), bytes([2, 4, 0x05, 0xB4]), "MSS");
  assertBytes(b.subarray(24, 28), bytes([1, 3, 3, 7]), "window scale");
  assertBytes(b.subarray(28, 32), bytes([1, 1, 4, 2]), "SACK permitted");
  assertBytes(b.subarray(32, 40), bytes([1, 1, 8, 10, 0xDE, 0xAD, 0xBE, 0xEF]), "timestamps");
  const q = new TcpRepr();
  assert(q.parse(new TcpPacket(b), SRC, DST) == WireError.None);
  assert(q.mss == 1460 && q.windowShift == 7 && q.sackPermitted && q.hasTimestamps);
  assert(q.tsVal == 0xDEADBEEF && q.tsEcr == 0x01020304 && q.segLen == 1);
}

function withOptions(flags: u16, opts: u8[]): Uint8Array {
  const hl = TCP_HEADER_LEN + ((opts.length + 3) & ~3);
  const b = new Uint8Array(hl);
  const p = new TcpPacket(b);
  p.srcPort = 1;
  p.dstPort = 2;
  p.setHeaderLenAndFlags(hl, flags);
  for (let i = 0; i < opts.length; i++) b[20 + i] = opts[i];
  p.fillChecksum(SRC, DST);
  return b;
}

export function test_wire_options_unknown_skipped_eol_stops_shift_clamped(): void {
  const q = new TcpRepr();
  assert(q.parse(new TcpPacket(withOptions(TcpFlags.SYN, [30, 4, 9, 9, 3, 3, 20, 0, 2, 4, 1, 0])), SRC, DST) == WireError.None);
  assert(q.windowShift == 14, "a shift above 14 counts as 14");
  assert(q.mss == 0, "EOL ends the list");
  // MSS and window scale on a segment without SYN mean nothing.
  assert(q.parse(new TcpPacket(withOptions(TcpFlags.ACK, [2, 4, 1, 0])), SRC, DST) == WireError.None);
  assert(q.mss == 0);
}

export function test_wire_rejects(): void {
  const q = new TcpRepr();
  assert(q.parse(new TcpPacket(new Uint8Array(19)), SRC, DST) == WireError.Truncated);
  const good = emitted(TcpRepr.of(1, 2, 0, 0, TcpFlags.ACK, 0));
  const shortOff = good.slice(0);
  shortOff[12] = 0x40;
  assert(q.parse(new TcpPacket(shortOff), SRC, DST) == WireError.BadLength);
  const longOff = good.slice(0);
  longOff[12] = 0x60;
  assert(q.parse(new TcpPacket(longOff), SRC, DST) == WireError.Truncated);
  const sum = good.slice(0);
  sum[17] ^= 1;
  assert(q.parse(new TcpPacket(sum), SRC, DST) == WireError.BadChecksum);
  assert(q.parse(new TcpPacket(emitted(TcpRepr.of(1, 0, 0, 0, TcpFlags.ACK, 0))), SRC, DST) == WireError.Malformed, "port 0");
  assert(q.parse(new TcpPacket(emitted(TcpRepr.of(1, 2, 0, 0, TcpFlags.SYN | TcpFlags.FIN, 0))), SRC, DST) == WireError.Malformed, "SYN+FIN");
  assert(q.parse(new TcpPacket(emitted(TcpRepr.of(1, 2, 0, 0, TcpFlags.SYN | TcpFlags.RST, 0))), SRC, DST) == WireError.Malformed, "SYN+RST");
  assert(q.parse(new TcpPacket(withOptions(TcpFlags.SYN, [2, 6, 5, 0])), SRC, DST) == WireError.Malformed, "option past the header");
  assert(q.parse(new TcpPacket(withOptions(TcpFlags.SYN, [2, 1, 0, 0])), SRC, DST) == WireError.Malformed, "option length 1");
  assert(q.parse(new TcpPacket(withOptions(TcpFlags.SYN, [8, 6, 0, 0, 0, 0])), SRC, DST) == WireError.Malformed, "timestamps of length 6");
}

// --- SACK (RFC 2018 §3) ---------------------------------------------------------------

function sackOpt(blocks: u32[]): u8[] {
  const o: u8[] = [1, 1, 5, <u8>(2 + 4 * blocks.length)];
  for (let i = 0; i < blocks.length; i++) {
    const v = blocks[i];
    o.push(<u8>(v >>> 24)); o.push(<u8>(v >>> 16)); o.push(<u8>(v >>> 8)); o.push(<u8>v);
  }
  return o;
}

function parsed(b: Uint8Array): TcpRepr {
  const q = new TcpRepr();
  assert(q.parse(new TcpPacket(b), SRC, DST) == WireError.None, "parses");
  return q;
}

export function test_wire_sack_blocks_round_trip(): void {
  const r = TcpRepr.of(1000, 2000, 7, 9, TcpFlags.ACK, 100);
  assert(r.addSackBlock(0x1000, 0x2000) && r.addSackBlock(0xFFFF_FF00, 0x100) && r.addSackBlock(5, 6));
  const b = emitted(r);
  assert(b.length == 20 + 4 + 24, "NOP NOP 5 26 and three blocks: " + b.length.toString());
  assertBytes(b.subarray(20, 32), bytes([1, 1, 5, 26, 0, 0, 0x10, 0, 0, 0, 0x20, 0]), "option head and first block");
  const q = parsed(b);
  assert(q.sackCount == 3, "blocks " + q.sackCount.toString());
  assert(q.sackLeft[0] == 0x1000 && q.sackRight[0] == 0x2000);
  assert(q.sackLeft[1] == 0xFFFF_FF00 && q.sackRight[1] == 0x100, "a block across the wrap of sequence space");
  assert(q.sackLeft[2] == 5 && q.sackRight[2] == 6);
  // Reused for another segment, the Repr forgets them.
  q.clearOptions();
  assert(q.sackCount == 0);
}

export function test_wire_sack_emission_fits_the_40_option_bytes(): void {
  const r = TcpRepr.of(1000, 2000, 7, 9, TcpFlags.ACK, 100);
  for (let i = 0; i < TCP_MAX_SACK_BLOCKS; i++) assert(r.addSackBlock(<u32>(i * 100), <u32>(i * 100 + 50)));
  assert(!r.addSackBlock(1000, 1050), "a fifth block has no room in any header");
  assert(r.sackRoom() == 4);
  let b = emitted(r);
  assert(b.length == 20 + 36 && parsed(b).sackCount == 4, "four blocks without timestamps");
  // Beside timestamps (12 bytes): 4 + 3 * 8 = 28 more, 40 in all.
  r.hasTimestamps = true;
  r.tsVal = 1;
  assert(r.sackRoom() == 3);
  b = emitted(r);
  assert(b.length == 60, "a full header: " + b.length.toString());
  const q = parsed(b);
  assert(q.sackCount == 3 && q.hasTimestamps && q.sackLeft[2] == 200, "the first three go");
  // Beside MSS, window scale, SACK-permitted and timestamps (24 bytes): one.
  const syn = TcpRepr.of(1, 2, 0, 0, TcpFlags.SYN, 100);
  syn.mss = 1460; syn.windowShift = 7; syn.sackPermitted = true; syn.hasTimestamps = true;
  assert(syn.sackRoom() == 1);
}

export function test_wire_sack_malformed_is_ignored_not_fatal(): void {
  // A length that is not 2 + 8n: the option is skipped, the rest still read.
  let q = parsed(withOptions(TcpFlags.ACK, [5, 9, 0, 0, 0, 1, 0, 0, 0, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9]));
  assert(q.sackCount == 0 && q.hasTimestamps && q.tsVal == 7, "bad length skipped, timestamps read");
  q = parsed(withOptions(TcpFlags.ACK, [5, 2]));
  assert(q.sackCount == 0, "no blocks at all");
  // Blocks whose left edge is not below the right are dropped one by one.
  q = parsed(withOptions(TcpFlags.ACK, sackOpt([20, 10, 30, 30, 40, 50])));
  assert(q.sackCount == 1 && q.sackLeft[0] == 40 && q.sackRight[0] == 50, "only the sane block: " + q.sackCount.toString());
  // A block spanning more than half of sequence space reads as left >= right.
  q = parsed(withOptions(TcpFlags.ACK, sackOpt([0, 0x8000_0001])));
  assert(q.sackCount == 0);
  // On a SYN blocks mean nothing; a second SACK option is ignored.
  q = parsed(withOptions(TcpFlags.SYN, sackOpt([1, 2])));
  assert(q.sackCount == 0, "SYN");
  const two = sackOpt([1, 2]).concat(sackOpt([3, 4]));
  q = parsed(withOptions(TcpFlags.ACK, two));
  assert(q.sackCount == 1 && q.sackLeft[0] == 1, "the first option counts");
  // Framing errors stay errors, as for every option.
  const t = new TcpRepr();
  assert(t.parse(new TcpPacket(withOptions(TcpFlags.ACK, [1, 1, 5, 34, 0, 0, 0, 1])), SRC, DST) == WireError.Malformed, "past the header");
}

export function test_wire_sack_fuzz_never_traps(): void {
  const rng = new Rng(2018);
  const q = new TcpRepr();
  let blocks = 0;
  for (let i = 0; i < 20000; i++) {
    // A SACK option of random blocks, mostly of a sane length, sometimes
    // not; or random option bytes.
    const o: u8[] = [];
    if (rng.below(4) != 0) {
      const len = rng.below(3) == 0 ? rng.below(41) : 2 + 8 * (1 + rng.below(4));
      o.push(5);
      o.push(<u8>len);
      for (let k = 2; k < len; k++) o.push(<u8>rng.next());
    } else {
      const n = 1 + rng.below(40);
      for (let k = 0; k < n; k++) o.push(<u8>rng.next());
    }
    const b = withOptions(TcpFlags.ACK, o);
    if (q.parse(new TcpPacket(b), SRC, DST) == WireError.None) {
      assert(q.sackCount >= 0 && q.sackCount <= TCP_MAX_SACK_BLOCKS);
      for (let k = 0; k < q.sackCount; k++) assert(<i32>(q.sackRight[k] - q.sackLeft[k]) > 0, "left < right");
      blocks += q.sackCount;
    }
  }
  assert(blocks > 1000, "blocks were parsed: " + blocks.toString());
}

export function test_wire_fuzz_never_traps(): void {
  const rng = new Rng(77);
  const r = TcpRepr.of(1000, 2000, 7, 9, TcpFlags.SYN | TcpFlags.ACK, 65535);
  r.mss = 1460;
  r.windowShift = 7;
  r.hasTimestamps = true;
  r.payload = ascii("some payload bytes");
  const base = emitted(r);
  const q = new TcpRepr();
  let ok = 0;
  for (let i = 0; i < 20000; i++) {
    const m = rng.mutate(base);
    // Repair the checksum half the time so the option parser sees the mutations.
    if (m.length >= 20 && rng.below(2) == 0) new TcpPacket(m).fillChecksum(SRC, DST);
    if (q.parse(new TcpPacket(m), SRC, DST) == WireError.None) ok++;
  }
  assert(ok > 100, "some mutations still parse: " + ok.toString());
}

// === sequence numbers ===============================================================

export function test_seq_compare_across_wrap(): void {
  assert(seqLt(0xFFFF_FFF0, 0x10) && seqGt(0x10, 0xFFFF_FFF0));
  assert(seqLe(5, 5) && seqGe(5, 5) && !seqLt(5, 5));
  assert(seqDiff(0x10, 0xFFFF_FFF0) == 0x20);
  assert(seqDiff(0xFFFF_FFF0, 0x10) == -0x20);
}

// === send buffer ====================================================================

export function test_send_buffer_write_consume_compact(): void {
  const b = new SendBuffer(10, unlimitedBudget(), minBufferPool());
  assert(b.write(ascii("abcdefgh"), 0, 8) == 8);
  assert(b.write(ascii("xyz"), 0, 3) == 2, "only what fits");
  b.consume(6);
  assert(b.length == 4 && b.free == 6);
  assert(b.write(ascii("12345"), 0, 5) == 5, "compacts to make room at the tail");
  assertBytes(b.view(0, 9), ascii("ghxy12345"), "contents after compaction");
  b.consume(100);
  assert(b.length == 0);
}

export function test_send_buffer_memory_follows_what_is_held(): void {
  const budget = new MemoryBudget(1 << 20);
  const b = new SendBuffer(64 * 1024, budget, minBufferPool());
  assert(b.capacity == 0 && budget.used == 0, "nothing allocated before a write");
  b.write(new Uint8Array(100), 0, 100);
  assert(b.capacity == MIN_BUFFER && budget.used == <i64>MIN_BUFFER, "the minimum first: " + b.capacity.toString());
  b.write(new Uint8Array(10000), 0, 10000);
  assert(b.capacity == 16384 && budget.used == 16384, "doubled to fit: " + b.capacity.toString());
  b.consume(5000);
  assert(b.capacity == 16384, "kept while bytes are unacknowledged");
  b.consume(5100);
  assert(b.capacity == 0 && budget.used == 0, "all acknowledged: the memory goes back");
}

export function test_send_buffer_takes_what_the_budget_grants(): void {
  const budget = new MemoryBudget(10000);
  const a = new SendBuffer(64 * 1024, budget, minBufferPool());
  assert(a.write(new Uint8Array(9000), 0, 9000) == 9000);
  assert(budget.used == 10000, "granted short of a doubling: " + budget.used.toString());
  const b = new SendBuffer(64 * 1024, budget, minBufferPool());
  // The budget is spent, but every buffer may hold the minimum.
  assert(b.write(new Uint8Array(9000), 0, 9000) == MIN_BUFFER, "only the minimum");
  assert(budget.refused > 0);
  a.clear();
  b.clear();
  assert(budget.used == 0, "all given back: " + budget.used.toString());
}

// === receive buffer =================================================================

export function test_recv_buffer_memory_and_window_follow_the_budget(): void {
  const budget = new MemoryBudget(40000);
  const r = new RecvBuffer(64 * 1024, budget, minBufferPool());
  assert(r.capacity == 0 && r.window == 64 * 1024, "the whole window offered, nothing allocated");
  assert(r.insert(0, new Uint8Array(1000)) == 1000);
  assert(r.capacity == MIN_BUFFER && budget.used == <i64>MIN_BUFFER);
  // Out of order far ahead: the ring grows to hold it.
  assert(r.insert(20000, new Uint8Array(1000)) == 0 && r.capacity == 32768);
  const other = new RecvBuffer(64 * 1024, budget, minBufferPool());
  assert(other.room(0, 20000) == 40000 - 32768, "only what is left of the budget: " + other.room(0, 20000).toString());
  assert(budget.tight, "all reserved");
  assert(other.window == other.capacity, "a tight budget offers only what the ring holds: " + other.window.toString());
  const out = new Uint8Array(1000);
  assert(r.read(out, 0, 1000) == 1000);
  assert(r.capacity == 32768, "the out-of-order bytes are still held");
  r.clear();
  other.clear();
  assert(budget.used == 0, "given back: " + budget.used.toString());
}

export function test_recv_buffer_in_order_and_out_of_order(): void {
  const b = new RecvBuffer(16, unlimitedBudget(), minBufferPool());
  assert(b.insert(0, ascii("abc")) == 3);
  assert(b.insert(3, ascii("ghi")) == 0 && b.ranges == 1, "after a gap: held");
  assert(b.insert(9, ascii("mn")) == 0 && b.ranges == 2);
  // The caller trims; an exact fill joins both ranges.
  const c = new RecvBuffer(16, unlimitedBudget(), minBufferPool());
  c.insert(0, ascii("abc"));
  c.insert(3, ascii("ghi"));
  c.insert(9, ascii("mn"));
  assert(c.insert(0, ascii("def")) == 6, "fills the gap and takes the range after it");
  assert(c.length == 9 && c.ranges == 1);
  assert(c.insert(0, ascii("jkl")) == 5);
  const all = new Uint8Array(14);
  assert(c.read(all, 0, 14) == 14);
  assertBytes(all, ascii("abcdefghijklmn"), "stream");
}

export function test_recv_buffer_wraps_around(): void {
  const b = new RecvBuffer(8, unlimitedBudget(), minBufferPool());
  b.insert(0, ascii("abcdef"));
  const out = new Uint8Array(8);
  assert(b.read(out, 0, 5) == 5);
  assert(b.insert(2, ascii("ijkl")) == 0);
  assert(b.insert(0, ascii("gh")) == 6);
  const all = new Uint8Array(7);
  assert(b.read(all, 0, 7) == 7);
  assertBytes(all, ascii("fghijkl"), "across the end of the ring");
}

export function test_recv_buffer_bounds_ranges(): void {
  const b = new RecvBuffer(1024, unlimitedBudget(), minBufferPool());
  for (let i = 0; i < MAX_RANGES; i++) assert(b.insert(2 + i * 2, ascii("x")) == 0);
  assert(b.ranges == MAX_RANGES);
  assert(b.insert(900, ascii("y")) == -1, "one range too many is dropped");
  assert(b.insert(3, ascii("z")) == 0, "a segment joining existing ranges is still taken");
  assert(b.ranges == MAX_RANGES - 1);
}

// === RTO (RFC 6298) =================================================================

export function test_rtt_first_sample_backoff_and_clamps(): void {
  const r = new RttEstimator(seconds(1), ms(200), seconds(60));
  assert(r.rto == seconds(1), "initial RTO");
  r.sample(ms(100));
  // SRTT 100 ms, RTTVAR 50 ms: 100 + 4 * 50 = 300 ms.
  assert(r.rto == ms(300), "after one sample: " + r.rto.toString());
  r.backoff();
  r.backoff();
  assert(r.rto == ms(1200), "doubled twice");
  for (let i = 0; i < 20; i++) r.backoff();
  assert(r.rto == seconds(60), "capped");
  r.sample(ms(100));
  assert(r.backoffs == 0 && r.rto < seconds(1), "a sample ends the backoff");
  const tiny = new RttEstimator(seconds(1), ms(200), seconds(60));
  tiny.sample(ms(1));
  assert(tiny.rto == ms(200), "floored at the minimum");
}

// === NewReno (RFC 5681, RFC 6582) ===================================================

export function test_newreno_slow_start_then_avoidance(): void {
  const c = new NewReno(1000, 0);
  assert(c.cwnd == 4000, "IW for a 1000-byte MSS");
  c.onNewAck(1000, 1000, 0);
  assert(c.cwnd == 5000, "slow start: one MSS per ACK");
  c.ssthresh = 5000;
  for (let i = 0; i < 4; i++) c.onNewAck(0, 1000, 0);
  assert(c.cwnd == 5000, "avoidance: not yet a window's worth");
  c.onNewAck(0, 1000, 0);
  assert(c.cwnd == 6000, "one MSS per window");
}

export function test_newreno_fast_recovery_and_partial_acks(): void {
  const c = new NewReno(1000, 0);
  c.cwnd = 10000;
  assert(!c.onDupAck(1, 10000, 10001) && !c.onDupAck(1, 10000, 10001));
  assert(c.onDupAck(1, 10000, 10001), "third duplicate: fast retransmit");
  assert(c.inRecovery && c.ssthresh == 5000 && c.cwnd == 8000);
  c.onDupAck(1, 10000, 10001);
  assert(c.cwnd == 9000, "inflation");
  assert(c.onNewAck(3001, 3000, 7000), "partial ACK");
  assert(c.inRecovery && c.cwnd == 7000, "deflated by 3000, plus one MSS: " + c.cwnd.toString());
  assert(!c.onNewAck(10001, 7000, 0), "full ACK");
  // RFC 6582 §3.2 step 3: min(ssthresh, max(FlightSize, SMSS) + SMSS), two segments with none in flight.
  assert(!c.inRecovery && c.cwnd == 2000, "min(ssthresh, max(flight, MSS) + MSS): " + c.cwnd.toString());
  const d = new NewReno(1000, 0);
  d.cwnd = 10000;
  for (let i = 0; i < 3; i++) d.onDupAck(1, 10000, 10001);
  d.onNewAck(10001, 10000, 6000);
  assert(d.cwnd == 5000, "capped at ssthresh: " + d.cwnd.toString());
}

export function test_newreno_timeout(): void {
  const c = new NewReno(1000, 0);
  c.cwnd = 20000;
  c.onTimeout(16000, 16001, true);
  assert(c.cwnd == 1000 && c.ssthresh == 8000);
  c.onTimeout(16000, 16001, false);
  assert(c.ssthresh == 8000, "held on repeated timeouts");
  // Duplicate ACKs below `recover` do not start a recovery (RFC 6582 §3.2 step 2).
  for (let i = 0; i < 3; i++) assert(!c.onDupAck(500, 1000, 16001));
}

// === negotiation ====================================================================

export function test_options_window_shift_and_mss(): void {
  assert(windowShiftFor(65535) == 0 && windowShiftFor(65536) == 1 && windowShiftFor(1 << 20) == 5);
  assert(windowShiftFor(1 << 30) == 14);
  assert(effectiveMss(0, 1500, false) == 536, "RFC 9293 §3.7.1 default");
  assert(effectiveMss(9000, 1500, true) == 1460 - 12);
  assert(effectiveMss(1200, 1500, false) == 1200);
}

// === SYN cookies (RFC 4987 §3.6) =====================================================

export function test_syn_cookie_round_trip_tuple_and_age(): void {
  const t0: i64 = 1000 * 64_000_000_000;
  const c = makeCookie(SRC, DST, 40000, 80, 0x12345678, 2, t0);
  assert(checkCookie(SRC, DST, 40000, 80, 0x12345678, c, t0) == 2, "its own cookie");
  assert(checkCookie(SRC, DST, 40000, 80, 0x12345678, c, t0 + 64_000_000_000) == 2, "good in the next tick");
  assert(checkCookie(SRC, DST, 40000, 80, 0x12345678, c, t0 + 128_000_000_000) == -1, "too old two ticks later");
  assert(checkCookie(SRC, DST, 40001, 80, 0x12345678, c, t0) == -1, "another port");
  assert(checkCookie(DST, SRC, 40000, 80, 0x12345678, c, t0) == -1, "other addresses");
  // The client's ISN is added, not hashed (as in Linux's layout): one a few
  // units off shifts the index, one further off fails.
  assert(checkCookie(SRC, DST, 40000, 80, 0x12345678 + 0x1000, c, t0) == -1, "another client ISN");
  // A random guess passes about once in 2^22 (the index must also be below 4).
  const rng = new Rng(5);
  let passed = 0;
  for (let i = 0; i < 100000; i++) if (checkCookie(SRC, DST, 40000, 80, 0x12345678, rng.next(), t0) >= 0) passed++;
  assert(passed <= 2, "guesses that passed: " + passed.toString());
  assert(cookieMssIndex(1460) == 3 && cookieMssIndex(1459) == 2 && cookieMssIndex(536) == 0 && cookieMssIndex(100) == 0 && cookieMssIndex(9000) == 3);
}

export function test_syn_cookie_options_ride_in_the_timestamp(): void {
  const o = new CookieOptions();
  for (let shift = -1; shift <= 14; shift++) {
    for (let sack = 0; sack < 2; sack++) {
      const now: u32 = 0x1234_5678 + <u32>shift * 977;
      const ts = cookieTimestamp(now, shift, sack == 1);
      assert(ts <= now && now - ts < 64, "never ahead, at most 63 behind");
      cookieOptionsFromEcho(ts, o);
      assert(o.windowShift == shift && o.sackPermitted == (sack == 1) && o.timestamps, "shift " + shift.toString());
    }
  }
}
