// The receiver's side of SACK: which blocks our ACKs carry while
// out-of-order data is held (RFC 2018 §4), and D-SACK, a block naming a
// segment that arrived twice (RFC 2883). The receive buffer knows the
// ranges held; this remembers which ones were reported first lately, so an
// ACK names the range holding the newest segment first and repeats the
// ranges named first in the ACKs before it (a lost ACK's news still gets
// through), as RFC 2018 §4 asks.
//
// A range is remembered by a sequence number it holds: ranges only grow and
// merge while they wait above rcv.nxt, so that number keeps naming the
// right range, and one that rcv.nxt passed is forgotten.

import { TcpRepr, TCP_MAX_SACK_BLOCKS } from "../wire/tcp";
import { RecvBuffer } from "./tcp-recv";
import { seqDiff } from "./tcp-seq";

export class SackReport {
  /** A byte of each range reported first lately, the most recent first. */
  private recent: StaticArray<u32> = new StaticArray<u32>(TCP_MAX_SACK_BLOCKS);
  private recentCount: i32 = 0;
  /** A duplicate to report once, first (RFC 2883 §4). */
  private dupLeft: u32 = 0;
  private dupRight: u32 = 0;
  private dupPending: bool = false;

  /** Blocks are due: out-of-order data is held, or a duplicate waits to be reported. */
  due(rx: RecvBuffer | null): bool {
    return this.dupPending || (rx != null && rx.hasGaps);
  }

  /**
   * Before `len` bytes from `seq` go into `rx`: if an out-of-order range
   * already holds them all, they are a duplicate (RFC 2883 §4.1.2's case).
   */
  checkDuplicate(rx: RecvBuffer, rcvNxt: u32, seq: u32, len: i32): void {
    const off = seqDiff(seq, rcvNxt);
    const i = rangeHolding(rx, off);
    if (i >= 0 && off + len <= rx.rangeEnd(i)) this.duplicate(seq, seq + <u32>len);
  }

  /** [left, right) arrived again: the next ACK reports it as a D-SACK block. */
  duplicate(left: u32, right: u32): void {
    this.dupLeft = left;
    this.dupRight = right;
    this.dupPending = true;
  }

  /**
   * Bytes from `seq` were stored out of order: their range goes first in
   * the ACKs from now on, ahead of those reported before.
   */
  arrived(rx: RecvBuffer, rcvNxt: u32, seq: u32): void {
    const range = rangeHolding(rx, seqDiff(seq, rcvNxt));
    if (range < 0) return;
    // Keep the others that still name a range other than this one, in order...
    let n = 0;
    for (let i = 0; i < this.recentCount; i++) {
      const s = unchecked(this.recent[i]);
      const r = rangeHolding(rx, seqDiff(s, rcvNxt));
      if (r >= 0 && r != range) unchecked(this.recent[n++] = s);
    }
    // ...behind this one.
    if (n == TCP_MAX_SACK_BLOCKS) n--;
    for (let i = n; i > 0; i--) unchecked(this.recent[i] = this.recent[i - 1]);
    unchecked(this.recent[0] = seq);
    this.recentCount = n + 1;
  }

  /**
   * Adds to `r` at most `maxBlocks` blocks: the pending D-SACK, then the
   * held ranges, the one reported first most recently first, each once.
   * Returns how many were due, so the caller can tell when fewer went than
   * an ACK of its own would carry; a D-SACK that went out is not sent again.
   */
  fill(r: TcpRepr, rx: RecvBuffer | null, rcvNxt: u32, maxBlocks: i32): i32 {
    let wanted = 0;
    if (this.dupPending) {
      wanted++;
      if (r.sackCount < maxBlocks && r.addSackBlock(this.dupLeft, this.dupRight)) this.dupPending = false;
    }
    if (rx == null) return wanted;
    let n = 0;
    // Ranges named already (two remembered bytes may have come to share one); tcp-recv's MAX_RANGES is at most 64.
    let named: u64 = 0;
    for (let i = 0; i < this.recentCount; i++) {
      const s = unchecked(this.recent[i]);
      const range = rangeHolding(rx, seqDiff(s, rcvNxt));
      if (range < 0) continue; // delivered in order since: forget it
      unchecked(this.recent[n++] = s);
      const bit = <u64>1 << <u64>range;
      if ((named & bit) != 0) continue;
      named |= bit;
      wanted++;
      if (r.sackCount < maxBlocks) r.addSackBlock(rcvNxt + <u32>rx.rangeStart(range), rcvNxt + <u32>rx.rangeEnd(range));
    }
    this.recentCount = n;
    return wanted;
  }
}

/** The out-of-order range of `rx` holding the byte `off` past rcv.nxt, or -1. */
function rangeHolding(rx: RecvBuffer, off: i32): i32 {
  if (off < 0) return -1;
  for (let i = 0; i < rx.ranges; i++) {
    if (off < rx.rangeStart(i)) return -1;
    if (off < rx.rangeEnd(i)) return i;
  }
  return -1;
}
