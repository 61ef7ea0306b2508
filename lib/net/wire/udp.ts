// UDP (RFC 768). The checksum covers a pseudo-header of the IPv4 addresses,
// protocol and UDP length; a zero checksum field means the sender computed
// none, so a computed zero is sent as 0xFFFF.

import { Ipv4Addr } from "../addr";
import { WireError } from "./error";
import { getU16, setU16, copyBytes } from "./bytes";
import { finish, pseudoHeaderSum, sumBytes } from "./checksum";
import { IpProtocol, IPV4_MAX_LEN, IPV4_HEADER_LEN } from "./ipv4";

// Field offsets (RFC 768).
const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;
/** Length of the UDP header. */
export const UDP_HEADER_LEN: i32 = 8;
/** Largest payload of one datagram: what the IPv4 total length leaves (65,507 bytes). */
export const UDP_MAX_PAYLOAD: i32 = IPV4_MAX_LEN - IPV4_HEADER_LEN - UDP_HEADER_LEN;

/** A view of a UDP datagram in a buffer the caller owns. */
export class UdpPacket {
  constructor(public buffer: Uint8Array) {}

  /** None when the buffer holds the header and the length field's bytes, and that field covers the header. */
  checkLen(): WireError {
    const b = this.buffer;
    if (b.length < UDP_HEADER_LEN) return WireError.Truncated;
    const len = <i32>this.length;
    if (len < UDP_HEADER_LEN) return WireError.BadLength;
    if (b.length < len) return WireError.Truncated;
    return WireError.None;
  }

  get srcPort(): u16 { return getU16(this.buffer, SRC_PORT); }
  set srcPort(v: u16) { setU16(this.buffer, SRC_PORT, v); }
  get dstPort(): u16 { return getU16(this.buffer, DST_PORT); }
  set dstPort(v: u16) { setU16(this.buffer, DST_PORT, v); }
  /** Header plus data, in bytes. */
  get length(): u16 { return getU16(this.buffer, LENGTH); }
  set length(v: u16) { setU16(this.buffer, LENGTH, v); }
  get checksum(): u16 { return getU16(this.buffer, CHECKSUM); }
  set checksum(v: u16) { setU16(this.buffer, CHECKSUM, v); }

  /** True when the checksum is absent (zero) or valid for these addresses. */
  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): bool {
    if (this.checksum == 0) return true;
    const len = <i32>this.length;
    return finish(sumBytes(pseudoHeaderSum(src, dst, IpProtocol.UDP, <u32>len), this.buffer, 0, len)) == 0;
  }

  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    this.checksum = 0;
    const len = <i32>this.length;
    const c = finish(sumBytes(pseudoHeaderSum(src, dst, IpProtocol.UDP, <u32>len), this.buffer, 0, len));
    this.checksum = c == 0 ? 0xFFFF : c;
  }

  /** The data after the header, up to the length field (a view). */
  payload(): Uint8Array { return this.buffer.subarray(UDP_HEADER_LEN, <i32>this.length); }
}

/** The meaning of a UDP header; `payload` is a view into the packet after parse. */
export class UdpRepr {
  srcPort: u16 = 0;
  dstPort: u16 = 0;
  payload: Uint8Array = new Uint8Array(0);

  static of(srcPort: u16, dstPort: u16, payload: Uint8Array): UdpRepr {
    const r = new UdpRepr();
    r.srcPort = srcPort;
    r.dstPort = dstPort;
    r.payload = payload;
    return r;
  }

  /** Fills this Repr from `p`, checking the checksum against the IPv4 addresses it came with. */
  parse(p: UdpPacket, src: Ipv4Addr, dst: Ipv4Addr): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    // Port 0 is reserved (IANA); nothing may be addressed to it.
    if (p.dstPort == 0) return WireError.Malformed;
    if (!p.verifyChecksum(src, dst)) return WireError.BadChecksum;
    this.srcPort = p.srcPort;
    this.dstPort = p.dstPort;
    this.payload = p.payload();
    return WireError.None;
  }

  bufferLen(): i32 { return UDP_HEADER_LEN + this.payload.length; }

  /** Writes header, payload and checksum into `p` (bufferLen() bytes at least). */
  emit(p: UdpPacket, src: Ipv4Addr, dst: Ipv4Addr): void {
    p.srcPort = this.srcPort;
    p.dstPort = this.dstPort;
    p.length = <u16>this.bufferLen();
    copyBytes(p.buffer, UDP_HEADER_LEN, this.payload, 0, this.payload.length);
    p.fillChecksum(src, dst);
  }
}
