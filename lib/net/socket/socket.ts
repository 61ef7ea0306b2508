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
  /** SocketSet's bookkeeping of parking (see parkUntil); sockets leave these alone. */
  parked: bool = false;
  /** Names the socket's current entry in its set's wake heap; bumped to invalidate it. */
  parkSeq: u32 = 0;
  /** When that entry wakes the socket; FOREVER when it has none. */
  parkAt: i64 = FOREVER;

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

/** A parked socket and the instant it wakes; stale once the socket moved on (parkSeq). */
class ParkEntry {
  constructor(readonly socket: Socket, readonly at: i64, readonly seq: u32) {}
}

/** The sockets of one interface. */
export class SocketSet {
  /** The sockets in the walk; parked ones (parkedCount) are held apart. */
  readonly sockets: Socket[] = [];
  /** Parked sockets, a binary min-heap by wake instant. */
  private parkHeap: ParkEntry[] = [];
  private parkedSockets: i32 = 0;
  /** dispatch()'s copy of the walk, reused; `walking` while it is in use. */
  private walkList: Socket[] = [];
  private walking: bool = false;
  private nextEphemeral: u16 = EPHEMERAL_FIRST;
  private nextTcpEphemeral: u16 = EPHEMERAL_FIRST;
  private tcpConnections: Map<u64, Socket> = new Map();
  private tcpListeners: Map<u16, Socket> = new Map();
  /** TIME-WAIT connections ended early so a new connection could have their 4-tuple. */
  tcpReclaimed: i32 = 0;

  constructor(readonly egress: Egress) {}

  /** Adds `s`; a socket belongs to one set at most. Returns false when it is in one already. */
  add(s: Socket): bool {
    if (s.set != null) return false;
    s.set = this;
    s.parked = false;
    this.forgetEntry(s);
    this.sockets.push(s);
    return true;
  }

  /** Removes `s`, freeing its port. */
  remove(s: Socket): void {
    if (s.set !== this) return;
    // A heap entry it had goes stale and is dropped when it surfaces.
    this.forgetEntry(s);
    if (s.parked) {
      s.parked = false;
      this.parkedSockets--;
      s.set = null;
      return;
    }
    const i = this.sockets.indexOf(s);
    if (i < 0) return;
    this.sockets.splice(i, 1);
    s.set = null;
  }

  /** True when a socket of the set holds UDP `port`. */
  udpPortInUse(port: u16): bool {
    for (let i = 0; i < this.sockets.length; i++) if (this.sockets[i].udpPort == port) return true;
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

  /** Sockets parked out of the walk (TCP connections in TIME-WAIT). */
  get parkedCount(): i32 { return this.parkedSockets; }

  /** Puts a parked socket back in the walk (something came for it); no-op otherwise. */
  wake(s: Socket): void {
    if (s.set !== this || !s.parked) return;
    s.parked = false;
    this.parkedSockets--;
    this.sockets.push(s);
  }

  /** The earliest pollAt of the sockets, or FOREVER. */
  pollAt(): i64 {
    let t = this.parkedWakeAt();
    for (let i = 0; i < this.sockets.length; i++) t = min(t, this.sockets[i].pollAt());
    return t;
  }

  /** Dispatches every socket due at `now`, and parks those that say they may be. */
  dispatch(now: i64): void {
    this.wakeDue(now);
    // A copy: a handler may add or remove sockets while we walk. It runs
    // after every frame, so the copy reuses one array (a fresh one if a
    // handler dispatches from inside the walk).
    const nested = this.walking;
    const list = nested ? this.sockets.slice(0) : this.walkList;
    if (!nested) {
      list.length = 0;
      for (let i = 0; i < this.sockets.length; i++) list.push(this.sockets[i]);
    }
    this.walking = true;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.set !== this) continue;
      if (s.pollAt() <= now) s.dispatch(now, this.egress);
      if (s.set !== this || s.parked) continue;
      const until = s.parkUntil;
      if (until > now) this.park(s, until);
    }
    this.walking = nested;
  }

  private park(s: Socket, until: i64): void {
    const a = this.sockets;
    const i = a.indexOf(s);
    if (i < 0) return;
    // Out of the walk, in order, without splice's array of what it removed.
    for (let j = i; j < a.length - 1; j++) a[j] = a[j + 1];
    a.pop();
    s.parked = true;
    this.parkedSockets++;
    // An entry that wakes it no later than needed serves again (waking
    // early is harmless: the walk parks it anew), so a busy connection,
    // woken by every segment, does not leave an entry behind each time.
    if (until == FOREVER || s.parkAt <= until) return;
    s.parkSeq++;
    s.parkAt = until;
    // Stale entries are dropped as they surface; a wide heap of them is swept.
    if (this.parkHeap.length > 2 * this.parkedSockets + 1024) this.sweepParked();
    this.pushPark(new ParkEntry(s, until, s.parkSeq));
  }

  /** Invalidates the socket's heap entry, if any. */
  private forgetEntry(s: Socket): void {
    s.parkSeq++;
    s.parkAt = FOREVER;
  }

  /** The entry is the socket's current one (it may be in the walk for now). */
  private current(e: ParkEntry): bool {
    return e.socket.set === this && e.socket.parkSeq == e.seq;
  }

  /** The earliest wake instant of a parked socket, dropping entries that wake nobody; FOREVER for none. */
  private parkedWakeAt(): i64 {
    const h = this.parkHeap;
    while (h.length > 0) {
      const e = h[0];
      if (this.current(e) && e.socket.parked) return e.at;
      this.popPark();
      if (this.current(e)) e.socket.parkAt = FOREVER;
    }
    return FOREVER;
  }

  /** Moves parked sockets whose instant has come back into the walk. */
  private wakeDue(now: i64): void {
    while (this.parkedWakeAt() <= now) {
      const e = this.parkHeap[0];
      this.popPark();
      e.socket.parkAt = FOREVER;
      this.wake(e.socket);
    }
  }

  /** Rebuilds the heap from the entries still current. */
  private sweepParked(): void {
    const old = this.parkHeap;
    this.parkHeap = [];
    for (let i = 0; i < old.length; i++) {
      const e = old[i];
      if (this.current(e)) this.pushPark(e);
    }
  }

  private pushPark(e: ParkEntry): void {
    const h = this.parkHeap;
    h.push(e);
    let c = h.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (h[p].at <= h[c].at) break;
      const t = h[p]; h[p] = h[c]; h[c] = t;
      c = p;
    }
  }

  private popPark(): void {
    const h = this.parkHeap;
    const last = h.pop();
    if (h.length == 0) return;
    h[0] = last;
    let p = 0;
    while (true) {
      const l = 2 * p + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r].at < h[l].at ? r : l;
      if (h[p].at <= h[c].at) break;
      const t = h[p]; h[p] = h[c]; h[c] = t;
      p = c;
    }
  }
}
