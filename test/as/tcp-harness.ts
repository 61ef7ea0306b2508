// A socket set on a capturing egress, for the TCP state tests: segments go
// in as the interface would route them (connection by 4-tuple, then the
// listener, then a reset), and what the sockets send comes back parsed.
import { Ipv4Addr, ipv4 } from "atoll/net/addr";
import { Egress, SendError, SocketSet, TcpVerdict } from "atoll/net/socket/socket";
import { Icmpv4Repr } from "atoll/net/wire/icmpv4";
import { TcpPacket, TcpRepr, TcpFlags } from "atoll/net/wire/tcp";
import { WireError } from "atoll/net/wire/error";
import { TcpSocket, TcpHandler, TcpError, TcpConfig, tcpResetFor } from "atoll/net/socket/tcp";
import { TcpListener, TcpListenHandler } from "atoll/net/socket/tcp-listener";
import { tcpStateName, TcpState } from "atoll/net/socket/tcp-state";
import { hex } from "./net-util";

export const LOCAL: Ipv4Addr = ipv4(10, 0, 0, 1);
export const REMOTE: Ipv4Addr = ipv4(10, 0, 0, 2);
export const LOCAL_PORT: u16 = 80;
export const REMOTE_PORT: u16 = 49500;
/** The remote end's ISS. */
export const RISS: u32 = 10000;

export class Capture extends Egress {
  segs: TcpRepr[] = [];
  get address(): Ipv4Addr { return LOCAL; }
  get mtu(): i32 { return 1500; }
  canReach(dst: Ipv4Addr): bool { return true; }
  sendUdp(src: Ipv4Addr, srcPort: u16, dst: Ipv4Addr, dstPort: u16, payload: Uint8Array, now: i64): SendError { return SendError.NoRoute; }
  sendIcmp(dst: Ipv4Addr, repr: Icmpv4Repr, now: i64): SendError { return SendError.NoRoute; }
  sendTcp(src: Ipv4Addr, dst: Ipv4Addr, repr: TcpRepr, now: i64): SendError {
    // Through the wire format and back, so emit and parse are exercised too.
    const b = new Uint8Array(repr.bufferLen());
    repr.emit(new TcpPacket(b), src == 0 ? LOCAL : src, dst);
    const r = new TcpRepr();
    assert(r.parse(new TcpPacket(b), src == 0 ? LOCAL : src, dst) == WireError.None, "emitted segment parses");
    r.payload = r.payload.slice(0);
    this.segs.push(r);
    return SendError.None;
  }
}

/** Records what a connection tells its application. */
export class Events extends TcpHandler {
  connected: i32 = 0;
  readable: i32 = 0;
  writable: i32 = 0;
  peerClosed: i32 = 0;
  closed: i32 = 0;
  error: TcpError = TcpError.None;
  onConnected(c: TcpSocket, now: i64): void { this.connected++; }
  onReadable(c: TcpSocket, now: i64): void { this.readable++; }
  onWritable(c: TcpSocket, now: i64): void { this.writable++; }
  onPeerClosed(c: TcpSocket, now: i64): void { this.peerClosed++; }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void { this.closed++; this.error = error; }
}

export class Accepts extends TcpListenHandler {
  accepted: TcpSocket[] = [];
  events: Events = new Events();
  onAccept(l: TcpListener, c: TcpSocket, now: i64): void {
    c.handler = this.events;
    this.accepted.push(c);
  }
}

/** A config without options or delays, so segments are easy to predict; tests turn features on. */
export function plainConfig(): TcpConfig {
  const c = new TcpConfig();
  c.windowScaling = false;
  c.timestamps = false;
  c.ackDelay = 0;
  c.noDelay = true;
  c.sendBuffer = 8192;
  c.recvBuffer = 8192;
  return c;
}

export class H {
  eg: Capture;
  set: SocketSet;
  now: i64 = 1_000_000_000;
  resets: i32 = 0;
  constructor() {
    const eg = new Capture();
    this.eg = eg;
    this.set = new SocketSet(eg);
  }

  /** Delivers `seg` from REMOTE as the interface would, then lets the sockets send. */
  send(seg: TcpRepr): void {
    let v = TcpVerdict.NotMine;
    const c = this.set.tcpConnection(seg.dstPort, REMOTE, seg.srcPort);
    if (c != null) v = c.processTcp(REMOTE, LOCAL, seg, this.now);
    if (v == TcpVerdict.NotMine) {
      const l = this.set.tcpListener(seg.dstPort);
      if (l != null) v = l.processTcp(REMOTE, LOCAL, seg, this.now);
    }
    if (v != TcpVerdict.Taken) {
      const r = tcpResetFor(seg);
      if (r != null) {
        this.resets++;
        this.eg.sendTcp(LOCAL, REMOTE, r, this.now);
      }
    }
    this.set.dispatch(this.now);
  }

  /** Lets `dt` ns pass, polling whatever falls due on the way. */
  advance(dt: i64): void {
    const end = this.now + dt;
    for (let i = 0; i < 10000; i++) {
      const t = this.set.pollAt();
      if (t > end) break;
      this.now = max(this.now, t);
      this.set.dispatch(this.now);
    }
    this.now = end;
  }

  /** The next segment the sockets sent; fails when there is none. */
  recv(): TcpRepr {
    assert(this.eg.segs.length > 0, "expected a segment, got none");
    return this.eg.segs.shift();
  }

  expectNothing(): void {
    if (this.eg.segs.length > 0) assert(false, "expected no segment, got " + describe(this.eg.segs[0]));
  }

  get pending(): i32 { return this.eg.segs.length; }
  clear(): void { this.eg.segs = []; }
}

/** A segment from REMOTE:REMOTE_PORT to LOCAL_PORT. */
export function seg(flags: u16, seq: u32, ack: u32, window: u16 = 8192, payload: Uint8Array = new Uint8Array(0)): TcpRepr {
  const r = TcpRepr.of(REMOTE_PORT, LOCAL_PORT, seq, ack, flags, window);
  r.payload = payload;
  return r;
}

export function flagsText(f: u16): string {
  let s = "";
  if (f & TcpFlags.SYN) s += "S";
  if (f & TcpFlags.FIN) s += "F";
  if (f & TcpFlags.RST) s += "R";
  if (f & TcpFlags.PSH) s += "P";
  if (f & TcpFlags.ACK) s += ".";
  return s;
}

export function describe(r: TcpRepr): string {
  return "[" + flagsText(r.flags) + " seq=" + r.seq.toString() + " ack=" + r.ack.toString() + " win=" + r.window.toString() +
    " len=" + r.payload.length.toString() + (r.payload.length > 0 && r.payload.length <= 16 ? " " + hex(r.payload) : "") + "]";
}

/** Asserts flags, seq and ack of `r`. */
export function expectSeg(r: TcpRepr, flags: u16, seq: u32, ack: u32, len: i32 = 0): void {
  if (r.flags != flags || r.seq != seq || (((flags & TcpFlags.ACK) != 0) && r.ack != ack) || r.payload.length != len) {
    assert(false, "got " + describe(r) + ", want [" + flagsText(flags) + " seq=" + seq.toString() + " ack=" + ack.toString() + " len=" + len.toString() + "]");
  }
}

export function expectState(c: TcpSocket, s: TcpState): void {
  if (c.state != s) assert(false, "state " + tcpStateName(c.state) + ", want " + tcpStateName(s));
}
