// ARP (RFC 826). The view reads any hardware/protocol address lengths, as
// the format allows; the Repr speaks only IPv4 over Ethernet, the one
// combination this stack resolves.

import { Ipv4Addr, MacAddr, loadMac, storeMac } from "../addr";
import { WireError } from "./error";
import { getU8, getU16, getU32, setU8, setU16, setU32 } from "./bytes";

/** ar$hrd: hardware type 1 is Ethernet (RFC 826; IANA ARP parameters). */
export const ARP_HTYPE_ETHERNET: u16 = 1;
/** ar$pro: the protocol type is an EtherType; IPv4 is 0x0800 (RFC 826). */
export const ARP_PTYPE_IPV4: u16 = 0x0800;

/** ar$op values (RFC 826). */
export enum ArpOperation {
  Request = 1,
  Reply = 2,
}

// Fixed field offsets; the address fields follow at offsets set by hlen/plen.
const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const ADDRS = 8;
/** Length of an ARP packet for IPv4 over Ethernet. */
export const ARP_IPV4_LEN: i32 = 28;

/** A view of an ARP packet in a buffer the caller owns. */
export class ArpPacket {
  constructor(public buffer: Uint8Array) {}

  /** None when the buffer holds the fixed fields and the four addresses their lengths announce. */
  checkLen(): WireError {
    const b = this.buffer;
    if (b.length < ADDRS) return WireError.Truncated;
    if (b.length < ADDRS + 2 * (<i32>getU8(b, HLEN) + <i32>getU8(b, PLEN))) return WireError.Truncated;
    return WireError.None;
  }

  get htype(): u16 { return getU16(this.buffer, HTYPE); }
  set htype(v: u16) { setU16(this.buffer, HTYPE, v); }
  get ptype(): u16 { return getU16(this.buffer, PTYPE); }
  set ptype(v: u16) { setU16(this.buffer, PTYPE, v); }
  get hlen(): u8 { return getU8(this.buffer, HLEN); }
  set hlen(v: u8) { setU8(this.buffer, HLEN, v); }
  get plen(): u8 { return getU8(this.buffer, PLEN); }
  set plen(v: u8) { setU8(this.buffer, PLEN, v); }
  get operation(): u16 { return getU16(this.buffer, OPER); }
  set operation(v: u16) { setU16(this.buffer, OPER, v); }

  /** Offsets of the sender/target hardware and protocol addresses. */
  get shaOffset(): i32 { return ADDRS; }
  get spaOffset(): i32 { return ADDRS + <i32>this.hlen; }
  get thaOffset(): i32 { return ADDRS + <i32>this.hlen + <i32>this.plen; }
  get tpaOffset(): i32 { return ADDRS + 2 * <i32>this.hlen + <i32>this.plen; }

  // Address accessors for Ethernet/IPv4 (hlen 6, plen 4).
  get senderMac(): MacAddr { return loadMac(this.buffer.dataStart + <usize>this.shaOffset); }
  set senderMac(m: MacAddr) { storeMac(this.buffer.dataStart + <usize>this.shaOffset, m); }
  get senderIp(): Ipv4Addr { return getU32(this.buffer, this.spaOffset); }
  set senderIp(a: Ipv4Addr) { setU32(this.buffer, this.spaOffset, a); }
  get targetMac(): MacAddr { return loadMac(this.buffer.dataStart + <usize>this.thaOffset); }
  set targetMac(m: MacAddr) { storeMac(this.buffer.dataStart + <usize>this.thaOffset, m); }
  get targetIp(): Ipv4Addr { return getU32(this.buffer, this.tpaOffset); }
  set targetIp(a: Ipv4Addr) { setU32(this.buffer, this.tpaOffset, a); }
}

/** An ARP request or reply for IPv4 over Ethernet. */
export class ArpRepr {
  operation: ArpOperation = ArpOperation.Request;
  senderMac: MacAddr = 0;
  senderIp: Ipv4Addr = 0;
  targetMac: MacAddr = 0;
  targetIp: Ipv4Addr = 0;

  static of(op: ArpOperation, senderMac: MacAddr, senderIp: Ipv4Addr, targetMac: MacAddr, targetIp: Ipv4Addr): ArpRepr {
    const r = new ArpRepr();
    r.operation = op;
    r.senderMac = senderMac;
    r.senderIp = senderIp;
    r.targetMac = targetMac;
    r.targetIp = targetIp;
    return r;
  }

  /** Fills this Repr from `p`; other hardware or protocol types are BadVersion, other operations Unsupported. */
  parse(p: ArpPacket): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    if (p.htype != ARP_HTYPE_ETHERNET || p.ptype != ARP_PTYPE_IPV4) return WireError.BadVersion;
    if (p.hlen != 6 || p.plen != 4) return WireError.BadLength;
    const op = p.operation;
    if (op != ArpOperation.Request && op != ArpOperation.Reply) return WireError.Unsupported;
    this.operation = <ArpOperation>op;
    this.senderMac = p.senderMac;
    this.senderIp = p.senderIp;
    this.targetMac = p.targetMac;
    this.targetIp = p.targetIp;
    return WireError.None;
  }

  bufferLen(): i32 { return ARP_IPV4_LEN; }

  /** Writes the packet into `p`, whose buffer holds at least bufferLen() bytes. */
  emit(p: ArpPacket): void {
    p.htype = ARP_HTYPE_ETHERNET;
    p.ptype = ARP_PTYPE_IPV4;
    p.hlen = 6;
    p.plen = 4;
    p.operation = <u16>this.operation;
    p.senderMac = this.senderMac;
    p.senderIp = this.senderIp;
    p.targetMac = this.targetMac;
    p.targetIp = this.targetIp;
  }
}
