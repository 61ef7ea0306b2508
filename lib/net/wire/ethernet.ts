// Ethernet II framing (IEEE 802.3 §3.2; RFC 894 for IPv4 over it):
// destination MAC, source MAC, EtherType, payload. No preamble, no FCS: the
// device adds and strips those.

import { MacAddr, loadMac, storeMac } from "../addr";
import { WireError } from "./error";
import { getU16, setU16 } from "./bytes";

/** EtherType values (IEEE Registration Authority; RFC 894, RFC 826). */
export namespace EtherType {
  export const IPV4: u16 = 0x0800;
  export const ARP: u16 = 0x0806;
  export const IPV6: u16 = 0x86DD;
  /** Values below this are 802.3 lengths, not types (IEEE 802.3 §3.2.6). */
  export const MIN: u16 = 0x0600;
}

// Field offsets.
const DST = 0;
const SRC = 6;
const TYPE = 12;
/** Length of the Ethernet II header. */
export const ETHERNET_HEADER_LEN: i32 = 14;

/** A view of an Ethernet II frame in a buffer the caller owns. */
export class EthernetFrame {
  constructor(public buffer: Uint8Array) {}

  /** None when the buffer holds at least a header. */
  checkLen(): WireError {
    return this.buffer.length < ETHERNET_HEADER_LEN ? WireError.Truncated : WireError.None;
  }

  get dst(): MacAddr { return loadMac(this.buffer.dataStart + DST); }
  set dst(m: MacAddr) { storeMac(this.buffer.dataStart + DST, m); }
  get src(): MacAddr { return loadMac(this.buffer.dataStart + SRC); }
  set src(m: MacAddr) { storeMac(this.buffer.dataStart + SRC, m); }
  get etherType(): u16 { return getU16(this.buffer, TYPE); }
  set etherType(t: u16) { setU16(this.buffer, TYPE, t); }

  /** The bytes after the header (a view, not a copy). */
  payload(): Uint8Array { return this.buffer.subarray(ETHERNET_HEADER_LEN); }
}

/** The meaning of an Ethernet II header. */
export class EthernetRepr {
  src: MacAddr = 0;
  dst: MacAddr = 0;
  etherType: u16 = 0;

  static of(src: MacAddr, dst: MacAddr, etherType: u16): EthernetRepr {
    const r = new EthernetRepr();
    r.src = src;
    r.dst = dst;
    r.etherType = etherType;
    return r;
  }

  /** Fills this Repr from `frame`; 802.3 length frames are Unsupported. */
  parse(frame: EthernetFrame): WireError {
    const e = frame.checkLen();
    if (e != WireError.None) return e;
    const t = frame.etherType;
    if (t < EtherType.MIN) return WireError.Unsupported;
    this.src = frame.src;
    this.dst = frame.dst;
    this.etherType = t;
    return WireError.None;
  }

  /** Bytes of header `emit` writes. */
  bufferLen(): i32 { return ETHERNET_HEADER_LEN; }

  /** Writes the header into `frame`, whose buffer holds at least bufferLen() bytes. */
  emit(frame: EthernetFrame): void {
    frame.dst = this.dst;
    frame.src = this.src;
    frame.etherType = this.etherType;
  }
}
