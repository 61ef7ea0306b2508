// Passive open. A listener holds a port; each SYN to it becomes a
// connection in SYN-RECEIVED (RFC 9293 §3.10.7.2), added to the set so it
// handshakes on its own. Connections count against the backlog until the
// application takes them, so a SYN flood costs at most `backlog`
// connections, each without buffers until its handshake completes (the
// buffers are allocated on first use). When the backlog is full, SYNs are
// answered with SYN cookies (RFC 4987 §3.6, tcp-syncookie.ts) and nothing
// is kept: a flood of spoofed SYNs then costs a SYN-ACK each, and a real
// client's ACK brings its connection back. Without cookies the oldest
// half-open connection makes room. At the stack's connection limit
// (StackLimits.maxConnections) the application is asked to shed one first.

import { Ipv4Addr } from "../addr";
import { TcpRepr, TcpFlags } from "../wire/tcp";
import { Socket, SocketSet, TcpVerdict } from "./socket";
import { TcpSocket, TcpParent, TcpConfig } from "./tcp";
import { TcpState, TcpError } from "./tcp-state";
import { localMss, windowShiftFor, tupleHash, tsClock, TS_OFFSET_SALT } from "./tcp-options";
import {
  COOKIE_MSS, CookieOptions, makeCookie, checkCookie, cookieMssIndex, cookieTimestamp, cookieOptionsFromEcho,
} from "./tcp-syncookie";

/** How long after the last cookie went out an ACK may still be taken for an answer to one (two cookie ticks). */
const COOKIE_WINDOW: i64 = 128_000_000_000;

/** Takes the connections a listener accepts. */
export abstract class TcpListenHandler {
  /** `c` is ESTABLISHED and belongs to the application now: set c.handler here. */
  abstract onAccept(listener: TcpListener, c: TcpSocket, now: i64): void;
  /**
   * The stack is at its connection limit (StackLimits.maxConnections) and a
   * client wants in: abort a connection you can spare (the longest idle) and
   * return true, or return false to turn the newcomer away.
   */
  shed(listener: TcpListener, now: i64): bool { return false; }
}

class ListenerParent extends TcpParent {
  /** Set by the listener's constructor, which cannot pass itself earlier. */
  listener: TcpListener | null = null;
  childEstablished(c: TcpSocket, now: i64): void { this.listener!.established(c, now); }
  childGone(c: TcpSocket): void { this.listener!.gone(c); }
}

/** A TCP listener. Add it to an interface's SocketSet, then listen(). */
export class TcpListener extends Socket {
  private port: u16 = 0;
  /** Connections spawned and not yet accepted (half-open and established). */
  private children: TcpSocket[] = [];
  /** Established, waiting for accept() (only without a handler). */
  private ready: TcpSocket[] = [];
  private parent: ListenerParent = new ListenerParent();
  /** SYNs dropped for a full backlog, and half-open connections evicted by newer SYNs. */
  synDropped: i32 = 0;
  evicted: i32 = 0;
  /** SYNs turned away because the stack was at its connection limit and the application shed nothing. */
  refusedFull: i32 = 0;
  /** Connections the application shed to make room for a new one. */
  shed: i32 = 0;
  /** SYN-ACKs sent with a cookie because the backlog was full. */
  cookiesSent: i32 = 0;
  /** Connections opened by an ACK carrying a valid cookie. */
  cookiesAccepted: i32 = 0;
  /** ACKs that came while cookies were in use and did not carry a valid one (answered with a reset). */
  cookiesRejected: i32 = 0;
  /** When the latest cookie went out; -1 before any. */
  private lastCookieAt: i64 = -1;
  private cookieOut: TcpRepr = new TcpRepr();
  private cookieOpts: CookieOptions = new CookieOptions();

  constructor(public handler: TcpListenHandler | null = null, readonly config: TcpConfig = new TcpConfig()) {
    super();
    this.parent.listener = this;
  }

  get localPort(): u16 { return this.port; }
  get takesDatagrams(): bool { return false; }
  get isListening(): bool { return this.port != 0; }
  /** Connections counted against the backlog. */
  get pending(): i32 { return this.children.length; }

  /** Listens on `port` on the interface's address. */
  listen(port: u16): TcpError {
    const set = this.set;
    if (set == null) return TcpError.NotInSet;
    if (this.port != 0) return TcpError.InUse;
    if (port == 0) return TcpError.Unaddressable;
    if (!set.bindTcpListener(port, this)) return TcpError.AddressInUse;
    this.port = port;
    return TcpError.None;
  }

  /** Stops listening; connections not yet accepted are reset. */
  close(now: i64 = 0): void {
    const set = this.set;
    if (set != null && this.port != 0) set.unbindTcpListener(this.port, this);
    this.port = 0;
    const list = this.children.slice(0);
    this.children = [];
    this.ready = [];
    for (let i = 0; i < list.length; i++) {
      list[i].parent = null;
      list[i].abort(now);
    }
  }

  /** The oldest established connection not yet taken, or null (for listeners without a handler). */
  accept(): TcpSocket | null {
    if (this.ready.length == 0) return null;
    const c = this.ready.shift();
    this.remove(c);
    c.parent = null;
    return c;
  }

  processTcp(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, now: i64): TcpVerdict {
    if (this.port == 0) return TcpVerdict.NotMine;
    // RFC 9293 §3.10.7.2: a RST is ignored, an ACK answered with a RST
    // (unless it answers a cookie), and only a SYN opens.
    if (seg.rst) return TcpVerdict.Taken;
    const set = this.set;
    if (set == null) return TcpVerdict.Taken;
    if (seg.hasAck) {
      if (seg.syn || !this.cookieAnswer(src, dst, seg, set, now)) return TcpVerdict.Reset;
      return TcpVerdict.Taken;
    }
    if (!seg.syn) return TcpVerdict.Taken;
    if (set.tcpFull && !this.makeRoom(now)) {
      // Not accepted, as Linux drops a SYN its full accept queue cannot take: the client retries.
      this.refusedFull++;
      set.tcpTurnedAway++;
      return TcpVerdict.Taken;
    }
    if (this.children.length >= this.config.backlog) {
      if (this.config.synCookies) {
        this.sendCookie(src, dst, seg, set, now);
        return TcpVerdict.Taken;
      }
      if (!this.evictHalfOpen(now, true)) {
        this.synDropped++;
        return TcpVerdict.Taken;
      }
    }
    const c = new TcpSocket(null, this.config);
    set.add(c);
    if (!c.acceptSyn(src, dst, seg, this.parent, now)) {
      set.remove(c);
      return TcpVerdict.Taken;
    }
    this.children.push(c);
    return TcpVerdict.Taken;
  }

  /** Called by a child that completed its handshake. */
  established(c: TcpSocket, now: i64): void {
    const h = this.handler;
    if (h == null) {
      this.ready.push(c);
      return;
    }
    this.remove(c);
    c.parent = null;
    h.onAccept(this, c, now);
  }

  /** Called by a child that closed before it was accepted. */
  gone(c: TcpSocket): void {
    this.remove(c);
    const i = this.ready.indexOf(c);
    if (i >= 0) this.ready.splice(i, 1);
  }

  /**
   * A SYN-ACK whose sequence number is a cookie, for a SYN the full backlog
   * had no room for. It offers what the cookie can bring back: an MSS from
   * the table, and the window shift and SACK-permitted only when the
   * client's timestamps can carry them home.
   */
  private sendCookie(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, set: SocketSet, now: i64): void {
    const config = this.config;
    const index = cookieMssIndex(seg.mss > 0 ? <i32>seg.mss : 536);
    const r = this.cookieOut;
    r.srcPort = seg.dstPort;
    r.dstPort = seg.srcPort;
    r.seq = makeCookie(src, dst, seg.srcPort, seg.dstPort, seg.seq, index, now);
    r.ack = seg.seq + 1;
    r.flags = TcpFlags.SYN | TcpFlags.ACK;
    r.window = <u16>min<i32>(config.recvBuffer, 0xFFFF);
    r.payload = new Uint8Array(0);
    r.clearOptions();
    r.mss = <u16>localMss(config, set.egress.mtu);
    if (config.timestamps && seg.hasTimestamps) {
      const shift = config.windowScaling && seg.windowShift >= 0 ? windowShiftFor(config.recvBuffer) : -1;
      if (shift >= 0) r.windowShift = shift;
      const tsNow = tsClock(now) + tupleHash(dst, seg.dstPort, src, seg.srcPort, TS_OFFSET_SALT);
      r.hasTimestamps = true;
      r.tsVal = cookieTimestamp(tsNow, shift >= 0 ? <i32>seg.windowShift : -1, false);
      r.tsEcr = seg.tsVal;
    }
    this.cookiesSent++;
    this.lastCookieAt = now;
    set.egress.sendTcp(dst, src, r, now);
  }

  /**
   * An ACK with no connection: while cookies are in use, it may answer one.
   * A valid cookie opens the connection (if the stack has room) and the ACK
   * completes it; false sends the reset an unknown ACK gets.
   */
  private cookieAnswer(src: Ipv4Addr, dst: Ipv4Addr, seg: TcpRepr, set: SocketSet, now: i64): bool {
    if (!this.config.synCookies || this.lastCookieAt < 0 || now - this.lastCookieAt > COOKIE_WINDOW) return false;
    const index = checkCookie(src, dst, seg.srcPort, seg.dstPort, seg.seq - 1, seg.ack - 1, now);
    if (index < 0) {
      this.cookiesRejected++;
      return false;
    }
    if (set.tcpFull && !this.makeRoom(now)) {
      // Dropped: the client retransmits what it sent, and the cookie is good for a while yet.
      this.refusedFull++;
      set.tcpTurnedAway++;
      return true;
    }
    const o = this.cookieOpts;
    o.windowShift = -1;
    o.sackPermitted = false;
    o.timestamps = false;
    if (this.config.timestamps && seg.hasTimestamps && seg.tsEcr != 0) cookieOptionsFromEcho(seg.tsEcr, o);
    const c = new TcpSocket(null, this.config);
    set.add(c);
    if (!c.acceptCookie(src, dst, seg, <i32>COOKIE_MSS[index], o, this.parent, now)) {
      set.remove(c);
      return false;
    }
    this.cookiesAccepted++;
    this.children.push(c);
    // The ACK itself (and any data with it) completes the handshake.
    if (c.processTcp(src, dst, seg, now) == TcpVerdict.Reset) {
      c.drop(now);
      return false;
    }
    return true;
  }

  /**
   * At the connection limit: the application is asked to shed one of its
   * own (an idle one). Half-open connections are left alone: they are
   * clients about to send a request, the ones shedding makes room for. The
   * aborted connection leaves at the next dispatch, so the newcomer may
   * briefly take the count one over the limit.
   */
  private makeRoom(now: i64): bool {
    const h = this.handler;
    if (h == null || !h.shed(this, now)) return false;
    this.shed++;
    return true;
  }

  private remove(c: TcpSocket): void {
    const i = this.children.indexOf(c);
    if (i >= 0) this.children.splice(i, 1);
  }

  /**
   * Drops the oldest half-open connection whose SYN-ACK has gone unanswered
   * for a retransmission timeout at least (with `anyAge`, the oldest of
   * all); false when there is none. Younger ones are otherwise left alone:
   * in a burst of real clients they are about to complete, and the new SYN
   * is dropped instead (its sender retries).
   */
  private evictHalfOpen(now: i64, anyAge: bool = false): bool {
    for (let i = 0; i < this.children.length; i++) {
      const c = this.children[i];
      if (c.state == TcpState.SynReceived && (anyAge || c.synRetransmits > 0)) {
        this.evicted++;
        c.parent = null;
        this.children.splice(i, 1);
        c.drop(now);
        return true;
      }
    }
    return false;
  }
}
