// UDP sockets. A socket binds a port (and optionally one local address),
// queues what the application sends until the interface dispatches it, and
// queues what arrives, bounded, until the application or its handler takes
// it. Every failure is a value: the bind and send errors below, and counters
// for what had to be dropped later.

import { Ipv4Addr, IPV4_UNSPECIFIED } from "../addr";
import { FOREVER } from "../../time";
import { UDP_MAX_PAYLOAD } from "../wire/udp";
import { Socket, Egress, SendError } from "./socket";

/** One datagram received or waiting to be sent. */
export class UdpDatagram {
  constructor(
    /** The other end: source of a received datagram, destination of one to send. */
    public remote: Ipv4Addr,
    public remotePort: u16,
    /** Our address it was sent to (a broadcast address, possibly); 0 for one to send. */
    public local: Ipv4Addr,
    public payload: Uint8Array,
  ) {}
}

/** Receives the datagrams of a socket. */
export abstract class UdpHandler {
  /** One datagram for `socket`; the handler may keep `d`. */
  abstract onDatagram(socket: UdpSocket, d: UdpDatagram, now: i64): void;
}

export enum UdpBindError {
  None = 0,
  /** Add the socket to an interface's SocketSet first. */
  NotInSet = 1,
  /** Another socket of the set holds the port. */
  PortInUse = 2,
  /** This socket is bound already; close() it first. */
  AlreadyBound = 3,
  /** Port 0 was asked for and the dynamic range is exhausted. */
  NoFreePort = 4,
}

export enum UdpSendError {
  None = 0,
  /** bind() first. */
  NotBound = 1,
  /** The destination address or port is 0. */
  Unaddressable = 2,
  /** The payload exceeds the largest UDP datagram (65,507 bytes); larger than the MTU is fine, it goes in fragments. */
  TooBig = 3,
  /** The transmit queue is full; send again after the interface has polled. */
  QueueFull = 4,
  /** The interface has no route to the destination. */
  NoRoute = 5,
}

/** A sentence for each error. */
export function udpBindErrorText(e: UdpBindError): string {
  switch (e) {
    case UdpBindError.None: return "no error";
    case UdpBindError.NotInSet: return "socket not added to an interface's socket set";
    case UdpBindError.PortInUse: return "port already bound by another socket";
    case UdpBindError.AlreadyBound: return "socket already bound; close it first";
    case UdpBindError.NoFreePort: return "no free port in the dynamic range 49152-65535";
  }
  return "unknown bind error";
}

export function udpSendErrorText(e: UdpSendError): string {
  switch (e) {
    case UdpSendError.None: return "no error";
    case UdpSendError.NotBound: return "socket not bound to a port";
    case UdpSendError.Unaddressable: return "destination address or port is 0";
    case UdpSendError.TooBig: return "payload larger than the largest UDP datagram (65507 bytes)";
    case UdpSendError.QueueFull: return "transmit queue full; retry after the interface polls";
    case UdpSendError.NoRoute: return "no route to the destination";
  }
  return "unknown send error";
}

/** A UDP socket. */
export class UdpSocket extends Socket {
  private port: u16 = 0;
  private localAddr: Ipv4Addr = IPV4_UNSPECIFIED;
  private rx: UdpDatagram[] = [];
  private tx: UdpDatagram[] = [];
  private rxBytes: i32 = 0;
  private txBytes: i32 = 0;
  /** Datagrams dropped because the receive queue was full. */
  rxDropped: i32 = 0;
  /** Datagrams the interface could not send at dispatch (no route by then, device refusal). */
  txFailed: i32 = 0;
  /** The error of the latest failed dispatch. */
  lastTxError: SendError = SendError.None;

  /**
   * `handler` (or null to poll with recv()) gets each datagram as it
   * arrives. Queues hold at most `maxDatagrams` datagrams and `maxBytes`
   * payload bytes each way.
   */
  constructor(public handler: UdpHandler | null = null, readonly maxDatagrams: i32 = 16, readonly maxBytes: i32 = 64 * 1024) {
    super();
  }

  /** The bound port, 0 when unbound. */
  get udpPort(): u16 { return this.port; }
  get localAddress(): Ipv4Addr { return this.localAddr; }
  get isBound(): bool { return this.port != 0; }
  /** Datagrams waiting in recv(). */
  get received(): i32 { return this.rx.length; }
  /** Datagrams waiting to be sent. */
  get queued(): i32 { return this.tx.length; }

  /** Binds `port` (0: a free one of the dynamic range) on all addresses, or on `local` only. */
  bind(port: u16, local: Ipv4Addr = IPV4_UNSPECIFIED): UdpBindError {
    const set = this.set;
    if (set == null) return UdpBindError.NotInSet;
    if (this.port != 0) return UdpBindError.AlreadyBound;
    if (port == 0) {
      port = set.ephemeralUdpPort();
      if (port == 0) return UdpBindError.NoFreePort;
    } else if (set.udpPortInUse(port)) {
      return UdpBindError.PortInUse;
    }
    this.port = port;
    this.localAddr = local;
    return UdpBindError.None;
  }

  /** Unbinds, dropping both queues. The socket stays in its set and may bind again. */
  close(): void {
    this.port = 0;
    this.localAddr = IPV4_UNSPECIFIED;
    this.rx = [];
    this.tx = [];
    this.rxBytes = 0;
    this.txBytes = 0;
  }

  /** Queues a copy of `payload` for `dst`:`dstPort`; the interface sends it when it next polls. */
  sendTo(dst: Ipv4Addr, dstPort: u16, payload: Uint8Array): UdpSendError {
    const set = this.set;
    if (this.port == 0 || set == null) return UdpSendError.NotBound;
    if (dst == IPV4_UNSPECIFIED || dstPort == 0) return UdpSendError.Unaddressable;
    if (payload.length > UDP_MAX_PAYLOAD) return UdpSendError.TooBig;
    if (!set.egress.canReach(dst)) return UdpSendError.NoRoute;
    if (this.tx.length >= this.maxDatagrams || this.txBytes + payload.length > this.maxBytes) return UdpSendError.QueueFull;
    this.tx.push(new UdpDatagram(dst, dstPort, IPV4_UNSPECIFIED, payload.slice(0)));
    this.txBytes += payload.length;
    return UdpSendError.None;
  }

  /** The oldest received datagram, or null. */
  recv(): UdpDatagram | null {
    if (this.rx.length == 0) return null;
    const d = this.rx.shift();
    this.rxBytes -= d.payload.length;
    return d;
  }

  pollAt(): i64 { return this.tx.length > 0 ? 0 : FOREVER; }

  dispatch(now: i64, egress: Egress): void {
    while (this.tx.length > 0) {
      const d = this.tx.shift();
      this.txBytes -= d.payload.length;
      const e = egress.sendUdp(this.localAddr, this.port, d.remote, d.remotePort, d.payload, now);
      if (e != SendError.None) {
        this.txFailed++;
        this.lastTxError = e;
      }
    }
  }

  acceptsUdp(dst: Ipv4Addr, dstPort: u16): bool {
    return this.port != 0 && dstPort == this.port && (this.localAddr == IPV4_UNSPECIFIED || this.localAddr == dst);
  }

  processUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): void {
    if (this.rx.length >= this.maxDatagrams || this.rxBytes + payload.length > this.maxBytes) {
      this.rxDropped++;
      return;
    }
    this.rx.push(new UdpDatagram(src, srcPort, dst, payload.slice(0)));
    this.rxBytes += payload.length;
    const h = this.handler;
    if (h == null) return;
    // Hand over everything queued, in order; the handler may close the socket.
    while (this.rx.length > 0 && this.handler === h) {
      const d = this.rx.shift();
      this.rxBytes -= d.payload.length;
      h.onDatagram(this, d, now);
    }
  }
}
