// A TCP connection. Read, in this order: RFC 9293 (the protocol; §3.10 is
// the event processing this file follows), RFC 5961 (resets, SYNs and ACKs
// checked against the window), RFC 6298 (the retransmission timer), RFC 5681,
// RFC 6582 and RFC 3042 (congestion control), RFC 7323 (window scaling, timestamps),
// RFC 1122 §4.2.3 (delayed ACK, Nagle, silly-window avoidance), RFC 8985 §7
// (tail loss probes), RFC 2018, RFC 2883 and RFC 6675 (SACK, D-SACK and loss
// recovery with them: tcp-sack-report.ts, tcp-scoreboard.ts, tcp-sack-recovery.ts).
//
// The socket does no I/O. The interface hands it segments (processTcp),
// asks when it next wants to run (pollAt) and lets it send (dispatch), all
// with the time `now`. processTcp only changes state and raises flags
// (ackNow, a retransmission due, ...); dispatch turns them into segments. The
// application sees the connection through a TcpHandler and the methods
// connect, write, read, close and abort.
//
// Fields follow RFC 9293 §3.3.1's names (snd.una, snd.nxt, rcv.nxt, ...).
// Invariants: snd.una <= snd.nxt <= snd.max; the send buffer holds the bytes
// from snd.una on (SYN and FIN take sequence numbers but no buffer space);
// the receive buffer's window never moves the advertised right edge back.

import { Ipv4Addr, IPV4_UNSPECIFIED } from "../addr";
import { FOREVER, seconds } from "../../time";
import { TcpRepr, TcpFlags } from "../wire/tcp";
import { Socket, Egress, SendError, TcpVerdict } from "./socket";
import { TcpState, TcpError, isSynchronized } from "./tcp-state";
import { seqLt, seqLe, seqGt, seqGe, seqDiff, seqMax } from "./tcp-seq";
import { RttEstimator } from "./tcp-rtt";
import { NewReno } from "./tcp-congestion";
import { SendBuffer } from "./tcp-send";
import { MIN_BUFFER, minBufferPool } from "./tcp-buffer-memory";
import { BufferPool } from "../../pool";
import { RecvBuffer } from "./tcp-recv";
import { MemoryBudget, unlimitedBudget } from "../../budget";
import { SackReport } from "./tcp-sack-report";
import { SackRecovery, SackEvent, NextSeg, dsackCovers } from "./tcp-sack-recovery";
import {
  TcpConfig, localMss, effectiveMss, windowShiftFor, initialSequence, tupleHash, tsClock, TS_OFFSET_SALT,
} from "./tcp-options";
import { CookieOptions } from "./tcp-syncookie";

export { TcpState, TcpError } from "./tcp-state";
export { TcpConfig } from "./tcp-options";

/**
 * What a connection tells its application. Every method has an empty
 * default; override those you need. A handler may call any method of the
 * connection, close and abort included.
 */
export abstract class TcpHandler {
  /** An active open completed: the connection is ESTABLISHED. */
  onConnected(c: TcpSocket, now: i64): void {}
  /** Bytes arrived in order: read() them (what is not read closes the window). */
  onReadable(c: TcpSocket, now: i64): void {}
  /** A write() that was cut short, or that filled the send buffer, now has room again. */
  onWritable(c: TcpSocket, now: i64): void {}
  /** The peer sent FIN: after what read() still returns, no more data comes. */
  onPeerClosed(c: TcpSocket, now: i64): void {}
  /** The connection is over for the application: `error` None after a graceful close. Called once. */
  onClosed(c: TcpSocket, error: TcpError, now: i64): void {}
}

/**
 * The reset RFC 9293 §3.10.7.1 answers a segment with when no connection
 * takes it: <SEQ=SEG.ACK><CTL=RST> for a segment with an ACK, else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; null for a RST (never answered).
 */
export function tcpResetFor(seg: TcpRepr): TcpRepr | null {
  if (seg.rst) return null;
  if (seg.hasAck) return TcpRepr.of(seg.dstPort, seg.srcPort, seg.ack, 0, TcpFlags.RST, 0);
  return TcpRepr.of(seg.dstPort, seg.srcPort, 0, seg.seq + seg.segLen, TcpFlags.RST | TcpFlags.ACK, 0);
}

/** The side of a listener a connection it spawned reports to (tcp-listener.ts). */
export abstract class TcpParent {
  abstract childEstablished(c: TcpSocket, now: i64): void;
  abstract childGone(c: TcpSocket): void;
}

/** Counters per connection. */
export class TcpStats {
  segmentsSent: i32 = 0;
  segmentsReceived: i32 = 0;
  /** Segments sent again: timeouts, fast retransmits, partial ACKs. */
  retransmits: i32 = 0;
  timeouts: i32 = 0;
  fastRetransmits: i32 = 0;
  zeroWindowProbes: i32 = 0;
  /** Retransmissions in recovery found lost by the duplicate ACKs that followed them, and sent again. */
  lostRetransmits: i32 = 0;
  /** Tail loss probes sent (RFC 8985 §7): new data, or the last segment again. */
  lossProbes: i32 = 0;
  keepAlives: i32 = 0;
  challengeAcks: i32 = 0;
  /** Segments outside the window, failing PAWS, or with unacceptable ACKs. */
  dropped: i32 = 0;
  /** Out-of-order segments dropped because the reassembly ranges were full. */
  oooDropped: i32 = 0;
  /** Segments the interface refused to send. */
  sendFailures: i32 = 0;
}

const RTT_NONE: i64 = -1;
/** The shortest tail loss probe timeout: a few ticks of any event loop's timer. */
const PROBE_MIN: i64 = 10_000_000;
/** How long a peer may sit on the ACK of a lone segment (RFC 8985 §7.2's WCDelAckT; RFC 9293 §3.8.6.3's bound is 0.5 s, common practice 200 ms). */
const PEER_MAX_ACK_DELAY: i64 = 200_000_000;
const EMPTY = new Uint8Array(0);
/** The budget and buffer pool of sockets outside any set (tests driving a socket by hand). */
const NO_BUDGET = unlimitedBudget();
const NO_SET_POOL = minBufferPool();

/**
 * One TCP connection. Add it to an interface's SocketSet, then connect();
 * listeners create theirs. A connection leaves its set when it reaches
 * CLOSED; add it again to reuse the object.
 */
export class TcpSocket extends Socket {
  state: TcpState = TcpState.Closed;
  handler: TcpHandler | null;
  readonly config: TcpConfig;
  /** The listener that spawned this connection until it is accepted. */
  parent: TcpParent | null = null;
  readonly stats: TcpStats = new TcpStats();
  /** How the connection ended; None while open or after a graceful close. */
  error: TcpError = TcpError.None;

  localAddr: Ipv4Addr = IPV4_UNSPECIFIED;
  localPort: u16 = 0;
  remoteAddr: Ipv4Addr = IPV4_UNSPECIFIED;
  remotePort: u16 = 0;

  // Send sequence space (RFC 9293 §3.3.1).
  iss: u32 = 0;
  sndUna: u32 = 0;
  sndNxt: u32 = 0;
  /** Highest sequence number sent + 1; snd.nxt falls back below it after a timeout. */
  sndMax: u32 = 0;
  /** The peer's window, scaled, in bytes. */
  sndWnd: u32 = 0;
  sndWl1: u32 = 0;
  sndWl2: u32 = 0;
  /** Largest window the peer has offered (RFC 1122 §4.2.3.4; RFC 5961 §5.2's MAX.SND.WND). */
  maxSndWnd: u32 = 0;
  // Receive sequence space.
  irs: u32 = 0;
  rcvNxt: u32 = 0;
  /** The right edge of the window we last advertised. */
  rcvAdv: u32 = 0;
  /** A FIN that arrived ahead of data still missing; valid when rxFinPending. */
  private rxFinSeq: u32 = 0;
  private rxFinPending: bool = false;

  // Negotiated in the SYNs.
  sndShift: i32 = 0;
  rcvShift: i32 = 0;
  tsOk: bool = false;
  private tsRecent: u32 = 0;
  private tsOffset: u32 = 0;
  private lastAckSent: u32 = 0;
  /** Payload bytes per segment we send. */
  mss: i32 = 536;
  private peerMss: i32 = 0;
  private peerWantsScale: bool = false;
  /** Both SYNs permitted SACK (RFC 2018 §2): our ACKs carry blocks, and loss recovery is RFC 6675's. */
  sackOk: bool = false;
  /** With SACK: the blocks our ACKs carry, and the sender's scoreboard and recovery; made on first use. */
  private sackRep: SackReport | null = null;
  private sackRec: SackRecovery | null = null;

  private tx: SendBuffer | null = null;
  private rx: RecvBuffer | null = null;
  /** close() was called: a FIN follows the data written. */
  private finQueued: bool = false;
  /** Our FIN is acknowledged. */
  private finAcked: bool = false;
  private wantWritable: bool = false;

  rtt: RttEstimator;
  cc: NewReno;

  // Timers: FOREVER when not armed.
  private rtoAt: i64 = FOREVER;
  private ackAt: i64 = FOREVER;
  private persistAt: i64 = FOREVER;
  private keepAt: i64 = FOREVER;
  /** The tail loss probe's timer (RFC 8985 §7.2). */
  private probeAt: i64 = FOREVER;
  /** A probe is out: no other until an ACK covers probeEnd (RFC 8985 §7.4's TLP episode). */
  private probeOut: bool = false;
  private probeEnd: u32 = 0;
  /** The probe sent the last segment again rather than new data: from probeSeq. */
  private probeRetransmitted: bool = false;
  private probeSeq: u32 = 0;
  /** A D-SACK showed the probe's segment had arrived before: no loss (RFC 8985 §7.4.2). */
  private probeDsacked: bool = false;
  private timeWaitAt: i64 = FOREVER;
  /** FIN-WAIT-2's idle limit (TcpConfig.finWait2Timeout). */
  private finWait2At: i64 = FOREVER;
  /** Timeouts in a row of the segment at snd.una (or the SYN). */
  private retries: i32 = 0;
  private persistBackoff: i32 = 0;
  private keepProbes: i32 = 0;
  // Round-trip timing without timestamps: one segment at a time (RFC 6298 §3).
  private rttSeq: u32 = 0;
  private rttStart: i64 = RTT_NONE;
  /** When data was last sent; -1 before any. */
  private lastSendAt: i64 = -1;

  // Work for dispatch.
  private ackNow: bool = false;
  private retransmitNow: bool = false;
  private rstPending: bool = false;
  private unackedSegments: i32 = 0;
  /**
   * Duplicate ACKs the segments in flight when the hole was last resent can
   * still cause; one more means a segment sent after that retransmission
   * arrived before it: the retransmission was lost.
   */
  private dupAcksBeforeResend: i32 = 0;
  /** Segments above snd.una the peer has (one per duplicate ACK since snd.una moved, less those a partial ACK covered). */
  private deliveredAbove: i32 = 0;
  private challengeCount: i32 = 0;
  private challengeSecond: i64 = -1;
  private closedNotified: bool = false;
  /**
   * Bumped each time the connection reaches CLOSED. A handler may close,
   * abort or even reconnect this socket from inside a callback; code that
   * called out compares this before carrying on with the old segment.
   */
  private incarnation: u32 = 0;

  private out: TcpRepr = new TcpRepr();

  constructor(handler: TcpHandler | null = null, config: TcpConfig = new TcpConfig()) {
    super();
    this.handler = handler;
    this.config = config;
    this.rtt = new RttEstimator(config.initialRto, config.minRto, config.maxRto);
    this.cc = new NewReno(536, 0);
  }

  // --- the application's side --------------------------------------------

  /** Opens a connection to `remote`:`remotePort` from `localPort` (0: an ephemeral port). */
  connect(remote: Ipv4Addr, remotePort: u16, now: i64, localPort: u16 = 0): TcpError {
    const set = this.set;
    if (set == null) return TcpError.NotInSet;
    if (this.state != TcpState.Closed) return TcpError.InUse;
    if (remote == IPV4_UNSPECIFIED || remotePort == 0) return TcpError.Unaddressable;
    if (!set.egress.canReach(remote)) return TcpError.NoRoute;
    if (set.tcpFull) return TcpError.TooManyConnections;
    let port = localPort;
    if (port == 0) {
      port = set.ephemeralTcpPort(remote, remotePort);
      if (port == 0) return TcpError.NoFreePort;
    }
    if (!set.bindTcpConnection(port, remote, remotePort, this)) return TcpError.AddressInUse;
    this.reset();
    this.localAddr = set.egress.address;
    this.localPort = port;
    this.remoteAddr = remote;
    this.remotePort = remotePort;
    this.initSend(now);
    this.rcvShift = this.config.windowScaling ? windowShiftFor(this.config.recvBuffer) : 0;
    this.state = TcpState.SynSent;
    this.wakeUp();
    return TcpError.None;
  }

  /**
   * Queues up to `len` bytes of `data` from `off` (len -1: to the end);
   * returns how many fit, and onWritable follows when more would. Returns
   * -TcpError.NotConnected once the write side is closed. Writes before the
   * handshake completes are held and sent after it.
   */
  write(data: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    const s = this.state;
    if (this.finQueued || !(s == TcpState.SynSent || s == TcpState.SynReceived || s == TcpState.Established || s == TcpState.CloseWait)) {
      return -<i32>TcpError.NotConnected;
    }
    if (len < 0) len = data.length - off;
    len = min(len, data.length - off);
    if (len <= 0) return 0;
    const tx = this.txBuf();
    const n = tx.write(data, off, len);
    // Cut short, or exactly filling the buffer: either way the writer waits
    // for room, so onWritable must follow (a writer that sizes its writes by
    // `writable` never sees a short one).
    if (n < len || tx.free == 0) this.wantWritable = true;
    if (n > 0) this.wakeUp();
    return n;
  }

  /** Room in the send buffer; 0 once the write side is closed. */
  get writable(): i32 {
    const s = this.state;
    if (this.finQueued || !(s == TcpState.SynSent || s == TcpState.SynReceived || s == TcpState.Established || s == TcpState.CloseWait)) return 0;
    return this.tx == null ? this.config.sendBuffer : this.tx!.free;
  }
  /** Bytes written and not yet acknowledged. */
  get unacknowledged(): i32 { return this.tx == null ? 0 : this.tx!.length; }
  /** Bytes waiting for read(). */
  get readable(): i32 { return this.rx == null ? 0 : this.rx!.length; }
  /** True once the peer's FIN has arrived and everything before it is in order. */
  get peerClosed(): bool {
    const s = this.state;
    return s == TcpState.CloseWait || s == TcpState.LastAck || s == TcpState.Closing || s == TcpState.TimeWait;
  }

  /** Moves up to `len` received bytes into `dst` at `off`; returns how many. */
  read(dst: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    const rx = this.rx;
    if (rx == null) return 0;
    if (len < 0) len = dst.length - off;
    const n = rx.read(dst, off, min(len, dst.length - off));
    // Once nothing more can arrive, an emptied buffer is let go.
    if (rx.length == 0 && (this.state == TcpState.TimeWait || this.state == TcpState.Closed)) this.rx = null;
    // A window that opened enough is worth telling the sender about (RFC 9293 §3.8.6.2.2).
    // (Not in TIME-WAIT: the peer sends nothing more.)
    if (n > 0 && isSynchronized(this.state) && this.state != TcpState.TimeWait && this.windowUpdateWorthIt()) {
      this.ackNow = true;
      this.wakeUp();
    }
    return n;
  }

  /** Everything received so far, as a new array. */
  readAll(): Uint8Array {
    const out = new Uint8Array(this.readable);
    this.read(out);
    return out;
  }

  /**
   * Closes the sending side gracefully: FIN after the data written
   * (RFC 9293 §3.10.4). Reading goes on until the peer closes too.
   */
  close(now: i64 = 0): void {
    this.wakeUp();
    switch (this.state) {
      case TcpState.SynSent:
        this.finish(TcpError.None, now);
        return;
      case TcpState.SynReceived:
        // The FIN waits for the handshake: ESTABLISHED becomes FIN-WAIT-1 at once.
        this.finQueued = true;
        return;
      case TcpState.Established:
        this.finQueued = true;
        this.state = TcpState.FinWait1;
        return;
      case TcpState.CloseWait:
        this.finQueued = true;
        this.state = TcpState.LastAck;
        return;
    }
  }

  /** Drops the connection with a reset (RFC 9293 §3.10.5); onClosed(Aborted) follows. */
  abort(now: i64 = 0): void {
    this.wakeUp();
    const s = this.state;
    if (s == TcpState.Closed || s == TcpState.TimeWait) {
      if (s == TcpState.TimeWait) this.finish(TcpError.None, now);
      return;
    }
    if (s == TcpState.SynSent) {
      this.finish(TcpError.Aborted, now);
      return;
    }
    this.rstPending = true;
  }

  /** Closes at once without a segment (a listener shedding a half-open connection). */
  drop(now: i64): void { this.finish(TcpError.Aborted, now); }

  // --- the listener's side ---------------------------------------------

  /** Starts a passive open from a SYN the listener took (RFC 9293 §3.10.7.2, "LISTEN STATE", third). */
  acceptSyn(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, parent: TcpParent, now: i64): bool {
    const set = this.set;
    if (set == null) return false;
    if (!set.bindTcpConnection(seg.dstPort, src, seg.srcPort, this)) return false;
    this.reset();
    this.parent = parent;
    this.localAddr = dst;
    this.localPort = seg.dstPort;
    this.remoteAddr = src;
    this.remotePort = seg.srcPort;
    this.irs = seg.seq;
    this.rcvNxt = seg.seq + 1;
    this.rcvAdv = this.rcvNxt;
    this.takeSynOptions(seg);
    this.initSend(now);
    this.sndWnd = <u32>seg.window; // never scaled in a SYN (RFC 7323 §2.2)
    this.sndWl1 = seg.seq;
    this.maxSndWnd = this.sndWnd;
    if (this.tsOk) this.tsRecent = seg.tsVal;
    this.state = TcpState.SynReceived;
    return true;
  }

  /**
   * Starts a passive open from the ACK that answers a SYN cookie: the
   * connection is put in SYN-RECEIVED as if we had kept it since the SYN
   * (our ISN the cookie, the options it carried), and the ACK, processed
   * next, completes it. `mss` and `opts` come from the cookie.
   */
  acceptCookie(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, mss: i32, opts: CookieOptions, parent: TcpParent, now: i64): bool {
    // The SYN the cookie stands for: the client's ISN and the options it carried.
    const syn = TcpRepr.of(seg.srcPort, seg.dstPort, seg.seq - 1, 0, TcpFlags.SYN, seg.window);
    syn.mss = <u16>mss;
    syn.windowShift = opts.windowShift;
    syn.sackPermitted = opts.sackPermitted;
    syn.hasTimestamps = opts.timestamps;
    syn.tsVal = seg.tsVal;
    if (!this.acceptSyn(src, dst, syn, parent, now)) return false;
    // Our ISN was the cookie, and the SYN-ACK with its unscaled window (RFC 7323 §2.2) is out.
    this.iss = seg.ack - 1;
    this.sndUna = this.iss;
    this.sndNxt = this.iss + 1;
    this.sndMax = this.iss + 1;
    this.cc = new NewReno(536, this.iss);
    this.rcvAdv = this.rcvNxt + <u32>min<i32>(this.config.recvBuffer, 0xFFFF);
    this.lastAckSent = this.rcvNxt;
    return true;
  }

  // --- Socket ---------------------------------------------------------------

  /** Times the SYN or SYN-ACK was sent again (0 once the handshake is done). */
  get synRetransmits(): i32 { return this.state == TcpState.SynSent || this.state == TcpState.SynReceived ? this.retries : 0; }

  get takesDatagrams(): bool { return false; }
  get tcpReclaimable(): bool { return this.state == TcpState.TimeWait; }
  tcpReclaim(): void { this.finish(TcpError.None, 0); }

  /**
   * A connection with nothing due waits only for its timers, a segment (the
   * TCP table lookup wakes it) or its application (every call that can make
   * work wakes it): it parks out of the per-frame walk until the earliest
   * timer. Idle and TIME-WAIT connections then cost nothing per frame.
   */
  get parkUntil(): i64 { return this.pollAt(); }

  /** Back into the set's walk: the application asked for something. */
  private wakeUp(): void {
    const set = this.set;
    if (set != null) set.wake(this);
  }

  pollAt(): i64 {
    const s = this.state;
    if (s == TcpState.Closed) return FOREVER;
    if (this.ackNow || this.retransmitNow || this.rstPending) return 0;
    if ((s == TcpState.SynSent || s == TcpState.SynReceived) && this.sndNxt == this.iss) return 0;
    if (this.nextSegmentLen() >= 0) return 0;
    if (this.persistAt == FOREVER && this.needsPersist()) return 0;
    let t = min(min(this.rtoAt, this.ackAt), min(this.persistAt, this.keepAt));
    return min(min(t, this.probeAt), min(this.timeWaitAt, this.finWait2At));
  }

  dispatch(now: i64, egress: Egress): void {
    if (this.state == TcpState.Closed) return;
    if (this.rstPending) {
      this.rstPending = false;
      this.send(egress, now, this.sndNxt, TcpFlags.RST | TcpFlags.ACK, 0);
      this.finish(TcpError.Aborted, now);
      return;
    }
    if (now >= this.timeWaitAt) {
      this.finish(TcpError.None, now);
      return;
    }
    if (now >= this.finWait2At) {
      this.finish(TcpError.TimedOut, now);
      return;
    }
    const g = this.incarnation;
    if (now >= this.rtoAt) {
      this.onRetransmitTimeout(now);
      if (this.incarnation != g) return;
    }
    if (now >= this.persistAt) this.onPersistTimeout(egress, now);
    if (now >= this.probeAt) this.onProbeTimeout(egress, now);
    if (now >= this.keepAt) {
      this.onKeepAliveTimeout(egress, now);
      if (this.incarnation != g) return;
    }
    if (now >= this.ackAt) this.ackNow = true;
    this.transmit(egress, now);
  }

  processTcp(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, now: i64): TcpVerdict {
    this.stats.segmentsReceived++;
    switch (this.state) {
      case TcpState.Closed: return TcpVerdict.NotMine;
      case TcpState.SynSent: return this.processSynSent(seg, now);
    }
    // TIME-WAIT and a new SYN: the old incarnation may go if the new one
    // starts above it (RFC 9293 §3.6.1 via RFC 1122 §4.2.2.13, RFC 6191 §2):
    // a later timestamp, or the same one (a millisecond clock ticks slower
    // than a client reconnects; Linux did within one) and a higher sequence number.
    if (this.state == TcpState.TimeWait && seg.syn && !seg.hasAck) {
      const newer = this.tsOk && seg.hasTimestamps
        ? seqGt(seg.tsVal, this.tsRecent) || (seg.tsVal == this.tsRecent && seqGt(seg.seq, this.rcvNxt))
        : seqGt(seg.seq, this.rcvNxt);
      if (newer) {
        this.finish(TcpError.None, now);
        return TcpVerdict.NotMine;
      }
    }
    return this.processSynchronized(seg, now);
  }

  // --- arrival: SYN-SENT (RFC 9293 §3.10.7.3) -------------------------------

  private processSynSent(seg: TcpRepr, now: i64): TcpVerdict {
    if (seg.hasAck && (seqLe(seg.ack, this.iss) || seqGt(seg.ack, this.sndMax))) {
      if (seg.rst) return TcpVerdict.Taken;
      this.stats.dropped++;
      return TcpVerdict.Reset;
    }
    if (seg.rst) {
      // Acceptable only with an acceptable ACK (RFC 5961 §3.2 leaves SYN-SENT to RFC 793's rule).
      if (seg.hasAck) this.finish(TcpError.Refused, now);
      return TcpVerdict.Taken;
    }
    if (!seg.syn) return TcpVerdict.Taken;
    this.irs = seg.seq;
    this.rcvNxt = seg.seq + 1;
    this.takeSynOptions(seg);
    // The window our SYN offered: unscaled (RFC 7323 §2.2).
    this.rcvAdv = this.rcvNxt + <u32>min<i32>(this.config.recvBuffer, 0xFFFF);
    if (this.tsOk) this.tsRecent = seg.tsVal;
    this.sndWnd = <u32>seg.window;
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.maxSndWnd = this.sndWnd;
    if (seg.hasAck) {
      this.ackSyn(seg, now);
      this.state = TcpState.Established;
      this.ackNow = true;
      this.startKeepAlive(now);
      const g = this.incarnation;
      const h = this.handler;
      if (h != null) h.onConnected(this, now);
      // Data or FIN may ride on the SYN-ACK.
      if (this.incarnation == g) this.processText(seg, now);
      return TcpVerdict.Taken;
    }
    // Simultaneous open (RFC 9293 §3.5, Figure 8): SYN-RECEIVED, SYN-ACK from our ISS.
    this.state = TcpState.SynReceived;
    this.sndNxt = this.iss;
    return TcpVerdict.Taken;
  }

  /** Our SYN is acknowledged: start sending data. */
  private ackSyn(seg: TcpRepr, now: i64): void {
    this.sndUna = seg.ack;
    if (seqLt(this.sndNxt, this.sndUna)) this.sndNxt = this.sndUna;
    this.rtoAt = FOREVER;
    if (this.tsOk && seg.hasTimestamps && seg.tsEcr != 0) this.sampleTs(seg.tsEcr, now);
    else if (this.rttStart != RTT_NONE && this.rtt.backoffs == 0) this.rtt.sample(now - this.rttStart);
    else if (this.retries > 0) this.rtt.synWasRetransmitted();
    this.retries = 0;
    this.rttStart = RTT_NONE;
    this.mss = effectiveMss(this.peerMss, this.set != null ? this.set!.egress.mtu : 576, this.tsOk);
    this.cc = new NewReno(<u32>this.mss, this.sndUna);
  }

  // --- arrival: the other states (RFC 9293 §3.10.7.4) -------------------------

  private processSynchronized(seg: TcpRepr, now: i64): TcpVerdict {
    const s0 = this.state;
    const g = this.incarnation;
    // A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost; send it again.
    if (s0 == TcpState.SynReceived && seg.syn && !seg.hasAck && seg.seq == this.irs) {
      this.sndNxt = this.iss;
      return TcpVerdict.Taken;
    }
    // Simultaneous open: the peer's SYN-ACK repeats its SYN, which we have;
    // its ACK completes the handshake (RFC 9293 Figure 8, line 6).
    if (s0 == TcpState.SynReceived && seg.syn && seg.hasAck && seg.seq == this.irs) {
      seg.seq += 1;
      seg.flags &= ~TcpFlags.SYN;
    }
    // PAWS (RFC 7323 §5.3): an old timestamp marks an old duplicate.
    if (this.tsOk && seg.hasTimestamps && !seg.rst && seqLt(seg.tsVal, this.tsRecent)) {
      this.stats.dropped++;
      this.ackNow = true;
      return TcpVerdict.Taken;
    }
    // First: is the segment in the window?
    if (!this.acceptable(seg)) {
      this.stats.dropped++;
      // Answer with an ACK (RFC 9293 §3.10.7.4, first), rate-limited for
      // empty segments, so two ends out of step cannot ping-pong ACKs.
      if (!seg.rst) {
        if (seg.segLen == 0) this.challengeAck(now);
        else this.ackNow = true;
        // Data we had already: with SACK the ACK says so (D-SACK, RFC 2883 §4).
        const n = <u32>seg.payload.length;
        if (this.sackOk && n > 0 && seqLe(seg.seq + n, this.rcvNxt)) this.sackReport().duplicate(seg.seq, seg.seq + n);
      }
      // A retransmitted FIN in TIME-WAIT restarts the 2 MSL wait (RFC 9293 §3.10.7.4, eighth).
      if (seg.fin && this.state == TcpState.TimeWait) this.timeWaitAt = now + this.config.timeWait;
      return TcpVerdict.Taken;
    }
    // Second: RST, exact match only (RFC 5961 §3.2); elsewhere in the window earns a challenge ACK.
    if (seg.rst) {
      if (seg.seq != this.rcvNxt) {
        this.challengeAck(now);
        return TcpVerdict.Taken;
      }
      const s = this.state;
      let err = TcpError.Reset;
      if (s == TcpState.SynReceived && this.parent != null) err = TcpError.Refused;
      if (s == TcpState.Closing || s == TcpState.LastAck || s == TcpState.TimeWait) err = TcpError.None;
      this.finish(err, now);
      return TcpVerdict.Taken;
    }
    // Fourth: a SYN in a synchronized state (RFC 5961 §4.2) gets a challenge ACK.
    if (seg.syn) {
      this.challengeAck(now);
      return TcpVerdict.Taken;
    }
    // Fifth: the ACK field.
    if (!seg.hasAck) return TcpVerdict.Taken;
    if (this.tsOk && seg.hasTimestamps && seqLe(seg.seq, this.lastAckSent)) this.tsRecent = seg.tsVal;
    if (this.state == TcpState.SynReceived) {
      if (seqLe(seg.ack, this.sndUna) || seqGt(seg.ack, this.sndMax)) return TcpVerdict.Reset;
      this.ackSyn(seg, now);
      this.sndWnd = <u32>seg.window << <u32>this.sndShift;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
      this.maxSndWnd = max<u32>(this.maxSndWnd, this.sndWnd);
      // close() in SYN-RECEIVED queued a FIN: FIN-WAIT-1 (RFC 9293 §3.10.4).
      this.state = this.finQueued ? TcpState.FinWait1 : TcpState.Established;
      this.startKeepAlive(now);
      const p = this.parent;
      if (p != null) p.childEstablished(this, now);
      else {
        const h = this.handler;
        if (h != null) h.onConnected(this, now);
      }
      if (this.incarnation != g) return TcpVerdict.Taken;
    } else {
      if (!this.processAck(seg, now)) return TcpVerdict.Taken;
      if (this.incarnation != g) return TcpVerdict.Taken;
    }
    this.restartKeepAlive(now);
    if (this.state == TcpState.FinWait2) this.armFinWait2(now);
    this.processText(seg, now);
    return TcpVerdict.Taken;
  }

  /** RFC 9293 §3.10.7.4's four cases, with room for the ACKs of a zero window. */
  private acceptable(seg: TcpRepr): bool {
    const wnd = <i32>max<i32>(seqDiff(this.rcvAdv, this.rcvNxt), 0);
    const len = <i32>seg.payload.length + (seg.syn ? 1 : 0) + (seg.fin ? 1 : 0);
    const d = seqDiff(seg.seq, this.rcvNxt);
    if (len == 0) {
      if (wnd == 0) return d == 0;
      return d >= 0 && d < wnd;
    }
    // A zero window takes no data, but a segment at rcv.nxt still carries a
    // valid ACK and window (a zero-window probe, say); processText drops its data.
    if (wnd == 0) return d == 0;
    const dEnd = d + len - 1;
    return (d >= 0 && d < wnd) || (dEnd >= 0 && dEnd < wnd);
  }

  /** The ACK field in synchronized states; false when the segment is to be dropped. */
  private processAck(seg: TcpRepr, now: i64): bool {
    const ack = seg.ack;
    // Beyond what we sent: acknowledge and drop (RFC 9293 §3.10.7.4, fifth, ESTABLISHED).
    if (seqGt(ack, this.sndMax)) {
      this.stats.dropped++;
      this.ackNow = true;
      return false;
    }
    // Older than any window the peer could still have (RFC 5961 §5.2).
    if (seqLt(ack, this.sndUna - this.maxSndWnd)) {
      this.stats.dropped++;
      this.ackNow = true;
      return false;
    }
    const wnd = <u32>seg.window << <u32>this.sndShift;
    const dup = ack == this.sndUna && seg.payload.length == 0 && !seg.fin && wnd == this.sndWnd &&
      this.sndNxt != this.sndUna && seqGt(this.sndMax, this.sndUna);
    if (this.sackOk) {
      const g = this.incarnation;
      this.sackAck(seg, wnd, dup, now);
      if (this.incarnation != g) return false;
    } else if (seqGt(ack, this.sndUna)) {
      const g = this.incarnation;
      this.newAck(seg, wnd, now);
      if (this.incarnation != g) return false;
    } else if (dup) {
      // A duplicate ACK (RFC 5681 §2): one more segment above the hole arrived.
      this.deliveredAbove++;
      if (this.cc.onDupAck(ack, this.flight(), this.sndMax)) {
        this.stats.fastRetransmits++;
        this.retransmitNow = true;
        this.rttStart = RTT_NONE;
      } else if (this.cc.inRecovery && --this.dupAcksBeforeResend < 0) {
        // NewReno alone waits for the RTO when a retransmission is lost. The
        // ACKs say more: every duplicate is a segment delivered, and once
        // more have come than were in flight when the hole was resent,
        // segments sent after it got through and it did not (RACK's
        // reasoning, RFC 8985 §3, with duplicate ACKs for SACK). Resend it.
        this.stats.lostRetransmits++;
        this.retransmitNow = true;
      }
    }
    // The window, from the newest segment only (RFC 9293 §3.10.7.4, SND.WL1/WL2).
    if (seqLt(this.sndWl1, seg.seq) || (this.sndWl1 == seg.seq && seqLe(this.sndWl2, ack))) {
      this.sndWnd = wnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      this.maxSndWnd = max<u32>(this.maxSndWnd, wnd);
      if (wnd > 0) {
        this.persistAt = FOREVER;
        this.persistBackoff = 0;
      }
    }
    return true;
  }

  /**
   * The ACK field with SACK: snd.una moves as without, then RFC 6675's
   * recovery takes the blocks (tcp-sack-recovery.ts); in recovery every ACK
   * lets transmit() send what pipe now allows.
   */
  private sackAck(seg: TcpRepr, wnd: u32, dup: bool, now: i64): void {
    if (this.probeOut && this.probeRetransmitted && dsackCovers(seg, this.probeSeq)) this.probeDsacked = true;
    if (seqGt(seg.ack, this.sndUna)) {
      const g = this.incarnation;
      this.newAck(seg, wnd, now);
      if (this.incarnation != g) return;
    }
    let rec = this.sackRec;
    if (rec == null) {
      // Nothing to keep until the peer reports a hole.
      if (seg.sackCount == 0 && !dup) return;
      rec = new SackRecovery();
      this.sackRec = rec;
    }
    const ev = rec.onAck(seg, dup, this.cc, this.sndUna, this.sndMax, <u32>this.mss);
    if (ev == SackEvent.Recovery) {
      this.stats.fastRetransmits++;
      this.rttStart = RTT_NONE;
      this.probeAt = FOREVER;
    } else if (ev == SackEvent.LostRetransmit) {
      this.stats.lostRetransmits++;
    }
    if (this.cc.inRecovery) this.retransmitNow = true;
  }

  private newAck(seg: TcpRepr, wnd: u32, now: i64): void {
    const ack = seg.ack;
    const acked = <u32>seqDiff(ack, this.sndUna);
    const tx = this.tx;
    const buffered = tx == null ? 0 : tx.length;
    // Bytes of data the ACK covers; the rest is our FIN.
    const dataAcked = min<i32>(<i32>acked, buffered);
    const finAcked = this.finQueued && <i32>acked > buffered;
    if (tx != null) tx.consume(dataAcked);
    // Round-trip sample: timestamps when both use them, else the timed segment (Karn: never a retransmitted one).
    if (this.tsOk && seg.hasTimestamps && seg.tsEcr != 0) this.sampleTs(seg.tsEcr, now);
    else if (this.rttStart != RTT_NONE && seqGt(ack, this.rttSeq)) {
      this.rtt.sample(now - this.rttStart);
      this.rttStart = RTT_NONE;
    }
    const flightBefore = this.flight();
    this.sndUna = ack;
    if (seqLt(this.sndNxt, ack)) this.sndNxt = ack;
    this.retries = 0;
    // Of the segments this ACK covers, all but the one that filled the hole
    // had arrived before and were counted by their duplicate ACKs.
    const covered = (<i32>acked + this.mss - 1) / max(this.mss, 1);
    this.deliveredAbove = this.cc.inRecovery ? max(0, this.deliveredAbove - (covered - 1)) : 0;
    if (this.cc.onNewAck(ack, acked, flightBefore - acked, this.sackOk)) {
      // A partial ACK in recovery: the next hole goes now (RFC 6582 §3.2 step 3).
      this.retransmitNow = true;
    }
    // RFC 6298 §5.2, §5.3.
    this.rtoAt = this.sndUna == this.sndMax ? FOREVER : now + this.rtt.rto;
    if (this.probeOut && seqGe(ack, this.probeEnd)) {
      this.probeOut = false;
      // A probe that resent data repaired a loss (RFC 8985 §7.4.2) unless a
      // D-SACK showed the original had arrived (without SACK, none can).
      if (this.probeRetransmitted && !this.probeDsacked) this.cc.onProbeRepairedLoss(flightBefore);
    }
    this.armProbe(now);
    if (finAcked) {
      this.finAcked = true;
      const s = this.state;
      if (s == TcpState.FinWait1) {
        this.state = TcpState.FinWait2;
        this.armFinWait2(now);
      }
      else if (s == TcpState.Closing) this.enterTimeWait(now);
      else if (s == TcpState.LastAck) {
        this.finish(TcpError.None, now);
        return;
      }
    }
    if (this.wantWritable && tx != null && tx.free > 0 && !this.finQueued) {
      this.wantWritable = false;
      const h = this.handler;
      if (h != null) h.onWritable(this, now);
    }
  }

  /** Segment text and FIN (RFC 9293 §3.10.7.4, seventh and eighth). */
  private processText(seg: TcpRepr, now: i64): void {
    const s = this.state;
    const canTakeData = s == TcpState.Established || s == TcpState.FinWait1 || s == TcpState.FinWait2;
    let payload = seg.payload;
    // Sequence number of the first byte of data (after a SYN, if any).
    let seq = seg.syn ? seg.seq + 1 : seg.seq;
    if (canTakeData && payload.length > 0) {
      const rx = this.rxBuf();
      let skip = seqDiff(this.rcvNxt, seq);
      if (skip < 0) skip = 0;
      // With SACK, bytes that came again are reported (D-SACK, RFC 2883 §4).
      if (this.sackOk && skip > 0) this.sackReport().duplicate(seq, seq + <u32>min(skip, payload.length));
      if (skip >= payload.length) {
        this.ackNow = true; // all old: a retransmission whose ACK was lost
      } else {
        const offset = max<i32>(seqDiff(seq, this.rcvNxt), 0);
        const take = rx.room(offset, min(payload.length - skip, rx.window - offset));
        if (take > 0) {
          const hadGaps = rx.hasGaps;
          if (this.sackOk && hadGaps) this.sackReport().checkDuplicate(rx, this.rcvNxt, seq + <u32>skip, take);
          // (A whole segment goes in as it is: a view per segment is an allocation per segment.)
          const adv = rx.insert(offset, skip == 0 && take == payload.length ? payload : payload.subarray(skip, skip + take));
          if (adv < 0) this.stats.oooDropped++;
          // Held out of order: its range leads the next ACKs' SACK blocks (RFC 2018 §4).
          if (this.sackOk && adv == 0) this.sackReport().arrived(rx, this.rcvNxt, seq + <u32>skip);
          if (adv > 0) {
            this.rcvNxt += <u32>adv;
            const g = this.incarnation;
            this.notifyReadable(now);
            if (this.incarnation != g) return;
          }
          // Out of order, or filling a hole: ACK at once (RFC 5681 §4.2).
          if (offset > 0 || hadGaps) this.ackNow = true;
          else this.delayAck(now);
        } else {
          this.ackNow = true;
        }
        if (take < payload.length - skip) this.ackNow = true;
      }
    }
    if (seg.fin && (canTakeData || s == TcpState.SynReceived)) {
      const finSeq = seq + <u32>payload.length;
      if (seqGe(finSeq, this.rcvNxt)) {
        this.rxFinSeq = finSeq;
        this.rxFinPending = true;
      }
    } else if (seg.fin) {
      // A FIN again, in CLOSE-WAIT, CLOSING, LAST-ACK or TIME-WAIT: acknowledge it.
      this.ackNow = true;
      if (this.state == TcpState.TimeWait) this.timeWaitAt = now + this.config.timeWait;
    }
    if (this.rxFinPending && this.rxFinSeq == this.rcvNxt && this.state != TcpState.Closed) {
      this.rxFinPending = false;
      this.takeFin(now);
    }
  }

  /** The peer's FIN, in order (RFC 9293 §3.10.7.4, eighth). */
  private takeFin(now: i64): void {
    this.rcvNxt += 1;
    this.ackNow = true;
    switch (this.state) {
      case TcpState.SynReceived:
      case TcpState.Established:
        this.state = TcpState.CloseWait;
        break;
      case TcpState.FinWait1:
        // Our FIN unacknowledged: simultaneous close (RFC 9293 Figure 13).
        this.state = TcpState.Closing;
        break;
      case TcpState.FinWait2:
        this.enterTimeWait(now);
        break;
    }
    const h = this.handler;
    if (h != null) h.onPeerClosed(this, now);
  }

  // --- sending ---------------------------------------------------------------

  private transmit(egress: Egress, now: i64): void {
    const s = this.state;
    if (s == TcpState.Closed) return;
    // SYN, or SYN-ACK, from the ISS.
    if ((s == TcpState.SynSent || s == TcpState.SynReceived) && this.sndNxt == this.iss) {
      const flags = s == TcpState.SynSent ? TcpFlags.SYN : TcpFlags.SYN | TcpFlags.ACK;
      this.send(egress, now, this.iss, flags, 0);
      this.sndNxt = this.iss + 1;
      this.sndMax = seqMax(this.sndMax, this.sndNxt);
      if (this.rtoAt == FOREVER) this.rtoAt = now + this.rtt.rto;
      if (this.retries == 0 && this.rttStart == RTT_NONE) this.rttStart = now;
      return;
    }
    if (s == TcpState.SynSent || s == TcpState.SynReceived) {
      if (this.ackNow && s == TcpState.SynReceived) this.sendAck(egress, now);
      this.ackNow = false;
      return;
    }
    if (this.retransmitNow) {
      this.retransmitNow = false;
      if (this.inSackRecovery()) this.sackTransmit(egress, now);
      else this.retransmitFirst(egress, now);
    }
    let sent = false;
    for (let guard = 0; guard < 1024; guard++) {
      const len = this.nextSegmentLen();
      if (len < 0) break;
      this.sendData(egress, now, len);
      sent = true;
    }
    // New data restarts the probe timer (RFC 8985 §7.2).
    if (sent) this.armProbe(now);
    this.armPersist(now);
    if (this.ackNow) this.sendAck(egress, now);
  }

  /**
   * Bytes of data the next segment from snd.nxt would carry, or -1 when none
   * is due: RFC 9293 §3.8.6.2.1's sender-side silly window avoidance, with
   * Nagle (RFC 9293 §3.7.4) unless noDelay. A FIN may ride alone (0).
   */
  private nextSegmentLen(): i32 {
    const s = this.state;
    if (!isSynchronized(s) || s == TcpState.TimeWait) return -1;
    const tx = this.tx;
    const buffered = tx == null ? 0 : tx.length;
    const offset = seqDiff(this.sndNxt, this.sndUna);
    const avail = buffered - offset;
    const finDue = this.finQueued && !this.finAcked && avail >= 0 && seqLe(this.sndNxt, this.sndUna + <u32>buffered);
    if (avail <= 0) return finDue ? 0 : -1;
    const cc = this.cc;
    let cwnd = cc.cwnd;
    // Limited transmit (RFC 3042): the first two duplicate ACKs each let one
    // more segment out, so a small window still gathers three of them.
    if (!cc.inRecovery && cc.dupAcks > 0 && cc.dupAcks < 3) cwnd += <u32>cc.dupAcks * <u32>this.mss;
    const wnd = min<u32>(this.sndWnd, cwnd);
    let usable = seqDiff(this.sndUna + wnd, this.sndNxt);
    // In SACK recovery, pipe rather than the flight is what is out (RFC 6675 §5 (C)).
    if (this.inSackRecovery()) usable = min(seqDiff(this.sndUna + this.sndWnd, this.sndNxt), <i32>cwnd - <i32>this.sackRec!.pipe(this.sndUna, this.sndMax, <u32>this.mss));
    if (usable <= 0) return -1;
    const len = min(min(avail, this.mss), usable);
    if (len == this.mss) return len;
    if (len == avail && (this.config.noDelay || this.sndNxt == this.sndUna || this.finQueued)) return len;
    if (this.maxSndWnd > 0 && <u32>len >= this.maxSndWnd / 2) return len;
    return -1;
  }

  private sendData(egress: Egress, now: i64, len: i32): void {
    const tx = this.tx;
    const buffered = tx == null ? 0 : tx.length;
    const seq = this.sndNxt;
    // Idle for an RTO with nothing in flight: the ACK clock has stopped, so
    // restart from the initial window (RFC 5681 §4.1).
    if (this.sndUna == this.sndMax && this.lastSendAt >= 0 && now - this.lastSendAt >= this.rtt.rto) this.cc.onIdle();
    this.lastSendAt = now;
    const offset = seqDiff(seq, this.sndUna);
    let flags = TcpFlags.ACK;
    if (len > 0 && offset + len == buffered) flags |= TcpFlags.PSH;
    if (this.finQueued && offset + len == buffered) flags |= TcpFlags.FIN;
    const retransmission = seqLt(seq, this.sndMax);
    if (retransmission) this.stats.retransmits++;
    if (len > 0) this.out.payload = tx!.view(offset, len);
    this.send(egress, now, seq, flags, len);
    const used = <u32>len + ((flags & TcpFlags.FIN) != 0 ? 1 : 0);
    this.sndNxt = seq + used;
    this.sndMax = seqMax(this.sndMax, this.sndNxt);
    if (!retransmission && this.rttStart == RTT_NONE && !this.tsOk) {
      this.rttSeq = seq;
      this.rttStart = now;
    }
    if (this.rtoAt == FOREVER) this.rtoAt = now + this.rtt.rto;
  }

  /** Sends the first unacknowledged segment again, without moving snd.nxt (fast retransmit, partial ACK). */
  private retransmitFirst(egress: Egress, now: i64): void {
    if (!this.resend(egress, now, this.sndUna, this.mss)) return;
    // Every segment in flight not yet known delivered may still draw a
    // duplicate ACK, and a reordering of a few (RFC 5681's threshold of 3)
    // is no loss.
    const inFlight = <i32>((this.flight() + <u32>this.mss - 1) / <u32>max(this.mss, 1));
    this.dupAcksBeforeResend = max(0, inFlight - 1 - this.deliveredAbove) + 3;
  }

  /**
   * Sends up to `len` bytes of sequence space from `seq` (below snd.max)
   * again, without moving snd.nxt; our FIN rides along when the data
   * reaches it. Resending snd.una restarts the retransmission timer. False
   * when there was nothing to send.
   */
  private resend(egress: Egress, now: i64, seq: u32, len: i32): bool {
    const tx = this.tx;
    const buffered = tx == null ? 0 : tx.length;
    const off = seqDiff(seq, this.sndUna);
    const n = max(0, min(len, buffered - off));
    let flags = TcpFlags.ACK;
    if (this.finQueued && off + n == buffered && seqGt(this.sndMax, this.sndUna + <u32>buffered)) flags |= TcpFlags.FIN;
    if (n == 0 && (flags & TcpFlags.FIN) == 0) return false;
    if (n > 0) this.out.payload = tx!.view(off, n);
    this.stats.retransmits++;
    this.send(egress, now, seq, flags, n);
    if (seq == this.sndUna) this.rtoAt = now + this.rtt.rto;
    return true;
  }

  /** True while RFC 6675's loss recovery, not NewReno's, is repairing losses. */
  private inSackRecovery(): bool { return this.sackRec != null && this.cc.inRecovery; }

  /**
   * RFC 6675 §5 (C): while cwnd exceeds pipe by a segment, send what
   * NextSeg() picks: a lost hole, new data, another hole, a rescue.
   */
  private sackTransmit(egress: Egress, now: i64): void {
    const rec = this.sackRec!;
    const mss = <u32>this.mss;
    for (let guard = 0; guard < 1024; guard++) {
      const pipe = rec.pipe(this.sndUna, this.sndMax, mss);
      // (The first retransmission of a recovery goes whatever pipe says: step 4.3.)
      const room = pipe + mss <= this.cc.cwnd;
      const newLen = room ? this.nextSegmentLen() : -1;
      const kind = rec.nextSeg(this.sndUna, this.sndMax, mss, room, newLen >= 0, pipe, this.cc.recover);
      if (kind == NextSeg.None) return;
      if (kind == NextSeg.NewData) this.sendData(egress, now, newLen);
      else this.resend(egress, now, rec.nextSeq, rec.nextLen);
    }
  }

  private sendAck(egress: Egress, now: i64): void {
    this.send(egress, now, this.sndNxt, TcpFlags.ACK, 0);
  }

  /** Builds and sends one segment; `len` bytes of this.out.payload are data. Every segment carries our ACK. */
  private send(egress: Egress, now: i64, seq: u32, flags: u16, len: i32): void {
    const r = this.out;
    if (len == 0) r.payload = EMPTY;
    r.srcPort = this.localPort;
    r.dstPort = this.remotePort;
    r.seq = seq;
    r.flags = flags;
    r.clearOptions();
    const syn = (flags & TcpFlags.SYN) != 0;
    const s = this.state;
    if (s == TcpState.SynSent && syn) {
      r.ack = 0;
      r.flags = flags & ~TcpFlags.ACK;
    } else {
      r.ack = this.rcvNxt;
    }
    // The window: never scaled in a SYN; the right edge never moves back.
    if (syn) {
      r.window = <u16>min<i32>(this.config.recvBuffer, 0xFFFF);
      r.mss = <u16>localMss(this.config, egress.mtu);
      if (s == TcpState.SynSent ? this.config.windowScaling : this.peerWantsScale && this.config.windowScaling) r.windowShift = this.rcvShift;
      r.sackPermitted = s == TcpState.SynSent ? this.config.sack : this.sackOk;
      if (s == TcpState.SynSent ? this.config.timestamps : this.tsOk) {
        r.hasTimestamps = true;
        r.tsVal = tsClock(now) + this.tsOffset;
        r.tsEcr = s == TcpState.SynSent ? 0 : this.tsRecent;
      }
      this.rcvAdv = this.rcvNxt + <u32>(<i32>r.window);
    } else {
      const w = min<i32>(this.receiveWindow() >> this.rcvShift, 0xFFFF);
      r.window = <u16>w;
      const edge = this.rcvNxt + (<u32>w << <u32>this.rcvShift);
      if (seqGt(edge, this.rcvAdv) || (flags & TcpFlags.RST) != 0) this.rcvAdv = edge;
      if (this.tsOk) {
        r.hasTimestamps = true;
        r.tsVal = tsClock(now) + this.tsOffset;
        r.tsEcr = this.tsRecent;
      }
    }
    // SACK blocks, in what room the segment's data leaves (RFC 6691 §2:
    // data and options share the MSS); when fewer fit beside data than an
    // ACK of its own would carry, that ACK follows.
    let ackComplete = true;
    const rep = this.sackRep;
    if (!syn && (flags & TcpFlags.ACK) != 0 && (flags & TcpFlags.RST) == 0 && rep != null && rep.due(this.rx)) {
      const full = r.sackRoom();
      const due = rep.fill(r, this.rx, this.rcvNxt, len > 0 ? max(0, min(full, (this.mss - len - 4) >> 3)) : full);
      ackComplete = len == 0 || r.sackCount >= min(due, full);
    }
    if ((flags & TcpFlags.ACK) != 0) {
      this.lastAckSent = this.rcvNxt;
      this.ackNow = !ackComplete;
      this.ackAt = FOREVER;
      this.unackedSegments = 0;
    }
    this.stats.segmentsSent++;
    // A refusal (no route, device busy) is a loss like any other: the timers recover.
    if (egress.sendTcp(this.localAddr, this.remoteAddr, r, now) != SendError.None) this.stats.sendFailures++;
    r.payload = EMPTY;
  }

  /**
   * The window to advertise, in bytes: what the buffer has room for, unless
   * that would move the right edge forward by less than min(buffer/2, MSS),
   * in which case the old edge stays (receiver silly window avoidance,
   * RFC 9293 §3.8.6.2.2).
   */
  private receiveWindow(): i32 {
    const room = this.rx == null ? this.idleWindow() : this.rx!.window;
    const cap = this.rcvShift > 0 ? room : min(room, 0xFFFF);
    const current = max<i32>(seqDiff(this.rcvAdv, this.rcvNxt), 0);
    if (cap - current < min(this.config.recvBuffer / 2, this.mss) && cap >= current) return current;
    return max(cap, current);
  }

  private windowUpdateWorthIt(): bool {
    const rx = this.rx;
    if (rx == null) return false;
    const current = max<i32>(seqDiff(this.rcvAdv, this.rcvNxt), 0);
    return rx.window - current >= min(this.config.recvBuffer / 2, this.mss);
  }

  private delayAck(now: i64): void {
    this.unackedSegments++;
    // Every second full-sized segment is acknowledged at once (RFC 5681 §4.2).
    if (this.config.ackDelay <= 0 || this.unackedSegments >= 2) {
      this.ackNow = true;
      return;
    }
    if (this.ackAt == FOREVER) this.ackAt = now + this.config.ackDelay;
  }

  private challengeAck(now: i64): void {
    const second = now / seconds(1);
    if (second != this.challengeSecond) {
      this.challengeSecond = second;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) return;
    this.challengeCount++;
    this.stats.challengeAcks++;
    this.ackNow = true;
  }

  // --- timers ------------------------------------------------------------------

  private onRetransmitTimeout(now: i64): void {
    const s = this.state;
    this.rttStart = RTT_NONE;
    if (s == TcpState.SynSent || s == TcpState.SynReceived) {
      if (++this.retries > this.config.synRetries) {
        this.finish(TcpError.TimedOut, now);
        return;
      }
      this.stats.timeouts++;
      this.rtt.backoff();
      this.sndNxt = this.iss;
      this.rtoAt = FOREVER;
      return;
    }
    if (this.sndUna == this.sndMax) {
      this.rtoAt = FOREVER;
      return;
    }
    if (++this.retries > this.config.maxRetransmits) {
      this.finish(TcpError.TimedOut, now);
      return;
    }
    this.stats.timeouts++;
    this.deliveredAbove = 0;
    if (this.sackRec != null) this.sackRec!.onTimeout();
    this.probeAt = FOREVER;
    this.probeOut = false;
    this.cc.onTimeout(this.flight(), this.sndMax, this.retries == 1);
    this.rtt.backoff();
    // Go back to snd.una (RFC 5681 §3.1 and RFC 6298 §5.4: retransmit the earliest segment).
    this.sndNxt = this.sndUna;
    this.retransmitNow = false;
    // transmit() re-arms it with the backed-off value when the segment goes;
    // if the window is shut, the persist timer takes over instead.
    this.rtoAt = FOREVER;
  }

  /** Arms the persist timer when data waits behind a zero window and nothing is in flight (RFC 9293 §3.8.6.1). */
  private armPersist(now: i64): void {
    if (this.needsPersist()) {
      if (this.persistAt == FOREVER) this.persistAt = now + this.persistInterval();
    } else {
      this.persistAt = FOREVER;
    }
  }

  /**
   * Data waits, nothing is in flight to draw an ACK, and the window holds it
   * back: shut, or too small for silly window avoidance to send into. The
   * persist timer then probes (RFC 9293 §3.8.6.1) or, with a small window
   * open, sends what fits (RFC 1122 §4.2.3.4's override timeout).
   */
  private needsPersist(): bool {
    const tx = this.tx;
    if (tx == null || this.sndNxt != this.sndUna || this.rtoAt != FOREVER) return false;
    const s = this.state;
    if (!isSynchronized(s) || s == TcpState.TimeWait) return false;
    if (tx.length - seqDiff(this.sndNxt, this.sndUna) <= 0) return false;
    return this.nextSegmentLen() < 0;
  }

  private persistInterval(): i64 {
    let t = this.rtt.rto;
    for (let i = 0; i < this.persistBackoff && t < this.config.maxRto; i++) t *= 2;
    return min(t, this.config.maxRto);
  }

  /** A zero-window probe: one byte past the window (RFC 9293 §3.8.6.1); snd.nxt stays. */
  private onPersistTimeout(egress: Egress, now: i64): void {
    this.persistAt = FOREVER;
    if (!this.needsPersist()) return;
    const tx = this.tx!;
    const offset = seqDiff(this.sndNxt, this.sndUna);
    const avail = tx.length - offset;
    const usable = seqDiff(this.sndUna + min<u32>(this.sndWnd, this.cc.cwnd), this.sndNxt);
    if (usable > 0) {
      // A small window is open: fill it rather than wait for more.
      this.sendData(egress, now, min(min(avail, usable), this.mss));
      return;
    }
    this.out.payload = tx.view(offset, 1);
    this.stats.zeroWindowProbes++;
    this.send(egress, now, this.sndNxt, TcpFlags.ACK, 1);
    // A peer that took the byte will acknowledge it: make that ACK acceptable.
    this.sndMax = seqMax(this.sndMax, this.sndNxt + 1);
    this.persistBackoff++;
    this.persistAt = now + this.persistInterval();
  }

  /**
   * Arms the tail loss probe (RFC 8985 §7.2) while data is in flight outside
   * any recovery: if the last ACKs of a flight, or its last segments, are
   * lost, nothing else would come back before the RTO (at least minRto,
   * 1 s by default), so after PTO = 2·SRTT one segment goes out to draw an
   * ACK. A flight of one segment waits longer, for the peer's delayed ACK.
   */
  private armProbe(now: i64): void {
    this.probeAt = FOREVER;
    if (!this.config.lossProbes || this.probeOut || this.sndUna == this.sndMax) return;
    const cc = this.cc;
    if (cc.inRecovery || seqLt(this.sndUna, cc.recover)) return;
    const s = this.state;
    if (!isSynchronized(s) || s == TcpState.SynReceived || s == TcpState.TimeWait) return;
    const srtt = this.rtt.srtt;
    if (srtt < 0) return;
    let pto = max<i64>(2 * srtt, PROBE_MIN);
    if (this.flight() <= <u32>this.mss) pto += PEER_MAX_ACK_DELAY;
    // The RTO comes first: nothing to gain.
    if (now + pto >= this.rtoAt) return;
    this.probeAt = now + pto;
  }

  /**
   * RFC 8985 §7.3: a segment of new data if the peer's window has room for
   * it (beyond the congestion window: it is a probe), else the last segment
   * sent, again. Then the RTO watches, not another probe.
   */
  private onProbeTimeout(egress: Egress, now: i64): void {
    this.probeAt = FOREVER;
    if (this.probeOut || this.sndUna == this.sndMax || this.sndNxt != this.sndMax || this.cc.inRecovery) return;
    const tx = this.tx;
    const buffered = tx == null ? 0 : tx.length;
    const inFlight = min<i32>(buffered, seqDiff(this.sndMax, this.sndUna));
    const unsent = buffered - inFlight;
    const room = seqDiff(this.sndUna + this.sndWnd, this.sndNxt);
    if (unsent > 0 && room > 0) {
      this.sendData(egress, now, min(min(unsent, this.mss), room));
      this.probeRetransmitted = false;
    } else {
      // Data in flight only (a FIN alone is left to the RTO).
      if (inFlight <= 0) return;
      const len = min(inFlight, this.mss);
      const off = inFlight - len;
      let flags = TcpFlags.ACK | TcpFlags.PSH;
      if (this.finQueued && off + len == buffered && seqGt(this.sndMax, this.sndUna + <u32>buffered)) flags |= TcpFlags.FIN;
      this.out.payload = tx!.view(off, len);
      this.stats.retransmits++;
      this.send(egress, now, this.sndUna + <u32>off, flags, len);
      this.probeRetransmitted = true;
      this.probeSeq = this.sndUna + <u32>off;
      this.probeDsacked = false;
    }
    this.stats.lossProbes++;
    this.probeOut = true;
    this.probeEnd = this.sndMax;
    this.rtoAt = now + this.rtt.rto;
  }

  private armFinWait2(now: i64): void {
    if (this.config.finWait2Timeout > 0) this.finWait2At = now + this.config.finWait2Timeout;
  }

  private startKeepAlive(now: i64): void {
    if (this.config.keepAlive) this.keepAt = now + this.config.keepIdle;
  }

  private restartKeepAlive(now: i64): void {
    this.keepProbes = 0;
    this.startKeepAlive(now);
  }

  /** RFC 9293 §3.8.4: after keepIdle of silence, probe with snd.nxt − 1 to draw an ACK. */
  private onKeepAliveTimeout(egress: Egress, now: i64): void {
    const s = this.state;
    if (s != TcpState.Established && s != TcpState.CloseWait) {
      this.keepAt = FOREVER;
      return;
    }
    if (this.sndUna != this.sndMax) {
      // Data in flight: the retransmission timer watches the peer.
      this.keepAt = now + this.config.keepInterval;
      return;
    }
    if (this.keepProbes >= this.config.keepCount) {
      this.finish(TcpError.TimedOut, now);
      return;
    }
    this.keepProbes++;
    this.stats.keepAlives++;
    this.send(egress, now, this.sndNxt - 1, TcpFlags.ACK, 0);
    this.keepAt = now + this.config.keepInterval;
  }

  // --- helpers -----------------------------------------------------------------

  private flight(): u32 { return <u32>seqDiff(this.sndMax, this.sndUna); }

  private sampleTs(tsEcr: u32, now: i64): void {
    const elapsed = <i32>(tsClock(now) + this.tsOffset - tsEcr);
    if (elapsed >= 0) this.rtt.sample(<i64>elapsed * 1_000_000);
  }

  private takeSynOptions(seg: TcpRepr): void {
    this.peerMss = <i32>seg.mss;
    this.peerWantsScale = seg.windowShift >= 0;
    if (this.config.windowScaling && seg.windowShift >= 0) {
      this.sndShift = seg.windowShift;
      if (this.state != TcpState.SynSent) this.rcvShift = windowShiftFor(this.config.recvBuffer);
    } else {
      this.sndShift = 0;
      this.rcvShift = 0;
    }
    this.tsOk = this.config.timestamps && seg.hasTimestamps;
    this.sackOk = this.config.sack && seg.sackPermitted;
  }

  private initSend(now: i64): void {
    this.iss = initialSequence(now, this.localAddr, this.localPort, this.remoteAddr, this.remotePort);
    this.tsOffset = tupleHash(this.localAddr, this.localPort, this.remoteAddr, this.remotePort, TS_OFFSET_SALT);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.cc = new NewReno(536, this.iss);
  }

  private reset(): void {
    this.rtt = new RttEstimator(this.config.initialRto, this.config.minRto, this.config.maxRto);
    this.error = TcpError.None;
    this.closedNotified = false;
    this.finQueued = false;
    this.finAcked = false;
    this.wantWritable = false;
    this.rxFinPending = false;
    this.ackNow = false;
    this.retransmitNow = false;
    this.rstPending = false;
    this.rtoAt = FOREVER;
    this.ackAt = FOREVER;
    this.persistAt = FOREVER;
    this.keepAt = FOREVER;
    this.timeWaitAt = FOREVER;
    this.finWait2At = FOREVER;
    this.probeAt = FOREVER;
    this.probeOut = false;
    this.retries = 0;
    this.persistBackoff = 0;
    this.keepProbes = 0;
    this.rttStart = RTT_NONE;
    this.lastSendAt = -1;
    this.sndShift = 0;
    this.rcvShift = 0;
    this.tsOk = false;
    this.sackOk = false;
    this.sackRep = null;
    this.sackRec = null;
    this.tsRecent = 0;
    this.sndWnd = 0;
    this.maxSndWnd = 0;
    this.rcvNxt = 0;
    this.rcvAdv = 0;
    this.dropSendBuffer();
    this.discardReceived();
  }

  private txBuf(): SendBuffer {
    let b = this.tx;
    if (b == null) {
      b = new SendBuffer(this.config.sendBuffer, this.budget(), this.pool());
      this.tx = b;
    }
    return b;
  }

  private sackReport(): SackReport {
    let r = this.sackRep;
    if (r == null) {
      r = new SackReport();
      this.sackRep = r;
    }
    return r;
  }

  private rxBuf(): RecvBuffer {
    let b = this.rx;
    if (b == null) {
      b = new RecvBuffer(this.config.recvBuffer, this.budget(), this.pool());
      this.rx = b;
    }
    return b;
  }

  /** The budget buffers are charged to: the set's, or none outside a set. */
  private budget(): MemoryBudget {
    const set = this.set;
    return set != null ? set.limits.budget : NO_BUDGET;
  }

  private pool(): BufferPool {
    const set = this.set;
    return set != null ? set.bufferPool : NO_SET_POOL;
  }

  /** The receive window offered before any data arrived: what a buffer would get now. */
  private idleWindow(): i32 {
    return this.budget().tight ? min(MIN_BUFFER, this.config.recvBuffer) : this.config.recvBuffer;
  }

  /** Lets the send buffer and its memory go (nothing more will be sent or resent). */
  private dropSendBuffer(): void {
    const tx = this.tx;
    if (tx != null) tx.clear();
    this.tx = null;
  }

  /**
   * Drops received bytes the application did not read, and their memory.
   * DirectStack calls it once the application has heard onClosed; a socket
   * used directly keeps them readable after the close.
   */
  discardReceived(): void {
    const rx = this.rx;
    if (rx != null) rx.clear();
    this.rx = null;
  }

  private notifyReadable(now: i64): void {
    const h = this.handler;
    if (h != null) h.onReadable(this, now);
  }

  private enterTimeWait(now: i64): void {
    this.state = TcpState.TimeWait;
    this.finWait2At = FOREVER;
    this.rtoAt = FOREVER;
    this.persistAt = FOREVER;
    this.keepAt = FOREVER;
    this.probeAt = FOREVER;
    this.timeWaitAt = now + this.config.timeWait;
    // TIME-WAIT keeps only sequence numbers: a busy server holds many.
    this.dropSendBuffer();
    this.sackRep = null;
    this.sackRec = null;
    if (this.rx != null && this.rx!.length == 0) this.discardReceived();
    const set = this.set;
    if (set != null) set.timeWaitEntered(this);
    this.notifyClosed(TcpError.None, now);
  }

  private notifyClosed(err: TcpError, now: i64): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    this.error = err;
    const h = this.handler;
    if (h != null) h.onClosed(this, err, now);
  }

  /** CLOSED: leaves the set's tables and the set, tells the listener and the handler. */
  private finish(err: TcpError, now: i64): void {
    const s0 = this.state;
    if (s0 == TcpState.Closed) return;
    this.state = TcpState.Closed;
    this.incarnation++;
    this.rtoAt = FOREVER;
    this.ackAt = FOREVER;
    this.persistAt = FOREVER;
    this.keepAt = FOREVER;
    this.timeWaitAt = FOREVER;
    this.finWait2At = FOREVER;
    this.probeAt = FOREVER;
    this.ackNow = false;
    this.retransmitNow = false;
    const set = this.set;
    if (set != null) {
      if (s0 == TcpState.TimeWait) set.timeWaitLeft(this);
      set.unbindTcpConnection(this.localPort, this.remoteAddr, this.remotePort, this);
      set.remove(this);
    }
    const p = this.parent;
    if (p != null) {
      this.parent = null;
      p.childGone(this);
    }
    this.dropSendBuffer();
    this.sackRep = null;
    this.sackRec = null;
    // A reset or an abort leaves nothing worth reading.
    if (this.rx != null && (this.rx!.length == 0 || err != TcpError.None)) this.discardReceived();
    this.notifyClosed(err, now);
  }
}
