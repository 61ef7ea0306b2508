// What every socket shares, and the one way sockets reach the network. A
// socket does no I/O of its own: the interface hands it what arrived
// (process*), asks when it next wants to run (pollAt) and lets it send
// (dispatch) through an Egress, the interface's narrow sending side. TCP
// segments reach sockets through the set's TCP tables (a connection by its
// 4-tuple, a listener by its port) and processTcp.

import { Ipv4Addr } from "../addr";
import { FOREVER } from "../../time";
import { Icmpv4Repr } from "../wire/icmpv4";
import { TcpRepr } from "../wire/tcp";
import { StackLimits } from "../stack-limits";
import { BufferPool } from "../../pool";
import { minBufferPool } from "./tcp-buffer-memory";
import { IndexedHeap } from "../../indexed-heap";

/** Why the interface could not send a packet. */
export enum SendError {
  None = 0,
  /** No route: the destination is off-link and there is no gateway, or the interface has no address. */
  NoRoute = 1,
  /** Larger than the largest IPv4 datagram, or a TCP segment larger than the MTU (TCP is never fragmented). */
  TooBig = 2,
  /** The device refused the frame (busy or failed). */
  Device = 3,
}

/** A sentence for a SendError. */
export function sendErrorText(e: SendError): string {
  switch (e) {
    case SendError.None: return "no error";
    case SendError.NoRoute: return "no route to the destination: not on the local subnet and no gateway, or no address yet";
    case SendError.TooBig: return "packet too large: beyond 65535 bytes, or a TCP segment beyond the MTU";
    case SendError.Device: return "the network device refused the frame";
  }
  return "unknown send error";
}

/**
 * The sending side of an interface, as sockets see it. A packet to a
 * neighbour whose MAC address is not known yet is queued for ARP and counts
 * as sent (None); it may still be dropped if the neighbour never answers.
 */
export abstract class Egress {
  /** The interface's IPv4 address; 0 while it has none. */
  abstract get address(): Ipv4Addr;
  /** Largest IPv4 datagram, header included, the interface sends unfragmented (TCP's segments stay within it). */
  abstract get mtu(): i32;
  /** True when a packet to `dst` has a next hop now. */
  abstract canReach(dst: Ipv4Addr): bool;
  /** Sends a UDP datagram; `src` 0 means the interface's address. */
  abstract sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError;
  /** Sends an ICMP message from the interface's address. */
  abstract sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError;
  /** Sends a TCP segment; `src` 0 means the interface's address. Not abstract, so egresses without TCP need not implement it. */
  sendTcp(src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr, now: i64): SendError { return SendError.NoRoute; }
}

/** What a socket did with a TCP segment. */
export enum TcpVerdict {
  /** Taken (processed or deliberately dropped). */
  Taken = 0,
  /** Not for this socket: the interface tries a listener, then resets. */
  NotMine = 1,
  /** The interface answers with a reset (RFC 9293 §3.10.7.1's form). */
  Reset = 2,
}

/** A socket of any kind. */
export abstract class Socket {
  /** The set this socket belongs to; null until added. */
  set: SocketSet | null = null;
  // SocketSet's bookkeeping, which sockets leave alone: the walk is an
  // intrusive list (prev/next), the parked sockets a heap that knows each
  // one's index, so adding, removing, parking and waking are O(1) or O(log n).
  walkPrev: Socket | null = null;
  walkNext: Socket | null = null;
  inWalk: bool = false;
  /** Out of the walk until parkAt or a wake. */
  parked: bool = false;
  /** Place in the set's wake heap; -1 when parked without an instant (or not parked). */
  heapIndex: i32 = -1;
  /** When the parked socket wakes by itself; FOREVER when only a segment or its application can wake it. */
  parkAt: i64 = FOREVER;
  // The set's list of TCP connections in TIME-WAIT, oldest first.
  twPrev: Socket | null = null;
  twNext: Socket | null = null;
  inTimeWait: bool = false;

  /** Wakes before `other` (the set's wake heap is ordered by parkAt). */
  heapBefore(other: Socket): bool { return this.parkAt < other.parkAt; }

  /**
   * When the socket has nothing to do until an instant unless a segment or
   * its application calls on it, that instant (FOREVER: none); -1 (or any
   * instant already due) keeps it in the set's walk. A parked socket leaves
   * the walk that dispatch() and pollAt() make on every frame until the
   * instant, or until SocketSet.wake: the TCP table lookup wakes a
   * connection a segment is for, and a socket the application calls wakes
   * itself. A server's idle and TIME-WAIT connections then cost nothing per
   * frame.
   */
  get parkUntil(): i64 { return -1; }

  /** True for sockets the interface offers UDP datagrams and ICMP messages to (TCP's are found through the set's tables). */
  get takesDatagrams(): bool { return true; }

  /** When the socket next wants dispatch() called: FOREVER for never, anything <= now for now. */
  pollAt(): i64 { return FOREVER; }
  /** Sends what is due at `now` through `egress`. */
  dispatch(now: i64, egress: Egress): void {}

  /** The UDP port this socket holds, 0 when none; SocketSet keeps them unique. */
  get udpPort(): u16 { return 0; }
  /** True when this socket takes UDP datagrams to `dst`:`dstPort`. */
  acceptsUdp(dst: Ipv4Addr, dstPort: u16): bool { return false; }
  /** One UDP datagram; `payload` is valid only during the call. */
  processUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): void {}
  /** One ICMP message addressed to us; returns true when this socket took it. */
  processIcmp(src: Ipv4Addr, repr: Icmpv4Repr, now: i64): bool { return false; }
  /** One TCP segment the set's TCP tables routed here; `repr.payload` is valid only during the call. */
  processTcp(src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr, now: i64): TcpVerdict { return TcpVerdict.NotMine; }
  /** True for a TCP connection in TIME-WAIT: a new connection may take its 4-tuple over (RFC 6191, RFC 9293 §3.6.1). */
  get tcpReclaimable(): bool { return false; }
  /** Ends a reclaimable connection at once, freeing its 4-tuple. */
  tcpReclaim(): void {}
}

/** The TCP demultiplexing key of a connection: local port, remote port, remote address. */
@inline export function tcpKey(localPort: u16, remote: Ipv4Addr, remotePort: u16): u64 {
  return (<u64>localPort << 48) | (<u64>remotePort << 32) | <u64>remote;
}

/** IANA's dynamic port range (RFC 6335 §6), for sockets bound to port 0. */
export const EPHEMERAL_FIRST: u16 = 49152;
export const EPHEMERAL_LAST: u16 = 65535;


/** The sockets of one interface. */
export class SocketSet {
  // The walk: sockets dispatch() and pollAt() visit on every frame.
  private walkHead: Socket | null = null;
  private walkTail: Socket | null = null;
  private walkLen: i32 = 0;
  /** Parked sockets with a wake instant, by parkAt. */
  private parkHeap: IndexedHeap<Socket> = new IndexedHeap<Socket>();
  private parkedSockets: i32 = 0;
  /** The sockets offered UDP and ICMP (takesDatagrams): few, so a list. */
  private datagramSockets: Socket[] = [];
  /** dispatch()'s copy of the walk, reused; `walking` while it is in use. */
  private walkList: Socket[] = [];
  private walking: bool = false;
  private nextEphemeral: u16 = EPHEMERAL_FIRST;
  private nextTcpEphemeral: u16 = EPHEMERAL_FIRST;
  private tcpConnections: Map<u64, Socket> = new Map();
  private tcpListeners: Map<u16, Socket> = new Map();
  /** TIME-WAIT connections ended early so a new connection could have their 4-tuple. */
  tcpReclaimed: i32 = 0;
  // TIME-WAIT connections, oldest first, so the oldest can end early when there are too many.
  private twHead: Socket | null = null;
  private twTail: Socket | null = null;
  private twCount: i32 = 0;
  /** TIME-WAIT connections ended early because maxTimeWait were held. */
  timeWaitOverflows: i64 = 0;
  /** SYNs listeners turned away because the set was at limits.maxConnections. */
  tcpTurnedAway: i64 = 0;
  /** How many connections and how much buffer memory the set's TCP may hold. */
  limits: StackLimits = new StackLimits();
  /** Spare buffers of the smallest size the set's connections share (what an idle connection gives back, the next busy one takes). */
  readonly bufferPool: BufferPool = minBufferPool();

  constructor(readonly egress: Egress) {}

  /** Adds `s`; a socket belongs to one set at most. Returns false when it is in one already. */
  add(s: Socket): bool {
    if (s.set != null) return false;
    s.set = this;
    s.parked = false;
    s.heapIndex = -1;
    s.parkAt = FOREVER;
    this.walkAppend(s);
    if (s.takesDatagrams) this.datagramSockets.push(s);
    return true;
  }

  /** Removes `s`, freeing its port. */
  remove(s: Socket): void {
    if (s.set !== this) return;
    if (s.parked) this.unpark(s);
    else this.walkUnlink(s);
    this.timeWaitLeft(s);
    if (s.takesDatagrams) {
      const d = this.datagramSockets;
      const i = d.indexOf(s);
      if (i >= 0) d.splice(i, 1);
    }
    s.set = null;
  }

  /** Sockets in the walk (not parked). */
  get walkCount(): i32 { return this.walkLen; }
  /** Sockets parked out of the walk (idle and TIME-WAIT TCP connections). */
  get parkedCount(): i32 { return this.parkedSockets; }

  /** The sockets offered UDP datagrams and ICMP messages, in the order they were added. */
  get datagramTakers(): Socket[] { return this.datagramSockets; }

  /** True when a socket of the set holds UDP `port`. */
  udpPortInUse(port: u16): bool {
    const d = this.datagramSockets;
    for (let i = 0; i < d.length; i++) if (d[i].udpPort == port) return true;
    return false;
  }

  /** A free port of the dynamic range, or 0 when all are taken. */
  ephemeralUdpPort(): u16 {
    const span = <i32>EPHEMERAL_LAST - <i32>EPHEMERAL_FIRST + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p == EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
      if (!this.udpPortInUse(p)) return p;
    }
    return 0;
  }

  // --- TCP demultiplexing ---------------------------------------------------

  /**
   * The connection with this 4-tuple (our address is the interface's), or
   * null. A segment is about to be handed to it: a parked connection is put
   * back in the walk, so what it owes in answer goes out.
   */
  tcpConnection(localPort: u16, remote: Ipv4Addr, remotePort: u16): Socket | null {
    const k = tcpKey(localPort, remote, remotePort);
    if (!this.tcpConnections.has(k)) return null;
    const s = this.tcpConnections.get(k);
    this.wake(s);
    return s;
  }

  /** The listener on `port`, or null. */
  tcpListener(port: u16): Socket | null {
    return this.tcpListeners.has(port) ? this.tcpListeners.get(port) : null;
  }

  /** Connections in the table (any state but CLOSED). */
  get tcpConnectionCount(): i32 { return this.tcpConnections.size; }
  /** Connections in TIME-WAIT. */
  get timeWaitCount(): i32 { return this.twCount; }
  /** Connections that count against limits.maxConnections: all but those in TIME-WAIT. */
  get tcpActiveCount(): i32 { return this.tcpConnections.size - this.twCount; }
  /** True when no more connections may open (limits.maxConnections). */
  get tcpFull(): bool { return this.tcpActiveCount >= this.limits.maxConnections; }

  /** A connection entered TIME-WAIT: the oldest ones end early while more than limits.maxTimeWait are held. */
  timeWaitEntered(s: Socket): void {
    if (s.set !== this || s.inTimeWait) return;
    s.inTimeWait = true;
    s.twNext = null;
    s.twPrev = this.twTail;
    const tail = this.twTail;
    if (tail != null) tail.twNext = s;
    else this.twHead = s;
    this.twTail = s;
    this.twCount++;
    while (this.twCount > this.limits.maxTimeWait) {
      const oldest = this.twHead!;
      this.timeWaitOverflows++;
      oldest.tcpReclaim();
      // A socket that did not leave (it should have) must not stall the loop.
      if (oldest.inTimeWait) this.timeWaitLeft(oldest);
    }
  }

  /** A connection left TIME-WAIT (closed, or taken over). */
  timeWaitLeft(s: Socket): void {
    if (!s.inTimeWait) return;
    s.inTimeWait = false;
    const p = s.twPrev, n = s.twNext;
    if (p != null) p.twNext = n;
    else this.twHead = n;
    if (n != null) n.twPrev = p;
    else this.twTail = p;
    s.twPrev = null;
    s.twNext = null;
    this.twCount--;
  }

  /** Claims a 4-tuple for `s`; false when another connection holds it. */
  bindTcpConnection(localPort: u16, remote: Ipv4Addr, remotePort: u16, s: Socket): bool {
    const k = tcpKey(localPort, remote, remotePort);
    if (this.tcpConnections.has(k)) {
      const other = this.tcpConnections.get(k);
      if (other === s) return true;
      if (!other.tcpReclaimable) return false;
      other.tcpReclaim();
      this.tcpReclaimed++;
    }
    this.tcpConnections.set(k, s);
    return true;
  }

  unbindTcpConnection(localPort: u16, remote: Ipv4Addr, remotePort: u16, s: Socket): void {
    const k = tcpKey(localPort, remote, remotePort);
    if (this.tcpConnections.has(k) && this.tcpConnections.get(k) === s) this.tcpConnections.delete(k);
  }

  /** Claims `port` for a listener; false when another listener holds it. */
  bindTcpListener(port: u16, s: Socket): bool {
    if (this.tcpListeners.has(port)) return this.tcpListeners.get(port) === s;
    this.tcpListeners.set(port, s);
    return true;
  }

  unbindTcpListener(port: u16, s: Socket): void {
    if (this.tcpListeners.has(port) && this.tcpListeners.get(port) === s) this.tcpListeners.delete(port);
  }

  /**
   * A local port of the dynamic range for a connection to `remote`:`remotePort`.
   * Ports only have to make the 4-tuple unique, so each destination has the
   * whole range; when every port to it is taken, one held by a connection in
   * TIME-WAIT is reclaimed (RFC 6191), so ports run out only when 16384
   * connections to one destination are live at once. 0 then.
   */
  ephemeralTcpPort(remote: Ipv4Addr, remotePort: u16): u16 {
    const span = <i32>EPHEMERAL_LAST - <i32>EPHEMERAL_FIRST + 1;
    let reclaimable: u16 = 0;
    for (let i = 0; i < span; i++) {
      const p = this.nextTcpEphemeral;
      this.nextTcpEphemeral = p == EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
      if (this.tcpListeners.has(p)) continue;
      const k = tcpKey(p, remote, remotePort);
      if (!this.tcpConnections.has(k)) return p;
      if (reclaimable == 0 && this.tcpConnections.get(k).tcpReclaimable) reclaimable = p;
    }
    return reclaimable;
  }

  // --- the walk and parking ---------------------------------------------------

  /** Puts a parked socket back in the walk (something came for it); no-op otherwise. */
  wake(s: Socket): void {
    if (s.set !== this || !s.parked) return;
    this.unpark(s);
    this.walkAppend(s);
  }

  /** The earliest pollAt of the sockets, or FOREVER. */
  pollAt(): i64 {
    let t = this.parkHeap.length > 0 ? this.parkHeap.top.parkAt : FOREVER;
    let s = this.walkHead;
    while (s != null) {
      t = min(t, s.pollAt());
      s = s.walkNext;
    }
    return t;
  }

  /** Dispatches every socket due at `now`, and parks those that say they may be. */
  dispatch(now: i64): void {
    this.wakeDue(now);
    // A copy: a handler may add, remove, wake or park sockets while we walk.
    // It runs after every frame, so the copy reuses one array (a fresh one
    // if a handler dispatches from inside the walk).
    const nested = this.walking;
    const list = nested ? new Array<Socket>(0) : this.walkList;
    list.length = 0;
    let s = this.walkHead;
    while (s != null) {
      list.push(s);
      s = s.walkNext;
    }
    this.walking = true;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.set !== this || s.parked) continue;
      if (s.pollAt() <= now) s.dispatch(now, this.egress);
      if (s.set !== this || s.parked) continue;
      const until = s.parkUntil;
      if (until > now) this.park(s, until);
    }
    // Let go of the sockets the copy referenced (closed ones included).
    list.length = 0;
    this.walking = nested;
  }

  private park(s: Socket, until: i64): void {
    this.walkUnlink(s);
    s.parked = true;
    this.parkedSockets++;
    s.parkAt = until;
    if (until != FOREVER) this.parkHeap.push(s);
  }

  /** Takes a parked socket out of the parked state (and the heap); it is then in neither the walk nor the heap. */
  private unpark(s: Socket): void {
    s.parked = false;
    this.parkedSockets--;
    this.parkHeap.remove(s);
    s.parkAt = FOREVER;
  }

  /** Moves parked sockets whose instant has come back into the walk. */
  private wakeDue(now: i64): void {
    const h = this.parkHeap;
    while (h.length > 0 && h.top.parkAt <= now) this.wake(h.top);
  }

  private walkAppend(s: Socket): void {
    s.inWalk = true;
    s.walkNext = null;
    s.walkPrev = this.walkTail;
    const tail = this.walkTail;
    if (tail != null) tail.walkNext = s;
    else this.walkHead = s;
    this.walkTail = s;
    this.walkLen++;
  }

  private walkUnlink(s: Socket): void {
    if (!s.inWalk) return;
    const p = s.walkPrev, n = s.walkNext;
    if (p != null) p.walkNext = n;
    else this.walkHead = n;
    if (n != null) n.walkPrev = p;
    else this.walkTail = p;
    s.walkPrev = null;
    s.walkNext = null;
    s.inWalk = false;
    this.walkLen--;
  }
}
