// The node target's host-socket calls (docs/abi.md, "node: host sockets"):
// UDP and TCP on Node's dgram and net, for drivers/node/stack.ts. Node's I/O
// is asynchronous and the module's calls are not, so everything the sockets
// report (a datagram, a connection, bytes, FIN, drain, close) is queued here
// as an event and the module is woken with the service's bit in atoll_step's
// ready set; the module pops the events with sock_event and reads the data
// queued for each handle. Handles count up and are never reused, so an event
// for a socket the module has let go can never reach a new one.
import dgram from "node:dgram";
import net from "node:net";
import { constants as osConstants } from "node:os";

/** Event kinds of sock_event, as docs/abi.md numbers them. */
export const SockEvent = {
  UdpReadable: 1,
  TcpAccepted: 2,
  TcpConnected: 3,
  TcpReadable: 4,
  TcpWritable: 5,
  TcpPeerClosed: 6,
  TcpClosed: 7,
} as const;

/** How a TCP connection ended (TcpError of lib/net/socket/tcp-state.ts). */
const TcpEnd = { None: 0, Refused: 1, Reset: 2, TimedOut: 3, Aborted: 4 } as const;

const EIO = 5;
const EAGAIN = 11;
const EBADF = 9;
const EINVAL = 22;
const EPIPE = 32;
/** The bit of the ready set the service raises (no other device of the node target has one yet). */
const SOCKET_BIT = 0;
/** Datagrams a UDP handle holds for the module before it drops new ones. */
const UDP_QUEUE = 4096;
/** Received bytes a TCP handle holds before it pauses the socket (TCP's own window then holds the peer back). */
const TCP_READ_HIGH = 256 * 1024;
/** Bytes a TCP handle accepts from sock_tcp_write beyond what the kernel took; past it writes are cut short. */
const TCP_WRITE_LIMIT = 256 * 1024;

interface UdpHandle { kind: "udp"; socket: dgram.Socket; queue: { data: Buffer; addr: number; port: number }[]; dropped: number }
interface ListenHandle { kind: "listen"; server: net.Server }
interface ConnHandle {
  kind: "conn";
  socket: net.Socket;
  chunks: Buffer[];
  queued: number;
  paused: boolean;
  /** 'end' came: the peer's FIN, after every byte before it was queued here. */
  peerClosed: boolean;
  /** sock_tcp_shutdown or abort was called: writes are refused. */
  writeClosed: boolean;
  wantWritable: boolean;
  /** A READABLE event was raised and the module has not called sock_tcp_read since. */
  readableSignalled: boolean;
  aborted: boolean;
  error: number;
  /** Node closed the socket; the handle keeps what was received until sock_close releases it. */
  closed: boolean;
}
type Handle = UdpHandle | ListenHandle | ConnHandle;

/** What the service needs from the runner. */
export interface SocketHost {
  memory(): WebAssembly.Memory;
  /** Asks for a turn with `bit` set in the ready set. */
  wake(bit: number): void;
}

/** Dotted quad of a host-order u32. */
function ipv4Text(a: number): string {
  return `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * A host-order u32 of a Node address; IPv4-mapped IPv6 is unwrapped and
 * ::1 read as 127.0.0.1 (the TCP listener is dual-stack); any other IPv6
 * peer has no IPv4 form and reads as 0.
 */
function ipv4Value(text: string | undefined): number {
  if (text === undefined) return 0;
  let t = text.startsWith("::ffff:") ? text.slice(7) : text;
  if (t === "::1") t = "127.0.0.1";
  const parts = t.split(".");
  if (parts.length !== 4) return 0;
  return parts.reduce((v, p) => ((v << 8) | (Number(p) & 255)) >>> 0, 0);
}

/** -errno of a Node error, EINVAL when it names none. */
function negErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const n = code !== undefined ? (osConstants.errno as Record<string, number>)[code] : undefined;
  return -(n ?? EINVAL);
}

/** The host sockets of one module. */
export class HostSockets {
  private handles = new Map<number, Handle>();
  private nextHandle = 1;
  /** Queued events, three numbers each (kind, handle, argument), popped from `head`. */
  private events: number[] = [];
  private head = 0;

  constructor(private host: SocketHost) {}

  /** Sockets open, or closing and not yet closed: while there are any, an event may still come. */
  get live(): number {
    let n = 0;
    for (const h of this.handles.values()) if (h.kind !== "conn" || !h.closed) n++;
    return n;
  }

  /** Closes everything at once (the module finished). */
  dispose(): void {
    for (const h of this.handles.values()) {
      if (h.kind === "udp") h.socket.close();
      else if (h.kind === "listen") h.server.close();
      else h.socket.destroy();
    }
    this.handles.clear();
  }

  private push(kind: number, handle: number, arg = 0): void {
    this.events.push(kind, handle, arg);
    this.host.wake(SOCKET_BIT);
  }

  private bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.host.memory().buffer, ptr >>> 0, len >>> 0);
  }

  private view(): DataView {
    return new DataView(this.host.memory().buffer);
  }

  /** The ABI calls, for the `atoll` import object. */
  imports(): Record<string, (...a: never[]) => unknown> {
    return {
      sock_open: (): number => SOCKET_BIT,
      sock_event: (out: number): number => {
        const e = this.events;
        if (this.head >= e.length) return 0;
        const v = this.view();
        v.setUint32(out, e[this.head]!, true);
        v.setInt32(out + 4, e[this.head + 1]!, true);
        v.setInt32(out + 8, e[this.head + 2]!, true);
        this.head += 3;
        if (this.head === e.length) {
          e.length = 0;
          this.head = 0;
        }
        return 1;
      },
      sock_udp_bind: (port: number): number => this.udpBind(port),
      sock_udp_send: (h: number, addr: number, port: number, ptr: number, len: number): number => this.udpSend(h, addr >>> 0, port, ptr, len),
      sock_udp_recv: (h: number, ptr: number, len: number, from: number): number => this.udpRecv(h, ptr, len, from),
      sock_tcp_listen: (port: number): number => this.tcpListen(port),
      sock_tcp_connect: (addr: number, port: number): number => this.tcpConnect(addr >>> 0, port),
      sock_tcp_write: (h: number, ptr: number, len: number): number => this.tcpWrite(h, ptr, len),
      sock_tcp_read: (h: number, ptr: number, len: number): number => this.tcpRead(h, ptr, len),
      sock_tcp_shutdown: (h: number): number => this.tcpShutdown(h),
      sock_tcp_abort: (h: number): number => this.tcpAbort(h),
      sock_close: (h: number): number => this.close(h),
      sock_info: (h: number, out: number): number => this.info(h, out),
    };
  }

  // --- UDP ---------------------------------------------------------------------

  private udpBind(port: number): number {
    if (port < 0 || port > 65535) return -EINVAL;
    // A lookup that answers at once makes bind() synchronous, so its error
    // (EADDRINUSE, EACCES) is known before this call returns.
    const lookup = (address: string, _o: unknown, cb?: (e: Error | null, a: string, f: number) => void): void => {
      (cb ?? (_o as (e: Error | null, a: string, f: number) => void))(null, address, 4);
    };
    const socket = dgram.createSocket({ type: "udp4", lookup: lookup as never });
    let failure: unknown = null;
    socket.on("error", (e) => { failure = e; });
    socket.bind(port, "0.0.0.0");
    if (failure !== null) {
      socket.close();
      return negErrno(failure);
    }
    const id = this.nextHandle++;
    const h: UdpHandle = { kind: "udp", socket, queue: [], dropped: 0 };
    this.handles.set(id, h);
    socket.removeAllListeners("error");
    // A send to a closed port may come back as ICMP; nothing for the module to do.
    socket.on("error", () => {});
    socket.on("message", (data, rinfo) => {
      if (h.queue.length >= UDP_QUEUE) {
        h.dropped++;
        return;
      }
      h.queue.push({ data, addr: ipv4Value(rinfo.address), port: rinfo.port });
      if (h.queue.length === 1) this.push(SockEvent.UdpReadable, id);
    });
    socket.on("close", () => { this.handles.delete(id); });
    return id;
  }

  private udpSend(id: number, addr: number, port: number, ptr: number, len: number): number {
    const h = this.handles.get(id);
    if (h?.kind !== "udp") return -EBADF;
    if (port <= 0 || port > 65535 || addr === 0) return -EINVAL;
    // Datagrams the kernel has not taken yet: a module that outruns it is told to wait.
    if (h.socket.getSendQueueCount() > UDP_QUEUE) return -EAGAIN;
    try {
      h.socket.send(Buffer.from(this.bytes(ptr, len)), port, ipv4Text(addr));
    } catch (e) {
      return negErrno(e);
    }
    return 0;
  }

  private udpRecv(id: number, ptr: number, len: number, from: number): number {
    const h = this.handles.get(id);
    if (h?.kind !== "udp") return -EBADF;
    const d = h.queue.shift();
    if (d === undefined) return -EAGAIN;
    const n = Math.min(len, d.data.length);
    this.bytes(ptr, n).set(d.data.subarray(0, n));
    const v = this.view();
    v.setUint32(from, d.addr, true);
    v.setUint16(from + 4, d.port, true);
    return n;
  }

  // --- TCP ---------------------------------------------------------------------

  private tcpListen(port: number): number {
    if (port <= 0 || port > 65535) return -EINVAL;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false });
    // Without a host, listen() binds synchronously (dual-stack ::, or 0.0.0.0
    // without IPv6) and queues its error for the next tick: catching that
    // tick's error argument gives the errno before this call returns.
    let failure: unknown = null;
    const nextTick = process.nextTick;
    process.nextTick = ((fn: (...a: unknown[]) => void, ...args: unknown[]): void => {
      for (const a of args) if (a instanceof Error) failure = a;
      nextTick(fn, ...args);
    }) as typeof process.nextTick;
    server.on("error", () => {});
    try {
      server.listen(port);
    } catch (e) {
      failure = e;
    } finally {
      process.nextTick = nextTick;
    }
    if (!server.listening) {
      server.close();
      // EIO when a Node that reports the error otherwise left us no errno: the module still gets a refusal.
      return failure !== null ? negErrno(failure) : -EIO;
    }
    const id = this.nextHandle++;
    this.handles.set(id, { kind: "listen", server });
    server.on("connection", (socket: net.Socket) => {
      const c = this.adopt(socket);
      this.push(SockEvent.TcpAccepted, id, c);
    });
    server.on("close", () => { this.handles.delete(id); });
    return id;
  }

  private tcpConnect(addr: number, port: number): number {
    if (port <= 0 || port > 65535 || addr === 0) return -EINVAL;
    const socket = net.connect({ host: ipv4Text(addr), port, allowHalfOpen: true });
    const id = this.adopt(socket);
    socket.once("connect", () => this.push(SockEvent.TcpConnected, id));
    return id;
  }

  /** Takes a socket into the table and turns what it reports into events. */
  private adopt(socket: net.Socket): number {
    const id = this.nextHandle++;
    const c: ConnHandle = {
      kind: "conn", socket, chunks: [], queued: 0, paused: false, peerClosed: false, writeClosed: false,
      wantWritable: false, readableSignalled: false, aborted: false, error: TcpEnd.None, closed: false,
    };
    this.handles.set(id, c);
    socket.setNoDelay(true);
    socket.on("data", (b: Buffer) => {
      c.chunks.push(b);
      c.queued += b.length;
      if (c.queued >= TCP_READ_HIGH && !c.paused) {
        c.paused = true;
        socket.pause();
      }
      if (!c.readableSignalled) {
        c.readableSignalled = true;
        this.push(SockEvent.TcpReadable, id);
      }
    });
    socket.on("end", () => {
      c.peerClosed = true;
      this.push(SockEvent.TcpPeerClosed, id);
    });
    socket.on("drain", () => {
      if (c.wantWritable && !c.writeClosed) {
        c.wantWritable = false;
        this.push(SockEvent.TcpWritable, id);
      }
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      c.error = e.code === "ECONNREFUSED" ? TcpEnd.Refused : e.code === "ETIMEDOUT" ? TcpEnd.TimedOut : TcpEnd.Reset;
    });
    socket.on("close", () => {
      if (!this.handles.has(id)) return;
      c.closed = true;
      this.push(SockEvent.TcpClosed, id, c.aborted ? TcpEnd.Aborted : c.error);
    });
    return id;
  }

  private conn(id: number): ConnHandle | null {
    const h = this.handles.get(id);
    return h?.kind === "conn" ? h : null;
  }

  private tcpWrite(id: number, ptr: number, len: number): number {
    const c = this.conn(id);
    if (c === null) return -EBADF;
    if (c.writeClosed || c.closed || c.socket.destroyed) return -EPIPE;
    const room = Math.max(0, TCP_WRITE_LIMIT - c.socket.writableLength);
    const n = Math.min(room, len);
    if (n > 0) c.socket.write(Buffer.from(this.bytes(ptr, n)));
    if (n < len) {
      // Node emits 'drain' only after a write it buffered past its mark; when
      // the kernel took everything at once there is room already, and the
      // module hears so in its next turn instead.
      if (c.socket.writableNeedDrain) c.wantWritable = true;
      else this.push(SockEvent.TcpWritable, id);
    }
    return n;
  }

  private tcpRead(id: number, ptr: number, len: number): number {
    const c = this.conn(id);
    if (c === null) return -EBADF;
    const dst = this.bytes(ptr, len);
    let n = 0;
    while (n < len && c.chunks.length > 0) {
      const b = c.chunks[0]!;
      const take = Math.min(b.length, len - n);
      dst.set(b.subarray(0, take), n);
      n += take;
      if (take === b.length) c.chunks.shift();
      else c.chunks[0] = b.subarray(take);
    }
    c.queued -= n;
    // Any read re-arms the event: bytes that arrive after it are news, as lib/net's onReadable says of each segment.
    c.readableSignalled = false;
    if (c.paused && c.queued < TCP_READ_HIGH / 2) {
      c.paused = false;
      c.socket.resume();
    }
    return n;
  }

  private tcpShutdown(id: number): number {
    const c = this.conn(id);
    if (c === null) return -EBADF;
    if (!c.writeClosed) {
      c.writeClosed = true;
      c.socket.end();
    }
    return 0;
  }

  private tcpAbort(id: number): number {
    const c = this.conn(id);
    if (c === null) return -EBADF;
    if (c.closed) return 0;
    c.aborted = true;
    c.writeClosed = true;
    // RST rather than FIN (RFC 9293 §3.10.5's ABORT); a socket still connecting just goes.
    if (c.socket.connecting) c.socket.destroy();
    else c.socket.resetAndDestroy();
    return 0;
  }

  private close(id: number): number {
    const h = this.handles.get(id);
    if (h === undefined) return -EBADF;
    if (h.kind === "udp") h.socket.close();
    else if (h.kind === "listen") h.server.close();
    else if (!h.closed) return this.tcpAbort(id);
    // Nothing more reaches the module for this handle, whenever Node finishes closing.
    this.handles.delete(id);
    return 0;
  }

  private info(id: number, out: number): number {
    const h = this.handles.get(id);
    if (h === undefined) return -EBADF;
    const v = this.view();
    let local = 0, remote = 0, remotePort = 0, readable = 0, writable = 0, flags = 0;
    if (h.kind === "udp") local = h.socket.address().port;
    else if (h.kind === "listen") local = (h.server.address() as net.AddressInfo | null)?.port ?? 0;
    else {
      local = h.socket.localPort ?? 0;
      remote = ipv4Value(h.socket.remoteAddress);
      remotePort = h.socket.remotePort ?? 0;
      readable = h.queued;
      writable = h.writeClosed || h.socket.destroyed ? 0 : Math.max(0, TCP_WRITE_LIMIT - h.socket.writableLength);
      flags = h.peerClosed ? 1 : 0;
    }
    v.setUint16(out, local, true);
    v.setUint16(out + 2, remotePort, true);
    v.setUint32(out + 4, remote, true);
    v.setUint32(out + 8, readable, true);
    v.setUint32(out + 12, writable, true);
    v.setUint32(out + 16, flags, true);
    return 0;
  }
}
