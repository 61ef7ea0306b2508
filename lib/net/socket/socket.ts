// What every socket shares, and the one way sockets reach the network. A
// socket does no I/O of its own: the interface hands it what arrived
// (process*), asks when it next wants to run (pollAt) and lets it send
// (dispatch) through an Egress, the interface's narrow sending side. The TCP
// sockets will add their own process/dispatch pair here.

import { Ipv4Addr } from "../addr";
import { FOREVER } from "../../time";
import { Icmpv4Repr } from "../wire/icmpv4";

/** Why the interface could not send a packet. */
export enum SendError {
  None = 0,
  /** No route: the destination is off-link and there is no gateway, or the interface has no address. */
  NoRoute = 1,
  /** Larger than the device's MTU allows; the stack does not fragment what it sends. */
  TooBig = 2,
  /** The device refused the frame (busy or failed). */
  Device = 3,
}

/** A sentence for a SendError. */
export function sendErrorText(e: SendError): string {
  switch (e) {
    case SendError.None: return "no error";
    case SendError.NoRoute: return "no route to the destination: not on the local subnet and no gateway, or no address yet";
    case SendError.TooBig: return "packet larger than the interface MTU";
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
  /** Largest IPv4 datagram, header included, the interface sends unfragmented. */
  abstract get mtu(): i32;
  /** True when a packet to `dst` has a next hop now. */
  abstract canReach(dst: Ipv4Addr): bool;
  /** Sends a UDP datagram; `src` 0 means the interface's address. */
  abstract sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError;
  /** Sends an ICMP message from the interface's address. */
  abstract sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError;
}

/** A socket of any kind. */
export abstract class Socket {
  /** The set this socket belongs to; null until added. */
  set: SocketSet | null = null;

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
}

/** IANA's dynamic port range (RFC 6335 §6), for sockets bound to port 0. */
export const EPHEMERAL_FIRST: u16 = 49152;
export const EPHEMERAL_LAST: u16 = 65535;

/** The sockets of one interface. */
export class SocketSet {
  readonly sockets: Socket[] = [];
  private nextEphemeral: u16 = EPHEMERAL_FIRST;

  constructor(readonly egress: Egress) {}

  /** Adds `s`; a socket belongs to one set at most. Returns false when it is in one already. */
  add(s: Socket): bool {
    if (s.set != null) return false;
    s.set = this;
    this.sockets.push(s);
    return true;
  }

  /** Removes `s`, freeing its port. */
  remove(s: Socket): void {
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

  /** The earliest pollAt of the sockets, or FOREVER. */
  pollAt(): i64 {
    let t = FOREVER;
    for (let i = 0; i < this.sockets.length; i++) t = min(t, this.sockets[i].pollAt());
    return t;
  }

  /** Dispatches every socket due at `now`. */
  dispatch(now: i64): void {
    // A copy: a handler may add or remove sockets while we walk.
    const list = this.sockets.slice(0);
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (s.set === this && s.pollAt() <= now) s.dispatch(now, this.egress);
    }
  }
}
