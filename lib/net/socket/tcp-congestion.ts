// NewReno congestion control: slow start and congestion avoidance (RFC 5681
// §3.1), fast retransmit and fast recovery with NewReno's partial
// acknowledgements (RFC 6582 §3.2). Counts bytes; the connection tells it
// what happened and asks how much it may have in flight. With SACK, loss
// recovery is RFC 6675's (tcp-sack-recovery.ts), which starts a recovery
// here the same way but lets pipe, not an inflated cwnd, govern sending.

import { seqGt, seqGe } from "./tcp-seq";

export class NewReno {
  cwnd: u32;
  ssthresh: u32 = 0x7FFF_FFFF;
  /** Duplicate ACKs in a row. */
  dupAcks: i32 = 0;
  inRecovery: bool = false;
  /** Highest sequence sent when recovery (or the last timeout) began: RFC 6582's `recover`. */
  recover: u32 = 0;
  /** Bytes acknowledged towards the next cwnd step in congestion avoidance. */
  private acked: u32 = 0;
  /** Counters. */
  fastRetransmits: i32 = 0;
  timeouts: i32 = 0;

  constructor(public mss: u32, iss: u32) {
    this.cwnd = NewReno.initialWindow(mss);
    this.recover = iss;
  }

  /** IW of RFC 5681 §3.1. */
  static initialWindow(mss: u32): u32 {
    if (mss > 2190) return 2 * mss;
    if (mss > 1095) return 3 * mss;
    return 4 * mss;
  }

  /**
   * An ACK moved snd.una forward by `acked` bytes to `ack`. Returns true when
   * it was a partial ACK in recovery: the caller retransmits the first
   * unacknowledged segment and restarts the timer (RFC 6582 §3.2 step 3).
   */
  onNewAck(ack: u32, acked: u32, flight: u32, pipeControlled: bool = false): bool {
    this.dupAcks = 0;
    if (this.inRecovery) {
      if (seqGe(ack, this.recover)) {
        // Full acknowledgement (step 3, first case): deflate to
        // min(ssthresh, max(FlightSize, SMSS) + SMSS). Never below two
        // segments: one lone segment waits out the peer's delayed ACK (Linux,
        // whose ACKs during SACK recovery can leave nothing in flight, 40 ms).
        this.inRecovery = false;
        this.cwnd = min<u32>(this.ssthresh, max<u32>(flight, this.mss) + this.mss);
        this.acked = 0;
        return false;
      }
      // SACK recovery: cwnd stays at ssthresh, pipe tells what is out (RFC 6675 §5).
      if (pipeControlled) return false;
      // Partial: deflate by the amount acked, add back one MSS.
      this.cwnd = this.cwnd > acked ? this.cwnd - acked : 0;
      if (acked >= this.mss) this.cwnd += this.mss;
      this.cwnd = max<u32>(this.cwnd, this.mss);
      return true;
    }
    if (this.cwnd < this.ssthresh) {
      // Slow start, with the L = 1*SMSS limit of RFC 3465 §2.2.
      this.cwnd += min<u32>(acked, this.mss);
    } else {
      // Congestion avoidance: one MSS per window of data acknowledged (RFC 5681 §3.1, eq. 3's byte-counting form).
      this.acked += acked;
      if (this.acked >= this.cwnd) {
        this.acked -= this.cwnd;
        this.cwnd += this.mss;
      }
    }
    return false;
  }

  /**
   * A duplicate ACK (RFC 5681 §2's definition, checked by the caller).
   * Returns true when it is the third and the caller must fast-retransmit.
   */
  onDupAck(ack: u32, flight: u32, sndMax: u32): bool {
    this.dupAcks++;
    if (this.inRecovery) {
      this.cwnd += this.mss; // inflate (RFC 6582 §3.2 step 4)
      return false;
    }
    if (this.dupAcks != 3) return false;
    // RFC 6582 §3.2 step 2: not while the ACK is below `recover`, so the
    // duplicates a go-back-N retransmission causes after a timeout do not
    // start a recovery. (An ACK equal to `recover` covers everything sent
    // before it, so its duplicates are about new data: allowed.)
    if (!this.mayRecover(ack)) return false;
    this.enterRecovery(flight, sndMax, 3 * this.mss);
    return true;
  }

  /**
   * False while `ack` is below `recover`: a recovery (or timeout) is still
   * repairing that data (RFC 6582 §3.2 step 2; RFC 6675 §5.1).
   */
  mayRecover(ack: u32): bool { return !seqGt(this.recover, ack); }

  /**
   * Loss recovery begins (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.2):
   * ssthresh is half the flight, cwnd ssthresh plus `inflation`, and the
   * recovery lasts until `sndMax` is acknowledged.
   */
  enterRecovery(flight: u32, sndMax: u32, inflation: u32): void {
    this.ssthresh = max<u32>(flight / 2, 2 * this.mss);
    this.recover = sndMax;
    this.cwnd = this.ssthresh + inflation;
    this.inRecovery = true;
    this.fastRetransmits++;
  }

  /** The retransmission timer expired (RFC 5681 §3.1 eq. 4, RFC 6582 §4). */
  onTimeout(flight: u32, sndMax: u32, first: bool): void {
    this.timeouts++;
    // ssthresh is held across repeated timeouts of the same data (RFC 5681 §3.1, after eq. 4).
    if (first) this.ssthresh = max<u32>(flight / 2, 2 * this.mss);
    this.cwnd = this.mss;
    this.inRecovery = false;
    this.dupAcks = 0;
    this.recover = sndMax;
    this.acked = 0;
  }

  /**
   * A tail loss probe that resent data was acknowledged: a loss was repaired
   * (or an ACK lost; without DSACK the two look alike), so react as to any
   * loss (RFC 8985 §7.4.2): halve, without a recovery episode.
   */
  onProbeRepairedLoss(flight: u32): void {
    this.ssthresh = max<u32>(flight / 2, 2 * this.mss);
    this.cwnd = min<u32>(this.cwnd, this.ssthresh);
    this.acked = 0;
  }

  /** After an idle period of at least an RTO, restart from the initial window (RFC 5681 §4.1). */
  onIdle(): void {
    this.cwnd = min<u32>(this.cwnd, NewReno.initialWindow(this.mss));
  }
}
