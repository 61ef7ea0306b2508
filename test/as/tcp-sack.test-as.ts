// SACK in lib/net's TCP: the sender's scoreboard (tcp-scoreboard.ts), RFC
// 6675's recovery (tcp-sack-recovery.ts) step by step, the receiver's
// blocks (tcp-sack-report.ts), then a connection against segment templates
// (tcp-harness.ts: negotiation, the blocks our ACKs carry, forged blocks,
// two holes repaired before any cumulative ACK), and two stacks on the
// in-memory link losing several segments of one window: SACK repairs them
// in about one round trip, NewReno in one round trip per loss.
import { unlimitedBudget } from "atoll/budget";
import { minBufferPool } from "atoll/net/socket/tcp-buffer-memory";
import { TcpFlags, TcpRepr } from "atoll/net/wire/tcp";
import { TcpSocket, TcpError, TcpConfig } from "atoll/net/socket/tcp";
import { TcpListener } from "atoll/net/socket/tcp-listener";
import { TcpState } from "atoll/net/socket/tcp-state";
import { NewReno } from "atoll/net/socket/tcp-congestion";
import { RecvBuffer } from "atoll/net/socket/tcp-recv";
import { Scoreboard, SCOREBOARD_RANGES } from "atoll/net/socket/tcp-scoreboard";
import { SackRecovery, SackEvent, NextSeg, firstBlockIsDsack, dsackCovers } from "atoll/net/socket/tcp-sack-recovery";
import { SackReport } from "atoll/net/socket/tcp-sack-report";
import { seqLt } from "atoll/net/socket/tcp-seq";
import { TwoStacks, FrameFilter, IP_A, IP_B, simNow } from "./net-link";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { ms } from "atoll/time";
import { StreamPeer, StreamAcceptor, fastConfig } from "./tcp-util";
import { Rng } from "./net-util";
import { H, Accepts, plainConfig, seg, expectSeg, expectState, describe, REMOTE, REMOTE_PORT, LOCAL_PORT, RISS } from "./tcp-harness";
import { AbiConsole } from "atoll/console";

const out = new AbiConsole();
const SYN = TcpFlags.SYN;
const ACK = TcpFlags.ACK;

/** An ACK at `ack` with SACK blocks [b[0], b[1]), [b[2], b[3]), ... */
function sackAck(ack: u32, b: u32[]): TcpRepr {
  const r = TcpRepr.of(REMOTE_PORT, LOCAL_PORT, RISS + 1, ack, ACK, 8192);
  for (let i = 0; i + 1 < b.length; i += 2) r.addSackBlock(b[i], b[i + 1]);
  return r;
}

function blocksText(r: TcpRepr): string {
  let s = "";
  for (let i = 0; i < r.sackCount; i++) s += "[" + r.sackLeft[i].toString() + "," + r.sackRight[i].toString() + ")";
  return s == "" ? "none" : s;
}

/** Asserts the blocks of `r`, given as pairs. */
function expectBlocks(r: TcpRepr, want: u32[]): void {
  let ok = r.sackCount * 2 == want.length;
  for (let i = 0; ok && i < r.sackCount; i++) ok = r.sackLeft[i] == want[2 * i] && r.sackRight[i] == want[2 * i + 1];
  if (!ok) {
    let w = "";
    for (let i = 0; i + 1 < want.length; i += 2) w += "[" + want[i].toString() + "," + want[i + 1].toString() + ")";
    assert(false, "SACK blocks " + blocksText(r) + ", want " + (w == "" ? "none" : w));
  }
}

// === the scoreboard ====================================================================

export function test_scoreboard_merges_clips_and_counts_new_bytes(): void {
  const b = new Scoreboard();
  const una: u32 = 1000;
  const max: u32 = 10000;
  assert(b.add(2000, 3000, una, max) == 1000);
  assert(b.add(2500, 3500, una, max) == 500, "an overlap counts once");
  assert(b.add(3500, 4000, una, max) == 500 && b.count == 1, "touching ranges merge");
  assert(b.add(500, 1500, una, max) == 500 && b.count == 2 && b.start(0) == 1000, "clipped at snd.una");
  assert(b.add(5000, 10001, una, max) == 0, "beyond snd.max: ignored whole");
  assert(b.add(300, 900, una, max) == 0, "below snd.una (a D-SACK): nothing new");
  assert(b.add(6000, 6000, una, max) == 0 && b.add(7000, 6000, una, max) == 0, "left >= right");
  assert(b.add(2200, 2300, una, max) == 0, "inside a range: nothing new");
  assert(b.sacked == 2500 && b.count == 2);
  b.advance(2500);
  assert(b.count == 1 && b.start(0) == 2500 && b.end(0) == 4000 && b.sacked == 1500, "acknowledged bytes leave the board");
  assert(b.isSacked(3000) && !b.isSacked(4000) && !b.isSacked(2499));
  // One block swallowing several ranges.
  b.add(5000, 5100, 2500, max);
  b.add(6000, 6100, 2500, max);
  assert(b.count == 3);
  assert(b.add(4000, 8000, 2500, max) == 4000 - 200, "new bytes: the block less what was held");
  assert(b.count == 1 && b.start(0) == 2500 && b.end(0) == 8000 && b.sacked == 5500);
  // Across the wrap of sequence space.
  const w = new Scoreboard();
  assert(w.add(0xFFFF_FF00, 0x100, 0xFFFF_FE00, 0x1000) == 0x200 && w.isSacked(0) && w.isSacked(0xFFFF_FFFF));
  w.clear();
  assert(w.count == 0 && w.sacked == 0);
}

export function test_scoreboard_stays_bounded_whatever_a_peer_sends(): void {
  const b = new Scoreboard();
  // 1,000 disjoint blocks, lowest first: the first SCOREBOARD_RANGES stay.
  for (let i = 0; i < 1000; i++) b.add(<u32>(i * 100 + 10), <u32>(i * 100 + 20), 0, 1_000_000);
  assert(b.count == SCOREBOARD_RANGES, "ranges " + b.count.toString());
  assert(b.end(b.count - 1) == <u32>((SCOREBOARD_RANGES - 1) * 100 + 20), "the lowest are kept");
  // A lower block displaces the highest (holes low down are repaired first).
  b.add(5, 8, 0, 1_000_000);
  assert(b.count == SCOREBOARD_RANGES && b.start(0) == 5 && b.end(b.count - 1) == <u32>((SCOREBOARD_RANGES - 2) * 100 + 20));
  // Random blocks, sane and not: the invariants hold.
  const rng = new Rng(6675);
  let una: u32 = 0;
  for (let i = 0; i < 100_000; i++) {
    const l = una + <u32>rng.below(200_000) - 1000;
    b.add(l, l + <u32>rng.below(3000) - 100, una, una + 150_000);
    if (rng.below(100) == 0) {
      una += <u32>rng.below(5000);
      b.advance(una);
    }
    assert(b.count <= SCOREBOARD_RANGES);
  }
  let sum: u32 = 0;
  for (let i = 0; i < b.count; i++) {
    assert(seqLt(b.start(i), b.end(i)), "a range is not empty");
    assert(i == 0 || seqLt(b.end(i - 1), b.start(i)), "sorted, disjoint, not touching");
    assert(!seqLt(b.start(i), una), "nothing below snd.una");
    sum += b.end(i) - b.start(i);
  }
  assert(sum == b.sacked, "sacked " + b.sacked.toString() + " is the sum " + sum.toString());
}

export function test_scoreboard_is_lost_rule(): void {
  const b = new Scoreboard();
  b.add(1000, 3000, 0, 20000);
  assert(!b.isLost(0, 3, 1000), "two segments above: reordering, perhaps");
  b.add(3500, 3600, 0, 20000);
  assert(b.isLost(0, 3, 1000), "more than two segments' worth above");
  assert(!b.isLost(3000, 3, 1000), "only 100 bytes above 3000");
  const small = new Scoreboard();
  small.add(100, 110, 0, 1000);
  small.add(200, 210, 0, 1000);
  small.add(300, 310, 0, 1000);
  assert(small.isLost(0, 3, 1000), "three small segments above, in three ranges");
  assert(!small.isLost(150, 3, 1000), "two ranges above 150");
}

// === RFC 6675, step by step ==============================================================

class Rec {
  cc: NewReno = new NewReno(1000, 0);
  r: SackRecovery = new SackRecovery();
  una: u32 = 0;
  max: u32;
  constructor(max: u32, cwnd: u32) {
    this.max = max;
    this.cc.cwnd = cwnd;
  }
  ack(ack: u32, blocks: u32[], dup: bool = true): SackEvent {
    if (seqLt(this.una, ack)) {
      this.cc.onNewAck(ack, ack - this.una, this.max - ack, true);
      this.una = ack;
    }
    return this.r.onAck(sackAck(ack, blocks), dup, this.cc, this.una, this.max, 1000);
  }
  get pipe(): u32 { return this.r.pipe(this.una, this.max, 1000); }
  /** NextSeg() with cwnd's room as the connection computes it; new data "sent" moves snd.max. */
  next(canSendNew: bool): NextSeg {
    const pipe = this.pipe;
    const k = this.r.nextSeg(this.una, this.max, 1000, pipe + 1000 <= this.cc.cwnd, canSendNew, pipe, this.cc.recover);
    if (k == NextSeg.NewData) this.max += 1000;
    return k;
  }
  expect(k: NextSeg, seq: u32, len: i32): void {
    const got = this.next(false);
    assert(got == k && this.r.nextSeq == seq && this.r.nextLen == len,
      "NextSeg " + got.toString() + " [" + this.r.nextSeq.toString() + " +" + this.r.nextLen.toString() + "], want " + k.toString() + " [" + seq.toString() + " +" + len.toString() + "]");
  }
}

export function test_recovery_starts_when_snd_una_is_lost_and_resends_holes_lowest_first(): void {
  // Ten segments of 1000 out; 0 and 2 are lost.
  const x = new Rec(10000, 10000);
  assert(x.ack(0, [1000, 2000]) == SackEvent.None && x.cc.dupAcks == 1);
  assert(x.ack(0, [3000, 4000, 1000, 2000]) == SackEvent.None && x.cc.dupAcks == 2);
  // Three segments above snd.una are SACKed: IsLost(snd.una) (step 2), before a third duplicate counted.
  const a = new Rec(10000, 10000);
  a.ack(0, [1000, 2000]);
  assert(a.ack(0, [3000, 5000, 1000, 2000], false) == SackEvent.Recovery, "IsLost(HighACK + 1) starts recovery");
  // Step (4): RecoveryPoint = HighData, ssthresh = cwnd = FlightSize / 2.
  assert(x.ack(0, [3000, 6000, 1000, 2000]) == SackEvent.Recovery);
  assert(x.cc.inRecovery && x.cc.recover == 10000 && x.cc.ssthresh == 5000 && x.cc.cwnd == 5000);
  // Pipe: holes [0,1000) and [2000,3000) are lost, [6000,10000) is in flight.
  assert(x.pipe == 4000, "pipe " + x.pipe.toString());
  x.expect(NextSeg.Retransmit, 0, 1000);
  assert(x.pipe == 5000, "the retransmission is in the network: " + x.pipe.toString());
  x.expect(NextSeg.None, 0, 1000);
  // One more segment SACKed leaves room: the next lost hole (rule 1).
  x.ack(0, [3000, 7000, 1000, 2000]);
  x.expect(NextSeg.Retransmit, 2000, 1000);
  x.expect(NextSeg.None, 2000, 1000);
  x.ack(0, [3000, 8000, 1000, 2000]);
  // Rule 2: new data before anything else...
  assert(x.next(true) == NextSeg.NewData && x.max == 11000);
  // ...rule 3 has no hole left above HighRxt below the highest SACK, and
  // rule 4 waits for snd.una to pass the first retransmission.
  x.ack(0, [3000, 9000, 1000, 2000]);
  x.expect(NextSeg.None, 2000, 1000);
  // The first retransmission arrived: a partial ACK. The tail not SACKed
  // gets its one rescue, ending at the highest byte not SACKed.
  assert(x.ack(2000, [3000, 9000], false) == SackEvent.None && x.cc.inRecovery);
  x.expect(NextSeg.Rescue, 10000, 1000);
  x.expect(NextSeg.None, 10000, 1000);
  // Everything up to RecoveryPoint acknowledged: recovery is over.
  x.ack(10000, [], false);
  assert(!x.cc.inRecovery && x.cc.cwnd >= 1000);
}

export function test_recovery_rule_3_resends_holes_not_yet_lost_when_no_new_data_can_go(): void {
  const x = new Rec(10000, 12000);
  // [0,1000) lost for sure; [4000,5000) has only two segments above it.
  x.ack(0, [1000, 4000, 5000, 7000]);
  assert(x.cc.inRecovery);
  x.expect(NextSeg.Retransmit, 0, 1000);
  x.ack(0, [1000, 4000, 5000, 7000, 7000, 8000]);
  // [4000,5000) now has 3000 bytes above: lost (rule 1).
  x.expect(NextSeg.Retransmit, 4000, 1000);
  // [4000,5000) with 1500 bytes SACKed above it is not lost; with no new
  // data to send, rule 3 resends it once pipe leaves room.
  const y = new Rec(7000, 7000);
  y.ack(0, [1000, 4000, 5000, 6500]);
  assert(y.cc.inRecovery && y.cc.cwnd == 3500);
  y.expect(NextSeg.Retransmit, 0, 1000);
  assert(y.pipe == 2500, "pipe " + y.pipe.toString());
  y.expect(NextSeg.Retransmit, 4000, 1000);
  y.expect(NextSeg.None, 4000, 1000);
}

export function test_recovery_finds_a_lost_retransmission_of_snd_una(): void {
  // Twenty segments out, the first lost; its retransmission is lost too.
  const x = new Rec(20000, 20000);
  x.ack(0, [1000, 2000]);
  x.ack(0, [1000, 3000]);
  assert(x.ack(0, [1000, 4000]) == SackEvent.Recovery);
  const pipeAtResend = x.pipe;
  assert(pipeAtResend == 16000, "pipe " + pipeAtResend.toString());
  x.expect(NextSeg.Retransmit, 0, 1000);
  // Segments sent before the retransmission keep arriving, then new data
  // sent after it: once more bytes were SACKed than were in flight ahead of
  // it (16000) plus three segments for reordering, it is found lost.
  let lostAt = -1;
  for (let k = 1; k <= 30; k++) {
    if (x.ack(0, [1000, 4000 + <u32>k * 1000]) == SackEvent.LostRetransmit) {
      lostAt = k;
      break;
    }
    while (x.next(true) == NextSeg.NewData) {}
  }
  assert(lostAt == 20, "found lost after 20 more segments SACKed, got " + lostAt.toString());
  x.expect(NextSeg.Retransmit, 0, 1000);
  assert(x.cc.inRecovery, "the same recovery");
}

export function test_recovery_timeout_forgets_the_sacks(): void {
  const x = new Rec(10000, 10000);
  x.ack(0, [1000, 4000, 5000, 9000]);
  assert(x.r.board.count == 2);
  x.cc.onTimeout(10000, 10000, true);
  x.r.onTimeout();
  assert(x.r.board.count == 0 && x.r.board.sacked == 0, "the receiver may have reneged (RFC 2018 §8)");
  // No new recovery until the data of the timeout is acknowledged (RFC 6675 §5.1).
  for (let i = 0; i < 5; i++) assert(x.ack(0, [1000, 4000 + <u32>i * 1000]) == SackEvent.None);
  assert(!x.cc.inRecovery);
}

export function test_dsack_is_recognised(): void {
  assert(firstBlockIsDsack(sackAck(5000, [1000, 2000])), "below the ACK");
  assert(firstBlockIsDsack(sackAck(5000, [6000, 6500, 6000, 8000])), "inside the second block");
  assert(!firstBlockIsDsack(sackAck(5000, [6000, 6500, 7000, 8000])), "an ordinary block");
  assert(!firstBlockIsDsack(sackAck(5000, [])));
  assert(dsackCovers(sackAck(5000, [1000, 2000]), 1500) && !dsackCovers(sackAck(5000, [1000, 2000]), 2000));
}

// === the receiver's blocks ==================================================================

/** Stores `len` bytes at sequence `seq` and tells the report, as processText does; returns the new rcv.nxt. */
function arrive(rx: RecvBuffer, rep: SackReport, rcvNxt: u32, seq: u32, len: i32): u32 {
  if (rx.hasGaps) rep.checkDuplicate(rx, rcvNxt, seq, len);
  const adv = rx.insert(<i32>(seq - rcvNxt), new Uint8Array(len));
  if (adv == 0) rep.arrived(rx, rcvNxt, seq);
  return rcvNxt + <u32>max(adv, 0);
}

function filled(rep: SackReport, rx: RecvBuffer, rcvNxt: u32, maxBlocks: i32 = 4): TcpRepr {
  const r = new TcpRepr();
  r.clearOptions();
  rep.fill(r, rx, rcvNxt, maxBlocks);
  return r;
}

export function test_report_newest_range_first_then_those_reported_before(): void {
  const rx = new RecvBuffer(100_000, unlimitedBudget(), minBufferPool());
  const rep = new SackReport();
  let nxt: u32 = 1000;
  nxt = arrive(rx, rep, nxt, 2000, 500);
  expectBlocks(filled(rep, rx, nxt), [2000, 2500]);
  nxt = arrive(rx, rep, nxt, 4000, 500);
  expectBlocks(filled(rep, rx, nxt), [4000, 4500, 2000, 2500]);
  nxt = arrive(rx, rep, nxt, 6000, 500);
  expectBlocks(filled(rep, rx, nxt), [6000, 6500, 4000, 4500, 2000, 2500]);
  // A segment that grows an older range puts that range first (RFC 2018 §4).
  nxt = arrive(rx, rep, nxt, 2500, 500);
  expectBlocks(filled(rep, rx, nxt), [2000, 3000, 6000, 6500, 4000, 4500]);
  nxt = arrive(rx, rep, nxt, 8000, 500);
  // Three blocks fit beside timestamps: the least recent waits.
  const three = new TcpRepr();
  assert(rep.fill(three, rx, nxt, 3) == 4, "four were due");
  expectBlocks(three, [8000, 8500, 2000, 3000, 6000, 6500]);
  expectBlocks(filled(rep, rx, nxt), [8000, 8500, 2000, 3000, 6000, 6500, 4000, 4500]);
  // The hole below the first range fills: rcv.nxt passes it, it is no longer reported.
  nxt = arrive(rx, rep, nxt, 1000, 1000);
  assert(nxt == 3000, "rcv.nxt " + nxt.toString());
  expectBlocks(filled(rep, rx, nxt), [8000, 8500, 6000, 6500, 4000, 4500]);
  // Two ranges merge into one: reported once.
  nxt = arrive(rx, rep, nxt, 6500, 1500);
  expectBlocks(filled(rep, rx, nxt), [6000, 8500, 4000, 4500]);
  assert(rep.due(rx));
  nxt = arrive(rx, rep, nxt, 3000, 5500);
  assert(nxt == 8500 && !rep.due(rx), "all in order: no blocks due");
  expectBlocks(filled(rep, rx, nxt), []);
}

export function test_report_dsack_goes_first_once(): void {
  const rx = new RecvBuffer(100_000, unlimitedBudget(), minBufferPool());
  const rep = new SackReport();
  let nxt: u32 = 1000;
  nxt = arrive(rx, rep, nxt, 4000, 1000);
  // Old data again (its ACK was lost): RFC 2883's D-SACK below the ACK.
  rep.duplicate(500, 1000);
  expectBlocks(filled(rep, rx, nxt), [500, 1000, 4000, 5000]);
  expectBlocks(filled(rep, rx, nxt), [4000, 5000]);
  // Data held out of order arrives again: the duplicate, then its range.
  nxt = arrive(rx, rep, nxt, 7000, 1000);
  nxt = arrive(rx, rep, nxt, 4200, 300);
  expectBlocks(filled(rep, rx, nxt), [4200, 4500, 4000, 5000, 7000, 8000]);
  // A D-SACK that does not fit waits for an ACK with room.
  rep.duplicate(100, 200);
  const none = new TcpRepr();
  assert(rep.fill(none, rx, nxt, 0) == 3 && none.sackCount == 0);
  expectBlocks(filled(rep, rx, nxt, 1), [100, 200]);
}

// === a connection ==================================================================

class Conn {
  h: H = new H();
  c: TcpSocket;
  constructor(cfg: TcpConfig) {
    this.c = new TcpSocket(null, cfg);
  }
  get iss(): u32 { return this.c.iss; }
}

/** An active open; the SYN-ACK permits SACK when `peerSack`. */
function connected(cfg: TcpConfig, peerSack: bool): Conn {
  const f = new Conn(cfg);
  f.h.set.add(f.c);
  assert(f.c.connect(REMOTE, REMOTE_PORT, f.h.now, LOCAL_PORT) == TcpError.None);
  f.h.set.dispatch(f.h.now);
  const syn = f.h.recv();
  assert(syn.sackPermitted == cfg.sack, "our SYN permits SACK as configured");
  const sa = seg(SYN | ACK, RISS, f.iss + 1, 65535);
  sa.mss = 1460;
  sa.sackPermitted = peerSack;
  sa.hasTimestamps = cfg.timestamps;
  sa.tsVal = 1;
  sa.tsEcr = syn.tsVal;
  f.h.send(sa);
  expectSeg(f.h.recv(), ACK, f.iss + 1, RISS + 1);
  expectState(f.c, TcpState.Established);
  return f;
}

export function test_sack_is_used_only_when_both_syns_permit_it(): void {
  assert(connected(plainConfig(), true).c.sackOk);
  assert(!connected(plainConfig(), false).c.sackOk);
  const off = plainConfig();
  off.sack = false;
  assert(!connected(off, true).c.sackOk, "configured off: not even offered");
  // Passive open: the SYN-ACK permits SACK only if the SYN did.
  for (let round = 0; round < 3; round++) {
    const cfg = plainConfig();
    cfg.sack = round != 2;
    const h = new H();
    const l = new TcpListener(new Accepts(), cfg);
    h.set.add(l);
    l.listen(LOCAL_PORT);
    const syn = seg(SYN, RISS, 0);
    syn.sackPermitted = round != 1;
    h.send(syn);
    const sa = h.recv();
    const c = <TcpSocket>h.set.tcpConnection(LOCAL_PORT, REMOTE, REMOTE_PORT);
    const want = round == 0;
    assert(sa.sackPermitted == want && c.sackOk == want, "round " + round.toString() + ": " + describe(sa));
  }
}

export function test_sack_our_acks_carry_blocks_while_data_is_held(): void {
  const f = connected(plainConfig(), true);
  const base = RISS + 1;
  const d = new Uint8Array(100);
  f.h.send(seg(ACK, base + 100, f.iss + 1, 8192, d));
  expectBlocks(f.h.recv(), [base + 100, base + 200]);
  f.h.send(seg(ACK, base + 300, f.iss + 1, 8192, d));
  expectBlocks(f.h.recv(), [base + 300, base + 400, base + 100, base + 200]);
  f.h.send(seg(ACK, base + 200, f.iss + 1, 8192, d));
  expectBlocks(f.h.recv(), [base + 100, base + 400]);
  // The hole fills: rcv.nxt jumps, no block left.
  f.h.send(seg(ACK, base, f.iss + 1, 8192, d));
  const r = f.h.recv();
  expectSeg(r, ACK, f.iss + 1, base + 400);
  expectBlocks(r, []);
  // The same segment again: acknowledged with a D-SACK below the ACK.
  f.h.send(seg(ACK, base + 100, f.iss + 1, 8192, d));
  const dup = f.h.recv();
  expectSeg(dup, ACK, f.iss + 1, base + 400);
  expectBlocks(dup, [base + 100, base + 200]);
  // Without SACK, none ever.
  const g = connected(plainConfig(), false);
  g.h.send(seg(ACK, base + 100, g.iss + 1, 8192, d));
  expectBlocks(g.h.recv(), []);
}

export function test_sack_blocks_share_the_mss_with_data(): void {
  const cfg = plainConfig();
  cfg.timestamps = true;
  const f = connected(cfg, true);
  const base = RISS + 1;
  const d = new Uint8Array(10);
  // Four ranges held; timestamps leave room for three blocks.
  for (let i = 0; i < 4; i++) f.h.send(seg(ACK, base + 100 + <u32>i * 100, f.iss + 1, 8192, d));
  f.h.clear();
  f.h.send(seg(ACK, base + 600, f.iss + 1, 8192, d));
  expectBlocks(f.h.recv(), [base + 600, base + 610, base + 400, base + 410, base + 300, base + 310]);
  // A full-sized segment of ours has no room for blocks: an ACK with them follows it.
  f.c.write(new Uint8Array(f.c.mss));
  f.h.set.dispatch(f.h.now);
  const data = f.h.recv();
  assert(data.payload.length == f.c.mss && data.sackCount == 0, describe(data) + " " + blocksText(data));
  const ack = f.h.recv();
  assert(ack.payload.length == 0 && ack.sackCount == 3, "then " + describe(ack) + " " + blocksText(ack));
  f.h.expectNothing();
  // A small one carries them.
  f.c.write(new Uint8Array(100));
  f.h.set.dispatch(f.h.now);
  const small = f.h.recv();
  assert(small.payload.length == 100 && small.sackCount == 3, describe(small) + " " + blocksText(small));
  f.h.expectNothing();
}

/** plainConfig with room for ten full segments. */
function bulkConfig(): TcpConfig {
  const c = plainConfig();
  c.sendBuffer = 64 * 1024;
  return c;
}

export function test_sack_forged_blocks_are_ignored(): void {
  const f = connected(bulkConfig(), true);
  f.c.cc.cwnd = 10 * 1460;
  f.c.write(new Uint8Array(10 * 1460));
  f.h.set.dispatch(f.h.now);
  assert(f.h.pending == 10);
  f.h.clear();
  const una = f.iss + 1;
  const max = una + 10 * 1460;
  // Beyond what was sent, below snd.una, inverted, spanning it all: none may start a recovery.
  const rng = new Rng(2883);
  for (let i = 0; i < 2000; i++) {
    const high = max + <u32>rng.below(1 << 30);
    const low = una - <u32>rng.below(1 << 30);
    const r = sackAck(una, [high, high + 1 + <u32>rng.below(20000), low - 1 - <u32>rng.below(20000), low, una + 2000, una + 1000, una - 100, max + 100]);
    // (A window that changes each time: not RFC 5681 duplicates, which alone would start a recovery.)
    r.window = <u16>(65535 - (i & 1));
    f.h.send(r);
  }
  assert(!f.c.cc.inRecovery && f.c.stats.fastRetransmits == 0, "forged blocks started a recovery");
  assert(f.c.stats.retransmits == 0, "retransmits " + f.c.stats.retransmits.toString());
  // True blocks still count, and the connection goes on.
  f.h.clear();
  f.h.send(sackAck(una, [una + 1460, una + 4 * 1460]));
  expectSeg(f.h.recv(), ACK, una, RISS + 1, 1460);
  assert(f.c.cc.inRecovery);
  f.h.send(sackAck(max, []));
  assert(!f.c.cc.inRecovery && f.c.unacknowledged == 0);
}

export function test_sack_two_holes_repaired_before_any_cumulative_ack(): void {
  const f = connected(bulkConfig(), true);
  const mss: u32 = 1460;
  f.c.cc.cwnd = 10 * mss;
  f.c.write(new Uint8Array(10 * 1460));
  f.h.set.dispatch(f.h.now);
  f.h.clear();
  const una = f.iss + 1;
  // Segments 0 and 2 lost; 1, 3, 4, ... arrive, each drawing an ACK with the blocks so far.
  const seen: u32[] = [];
  for (let k: u32 = 3; k <= 9; k++) {
    const r = sackAck(una, [una + 3 * mss, una + (k + 1) * mss, una + mss, una + 2 * mss]);
    r.window = 65535;
    f.h.send(r);
    while (f.h.pending > 0) {
      const s = f.h.recv();
      if (seqLt(s.seq, una + 10 * mss)) seen.push(s.seq);
    }
  }
  // NewReno learns of the second hole only from the partial ACK a round trip later.
  assert(seen.length == 2 && seen[0] == una && seen[1] == una + 2 * mss, "retransmitted " + seen.length.toString() + " segments");
  assert(f.c.stats.fastRetransmits == 1 && f.c.stats.retransmits == 2);
}

// RFC 8985 §7.4.2: a tail loss probe that resent the last segment, which the
// peer then reports as a duplicate, repaired nothing: no congestion response.
export function test_sack_probe_reported_as_a_duplicate_keeps_cwnd(): void {
  for (let round = 0; round < 2; round++) {
    const f = connected(plainConfig(), true);
    assert(f.c.rtt.srtt >= 0, "the handshake gave an RTT sample");
    f.c.write(new Uint8Array(3 * 1460));
    f.h.set.dispatch(f.h.now);
    f.h.clear();
    f.h.advance(ms(11));
    const una = f.iss + 1;
    const last = una + 2 * 1460;
    expectSeg(f.h.recv(), ACK | TcpFlags.PSH, last, RISS + 1, 1460);
    assert(f.c.stats.lossProbes == 1);
    const cwnd = f.c.cc.cwnd;
    // The original got through, only the ACKs were lost: the probe's ACK says so.
    f.h.send(round == 0 ? sackAck(una + 3 * 1460, [last, last + 1460]) : sackAck(una + 3 * 1460, []));
    if (round == 0) assert(f.c.cc.cwnd >= cwnd, "D-SACKed probe: cwnd " + f.c.cc.cwnd.toString() + ", was " + cwnd.toString());
    else assert(f.c.cc.cwnd < cwnd, "without the D-SACK, a repaired loss: cwnd " + f.c.cc.cwnd.toString());
  }
}

// === two stacks ======================================================================

function quiet(ip: u32): InterfaceConfig {
  const c = new InterfaceConfig();
  c.address = ip;
  c.announcements = 0;
  return c;
}

/** Drops, once each, the data segments A sends whose payload starts at index × mss past its ISN. */
class DropSegments extends FrameFilter {
  private isn: u32 = 0;
  private done: u32[] = [];
  constructor(readonly indexes: i32[], readonly mss: i32) { super(); }
  drop(from: i32, f: Uint8Array): bool {
    if (from != 0 || f.length < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6) return false;
    const ihl = <i32>(f[14] & 0xF) * 4;
    const t = 14 + ihl;
    const seq = (<u32>f[t + 4] << 24) | (<u32>f[t + 5] << 16) | (<u32>f[t + 6] << 8) | <u32>f[t + 7];
    if ((f[t + 13] & 0x02) != 0) {
      this.isn = seq;
      return false;
    }
    const payload = ((<i32>f[16] << 8) | <i32>f[17]) - ihl - <i32>(f[t + 12] >> 4) * 4;
    const rel = <i32>(seq - this.isn - 1);
    if (payload <= 0 || rel % this.mss != 0 || !this.indexes.includes(rel / this.mss) || this.done.includes(seq)) return false;
    this.done.push(seq);
    return true;
  }
}

class LossRun {
  recoveries: i32 = 0;
  /** Simulated time in loss recovery, ns. */
  recovering: i64 = 0;
  total: i64 = 0;
  retransmits: i32 = 0;
  timeouts: i32 = 0;
}

/** A one-way transfer over a 40 ms round trip that loses five segments of one window; watched every ms. */
function fiveLossesInOneWindow(sack: bool): LossRun {
  const cfg = fastConfig();
  cfg.sendBuffer = 512 * 1024;
  cfg.recvBuffer = 512 * 1024;
  cfg.sack = sack;
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.link.latency = ms(20);
  // Slow start sends segments 45..92 in its fifth round trip.
  net.link.filter = new DropSegments([50, 55, 60, 65, 70], 1448);
  const bytes: i64 = 300 * 1448;
  const acc = new StreamAcceptor(2, 0, 1);
  const l = new TcpListener(acc, cfg);
  net.b.sockets.add(l);
  l.listen(5001);
  const p = new StreamPeer(1, bytes, 2);
  const c = new TcpSocket(p, cfg);
  net.a.sockets.add(c);
  c.connect(IP_B, 5001, simNow());
  const run = new LossRun();
  const start = simNow();
  let was = false;
  let since: i64 = 0;
  for (let i = 0; i < 100_000; i++) {
    net.run(ms(1));
    const now = c.cc.inRecovery;
    if (now && !was) {
      run.recoveries++;
      since = simNow();
    }
    if (!now && was) run.recovering += simNow() - since;
    was = now;
    if (acc.peers.length == 1 && acc.peers[0].received == bytes) break;
  }
  assert(acc.peers.length == 1 && acc.peers[0].received == bytes && acc.peers[0].bad < 0, "every byte arrived");
  assert(c.mss == 1448 && c.sackOk == sack && net.link.dropped == 5);
  run.total = simNow() - start;
  run.retransmits = c.stats.retransmits;
  run.timeouts = c.stats.timeouts;
  out.log((sack ? "SACK" : "NewReno") + ": five losses in one window, 40 ms RTT: " + run.recoveries.toString() + " recovery of " +
    (run.recovering / ms(1)).toString() + " ms, " + run.retransmits.toString() + " retransmissions, " + run.timeouts.toString() + " timeouts; transfer " +
    (run.total / ms(1)).toString() + " ms");
  return run;
}

export function test_two_stacks_sack_repairs_several_losses_of_a_window_in_about_one_round_trip(): void {
  const rtt = ms(40);
  const s = fiveLossesInOneWindow(true);
  assert(s.recoveries == 1 && s.retransmits == 5 && s.timeouts == 0, "one recovery, each lost segment sent once more");
  assert(s.recovering <= rtt * 3 / 2, "SACK recovery took " + (s.recovering / ms(1)).toString() + " ms");
  // NewReno finds one hole per partial ACK: a round trip per loss.
  const n = fiveLossesInOneWindow(false);
  assert(n.recoveries == 1 && n.retransmits == 5 && n.timeouts == 0);
  assert(n.recovering >= rtt * 4, "NewReno recovery took " + (n.recovering / ms(1)).toString() + " ms");
}
