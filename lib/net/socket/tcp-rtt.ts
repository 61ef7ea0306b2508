// The retransmission timer's value (RFC 6298): a smoothed round-trip time
// and its variation from samples, doubled on each timeout (§5.5) and reset
// by the next valid sample. Karn's rule (§3) — no samples from retransmitted
// segments — is the caller's: it only samples what it may.

import { ms, seconds } from "../../time";

const G: i64 = ms(1); // clock granularity G of §2

export class RttEstimator {
  /** Smoothed RTT, ns; -1 before the first sample. */
  srtt: i64 = -1;
  rttvar: i64 = 0;
  /** Current RTO without backoff. */
  private base: i64;
  /** Timeouts in a row since the last sample. */
  backoffs: i32 = 0;

  constructor(readonly initial: i64 = seconds(1), readonly minRto: i64 = seconds(1), readonly maxRto: i64 = seconds(60)) {
    this.base = initial;
  }

  /** One round-trip measurement (§2.2, §2.3, α = 1/8, β = 1/4). */
  sample(r: i64): void {
    if (r < 0) return;
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      const d = this.srtt > r ? this.srtt - r : r - this.srtt;
      this.rttvar = (3 * this.rttvar + d) / 4;
      this.srtt = (7 * this.srtt + r) / 8;
    }
    this.base = this.clamp(this.srtt + max<i64>(G, 4 * this.rttvar));
    this.backoffs = 0;
  }

  /** The timeout to arm now: the base doubled per backoff, at most maxRto (§5.5). */
  get rto(): i64 {
    let t = this.base;
    for (let i = 0; i < this.backoffs && t < this.maxRto; i++) t *= 2;
    return this.clamp(t);
  }

  /** A timeout happened (§5.5). */
  backoff(): void { this.backoffs++; }

  /**
   * The handshake needed retransmissions and gave no sample: data starts
   * with an RTO of 3 s (§5.7), without the SYN's backoff.
   */
  synWasRetransmitted(): void {
    if (this.srtt < 0) this.base = this.clamp(max<i64>(this.base, 3_000_000_000));
    this.backoffs = 0;
  }

  private clamp(t: i64): i64 { return min(max(t, this.minRto), this.maxRto); }
}
