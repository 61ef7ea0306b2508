// Loss recovery with SACK (RFC 6675), for connections whose SYNs both
// permitted it; NewReno (tcp-congestion.ts, RFC 6582) serves the others.
// Read RFC 6675 §4 (the routines Update, IsLost, SetPipe, NextSeg) and §5
// (the algorithm), whose names the fields below keep.
//
// The connection hands every ACK to onAck, which keeps the scoreboard and
// decides when recovery starts; in recovery it asks pipe() how much is in
// the network and, while cwnd leaves room for a segment, nextSeg() what to
// send: lost holes first, then new data, then the other holes below the
// highest SACK, then one "rescue" retransmission of the tail. Several
// losses in one window are so repaired in about one round trip, where
// NewReno takes one per loss. The congestion response is NewReno's: half
// the flight on entry, cwnd back to ssthresh when `recover` is acknowledged.
//
// RFC 6675 leaves a lost retransmission to the RTO. Here, as in tcp.ts's
// NewReno path (RACK's reasoning, RFC 8985 §3), the retransmission at
// snd.una is watched: once the peer has SACKed more bytes since than were
// in flight ahead of it, plus DupThresh segments of reordering, data sent
// after it arrived and it did not, so it goes again.

import { TcpRepr } from "../wire/tcp";
import { NewReno } from "./tcp-congestion";
import { Scoreboard, lostBelow } from "./tcp-scoreboard";
import { seqLt, seqLe, seqGt, seqGe, seqDiff, seqMax } from "./tcp-seq";

/** RFC 6675 §2's DupThresh: RFC 5681's three duplicate ACKs. */
export const DUP_THRESH: i32 = 3;

/** What an ACK did to recovery. */
export enum SackEvent {
  None,
  /** Loss recovery started: the segment at snd.una goes now (fast retransmit). */
  Recovery,
  /** The retransmission at snd.una was lost: it goes again. */
  LostRetransmit,
}

/** What NextSeg() chose (RFC 6675 §4's rules). */
export enum NextSeg {
  /** Nothing to send. */
  None,
  /** [nextSeq, nextSeq + nextLen) again: rules 1 and 3. */
  Retransmit,
  /** A segment of new data from snd.nxt: rule 2. */
  NewData,
  /** [nextSeq, nextSeq + nextLen) again, the tail's one rescue: rule 4. */
  Rescue,
}

/** True when the first SACK block of `seg` is a D-SACK (RFC 2883 §4): below its ACK, or inside its second block. */
export function firstBlockIsDsack(seg: TcpRepr): bool {
  if (seg.sackCount == 0) return false;
  const l = unchecked(seg.sackLeft[0]);
  const r = unchecked(seg.sackRight[0]);
  if (seqLe(r, seg.ack)) return true;
  return seg.sackCount > 1 && seqGe(l, unchecked(seg.sackLeft[1])) && seqLe(r, unchecked(seg.sackRight[1]));
}

/** True when `seg` reports, as a D-SACK, that the byte `seq` arrived twice. */
export function dsackCovers(seg: TcpRepr, seq: u32): bool {
  return firstBlockIsDsack(seg) && seqLe(unchecked(seg.sackLeft[0]), seq) && seqLt(seq, unchecked(seg.sackRight[0]));
}

export class SackRecovery {
  readonly board: Scoreboard = new Scoreboard();
  /** RFC 6675's HighRxt, as an end: this recovery's retransmissions reached up to here. */
  private highRxt: u32 = 0;
  /** RFC 6675's RescueRxt, as an end: no rescue until snd.una reaches it. */
  private rescueEnd: u32 = 0;
  private rescueSet: bool = false;
  /** The segment at snd.una goes next, whatever pipe says: step (4.3), or its retransmission was lost. */
  private firstDue: bool = false;
  /** Recovery has just started: the first retransmission also sets RescueRxt (step 4.3). */
  private entering: bool = false;
  // The watch over the retransmission at snd.una (see the header).
  private watching: bool = false;
  private watchSeq: u32 = 0;
  private watchAllowance: u32 = 0;
  private watchSacked: u32 = 0;
  /** The segment nextSeg() chose: its start, and its length in sequence space (a FIN counts one). */
  nextSeq: u32 = 0;
  nextLen: i32 = 0;

  /**
   * An acceptable ACK, after snd.una moved to `sndUna` (if it did): its
   * blocks go on the scoreboard (Update), and outside recovery duplicates are
   * counted and recovery started when they, or IsLost(snd.una), say a
   * segment is lost (RFC 6675 §5 steps 1, 2, 4). `dup` is RFC 5681's
   * duplicate ACK; one that SACKs new data counts as one too (RFC 6675 §2).
   */
  onAck(seg: TcpRepr, dup: bool, cc: NewReno, sndUna: u32, sndMax: u32, smss: u32): SackEvent {
    const b = this.board;
    b.advance(sndUna);
    let fresh: u32 = 0;
    for (let i = 0; i < seg.sackCount; i++) fresh += b.add(unchecked(seg.sackLeft[i]), unchecked(seg.sackRight[i]), sndUna, sndMax);
    if (seqLt(this.highRxt, sndUna)) this.highRxt = sndUna;
    if (cc.inRecovery) return this.watchFirst(sndUna, sndMax, smss, fresh);
    this.firstDue = false;
    this.watching = false;
    if (dup || fresh > 0) cc.dupAcks++;
    if (sndUna == sndMax || !cc.mayRecover(sndUna)) return SackEvent.None;
    if (cc.dupAcks < DUP_THRESH && !b.isLost(sndUna, DUP_THRESH, smss)) return SackEvent.None;
    // Step (4): RecoveryPoint = HighData; ssthresh = cwnd = FlightSize / 2.
    cc.enterRecovery(<u32>seqDiff(sndMax, sndUna), sndMax, 0);
    this.highRxt = sndUna;
    this.rescueSet = false;
    this.firstDue = true;
    this.entering = true;
    return SackEvent.Recovery;
  }

  /** A retransmission timeout (RFC 6675 §5.1): SACKs are forgotten (RFC 2018 §8), recovery is over. */
  onTimeout(): void {
    this.board.clear();
    this.firstDue = false;
    this.entering = false;
    this.watching = false;
    this.rescueSet = false;
  }

  /**
   * SetPipe() (RFC 6675 §4): the bytes between snd.una and snd.max still in
   * the network: those neither SACKed nor lost, plus those retransmitted.
   * The holes between ranges are lost or not as a whole (no SACK lies
   * inside one), so this walks holes, not bytes.
   */
  pipe(sndUna: u32, sndMax: u32, smss: u32): u32 {
    const b = this.board;
    const n = b.count;
    let pipe: u32 = 0;
    let above: u32 = 0;
    // Hole i lies below range i; hole n runs to snd.max.
    for (let i = n; i >= 0; i--) {
      if (i < n) above += b.end(i) - b.start(i);
      const hs = i == 0 ? sndUna : b.end(i - 1);
      const he = i == n ? sndMax : b.start(i);
      if (!seqLt(hs, he)) continue;
      if (!lostBelow(n - i, above, DUP_THRESH, smss)) pipe += he - hs;
      if (seqGt(this.highRxt, hs)) pipe += <u32>seqDiff(seqLt(this.highRxt, he) ? this.highRxt : he, hs);
    }
    return pipe;
  }

  /**
   * NextSeg() (RFC 6675 §4), with the bookkeeping of step (C.2): the caller
   * sends what it returns (for Retransmit and Rescue, nextLen bytes of
   * sequence space from nextSeq, at most `smss`). `room`: cwnd − pipe is a
   * segment at least (only the retransmission that starts a recovery, or
   * that repeats a lost one, goes without); `canSendNew`: the window and the
   * send buffer allow a segment of new data (rule 2); `pipe` is pipe() now;
   * `recoveryPoint` is RFC 6675's RecoveryPoint (cc.recover).
   */
  nextSeg(sndUna: u32, sndMax: u32, smss: u32, room: bool, canSendNew: bool, pipe: u32, recoveryPoint: u32): NextSeg {
    const b = this.board;
    if (this.firstDue) {
      this.firstDue = false;
      const len = min<i32>(seqDiff(b.count > 0 ? b.start(0) : sndMax, sndUna), <i32>smss);
      if (len > 0) {
        if (this.entering) {
          this.rescueEnd = sndUna + <u32>len;
          this.rescueSet = true;
        }
        this.entering = false;
        return this.retransmit(sndUna, sndUna + <u32>len, sndUna, pipe, smss);
      }
    }
    this.entering = false;
    if (!room) return NextSeg.None;
    // Rule 1: the lowest lost byte above HighRxt. Holes are lost from the
    // bottom up, so the first one that is not ends the search.
    let pos = sndUna;
    let above = b.sacked;
    for (let i = 0; i < b.count; i++) {
      if (!lostBelow(b.count - i, above, DUP_THRESH, smss)) break;
      const from = seqMax(pos, this.highRxt);
      if (seqLt(from, b.start(i))) return this.retransmit(from, b.start(i), sndUna, pipe, smss);
      above -= b.end(i) - b.start(i);
      pos = b.end(i);
    }
    // Rule 2: new data.
    if (canSendNew) return NextSeg.NewData;
    // Rule 3: any hole above HighRxt below the highest SACK.
    pos = sndUna;
    for (let i = 0; i < b.count; i++) {
      const from = seqMax(pos, this.highRxt);
      if (seqLt(from, b.start(i))) return this.retransmit(from, b.start(i), sndUna, pipe, smss);
      pos = b.end(i);
    }
    // Rule 4: once per recovery, the segment ending at the highest byte not SACKed.
    if (this.rescueSet && seqLt(sndUna, this.rescueEnd)) return NextSeg.None;
    let lo = sndUna;
    let hi = sndMax;
    const n = b.count;
    if (n > 0 && seqGe(b.end(n - 1), sndMax)) {
      hi = b.start(n - 1);
      lo = n > 1 ? b.end(n - 2) : sndUna;
    } else if (n > 0) {
      lo = b.end(n - 1);
    }
    if (!seqLt(lo, hi)) return NextSeg.None;
    const from = seqMax(lo, hi - smss);
    this.nextSeq = from;
    this.nextLen = seqDiff(hi, from);
    this.rescueEnd = recoveryPoint;
    this.rescueSet = true;
    return NextSeg.Rescue;
  }

  /** Rules 1 and 3 chose [from, end): one segment of it; HighRxt follows (C.2); a resend of snd.una is watched. */
  private retransmit(from: u32, end: u32, sndUna: u32, pipe: u32, smss: u32): NextSeg {
    const len = min<i32>(seqDiff(end, from), <i32>smss);
    this.nextSeq = from;
    this.nextLen = len;
    if (seqLt(this.highRxt, from + <u32>len)) this.highRxt = from + <u32>len;
    if (from == sndUna) this.watch(sndUna, pipe, smss);
    return NextSeg.Retransmit;
  }

  /** In recovery: counts what is SACKed after the resend of snd.una, and finds it lost (see the header). */
  private watchFirst(sndUna: u32, sndMax: u32, smss: u32, fresh: u32): SackEvent {
    if (this.watching && this.watchSeq == sndUna) {
      this.watchSacked += fresh;
      if (this.watchSacked <= this.watchAllowance) return SackEvent.None;
      this.watching = false;
      this.firstDue = true;
      return SackEvent.LostRetransmit;
    }
    // snd.una moved on. If the new first hole was resent already (when, is
    // not known), all that is in the network now may have been sent before it.
    this.watching = false;
    if (seqLt(sndUna, this.highRxt) && !this.board.isSacked(sndUna)) this.watch(sndUna, this.pipe(sndUna, sndMax, smss), smss);
    return SackEvent.None;
  }

  private watch(seq: u32, pipe: u32, smss: u32): void {
    this.watching = true;
    this.watchSeq = seq;
    this.watchAllowance = pipe + <u32>DUP_THRESH * smss;
    this.watchSacked = 0;
  }
}
