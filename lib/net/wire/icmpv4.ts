// ICMP for IPv4 (RFC 792): echo request and reply, destination unreachable
// and time exceeded. Other types parse as Unsupported; the interface drops
// them, as RFC 1122 §3.2.2 allows for types it does not implement.

import { WireError } from "./error";
import { getU8, getU16, setU8, setU16, copyBytes, zeroBytes } from "./bytes";
import { checksum } from "./checksum";

/** ICMP message types (RFC 792). */
export namespace IcmpType {
  export const ECHO_REPLY: u8 = 0;
  export const DST_UNREACHABLE: u8 = 3;
  export const ECHO_REQUEST: u8 = 8;
  export const TIME_EXCEEDED: u8 = 11;
}

/** Destination unreachable codes (RFC 792; 4 carries a next-hop MTU, RFC 1191 §4). */
export namespace DstUnreachableCode {
  export const NET: u8 = 0;
  export const HOST: u8 = 1;
  export const PROTOCOL: u8 = 2;
  export const PORT: u8 = 3;
  export const FRAG_NEEDED: u8 = 4;
}

/** Time exceeded codes (RFC 792). */
export namespace TimeExceededCode {
  export const TTL: u8 = 0;
  export const REASSEMBLY: u8 = 1;
}

// Field offsets (RFC 792).
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const IDENT = 4;
const SEQ = 6;
const MTU = 6;
/** Length of the ICMP header, the four type-specific bytes included. */
export const ICMP_HEADER_LEN: i32 = 8;
/** Bytes of the offending datagram's data an error quotes after its header (RFC 792). */
export const ICMP_ERROR_QUOTE: i32 = 8;

/** A view of an ICMPv4 message in a buffer the caller owns. */
export class Icmpv4Packet {
  constructor(public buffer: Uint8Array) {}

  checkLen(): WireError {
    return this.buffer.length < ICMP_HEADER_LEN ? WireError.Truncated : WireError.None;
  }

  get msgType(): u8 { return getU8(this.buffer, TYPE); }
  set msgType(v: u8) { setU8(this.buffer, TYPE, v); }
  get code(): u8 { return getU8(this.buffer, CODE); }
  set code(v: u8) { setU8(this.buffer, CODE, v); }
  get checksum(): u16 { return getU16(this.buffer, CHECKSUM); }
  set checksum(v: u16) { setU16(this.buffer, CHECKSUM, v); }
  /** Echo identifier. */
  get ident(): u16 { return getU16(this.buffer, IDENT); }
  set ident(v: u16) { setU16(this.buffer, IDENT, v); }
  /** Echo sequence number. */
  get seq(): u16 { return getU16(this.buffer, SEQ); }
  set seq(v: u16) { setU16(this.buffer, SEQ, v); }
  /** Next-hop MTU of "fragmentation needed" (RFC 1191). */
  get nextHopMtu(): u16 { return getU16(this.buffer, MTU); }
  set nextHopMtu(v: u16) { setU16(this.buffer, MTU, v); }

  /** True when the checksum over the whole buffer is valid. */
  verifyChecksum(): bool { return checksum(this.buffer, 0, this.buffer.length) == 0; }

  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = checksum(this.buffer, 0, this.buffer.length);
  }

  /** The bytes after the 8-byte header (a view). */
  data(): Uint8Array { return this.buffer.subarray(ICMP_HEADER_LEN); }
}

/** The ICMP messages this stack reads and writes. */
export enum IcmpKind {
  EchoRequest = 0,
  EchoReply = 1,
  DstUnreachable = 2,
  TimeExceeded = 3,
}

/**
 * The meaning of an ICMP message. `data` is the echo payload, or for an error
 * the quoted IPv4 header and the first 8 bytes of what followed it; after
 * parse it is a view into the packet's buffer.
 */
export class Icmpv4Repr {
  kind: IcmpKind = IcmpKind.EchoRequest;
  code: u8 = 0;
  ident: u16 = 0;
  seq: u16 = 0;
  /** Next-hop MTU, for DstUnreachable code FRAG_NEEDED. */
  mtu: u16 = 0;
  data: Uint8Array = new Uint8Array(0);

  static echo(request: bool, ident: u16, seq: u16, data: Uint8Array): Icmpv4Repr {
    const r = new Icmpv4Repr();
    r.kind = request ? IcmpKind.EchoRequest : IcmpKind.EchoReply;
    r.ident = ident;
    r.seq = seq;
    r.data = data;
    return r;
  }

  static error(kind: IcmpKind, code: u8, quoted: Uint8Array): Icmpv4Repr {
    const r = new Icmpv4Repr();
    r.kind = kind;
    r.code = code;
    r.data = quoted;
    return r;
  }

  /** Fills this Repr from `p`; verifies the checksum over the whole buffer, so pass exactly the IP payload. */
  parse(p: Icmpv4Packet): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    if (!p.verifyChecksum()) return WireError.BadChecksum;
    const t = p.msgType;
    const code = p.code;
    if (t == IcmpType.ECHO_REQUEST || t == IcmpType.ECHO_REPLY) {
      if (code != 0) return WireError.Malformed;
      this.kind = t == IcmpType.ECHO_REQUEST ? IcmpKind.EchoRequest : IcmpKind.EchoReply;
      this.code = 0;
      this.ident = p.ident;
      this.seq = p.seq;
      this.mtu = 0;
      this.data = p.data();
      return WireError.None;
    }
    if (t == IcmpType.DST_UNREACHABLE || t == IcmpType.TIME_EXCEEDED) {
      if (t == IcmpType.DST_UNREACHABLE ? code > 15 : code > 1) return WireError.Malformed;
      const quoted = p.data();
      // The quote must at least hold the offending IPv4 header (RFC 792).
      if (quoted.length < 20 || (getU8(quoted, 0) >> 4) != 4) return WireError.Malformed;
      const hl = <i32>(getU8(quoted, 0) & 0x0F) * 4;
      if (hl < 20 || quoted.length < hl) return WireError.Malformed;
      this.kind = t == IcmpType.DST_UNREACHABLE ? IcmpKind.DstUnreachable : IcmpKind.TimeExceeded;
      this.code = code;
      this.ident = 0;
      this.seq = 0;
      this.mtu = t == IcmpType.DST_UNREACHABLE && code == DstUnreachableCode.FRAG_NEEDED ? p.nextHopMtu : 0;
      this.data = quoted;
      return WireError.None;
    }
    return WireError.Unsupported;
  }

  bufferLen(): i32 { return ICMP_HEADER_LEN + this.data.length; }

  /** Writes the message into `p`, whose buffer is exactly bufferLen() bytes (the checksum covers all of it). */
  emit(p: Icmpv4Packet): void {
    const b = p.buffer;
    switch (this.kind) {
      case IcmpKind.EchoRequest:
      case IcmpKind.EchoReply:
        p.msgType = this.kind == IcmpKind.EchoRequest ? IcmpType.ECHO_REQUEST : IcmpType.ECHO_REPLY;
        p.code = 0;
        p.ident = this.ident;
        p.seq = this.seq;
        break;
      default:
        p.msgType = this.kind == IcmpKind.DstUnreachable ? IcmpType.DST_UNREACHABLE : IcmpType.TIME_EXCEEDED;
        p.code = this.code;
        zeroBytes(b, 4, 4);
        if (this.kind == IcmpKind.DstUnreachable && this.code == DstUnreachableCode.FRAG_NEEDED) p.nextHopMtu = this.mtu;
        break;
    }
    copyBytes(b, ICMP_HEADER_LEN, this.data, 0, this.data.length);
    p.fillChecksum();
  }
}
