// IPv4 (RFC 791 §3.1). Options are skipped, not interpreted: the payload
// starts after IHL words whatever they hold. A fragment parses like any other
// datagram; its Repr says so (moreFragments, fragmentOffset) and
// lib/net/iface/reassembly.ts puts the pieces together.

import { Ipv4Addr } from "../addr";
import { WireError } from "./error";
import { getU8, getU16, getU32, setU8, setU16, setU32 } from "./bytes";
import { checksum } from "./checksum";

/** Protocol numbers (IANA "Assigned Internet Protocol Numbers"; RFC 790). */
export namespace IpProtocol {
  export const ICMP: u8 = 1;
  export const TCP: u8 = 6;
  export const UDP: u8 = 17;
}

// Field offsets (RFC 791 §3.1).
const VER_IHL = 0;
const DSCP_ECN = 1;
const LENGTH = 2;
const IDENT = 4;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SRC = 12;
const DST = 16;

/** Length of a header without options. */
export const IPV4_HEADER_LEN: i32 = 20;
/** Largest datagram the 16-bit total length can describe (RFC 791 §3.1). */
export const IPV4_MAX_LEN: i32 = 65535;
/** Every host must accept datagrams of this size (RFC 791 §3.1, RFC 1122 §3.3.2). */
export const IPV4_MIN_MTU: i32 = 576;
/** Time to live recommended for new datagrams (RFC 1700 "IP TTL"; RFC 1122 §3.2.1.7). */
export const IPV4_DEFAULT_TTL: u8 = 64;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_MASK: u16 = 0x1FFF;

/** A view of an IPv4 datagram in a buffer the caller owns. */
export class Ipv4Packet {
  constructor(public buffer: Uint8Array) {}

  /**
   * None when the buffer holds a whole header and as many bytes as the total
   * length says (more is fine: Ethernet pads short frames). Does not look at
   * the version or the checksum; Ipv4Repr.parse does.
   */
  checkLen(): WireError {
    const b = this.buffer;
    if (b.length < IPV4_HEADER_LEN) return WireError.Truncated;
    const hl = this.headerLen;
    if (hl < IPV4_HEADER_LEN) return WireError.BadLength;
    if (b.length < hl) return WireError.Truncated;
    const total = <i32>this.totalLen;
    if (total < hl) return WireError.BadLength;
    if (b.length < total) return WireError.Truncated;
    return WireError.None;
  }

  get version(): u8 { return getU8(this.buffer, VER_IHL) >> 4; }
  /** Header length in bytes (IHL × 4). */
  get headerLen(): i32 { return <i32>(getU8(this.buffer, VER_IHL) & 0x0F) * 4; }
  /** Sets version 4 and the header length in bytes (a multiple of 4, 20..60). */
  setVersionAndHeaderLen(len: i32): void { setU8(this.buffer, VER_IHL, <u8>(0x40 | (len >> 2))); }
  get dscp(): u8 { return getU8(this.buffer, DSCP_ECN) >> 2; }
  get ecn(): u8 { return getU8(this.buffer, DSCP_ECN) & 3; }
  setDscpEcn(dscp: u8, ecn: u8): void { setU8(this.buffer, DSCP_ECN, (dscp << 2) | (ecn & 3)); }
  get totalLen(): u16 { return getU16(this.buffer, LENGTH); }
  set totalLen(v: u16) { setU16(this.buffer, LENGTH, v); }
  get ident(): u16 { return getU16(this.buffer, IDENT); }
  set ident(v: u16) { setU16(this.buffer, IDENT, v); }
  get dontFragment(): bool { return (getU16(this.buffer, FLAGS_FRAG) & FLAG_DF) != 0; }
  get moreFragments(): bool { return (getU16(this.buffer, FLAGS_FRAG) & FLAG_MF) != 0; }
  /** Offset of this fragment's data in the original datagram, in bytes. */
  get fragmentOffset(): i32 { return <i32>(getU16(this.buffer, FLAGS_FRAG) & FRAG_MASK) * 8; }
  /** Sets the flags and the fragment offset (bytes, a multiple of 8). */
  setFragment(dontFragment: bool, moreFragments: bool, offset: i32): void {
    let v = <u16>((offset >> 3) & FRAG_MASK);
    if (dontFragment) v |= FLAG_DF;
    if (moreFragments) v |= FLAG_MF;
    setU16(this.buffer, FLAGS_FRAG, v);
  }
  /** True when the reserved flag bit (RFC 791 §3.1, "must be zero") is set. */
  get reservedFlag(): bool { return (getU16(this.buffer, FLAGS_FRAG) & 0x8000) != 0; }
  get ttl(): u8 { return getU8(this.buffer, TTL); }
  set ttl(v: u8) { setU8(this.buffer, TTL, v); }
  get protocol(): u8 { return getU8(this.buffer, PROTOCOL); }
  set protocol(v: u8) { setU8(this.buffer, PROTOCOL, v); }
  get checksum(): u16 { return getU16(this.buffer, CHECKSUM); }
  set checksum(v: u16) { setU16(this.buffer, CHECKSUM, v); }
  get src(): Ipv4Addr { return getU32(this.buffer, SRC); }
  set src(a: Ipv4Addr) { setU32(this.buffer, SRC, a); }
  get dst(): Ipv4Addr { return getU32(this.buffer, DST); }
  set dst(a: Ipv4Addr) { setU32(this.buffer, DST, a); }

  /** True when the header checksum, options included, is valid. */
  verifyChecksum(): bool { return checksum(this.buffer, 0, this.headerLen) == 0; }

  /** Computes and stores the header checksum. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = checksum(this.buffer, 0, this.headerLen);
  }

  /** The bytes between the header and the total length (a view). */
  payload(): Uint8Array { return this.buffer.subarray(this.headerLen, <i32>this.totalLen); }
}

/** The meaning of an IPv4 header, as this stack uses it. */
export class Ipv4Repr {
  src: Ipv4Addr = 0;
  dst: Ipv4Addr = 0;
  protocol: u8 = 0;
  /** Bytes after the header: total length − header length. */
  payloadLen: i32 = 0;
  ttl: u8 = IPV4_DEFAULT_TTL;
  ident: u16 = 0;
  dontFragment: bool = false;
  moreFragments: bool = false;
  /** In bytes. */
  fragmentOffset: i32 = 0;
  /** Header length seen by parse (options included); emit always writes 20. */
  headerLen: i32 = IPV4_HEADER_LEN;

  static of(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payloadLen: i32, ttl: u8 = IPV4_DEFAULT_TTL): Ipv4Repr {
    const r = new Ipv4Repr();
    r.src = src;
    r.dst = dst;
    r.protocol = protocol;
    r.payloadLen = payloadLen;
    r.ttl = ttl;
    return r;
  }

  /** True for a fragment of a larger datagram. */
  get isFragment(): bool { return this.moreFragments || this.fragmentOffset != 0; }

  /** Fills this Repr from `p`: lengths, version 4, header checksum, flags. */
  parse(p: Ipv4Packet): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    if (p.version != 4) return WireError.BadVersion;
    if (!p.verifyChecksum()) return WireError.BadChecksum;
    if (p.reservedFlag) return WireError.Malformed;
    // A datagram's last byte must fit the 16-bit length (RFC 791 §3.2), which
    // rules out the oversized reassemblies of "ping of death".
    if (p.fragmentOffset + <i32>p.totalLen > IPV4_MAX_LEN) return WireError.BadLength;
    this.src = p.src;
    this.dst = p.dst;
    this.protocol = p.protocol;
    this.headerLen = p.headerLen;
    this.payloadLen = <i32>p.totalLen - this.headerLen;
    this.ttl = p.ttl;
    this.ident = p.ident;
    this.dontFragment = p.dontFragment;
    this.moreFragments = p.moreFragments;
    this.fragmentOffset = p.fragmentOffset;
    return WireError.None;
  }

  /** Bytes of header `emit` writes (no options). */
  bufferLen(): i32 { return IPV4_HEADER_LEN; }

  /** Writes the header into `p` (bufferLen() bytes at least) and its checksum; the payload is the caller's. */
  emit(p: Ipv4Packet): void {
    p.setVersionAndHeaderLen(IPV4_HEADER_LEN);
    p.setDscpEcn(0, 0);
    p.totalLen = <u16>(IPV4_HEADER_LEN + this.payloadLen);
    p.ident = this.ident;
    p.setFragment(this.dontFragment, this.moreFragments, this.fragmentOffset);
    p.ttl = this.ttl;
    p.protocol = this.protocol;
    p.src = this.src;
    p.dst = this.dst;
    p.fillChecksum();
  }
}
