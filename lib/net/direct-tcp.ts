// TcpConn and TcpListen (stack.ts) over lib/net's TcpSocket and TcpListener,
// for DirectStack. Every call that can queue a segment (write, a read that
// opens the window, close, abort) re-aims the stack's timer so the segment
// leaves in the same loop turn.

import { clock_monotonic } from "../abi";
import { Ipv4Addr } from "./addr";
import { TcpSocket, TcpHandler, TcpError } from "./socket/tcp";
import { TcpListener, TcpListenHandler } from "./socket/tcp-listener";
import { TcpConn, TcpAcceptHandler, TcpListen, TCP_CONNECTED, TCP_READABLE, TCP_WRITABLE, TCP_PEER_CLOSED } from "./stack";
import { DirectStack } from "./direct-stack";
import { MemoryBudget } from "../budget";

/** Forwards a TcpSocket's events to the TcpConn's handler. */
export class DirectTcpInput extends TcpHandler {
  /** Set by the connection's constructor, which cannot pass itself earlier. */
  conn: DirectTcpConn | null = null;
  onConnected(c: TcpSocket, now: i64): void { this.conn!.deliver(TCP_CONNECTED); }
  onReadable(c: TcpSocket, now: i64): void { this.conn!.deliver(TCP_READABLE); }
  onWritable(c: TcpSocket, now: i64): void { this.conn!.deliver(TCP_WRITABLE); }
  onPeerClosed(c: TcpSocket, now: i64): void { this.conn!.deliver(TCP_PEER_CLOSED); }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void {
    this.conn!.deliverClosed(error);
    // The application has heard the end: what it left unread goes, with its memory.
    c.discardReceived();
  }
}

/** One connection of a DirectStack. */
export class DirectTcpConn extends TcpConn {
  /** Set right after construction, by the stack or the listener. */
  socket: TcpSocket | null = null;
  readonly input: DirectTcpInput = new DirectTcpInput();

  constructor(private stack: DirectStack) {
    super();
    this.input.conn = this;
  }

  get remoteAddress(): Ipv4Addr { return this.socket!.remoteAddr; }
  get remotePort(): u16 { return this.socket!.remotePort; }
  get localPort(): u16 { return this.socket!.localPort; }

  write(data: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    const n = this.socket!.write(data, off, len);
    if (n <= 0) return 0;
    this.stack.schedule();
    return n;
  }

  get writable(): i32 { return this.socket!.writable; }

  read(dst: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    const n = this.socket!.read(dst, off, len);
    if (n > 0) this.stack.schedule();
    return n;
  }

  get readable(): i32 { return this.socket!.readable; }
  get peerClosed(): bool { return this.socket!.peerClosed; }
  get budget(): MemoryBudget { return this.stack.limits.budget; }

  close(): void {
    this.socket!.close(clock_monotonic());
    this.stack.schedule();
  }

  abort(): void {
    this.socket!.abort(clock_monotonic());
    this.stack.schedule();
  }
}

/** Wraps each connection a listener accepts and hands it to the application. */
export class DirectListenInput extends TcpListenHandler {
  constructor(private stack: DirectStack, private handler: TcpAcceptHandler) { super(); }
  onAccept(listener: TcpListener, c: TcpSocket, now: i64): void {
    const conn = new DirectTcpConn(this.stack);
    conn.socket = c;
    c.handler = conn.input;
    this.handler.onAccept(conn);
  }
  shed(listener: TcpListener, now: i64): bool {
    const shed = this.handler.shed();
    // The aborted connection's reset goes out in this turn.
    if (shed) this.stack.schedule();
    return shed;
  }
}

/** A listening port of a DirectStack. */
export class DirectTcpListen extends TcpListen {
  /** Set by DirectStack once listen() succeeded. */
  listener: TcpListener | null = null;
  readonly input: DirectListenInput;

  constructor(private stack: DirectStack, handler: TcpAcceptHandler) {
    super();
    this.input = new DirectListenInput(stack, handler);
  }

  get port(): u16 {
    const l = this.listener;
    return l == null ? 0 : l.localPort;
  }

  close(): void {
    const l = this.listener;
    if (l == null) return;
    this.listener = null;
    l.close(clock_monotonic());
    this.stack.iface.sockets.remove(l);
    this.stack.schedule();
  }
}
