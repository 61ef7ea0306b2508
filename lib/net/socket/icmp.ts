// ICMP echo ("ping") sockets. The interface answers echo requests itself;
// an IcmpSocket sends requests with its identifier and receives the replies
// that carry it.

import { Ipv4Addr } from "../addr";
import { FOREVER } from "../../time";
import { Icmpv4Repr, IcmpKind, ICMP_HEADER_LEN } from "../wire/icmpv4";
import { IPV4_HEADER_LEN, IPV4_MAX_LEN } from "../wire/ipv4";
import { Socket, Egress, SendError } from "./socket";

/** Receives echo replies. */
export abstract class IcmpHandler {
  /** A reply from `from` to our request `seq`; `data` is valid only during the call. */
  abstract onEchoReply(socket: IcmpSocket, from: Ipv4Addr, seq: u16, data: Uint8Array, now: i64): void;
}

export enum IcmpSendError {
  None = 0,
  /** Add the socket to an interface's SocketSet first. */
  NotInSet = 1,
  /** The data does not fit the largest IPv4 datagram (65,507 bytes of it); larger than the MTU is fine, it goes in fragments. */
  TooBig = 2,
  /** The interface has no route to the destination. */
  NoRoute = 3,
  /** Too many requests wait to be sent; retry after the interface polls. */
  QueueFull = 4,
}

class PendingEcho {
  constructor(public dst: Ipv4Addr, public seq: u16, public data: Uint8Array) {}
}

/** Sends echo requests with identifier `ident` and reports the replies. */
export class IcmpSocket extends Socket {
  private tx: PendingEcho[] = [];
  /** Requests the interface could not send at dispatch. */
  txFailed: i32 = 0;

  constructor(public handler: IcmpHandler, readonly ident: u16, readonly maxQueued: i32 = 8) {
    super();
  }

  /** Queues an echo request to `dst` carrying a copy of `data`. */
  sendEcho(dst: Ipv4Addr, seq: u16, data: Uint8Array): IcmpSendError {
    const set = this.set;
    if (set == null) return IcmpSendError.NotInSet;
    if (data.length > IPV4_MAX_LEN - IPV4_HEADER_LEN - ICMP_HEADER_LEN) return IcmpSendError.TooBig;
    if (!set.egress.canReach(dst)) return IcmpSendError.NoRoute;
    if (this.tx.length >= this.maxQueued) return IcmpSendError.QueueFull;
    this.tx.push(new PendingEcho(dst, seq, data.slice(0)));
    return IcmpSendError.None;
  }

  pollAt(): i64 { return this.tx.length > 0 ? 0 : FOREVER; }

  dispatch(now: i64, egress: Egress): void {
    while (this.tx.length > 0) {
      const e = this.tx.shift();
      if (egress.sendIcmp(e.dst, Icmpv4Repr.echo(true, this.ident, e.seq, e.data), now) != SendError.None) this.txFailed++;
    }
  }

  processIcmp(src: Ipv4Addr, repr: Icmpv4Repr, now: i64): bool {
    if (repr.kind != IcmpKind.EchoReply || repr.ident != this.ident) return false;
    this.handler.onEchoReply(this, src, repr.seq, repr.data, now);
    return true;
  }
}
