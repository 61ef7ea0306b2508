// Passive open. A listener holds a port; each SYN to it becomes a
// connection in SYN-RECEIVED (RFC 9293 §3.10.7.2), added to the set so it
// handshakes on its own. Connections count against the backlog until the
// application takes them, so a SYN flood costs at most `backlog`
// connections, each without buffers until its handshake completes (the
// buffers are allocated on first use); when the backlog is full a new SYN
// evicts the oldest half-open connection that has waited a retransmission
// timeout for its ACK, so a flood cannot lock real clients out for long;
// with none such, the SYN is dropped and its sender retries.

import { Ipv4Addr } from "../addr";
import { TcpRepr } from "../wire/tcp";
import { Socket, TcpVerdict } from "./socket";
import { TcpSocket, TcpParent, TcpConfig } from "./tcp";
import { TcpState, TcpError } from "./tcp-state";

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
    // RFC 9293 §3.10.7.2: a RST is ignored, an ACK answered with a RST, and only a SYN opens.
    if (seg.rst) return TcpVerdict.Taken;
    if (seg.hasAck) return TcpVerdict.Reset;
    if (!seg.syn) return TcpVerdict.Taken;
    const set = this.set;
    if (set == null) return TcpVerdict.Taken;
    if (set.tcpFull && !this.makeRoom(now)) {
      // Not accepted, as Linux drops a SYN its full accept queue cannot take: the client retries.
      this.refusedFull++;
      set.tcpTurnedAway++;
      return TcpVerdict.Taken;
    }
    if (this.children.length >= this.config.backlog && !this.evictHalfOpen(now)) {
      this.synDropped++;
      return TcpVerdict.Taken;
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
