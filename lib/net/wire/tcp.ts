// TCP (RFC 9293 §3.1). The checksum covers the IPv4 pseudo-header (RFC 9293
// §3.1, "Checksum"). Options understood: MSS (RFC 9293 §3.2), window scale
// and timestamps (RFC 7323 §2.2, §3.2), SACK-permitted and SACK (RFC 2018
// §2, §3); unknown options are skipped by their length. A SACK option is
// advice the sender can do without, so one that makes no sense (a length
// that is not 2 + 8n, blocks with left >= right) is ignored, not the segment.

import { Ipv4Addr } from "../addr";
import { WireError } from "./error";
import { getU8, getU16, getU32, setU8, setU16, setU32, copyBytes } from "./bytes";
import { finish, pseudoHeaderSum, sumBytes } from "./checksum";
import { IpProtocol } from "./ipv4";

// Field offsets (RFC 9293 §3.1).
const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const OFFSET_FLAGS = 12;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;

/** Length of a header without options. */
export const TCP_HEADER_LEN: i32 = 20;
/** Longest header: data offset 15 words. */
export const TCP_MAX_HEADER_LEN: i32 = 60;

/** Control bits (RFC 9293 §3.1; ECE/CWR from RFC 3168). */
export namespace TcpFlags {
  export const FIN: u16 = 0x001;
  export const SYN: u16 = 0x002;
  export const RST: u16 = 0x004;
  export const PSH: u16 = 0x008;
  export const ACK: u16 = 0x010;
  export const URG: u16 = 0x020;
  export const ECE: u16 = 0x040;
  export const CWR: u16 = 0x080;
}

// Option kinds (IANA "TCP Option Kind Numbers").
const OPT_END: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_MSS: u8 = 2;
const OPT_WSCALE: u8 = 3;
const OPT_SACK_PERMITTED: u8 = 4;
const OPT_SACK: u8 = 5;
const OPT_TIMESTAMPS: u8 = 8;

/** Most SACK blocks an option can hold: (40 - 2) / 8 (RFC 2018 §3). */
export const TCP_MAX_SACK_BLOCKS: i32 = 4;
/** Most option bytes a header holds (data offset 15 words). */
const MAX_OPTIONS_LEN: i32 = 40;

/** Largest window shift (RFC 7323 §2.3). */
export const TCP_MAX_WINDOW_SHIFT: u8 = 14;

/** A view of a TCP segment in a buffer the caller owns; the segment ends where the buffer does. */
export class TcpPacket {
  constructor(public buffer: Uint8Array) {}

  /** None when the buffer holds the fixed header and the header length the data offset claims. */
  checkLen(): WireError {
    const b = this.buffer;
    if (b.length < TCP_HEADER_LEN) return WireError.Truncated;
    const hl = this.headerLen;
    if (hl < TCP_HEADER_LEN) return WireError.BadLength;
    if (b.length < hl) return WireError.Truncated;
    return WireError.None;
  }

  get srcPort(): u16 { return getU16(this.buffer, SRC_PORT); }
  set srcPort(v: u16) { setU16(this.buffer, SRC_PORT, v); }
  get dstPort(): u16 { return getU16(this.buffer, DST_PORT); }
  set dstPort(v: u16) { setU16(this.buffer, DST_PORT, v); }
  get seq(): u32 { return getU32(this.buffer, SEQ); }
  set seq(v: u32) { setU32(this.buffer, SEQ, v); }
  get ack(): u32 { return getU32(this.buffer, ACK); }
  set ack(v: u32) { setU32(this.buffer, ACK, v); }
  /** Header length in bytes (data offset × 4). */
  get headerLen(): i32 { return <i32>(getU8(this.buffer, OFFSET_FLAGS) >> 4) * 4; }
  /** The nine control bits (NS is reserved by RFC 8311 and read as such). */
  get flags(): u16 { return getU16(this.buffer, OFFSET_FLAGS) & 0x0FF; }
  /** Sets the header length (bytes, a multiple of 4, 20..60) and the flags; reserved bits are zeroed. */
  setHeaderLenAndFlags(len: i32, flags: u16): void {
    setU16(this.buffer, OFFSET_FLAGS, <u16>((len >> 2) << 12) | (flags & 0x0FF));
  }
  get window(): u16 { return getU16(this.buffer, WINDOW); }
  set window(v: u16) { setU16(this.buffer, WINDOW, v); }
  get checksum(): u16 { return getU16(this.buffer, CHECKSUM); }
  set checksum(v: u16) { setU16(this.buffer, CHECKSUM, v); }
  get urgent(): u16 { return getU16(this.buffer, URGENT); }
  set urgent(v: u16) { setU16(this.buffer, URGENT, v); }

  /** The option bytes (a view). */
  options(): Uint8Array { return this.buffer.subarray(TCP_HEADER_LEN, this.headerLen); }
  /** The data after the header (a view). */
  payload(): Uint8Array { return this.buffer.subarray(this.headerLen); }

  /** True when the checksum is valid for these addresses (TCP's checksum is never optional). */
  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): bool {
    const len = this.buffer.length;
    return finish(sumBytes(pseudoHeaderSum(src, dst, IpProtocol.TCP, <u32>len), this.buffer, 0, len)) == 0;
  }

  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    this.checksum = 0;
    const len = this.buffer.length;
    this.checksum = finish(sumBytes(pseudoHeaderSum(src, dst, IpProtocol.TCP, <u32>len), this.buffer, 0, len));
  }
}

/**
 * The meaning of a TCP header. Options absent from a segment read as 0 /
 * false (`mss` 0: none sent; `windowShift` -1: none sent). `payload` is a
 * view into the packet after parse, and is copied by emit.
 */
export class TcpRepr {
  srcPort: u16 = 0;
  dstPort: u16 = 0;
  seq: u32 = 0;
  ack: u32 = 0;
  flags: u16 = 0;
  window: u16 = 0;
  urgent: u16 = 0;
  mss: u16 = 0;
  windowShift: i32 = -1;
  sackPermitted: bool = false;
  hasTimestamps: bool = false;
  tsVal: u32 = 0;
  tsEcr: u32 = 0;
  /**
   * SACK blocks (RFC 2018 §3) [sackLeft[i], sackRight[i]) for i < sackCount,
   * in the order sent: the first may be a D-SACK (RFC 2883). Emit sends as
   * many as fit beside the other options.
   */
  sackCount: i32 = 0;
  readonly sackLeft: StaticArray<u32> = new StaticArray<u32>(TCP_MAX_SACK_BLOCKS);
  readonly sackRight: StaticArray<u32> = new StaticArray<u32>(TCP_MAX_SACK_BLOCKS);
  payload: Uint8Array = new Uint8Array(0);

  static of(srcPort: u16, dstPort: u16, seq: u32, ack: u32, flags: u16, window: u16): TcpRepr {
    const r = new TcpRepr();
    r.srcPort = srcPort;
    r.dstPort = dstPort;
    r.seq = seq;
    r.ack = ack;
    r.flags = flags;
    r.window = window;
    return r;
  }

  @inline get syn(): bool { return (this.flags & TcpFlags.SYN) != 0; }
  @inline get fin(): bool { return (this.flags & TcpFlags.FIN) != 0; }
  @inline get rst(): bool { return (this.flags & TcpFlags.RST) != 0; }
  @inline get hasAck(): bool { return (this.flags & TcpFlags.ACK) != 0; }

  /** Sequence space the segment occupies: data, plus one each for SYN and FIN (RFC 9293 §3.4). */
  get segLen(): u32 {
    let n = <u32>this.payload.length;
    if (this.syn) n++;
    if (this.fin) n++;
    return n;
  }

  /** Clears the options, for reuse of one Repr. */
  clearOptions(): void {
    this.mss = 0;
    this.windowShift = -1;
    this.sackPermitted = false;
    this.hasTimestamps = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
  }

  /** Appends a SACK block; false when all TCP_MAX_SACK_BLOCKS are taken. */
  addSackBlock(left: u32, right: u32): bool {
    const n = this.sackCount;
    if (n >= TCP_MAX_SACK_BLOCKS) return false;
    unchecked(this.sackLeft[n] = left);
    unchecked(this.sackRight[n] = right);
    this.sackCount = n + 1;
    return true;
  }

  /** Fills this Repr from `p`, checking the checksum against the IPv4 addresses it came with. */
  parse(p: TcpPacket, src: Ipv4Addr, dst: Ipv4Addr): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    // Port 0 is reserved; neither end of a connection may use it.
    if (p.srcPort == 0 || p.dstPort == 0) return WireError.Malformed;
    if (!p.verifyChecksum(src, dst)) return WireError.BadChecksum;
    const flags = p.flags;
    // SYN+FIN and SYN+RST make no sense together (a classic scanner probe).
    if ((flags & TcpFlags.SYN) != 0 && (flags & (TcpFlags.FIN | TcpFlags.RST)) != 0) return WireError.Malformed;
    this.clearOptions();
    const oe = this.parseOptions(p.options(), (flags & TcpFlags.SYN) != 0);
    if (oe != WireError.None) return oe;
    this.srcPort = p.srcPort;
    this.dstPort = p.dstPort;
    this.seq = p.seq;
    this.ack = p.ack;
    this.flags = flags;
    this.window = p.window;
    this.urgent = p.urgent;
    this.payload = p.payload();
    return WireError.None;
  }

  private parseOptions(o: Uint8Array, syn: bool): WireError {
    let i = 0;
    const n = o.length;
    while (i < n) {
      const kind = o[i];
      if (kind == OPT_END) break;
      if (kind == OPT_NOP) { i++; continue; }
      if (i + 1 >= n) return WireError.Malformed;
      const len = <i32>o[i + 1];
      if (len < 2 || i + len > n) return WireError.Malformed;
      // MSS and window scale mean something only on a SYN (RFC 9293 §3.2, RFC 7323 §2.2).
      if (kind == OPT_MSS) {
        if (len != 4) return WireError.Malformed;
        if (syn) this.mss = <u16>((<u16>o[i + 2] << 8) | o[i + 3]);
      } else if (kind == OPT_WSCALE) {
        if (len != 3) return WireError.Malformed;
        // A shift above 14 is used as 14 (RFC 7323 §2.3).
        if (syn) this.windowShift = min<i32>(<i32>o[i + 2], TCP_MAX_WINDOW_SHIFT);
      } else if (kind == OPT_SACK_PERMITTED) {
        if (len != 2) return WireError.Malformed;
        if (syn) this.sackPermitted = true;
      } else if (kind == OPT_SACK) {
        // On a SYN, or a second one in a segment, it means nothing.
        if (!syn && this.sackCount == 0) this.parseSack(o, i + 2, len - 2);
      } else if (kind == OPT_TIMESTAMPS) {
        if (len != 10) return WireError.Malformed;
        this.hasTimestamps = true;
        this.tsVal = (<u32>o[i + 2] << 24) | (<u32>o[i + 3] << 16) | (<u32>o[i + 4] << 8) | <u32>o[i + 5];
        this.tsEcr = (<u32>o[i + 6] << 24) | (<u32>o[i + 7] << 16) | (<u32>o[i + 8] << 8) | <u32>o[i + 9];
      }
      i += len;
    }
    return WireError.None;
  }

  /**
   * The blocks of a SACK option's `n` bytes at `at`: 8 bytes each, so `n`
   * a multiple of 8 (RFC 2018 §3); a block whose left edge is not below
   * its right edge is skipped.
   */
  private parseSack(o: Uint8Array, at: i32, n: i32): void {
    if (n <= 0 || (n & 7) != 0) return;
    for (let b = at; b + 8 <= at + n; b += 8) {
      const left = getU32(o, b);
      const right = getU32(o, b + 4);
      if (<i32>(right - left) <= 0) continue;
      if (!this.addSackBlock(left, right)) return;
    }
  }

  /** Bytes of options emit writes, padded to a multiple of 4. */
  optionsLen(): i32 {
    const n = this.fixedOptionsLen();
    const blocks = this.sackBlocksFitting();
    return blocks > 0 ? n + 4 + 8 * blocks : n; // NOP NOP + 2 + 8 per block
  }

  /** The options other than SACK. */
  private fixedOptionsLen(): i32 {
    let n = 0;
    if (this.mss != 0) n += 4;
    if (this.windowShift >= 0) n += 4; // NOP + 3
    if (this.sackPermitted) n += 4;    // NOP NOP + 2
    if (this.hasTimestamps) n += 12;   // NOP NOP + 10
    return n;
  }

  /** How many SACK blocks fit beside the other options: three beside timestamps, four without. */
  sackRoom(): i32 {
    return max(0, (MAX_OPTIONS_LEN - this.fixedOptionsLen() - 4) >> 3);
  }

  /** The SACK blocks emit sends. */
  private sackBlocksFitting(): i32 {
    return min(this.sackCount, this.sackRoom());
  }

  headerLen(): i32 { return TCP_HEADER_LEN + this.optionsLen(); }
  bufferLen(): i32 { return this.headerLen() + this.payload.length; }

  /** Writes header, options, payload and checksum into `p`, whose buffer must be exactly bufferLen() bytes. */
  emit(p: TcpPacket, src: Ipv4Addr, dst: Ipv4Addr): void {
    const hl = this.headerLen();
    p.srcPort = this.srcPort;
    p.dstPort = this.dstPort;
    p.seq = this.seq;
    p.ack = this.ack;
    p.setHeaderLenAndFlags(hl, this.flags);
    p.window = this.window;
    p.urgent = this.urgent;
    const b = p.buffer;
    let i = TCP_HEADER_LEN;
    if (this.mss != 0) {
      setU8(b, i, OPT_MSS); setU8(b, i + 1, 4); setU16(b, i + 2, this.mss);
      i += 4;
    }
    if (this.windowShift >= 0) {
      setU8(b, i, OPT_NOP); setU8(b, i + 1, OPT_WSCALE); setU8(b, i + 2, 3); setU8(b, i + 3, <u8>this.windowShift);
      i += 4;
    }
    if (this.sackPermitted) {
      setU8(b, i, OPT_NOP); setU8(b, i + 1, OPT_NOP); setU8(b, i + 2, OPT_SACK_PERMITTED); setU8(b, i + 3, 2);
      i += 4;
    }
    if (this.hasTimestamps) {
      setU8(b, i, OPT_NOP); setU8(b, i + 1, OPT_NOP); setU8(b, i + 2, OPT_TIMESTAMPS); setU8(b, i + 3, 10);
      setU32(b, i + 4, this.tsVal); setU32(b, i + 8, this.tsEcr);
      i += 12;
    }
    const blocks = this.sackBlocksFitting();
    if (blocks > 0) {
      setU8(b, i, OPT_NOP); setU8(b, i + 1, OPT_NOP); setU8(b, i + 2, OPT_SACK); setU8(b, i + 3, <u8>(2 + 8 * blocks));
      i += 4;
      for (let k = 0; k < blocks; k++) {
        setU32(b, i, unchecked(this.sackLeft[k])); setU32(b, i + 4, unchecked(this.sackRight[k]));
        i += 8;
      }
    }
    copyBytes(b, hl, this.payload, 0, this.payload.length);
    p.fillChecksum(src, dst);
  }
}
