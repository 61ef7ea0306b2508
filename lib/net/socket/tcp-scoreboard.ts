// The sender's scoreboard (RFC 6675 §3): the ranges of sequence space
// above snd.una the peer has selectively acknowledged (RFC 2018), sorted,
// disjoint and not touching. A block is taken only where it can be true:
// inside [snd.una, snd.max), with its left edge below its right (RFC 2018
// §3's blocks as a peer may forge them; a D-SACK (RFC 2883) below snd.una
// adds nothing). The ranges are bounded in number so a hostile peer cannot
// make the board grow: when full, a new range below the highest displaces
// it, else it is ignored. Forgetting a SACK is always safe, the data is
// only sent again: RFC 2018 §8 lets the receiver renege on its SACKs anyway,
// which is why the board is cleared on a retransmission timeout.

import { seqLt, seqLe, seqGt } from "./tcp-seq";

/**
 * IsLost's rule (RFC 6675 §4) for a byte with `ranges` SACKed ranges and
 * `bytes` SACKed bytes above it: DupThresh ranges, or more than DupThresh − 1
 * full segments, arrived after it.
 */
export function lostBelow(ranges: i32, bytes: u32, dupThresh: i32, smss: u32): bool {
  return ranges >= dupThresh || bytes > <u32>(dupThresh - 1) * smss;
}

/** Most ranges the scoreboard keeps. */
export const SCOREBOARD_RANGES: i32 = 32;

export class Scoreboard {
  private starts: StaticArray<u32> = new StaticArray<u32>(SCOREBOARD_RANGES);
  private ends: StaticArray<u32> = new StaticArray<u32>(SCOREBOARD_RANGES);
  private n: i32 = 0;
  /** Bytes in all the ranges. */
  sacked: u32 = 0;

  /** Ranges held. */
  get count(): i32 { return this.n; }
  /** Range `i`'s first byte (0 <= i < count, lowest first). */
  start(i: i32): u32 { return this.starts[i]; }
  /** Range `i`'s end (exclusive). */
  end(i: i32): u32 { return this.ends[i]; }

  /**
   * Records the block [left, right) given snd.una and snd.max (Update() of
   * RFC 6675 §4); returns how many bytes it SACKed that were not before.
   */
  add(left: u32, right: u32, sndUna: u32, sndMax: u32): u32 {
    if (!seqLt(left, right) || seqGt(right, sndMax) || seqLe(right, sndUna)) return 0;
    if (seqLt(left, sndUna)) left = sndUna;
    // The ranges it touches: [first, last).
    let first = 0;
    while (first < this.n && seqLt(unchecked(this.ends[first]), left)) first++;
    let last = first;
    while (last < this.n && seqLe(unchecked(this.starts[last]), right)) last++;
    let had: u32 = 0;
    if (first < last) {
      if (seqLt(unchecked(this.starts[first]), left)) left = unchecked(this.starts[first]);
      if (seqGt(unchecked(this.ends[last - 1]), right)) right = unchecked(this.ends[last - 1]);
      for (let i = first; i < last; i++) had += unchecked(this.ends[i]) - unchecked(this.starts[i]);
      this.removeRanges(first, last - first);
    } else if (this.n == SCOREBOARD_RANGES) {
      // Full: the lowest ranges matter most (the holes below them are resent first).
      if (first == this.n) return 0;
      this.sacked -= unchecked(this.ends[this.n - 1]) - unchecked(this.starts[this.n - 1]);
      this.n--;
    }
    // Open a slot at `first`.
    for (let i = this.n; i > first; i--) {
      unchecked(this.starts[i] = this.starts[i - 1]);
      unchecked(this.ends[i] = this.ends[i - 1]);
    }
    unchecked(this.starts[first] = left);
    unchecked(this.ends[first] = right);
    this.n++;
    const now = right - left;
    this.sacked += now - had;
    return now - had;
  }

  /** snd.una moved to `una`: what lies below it is acknowledged, not SACKed. */
  advance(una: u32): void {
    let drop = 0;
    while (drop < this.n && seqLe(unchecked(this.ends[drop]), una)) {
      this.sacked -= unchecked(this.ends[drop]) - unchecked(this.starts[drop]);
      drop++;
    }
    this.removeRanges(0, drop);
    if (this.n > 0 && seqLt(unchecked(this.starts[0]), una)) {
      this.sacked -= una - unchecked(this.starts[0]);
      unchecked(this.starts[0] = una);
    }
  }

  /** Forgets every SACK (a timeout: the receiver may have reneged, RFC 2018 §8). */
  clear(): void {
    this.n = 0;
    this.sacked = 0;
  }

  /** True when `seq` lies in a SACKed range. */
  isSacked(seq: u32): bool {
    for (let i = 0; i < this.n; i++) {
      if (seqLt(seq, unchecked(this.starts[i]))) return false;
      if (seqLt(seq, unchecked(this.ends[i]))) return true;
    }
    return false;
  }

  /**
   * RFC 6675 §4's IsLost(seq): at least `dupThresh` SACKed ranges lie above
   * `seq`, or more than (dupThresh − 1) · SMSS SACKed bytes do. (The ranges
   * stand for RFC 6675's "discontiguous SACKed sequences".)
   */
  isLost(seq: u32, dupThresh: i32, smss: u32): bool {
    let bytes: u32 = 0;
    let ranges = 0;
    for (let i = this.n - 1; i >= 0; i--) {
      const s = unchecked(this.starts[i]);
      const e = unchecked(this.ends[i]);
      if (seqLe(e, seq)) break;
      if (seqGt(s, seq)) {
        bytes += e - s;
        ranges++;
      } else {
        bytes += e - seq - 1; // `seq` itself SACKed: the bytes after it
      }
    }
    return lostBelow(ranges, bytes, dupThresh, smss);
  }

  private removeRanges(at: i32, count: i32): void {
    if (count <= 0) return;
    for (let i = at; i + count < this.n; i++) {
      unchecked(this.starts[i] = this.starts[i + count]);
      unchecked(this.ends[i] = this.ends[i + count]);
    }
    this.n -= count;
  }
}
