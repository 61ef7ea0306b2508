// lib/net/stack.ts's Stack on the node target: the host's own sockets, as
// MirageOS's socket stack, through the sock_* calls of docs/abi.md ("node:
// host sockets"). The Node host reports what its sockets do as events under
// one bit of the ready set; this driver is that bit's EventSource: it pops
// the events, reads the data queued for each handle and calls the
// application's handlers. Listening is on every host address (0.0.0.0 for
// UDP, the dual-stack :: for TCP); `address` reports 127.0.0.1/8, the one
// address every host has, and the one a peer on the same machine uses.
import { EventSource, loop } from "atoll/loop";
import { Ipv4Addr, ipv4 } from "atoll/net/addr";
import {
  Stack, StackHandler, StackUsage, UdpEndpoint, UdpReceiver, UdpSendError, TcpListen, TcpAcceptHandler, TcpConn, TcpConnHandler, TcpError,
  TCP_CONNECTED, TCP_READABLE, TCP_WRITABLE, TCP_PEER_CLOSED,
} from "atoll/net/stack";
import { StackLimits } from "atoll/net/stack-limits";
import { MemoryBudget } from "atoll/budget";

@external("atoll", "sock_open")
declare function sock_open(): i32;
@external("atoll", "sock_event")
declare function sock_event(out: usize): i32;
@external("atoll", "sock_udp_bind")
declare function sock_udp_bind(port: i32): i32;
@external("atoll", "sock_udp_send")
declare function sock_udp_send(handle: i32, addr: u32, port: i32, ptr: usize, len: usize): i32;
@external("atoll", "sock_udp_recv")
declare function sock_udp_recv(handle: i32, ptr: usize, len: usize, from: usize): i32;
@external("atoll", "sock_tcp_listen")
declare function sock_tcp_listen(port: i32): i32;
@external("atoll", "sock_tcp_connect")
declare function sock_tcp_connect(addr: u32, port: i32): i32;
@external("atoll", "sock_tcp_write")
declare function sock_tcp_write(handle: i32, ptr: usize, len: usize): i32;
@external("atoll", "sock_tcp_read")
declare function sock_tcp_read(handle: i32, ptr: usize, len: usize): i32;
@external("atoll", "sock_tcp_shutdown")
declare function sock_tcp_shutdown(handle: i32): i32;
@external("atoll", "sock_tcp_abort")
declare function sock_tcp_abort(handle: i32): i32;
@external("atoll", "sock_close")
declare function sock_close(handle: i32): i32;
@external("atoll", "sock_info")
declare function sock_info(handle: i32, out: usize): i32;

// sock_event kinds (docs/abi.md).
const EV_UDP_READABLE: u32 = 1;
const EV_TCP_ACCEPTED: u32 = 2;
// 3 to 6 (connected, readable, writable, peer closed) are a connection's: PENDING_OF_KIND below.
const EV_TCP_CLOSED: u32 = 7;

const EAGAIN: i32 = 11;
const EACCES: i32 = 13;
const EINVAL: i32 = 22;
const EMSGSIZE: i32 = 90;
const EADDRINUSE: i32 = 98;
const EADDRNOTAVAIL: i32 = 99;
/** The largest UDP payload over IPv4 (65535 less the IPv4 and UDP headers). */
const UDP_MAX_PAYLOAD: i32 = 65507;

/** A sentence for an errno the host returned for a bind, listen or connect. */
function errnoText(e: i32): string {
  switch (e) {
    case EADDRINUSE: return "the port is in use on the host";
    case EACCES: return "the host refused the port: ports below 1024 need root (or CAP_NET_BIND_SERVICE)";
    case EINVAL: return "the port or address is not valid (0, or out of range)";
    case EADDRNOTAVAIL: return "the address is not available on the host";
  }
  return "the host refused (errno " + e.toString() + ")";
}

/** Pops the host's events and hands them to the stack. */
class NodeStackSource extends EventSource {
  constructor(private stack: NodeStack) { super(); }
  poll(now: i64): void { this.stack.drain(); }
  get waiting(): bool { return this.stack.open > 0; }
}

/** The host's sockets as a Stack. */
export class NodeStack extends Stack {
  private error: string = "";
  private event: Uint8Array = new Uint8Array(12);
  private udp: Map<i32, NodeUdpEndpoint> = new Map();
  private listeners: Map<i32, NodeTcpListen> = new Map();
  private conns: Map<i32, NodeTcpConn> = new Map();
  /** Scratch for sock_udp_recv: the largest datagram and its source. */
  readonly rx: Uint8Array = new Uint8Array(UDP_MAX_PAYLOAD);
  readonly from: Uint8Array = new Uint8Array(8);
  readonly info: Uint8Array = new Uint8Array(20);
  /** Connections turned away at limits.maxConnections. */
  private turnedAway: i64 = 0;

  /** The host's sockets, with at most limits.maxConnections TCP connections at once (the host keeps their buffers; limits.budget is for the application's). */
  constructor(readonly limits: StackLimits = new StackLimits()) {
    super();
    loop.attach(sock_open(), new NodeStackSource(this));
  }

  get name(): string { return "host sockets"; }
  get address(): Ipv4Addr { return ipv4(127, 0, 0, 1); }
  get lastError(): string { return this.error; }
  /** Handles open: while there are any, the unikernel waits for their events. */
  get open(): i32 { return this.udp.size + this.listeners.size + this.conns.size; }

  watch(handler: StackHandler): void { handler.onAddress(this, this.address, 8); }

  udpBind(port: u16, receiver: UdpReceiver): UdpEndpoint | null {
    const h = sock_udp_bind(<i32>port);
    if (h < 0) {
      this.error = "UDP port " + port.toString() + ": " + errnoText(-h);
      return null;
    }
    const ep = new NodeUdpEndpoint(this, h, receiver);
    this.udp.set(h, ep);
    return ep;
  }

  tcpListen(port: u16, handler: TcpAcceptHandler): TcpListen | null {
    const h = sock_tcp_listen(<i32>port);
    if (h < 0) {
      this.error = "TCP port " + port.toString() + ": " + errnoText(-h);
      return null;
    }
    const l = new NodeTcpListen(this, h, handler);
    this.listeners.set(h, l);
    return l;
  }

  tcpConnect(remote: Ipv4Addr, remotePort: u16, handler: TcpConnHandler): TcpConn | null {
    const h = sock_tcp_connect(remote, <i32>remotePort);
    if (h < 0) {
      this.error = "TCP connect: " + errnoText(-h);
      return null;
    }
    if (this.conns.size >= this.limits.maxConnections) {
      sock_close(h);
      this.error = "TCP connect: too many connections: the stack is at its limit (device.stack's maxConnections in config.ts)";
      return null;
    }
    const c = new NodeTcpConn(h, remote, remotePort, 0, this.limits.budget);
    c.handler = handler;
    this.conns.set(h, c);
    return c;
  }

  get usage(): StackUsage {
    const u = new StackUsage();
    u.tcpConnections = this.conns.size;
    u.tcpRefused = this.turnedAway;
    u.tcpLimit = this.limits.maxConnections;
    u.bufferBytes = this.limits.budget.used;
    u.bufferLimit = this.limits.budget.limit;
    return u;
  }

  /** Fills `info` for handle `h` (docs/abi.md's sock_info layout). */
  infoOf(h: i32): Uint8Array {
    sock_info(h, this.info.dataStart);
    return this.info;
  }

  forgetUdp(h: i32): void { this.udp.delete(h); }
  forgetListener(h: i32): void { this.listeners.delete(h); }

  /** Handles every event the host has queued. */
  drain(): void {
    const ev = this.event;
    while (sock_event(ev.dataStart) != 0) {
      const kind = load<u32>(ev.dataStart);
      const h = load<i32>(ev.dataStart, 4);
      const arg = load<i32>(ev.dataStart, 8);
      if (kind == EV_UDP_READABLE) {
        if (this.udp.has(h)) this.udp.get(h).receive();
      } else if (kind == EV_TCP_ACCEPTED) {
        this.accepted(h, arg);
      } else if (kind == EV_TCP_CLOSED) {
        if (this.conns.has(h)) {
          const c = this.conns.get(h);
          this.conns.delete(h);
          c.closed(<TcpError>arg);
        }
      } else if (this.conns.has(h)) {
        this.conns.get(h).event(kind);
      }
    }
  }

  private accepted(listener: i32, h: i32): void {
    const i = this.infoOf(h);
    const c = new NodeTcpConn(h, load<u32>(i.dataStart, 4), load<u16>(i.dataStart, 2), load<u16>(i.dataStart), this.limits.budget);
    this.conns.set(h, c);
    if (!this.listeners.has(listener)) {
      // Accepted just before the application closed the listener: nobody wants it.
      c.abort();
      return;
    }
    const handler = this.listeners.get(listener).handler;
    // The host accepted it already: over the limit, the application may shed one, else this one goes.
    if (this.conns.size > this.limits.maxConnections && !handler.shed(c.remoteAddress)) {
      this.turnedAway++;
      c.abort();
      return;
    }
    handler.onAccept(c);
  }
}

/** A UDP port of the host. */
class NodeUdpEndpoint extends UdpEndpoint {
  private _port: u16;
  private closed: bool = false;

  constructor(private stack: NodeStack, private h: i32, private receiver: UdpReceiver) {
    super();
    this._port = load<u16>(stack.infoOf(h).dataStart);
  }

  get port(): u16 { return this._port; }

  sendTo(dst: Ipv4Addr, dstPort: u16, payload: Uint8Array): UdpSendError {
    if (this.closed) return UdpSendError.NotBound;
    if (dst == 0 || dstPort == 0) return UdpSendError.Unaddressable;
    if (payload.length > UDP_MAX_PAYLOAD) return UdpSendError.TooBig;
    const r = sock_udp_send(this.h, dst, <i32>dstPort, payload.dataStart, <usize>payload.length);
    if (r == 0) return UdpSendError.None;
    if (r == -EAGAIN) return UdpSendError.QueueFull;
    if (r == -EMSGSIZE) return UdpSendError.TooBig;
    if (r == -EINVAL) return UdpSendError.Unaddressable;
    return UdpSendError.NoRoute;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    sock_close(this.h);
    this.stack.forgetUdp(this.h);
  }

  /** Hands every queued datagram to the receiver, which may close the endpoint. */
  receive(): void {
    const rx = this.stack.rx;
    const from = this.stack.from;
    while (!this.closed) {
      const n = sock_udp_recv(this.h, rx.dataStart, <usize>rx.length, from.dataStart);
      if (n < 0) return;
      this.receiver.onDatagram(this, load<u32>(from.dataStart), load<u16>(from.dataStart, 4), rx.subarray(0, n));
    }
  }
}

/** A listening TCP port of the host. */
class NodeTcpListen extends TcpListen {
  private _port: u16;

  constructor(private stack: NodeStack, private h: i32, readonly handler: TcpAcceptHandler) {
    super();
    this._port = load<u16>(stack.infoOf(h).dataStart);
  }

  get port(): u16 { return this._port; }

  close(): void {
    sock_close(this.h);
    this.stack.forgetListener(this.h);
  }
}

/** The TcpConn event (stack.ts's TCP_* bit) of each sock_event kind; 0 for those that are not a connection's. */
const EVENT_OF_KIND: StaticArray<i32> = [0, 0, 0, TCP_CONNECTED, TCP_READABLE, TCP_WRITABLE, TCP_PEER_CLOSED, 0];

/** A TCP connection of the host. */
class NodeTcpConn extends TcpConn {
  /** Released: every call is a no-op. */
  private done: bool = false;
  /** Closed by the host: no writes, close or abort. */
  private writeDone: bool = false;
  private info: Uint8Array = new Uint8Array(20);

  constructor(private h: i32, private remote: Ipv4Addr, private rport: u16, private lport: u16, private stackBudget: MemoryBudget) { super(); }

  get budget(): MemoryBudget { return this.stackBudget; }

  get remoteAddress(): Ipv4Addr { return this.remote; }
  get remotePort(): u16 { return this.rport; }
  get localPort(): u16 {
    // An active open learns its port once connected.
    if (this.lport == 0 && !this.done && sock_info(this.h, this.info.dataStart) == 0) this.lport = load<u16>(this.info.dataStart);
    return this.lport;
  }

  write(data: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    if (len < 0) len = data.length - off;
    len = min(len, data.length - off);
    if (len <= 0 || this.writeDone) return 0;
    const n = sock_tcp_write(this.h, data.dataStart + <usize>off, <usize>len);
    return n < 0 ? 0 : n;
  }

  get writable(): i32 { return this.field(12); }

  read(dst: Uint8Array, off: i32 = 0, len: i32 = -1): i32 {
    if (len < 0) len = dst.length - off;
    len = min(len, dst.length - off);
    if (len <= 0 || this.done) return 0;
    const n = sock_tcp_read(this.h, dst.dataStart + <usize>off, <usize>len);
    return n < 0 ? 0 : n;
  }

  get readable(): i32 { return this.field(8); }
  get peerClosed(): bool { return (this.field(16) & 1) != 0; }

  close(): void { if (!this.writeDone) sock_tcp_shutdown(this.h); }
  abort(): void { if (!this.writeDone) sock_tcp_abort(this.h); }

  /** A u32 of sock_info's answer at `offset`; 0 once closed. */
  private field(offset: usize): i32 {
    if (this.done || sock_info(this.h, this.info.dataStart) != 0) return 0;
    return load<i32>(this.info.dataStart + offset);
  }

  /** One event of the host socket (a sock_event kind). */
  event(kind: u32): void {
    this.deliver(kind < <u32>EVENT_OF_KIND.length ? EVENT_OF_KIND[kind] : 0);
  }

  /** The host closed the socket: the handler hears it last, and may still read what had arrived; then the handle is released. */
  closed(error: TcpError): void {
    this.deliver(0); // what was held back, while writes still work
    this.writeDone = true;
    this.deliverClosed(error);
    this.done = true;
    sock_close(this.h);
  }
}

/** The host-socket stack of the node target; the generated main.ts calls this for `device.stack`. */
export function openNodeStack(limits: StackLimits = new StackLimits()): NodeStack {
  return new NodeStack(limits);
}
