// The network stack as an application sees it: UDP endpoints and TCP
// connections, the same on every target. config.ts's `device.stack(NET)`
// gives `start` a Stack: on unix and kvm lib/net's own IPv4 stack over the
// network device NET (address from --ipv4/--ipv4-gateway or DHCP), on node
// the host's sockets (as MirageOS's socket stack). An application written
// against this file runs on both unchanged.
//
// Everything is driven by the event loop: no call blocks, handlers are
// called from the loop's turns, and a handler may call any method of the
// object it is given (close and abort included).

import { Ipv4Addr } from "./addr";
import { MemoryBudget, unlimitedBudget } from "../budget";
import { TcpError } from "./socket/tcp-state";
import { UdpSendError } from "./socket/udp";

export { TcpError, tcpErrorText } from "./socket/tcp-state";

/** The budget of connections whose stack sets none. */
const NO_LIMIT = unlimitedBudget();
export { UdpSendError, udpSendErrorText } from "./socket/udp";

/** What a TCP connection tells its application; override what you need. */
export abstract class TcpConnHandler {
  /** An active open (Stack.tcpConnect) completed. */
  onConnected(c: TcpConn): void {}
  /** Bytes arrived in order: read() them (what is not read closes the window). */
  onReadable(c: TcpConn): void {}
  /** A write() that was cut short now has room again. */
  onWritable(c: TcpConn): void {}
  /** The peer sent FIN: after what read() still returns, no more data comes. */
  onPeerClosed(c: TcpConn): void {}
  /** The connection is over: `error` None after a graceful close. Called once, last; the connection forgets its handler afterwards. */
  onClosed(c: TcpConn, error: TcpError): void {}
}

/** A connection's events, as implementations pass them to TcpConn.deliver. */
export const TCP_CONNECTED: i32 = 1;
export const TCP_READABLE: i32 = 2;
export const TCP_WRITABLE: i32 = 4;
export const TCP_PEER_CLOSED: i32 = 8;

/** One TCP connection. */
export abstract class TcpConn {
  /** Set it in onAccept (or pass it to tcpConnect); events before that are kept until it is set. */
  handler: TcpConnHandler | null = null;
  /** Events that came while no handler was set. */
  private held: i32 = 0;

  /** For implementations: tells the handler of `events` (TCP_* bits) and of those held back while it was unset, in the bits' order. */
  deliver(events: i32): void {
    const h = this.handler;
    if (h == null) {
      this.held |= events;
      return;
    }
    const all = this.held | events;
    this.held = 0;
    if ((all & TCP_CONNECTED) != 0) h.onConnected(this);
    if ((all & TCP_READABLE) != 0) h.onReadable(this);
    if ((all & TCP_WRITABLE) != 0) h.onWritable(this);
    if ((all & TCP_PEER_CLOSED) != 0) h.onPeerClosed(this);
  }

  /**
   * For implementations: the connection is over; the handler hears what was
   * held back, then onClosed, last. Then the connection lets go of the
   * handler, so a connection the stack still remembers (in TIME-WAIT, say)
   * keeps nothing of the application's alive.
   */
  deliverClosed(error: TcpError): void {
    this.deliver(0);
    this.held = 0;
    const h = this.handler;
    if (h != null) h.onClosed(this, error);
    this.handler = null;
  }

  /** The memory budget of the connection's stack: charge per-connection buffers to it (reserve, then release), so they count against the stack's limit. */
  get budget(): MemoryBudget { return NO_LIMIT; }
  abstract get remoteAddress(): Ipv4Addr;
  abstract get remotePort(): u16;
  abstract get localPort(): u16;
  /** Queues up to `len` bytes of `data` from `off` (-1: to the end); returns how many it took. Fewer means the send buffer is full: onWritable follows. */
  abstract write(data: Uint8Array, off: i32 = 0, len: i32 = -1): i32;
  /** Room in the send buffer; 0 once the write side is closed. */
  abstract get writable(): i32;
  /** Moves up to `len` received bytes into `dst` at `off` (-1: to its end); returns how many. */
  abstract read(dst: Uint8Array, off: i32 = 0, len: i32 = -1): i32;
  /** Bytes waiting for read(). */
  abstract get readable(): i32;
  /** True once the peer's FIN has arrived and everything before it was read or is readable. */
  abstract get peerClosed(): bool;
  /** Graceful close: a FIN follows what was written; onClosed(None) when both sides are done. */
  abstract close(): void;
  /** Drops the connection with a reset; onClosed(Aborted) follows. */
  abstract abort(): void;
}

/** Takes the connections a listener accepts. */
export abstract class TcpAcceptHandler {
  /** `c` is established and belongs to the application: set c.handler here. */
  abstract onAccept(c: TcpConn): void;
  /**
   * The stack is at its connection limit and a client at `remote` wants in:
   * abort a connection you can spare (the longest idle, say) and return
   * true, or return false to turn the newcomer away.
   */
  shed(remote: Ipv4Addr): bool { return false; }
}

/** A listening TCP port. */
export abstract class TcpListen {
  abstract get port(): u16;
  /** Stops accepting; connections already accepted stay open. */
  abstract close(): void;
}

/** Receives the datagrams of an endpoint. */
export abstract class UdpReceiver {
  /** One datagram from `src`:`srcPort`; `payload` is valid only during the call. */
  abstract onDatagram(ep: UdpEndpoint, src: Ipv4Addr, srcPort: u16, payload: Uint8Array): void;
}

/** A bound UDP port. */
export abstract class UdpEndpoint {
  abstract get port(): u16;
  /** Sends one datagram (a copy of `payload`); an error says why it was not queued. */
  abstract sendTo(dst: Ipv4Addr, dstPort: u16, payload: Uint8Array): UdpSendError;
  /** Unbinds; no datagram arrives afterwards. */
  abstract close(): void;
}

/** What a stack holds now, for monitoring (a stats page, a log line). */
export class StackUsage {
  /** TCP connections open, TIME-WAIT excluded (what StackLimits.maxConnections bounds). */
  tcpConnections: i32 = 0;
  /** Connections in TIME-WAIT. */
  tcpTimeWait: i32 = 0;
  /** Connections turned away at the connection limit. */
  tcpRefused: i64 = 0;
  /** The connection limit (StackLimits.maxConnections). */
  tcpLimit: i32 = 0;
  /** Bytes charged to the stack's buffer budget, and its limit. */
  bufferBytes: i64 = 0;
  bufferLimit: i64 = 0;
}

/** What the stack tells the application about its address. */
export abstract class StackHandler {
  /** The stack has an address (at once for a static one or on node; when DHCP binds otherwise). */
  onAddress(stack: Stack, address: Ipv4Addr, prefixLen: i32): void {}
}

/** A UDP and TCP stack: lib/net's own, or the host's sockets. */
export abstract class Stack {
  /** A name for messages: the network device's, or "host sockets". */
  abstract get name(): string;
  /** The stack's IPv4 address; 0 while it has none (DHCP pending). */
  abstract get address(): Ipv4Addr;
  /** Why the latest bind, listen or connect returned null, in a sentence. */
  abstract get lastError(): string;
  /** Sets who hears about the address; called at once if there is one already. */
  abstract watch(handler: StackHandler): void;
  /** Binds UDP `port` (0: a free one); null when it cannot (see lastError). */
  abstract udpBind(port: u16, receiver: UdpReceiver): UdpEndpoint | null;
  /** Listens on TCP `port`; null when it cannot (see lastError). */
  abstract tcpListen(port: u16, handler: TcpAcceptHandler): TcpListen | null;
  /** Opens a connection; `handler` hears onConnected or onClosed(Refused, TimedOut...). Null when it cannot start (see lastError). */
  abstract tcpConnect(remote: Ipv4Addr, remotePort: u16, handler: TcpConnHandler): TcpConn | null;
  /** What the stack holds now. */
  abstract get usage(): StackUsage;
}
