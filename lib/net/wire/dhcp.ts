// DHCP messages (RFC 2131 §2, options from RFC 2132): the BOOTP fixed part,
// the magic cookie and the options a client needs to get and keep a lease.
// Options may continue in the `file` and `sname` fields when option 52 says
// so (RFC 2131 §4.1); parse reads them there too, emit never overloads.

import { Ipv4Addr, MacAddr, loadMac, storeMac } from "../addr";
import { WireError } from "./error";
import { getU8, getU16, getU32, setU8, setU16, setU32, copyBytes, zeroBytes } from "./bytes";

/** UDP ports (RFC 2131 §4.1). */
export const DHCP_SERVER_PORT: u16 = 67;
export const DHCP_CLIENT_PORT: u16 = 68;

/** `op` (RFC 2131 §2). */
export enum DhcpOp {
  BootRequest = 1,
  BootReply = 2,
}

/** Option 53 values (RFC 2132 §9.6). */
export namespace DhcpMessageType {
  export const DISCOVER: u8 = 1;
  export const OFFER: u8 = 2;
  export const REQUEST: u8 = 3;
  export const DECLINE: u8 = 4;
  export const ACK: u8 = 5;
  export const NAK: u8 = 6;
  export const RELEASE: u8 = 7;
  export const INFORM: u8 = 8;
}

/** Option codes (RFC 2132, section in each comment). */
export namespace DhcpOption {
  export const PAD: u8 = 0; // §3.1
  export const SUBNET_MASK: u8 = 1; // §3.3
  export const ROUTER: u8 = 3; // §3.5
  export const DNS_SERVER: u8 = 6; // §3.8
  export const HOST_NAME: u8 = 12; // §3.14
  export const REQUESTED_IP: u8 = 50; // §9.1
  export const LEASE_TIME: u8 = 51; // §9.2
  export const OVERLOAD: u8 = 52; // §9.3
  export const MESSAGE_TYPE: u8 = 53; // §9.6
  export const SERVER_ID: u8 = 54; // §9.7
  export const PARAMETER_REQUEST_LIST: u8 = 55; // §9.8
  export const MESSAGE: u8 = 56; // §9.9
  export const MAX_MESSAGE_SIZE: u8 = 57; // §9.10
  export const RENEWAL_TIME: u8 = 58; // §9.11
  export const REBINDING_TIME: u8 = 59; // §9.12
  export const CLIENT_ID: u8 = 61; // §9.14
  export const END: u8 = 255; // §3.2
}

/** The 4 bytes 99.130.83.99 that open the options (RFC 2131 §3, RFC 2132 §2). */
export const DHCP_MAGIC_COOKIE: u32 = 0x63825363;
/** `flags` bit asking the server to broadcast its replies (RFC 2131 §2, Figure 2). */
export const DHCP_FLAG_BROADCAST: u16 = 0x8000;
/** A lease time of all ones is infinite (RFC 2131 §3.3). */
export const DHCP_INFINITE_LEASE: i64 = 0xFFFF_FFFF;
/** Smallest message to send: BOOTP relays may drop shorter ones (RFC 1542 §2.1). */
export const DHCP_MIN_MESSAGE_LEN: i32 = 300;
/** Most DNS servers a Repr keeps. */
export const DHCP_MAX_DNS: i32 = 3;

// Field offsets (RFC 2131 §2, Figure 1).
const OP = 0;
const HTYPE = 1;
const HLEN = 2;
const HOPS = 3;
const XID = 4;
const SECS = 8;
const FLAGS = 10;
const CIADDR = 12;
const YIADDR = 16;
const SIADDR = 20;
const GIADDR = 24;
const CHADDR = 28;
const SNAME = 44;
const FILE = 108;
const COOKIE = 236;
/** Offset of the first option, after the magic cookie. */
export const DHCP_OPTIONS_OFFSET: i32 = 240;

/** A view of a DHCP message in a buffer the caller owns. */
export class DhcpPacket {
  constructor(public buffer: Uint8Array) {}

  /** None when the buffer holds the fixed fields and the magic cookie. */
  checkLen(): WireError {
    return this.buffer.length < DHCP_OPTIONS_OFFSET ? WireError.Truncated : WireError.None;
  }

  get op(): u8 { return getU8(this.buffer, OP); }
  set op(v: u8) { setU8(this.buffer, OP, v); }
  get htype(): u8 { return getU8(this.buffer, HTYPE); }
  set htype(v: u8) { setU8(this.buffer, HTYPE, v); }
  get hlen(): u8 { return getU8(this.buffer, HLEN); }
  set hlen(v: u8) { setU8(this.buffer, HLEN, v); }
  get hops(): u8 { return getU8(this.buffer, HOPS); }
  set hops(v: u8) { setU8(this.buffer, HOPS, v); }
  get xid(): u32 { return getU32(this.buffer, XID); }
  set xid(v: u32) { setU32(this.buffer, XID, v); }
  get secs(): u16 { return getU16(this.buffer, SECS); }
  set secs(v: u16) { setU16(this.buffer, SECS, v); }
  get flags(): u16 { return getU16(this.buffer, FLAGS); }
  set flags(v: u16) { setU16(this.buffer, FLAGS, v); }
  get ciaddr(): Ipv4Addr { return getU32(this.buffer, CIADDR); }
  set ciaddr(a: Ipv4Addr) { setU32(this.buffer, CIADDR, a); }
  get yiaddr(): Ipv4Addr { return getU32(this.buffer, YIADDR); }
  set yiaddr(a: Ipv4Addr) { setU32(this.buffer, YIADDR, a); }
  get siaddr(): Ipv4Addr { return getU32(this.buffer, SIADDR); }
  set siaddr(a: Ipv4Addr) { setU32(this.buffer, SIADDR, a); }
  get giaddr(): Ipv4Addr { return getU32(this.buffer, GIADDR); }
  set giaddr(a: Ipv4Addr) { setU32(this.buffer, GIADDR, a); }
  /** The first 6 bytes of chaddr: the MAC address when htype is Ethernet. */
  get chaddr(): MacAddr { return loadMac(this.buffer.dataStart + CHADDR); }
  /** Writes a MAC address as chaddr, zero-padded to 16 bytes. */
  set chaddr(m: MacAddr) {
    zeroBytes(this.buffer, CHADDR, 16);
    storeMac(this.buffer.dataStart + CHADDR, m);
  }
  get magic(): u32 { return getU32(this.buffer, COOKIE); }
  set magic(v: u32) { setU32(this.buffer, COOKIE, v); }

  /** A reader over the options area (after the cookie). */
  options(): DhcpOptionReader {
    return new DhcpOptionReader(this.buffer, DHCP_OPTIONS_OFFSET, this.buffer.length);
  }
}

/**
 * Walks the options of one area: after each `next()` that returns true,
 * `code`, `dataOffset` and `len` describe one option. Returns false at the
 * End option, at the end of the area, or on an option that overruns it (then
 * `error` is Malformed). Pad bytes are skipped.
 */
export class DhcpOptionReader {
  code: u8 = 0;
  dataOffset: i32 = 0;
  len: i32 = 0;
  error: WireError = WireError.None;

  constructor(public buffer: Uint8Array, public pos: i32, public end: i32) {}

  next(): bool {
    const b = this.buffer;
    while (this.pos < this.end) {
      const code = getU8(b, this.pos);
      if (code == DhcpOption.PAD) { this.pos++; continue; }
      if (code == DhcpOption.END) { this.pos = this.end; return false; }
      if (this.pos + 2 > this.end) break;
      const len = <i32>getU8(b, this.pos + 1);
      if (this.pos + 2 + len > this.end) break;
      this.code = code;
      this.dataOffset = this.pos + 2;
      this.len = len;
      this.pos += 2 + len;
      return true;
    }
    if (this.pos < this.end) this.error = WireError.Malformed;
    this.pos = this.end;
    return false;
  }
}

/** The meaning of a DHCP message. Absent options read as 0 (addresses, sizes) or -1 (times). */
export class DhcpRepr {
  op: DhcpOp = DhcpOp.BootRequest;
  messageType: u8 = 0;
  xid: u32 = 0;
  secs: u16 = 0;
  broadcast: bool = false;
  clientMac: MacAddr = 0;
  /** ciaddr: the client's address when it already has one (RENEWING, REBINDING). */
  clientIp: Ipv4Addr = 0;
  /** yiaddr: the address offered or assigned. */
  yourIp: Ipv4Addr = 0;
  /** siaddr: the next server in bootstrap (not the DHCP server's identity: that is serverId). */
  nextServerIp: Ipv4Addr = 0;
  /** giaddr: the relay agent. */
  relayIp: Ipv4Addr = 0;

  subnetMask: Ipv4Addr = 0;
  router: Ipv4Addr = 0;
  dnsServers: StaticArray<Ipv4Addr> = new StaticArray<Ipv4Addr>(DHCP_MAX_DNS);
  dnsCount: i32 = 0;
  requestedIp: Ipv4Addr = 0;
  serverId: Ipv4Addr = 0;
  /** Seconds; DHCP_INFINITE_LEASE for no end; -1 when absent. */
  leaseTime: i64 = -1;
  /** T1 in seconds, -1 when absent. */
  renewalTime: i64 = -1;
  /** T2 in seconds, -1 when absent. */
  rebindingTime: i64 = -1;
  maxMessageSize: i32 = 0;
  /** Option codes the client asks for; null when absent. */
  parameterRequestList: Uint8Array | null = null;
  /** Option 56, a server's explanation (of a NAK, typically). */
  message: string = "";

  /** Fills this Repr from `p`. */
  parse(p: DhcpPacket): WireError {
    const e = p.checkLen();
    if (e != WireError.None) return e;
    const op = p.op;
    if (op != DhcpOp.BootRequest && op != DhcpOp.BootReply) return WireError.Malformed;
    if (p.htype != 1 || p.hlen != 6) return WireError.BadVersion;
    if (p.magic != DHCP_MAGIC_COOKIE) return WireError.Malformed;
    this.op = <DhcpOp>op;
    this.xid = p.xid;
    this.secs = p.secs;
    this.broadcast = (p.flags & DHCP_FLAG_BROADCAST) != 0;
    this.clientMac = p.chaddr;
    this.clientIp = p.ciaddr;
    this.yourIp = p.yiaddr;
    this.nextServerIp = p.siaddr;
    this.relayIp = p.giaddr;
    this.messageType = 0;
    this.subnetMask = 0;
    this.router = 0;
    this.dnsCount = 0;
    this.requestedIp = 0;
    this.serverId = 0;
    this.leaseTime = -1;
    this.renewalTime = -1;
    this.rebindingTime = -1;
    this.maxMessageSize = 0;
    this.parameterRequestList = null;
    this.message = "";
    this.overload = 0;

    const b = p.buffer;
    let err = this.parseOptions(new DhcpOptionReader(b, DHCP_OPTIONS_OFFSET, b.length));
    if (err != WireError.None) return err;
    // Overloaded areas are read after the options field, file before sname (RFC 2131 §4.1).
    const overload = this.overload;
    if (overload == 1 || overload == 3) {
      err = this.parseOptions(new DhcpOptionReader(b, FILE, COOKIE));
      if (err != WireError.None) return err;
    }
    if (overload == 2 || overload == 3) {
      err = this.parseOptions(new DhcpOptionReader(b, SNAME, FILE));
      if (err != WireError.None) return err;
    }
    if (this.messageType == 0) return WireError.Unsupported; // plain BOOTP
    if (this.messageType > DhcpMessageType.INFORM) return WireError.Malformed;
    return WireError.None;
  }

  private overload: u8 = 0;

  private parseOptions(r: DhcpOptionReader): WireError {
    const b = r.buffer;
    while (r.next()) {
      const off = r.dataOffset;
      const len = r.len;
      switch (r.code) {
        case DhcpOption.MESSAGE_TYPE:
          if (len != 1) return WireError.Malformed;
          this.messageType = getU8(b, off);
          break;
        case DhcpOption.SUBNET_MASK:
          if (len != 4) return WireError.Malformed;
          this.subnetMask = getU32(b, off);
          break;
        case DhcpOption.ROUTER:
          if (len < 4 || (len & 3) != 0) return WireError.Malformed;
          this.router = getU32(b, off);
          break;
        case DhcpOption.DNS_SERVER: {
          if (len < 4 || (len & 3) != 0) return WireError.Malformed;
          for (let i = 0; i < len && this.dnsCount < DHCP_MAX_DNS; i += 4) {
            this.dnsServers[this.dnsCount++] = getU32(b, off + i);
          }
          break;
        }
        case DhcpOption.REQUESTED_IP:
          if (len != 4) return WireError.Malformed;
          this.requestedIp = getU32(b, off);
          break;
        case DhcpOption.SERVER_ID:
          if (len != 4) return WireError.Malformed;
          this.serverId = getU32(b, off);
          break;
        case DhcpOption.LEASE_TIME:
          if (len != 4) return WireError.Malformed;
          this.leaseTime = <i64>getU32(b, off);
          break;
        case DhcpOption.RENEWAL_TIME:
          if (len != 4) return WireError.Malformed;
          this.renewalTime = <i64>getU32(b, off);
          break;
        case DhcpOption.REBINDING_TIME:
          if (len != 4) return WireError.Malformed;
          this.rebindingTime = <i64>getU32(b, off);
          break;
        case DhcpOption.MAX_MESSAGE_SIZE:
          if (len != 2) return WireError.Malformed;
          this.maxMessageSize = <i32>getU16(b, off);
          break;
        case DhcpOption.OVERLOAD:
          if (len != 1) return WireError.Malformed;
          this.overload = getU8(b, off);
          if (this.overload < 1 || this.overload > 3) return WireError.Malformed;
          break;
        case DhcpOption.PARAMETER_REQUEST_LIST:
          this.parameterRequestList = b.slice(off, off + len);
          break;
        case DhcpOption.MESSAGE:
          this.message = String.UTF8.decodeUnsafe(b.dataStart + <usize>off, <usize>len);
          break;
        default:
          break; // options a client does not need are skipped
      }
    }
    return r.error;
  }

  /** Bytes of the options emit writes: the cookie, each option, End. */
  private optionsLen(): i32 {
    let n = 4 + 3; // cookie, message type
    if (this.requestedIp != 0) n += 6;
    if (this.serverId != 0) n += 6;
    if (this.leaseTime >= 0) n += 6;
    if (this.renewalTime >= 0) n += 6;
    if (this.rebindingTime >= 0) n += 6;
    if (this.subnetMask != 0) n += 6;
    if (this.router != 0) n += 6;
    if (this.dnsCount > 0) n += 2 + 4 * this.dnsCount;
    const prl = this.parameterRequestList;
    if (prl != null) n += 2 + min(prl.length, 255);
    if (this.maxMessageSize != 0) n += 4;
    if (this.message.length > 0) n += 2 + min(String.UTF8.byteLength(this.message), 255);
    return n + 1; // End
  }

  /** Total bytes of the message, padded to DHCP_MIN_MESSAGE_LEN. */
  bufferLen(): i32 {
    return max(COOKIE + this.optionsLen(), DHCP_MIN_MESSAGE_LEN);
  }

  /** Writes the message into `p`, whose buffer holds at least bufferLen() bytes. */
  emit(p: DhcpPacket): void {
    const b = p.buffer;
    zeroBytes(b, 0, this.bufferLen());
    p.op = <u8>this.op;
    p.htype = 1;
    p.hlen = 6;
    p.hops = 0;
    p.xid = this.xid;
    p.secs = this.secs;
    p.flags = this.broadcast ? DHCP_FLAG_BROADCAST : 0;
    p.ciaddr = this.clientIp;
    p.yiaddr = this.yourIp;
    p.siaddr = this.nextServerIp;
    p.giaddr = this.relayIp;
    p.chaddr = this.clientMac;
    p.magic = DHCP_MAGIC_COOKIE;
    let o = DHCP_OPTIONS_OFFSET;
    o = putU8Option(b, o, DhcpOption.MESSAGE_TYPE, this.messageType);
    if (this.requestedIp != 0) o = putU32Option(b, o, DhcpOption.REQUESTED_IP, this.requestedIp);
    if (this.serverId != 0) o = putU32Option(b, o, DhcpOption.SERVER_ID, this.serverId);
    if (this.leaseTime >= 0) o = putU32Option(b, o, DhcpOption.LEASE_TIME, <u32>this.leaseTime);
    if (this.renewalTime >= 0) o = putU32Option(b, o, DhcpOption.RENEWAL_TIME, <u32>this.renewalTime);
    if (this.rebindingTime >= 0) o = putU32Option(b, o, DhcpOption.REBINDING_TIME, <u32>this.rebindingTime);
    if (this.subnetMask != 0) o = putU32Option(b, o, DhcpOption.SUBNET_MASK, this.subnetMask);
    if (this.router != 0) o = putU32Option(b, o, DhcpOption.ROUTER, this.router);
    if (this.dnsCount > 0) {
      setU8(b, o, DhcpOption.DNS_SERVER);
      setU8(b, o + 1, <u8>(4 * this.dnsCount));
      for (let i = 0; i < this.dnsCount; i++) setU32(b, o + 2 + 4 * i, this.dnsServers[i]);
      o += 2 + 4 * this.dnsCount;
    }
    const prl = this.parameterRequestList;
    if (prl != null) {
      const n = min(prl.length, 255);
      setU8(b, o, DhcpOption.PARAMETER_REQUEST_LIST);
      setU8(b, o + 1, <u8>n);
      copyBytes(b, o + 2, prl, 0, n);
      o += 2 + n;
    }
    if (this.maxMessageSize != 0) {
      setU8(b, o, DhcpOption.MAX_MESSAGE_SIZE);
      setU8(b, o + 1, 2);
      setU16(b, o + 2, <u16>this.maxMessageSize);
      o += 4;
    }
    if (this.message.length > 0) {
      const text = Uint8Array.wrap(String.UTF8.encode(this.message));
      const n = min(text.length, 255);
      setU8(b, o, DhcpOption.MESSAGE);
      setU8(b, o + 1, <u8>n);
      copyBytes(b, o + 2, text, 0, n);
      o += 2 + n;
    }
    setU8(b, o, DhcpOption.END);
  }
}

function putU8Option(b: Uint8Array, o: i32, code: u8, v: u8): i32 {
  setU8(b, o, code);
  setU8(b, o + 1, 1);
  setU8(b, o + 2, v);
  return o + 3;
}

function putU32Option(b: Uint8Array, o: i32, code: u8, v: u32): i32 {
  setU8(b, o, code);
  setU8(b, o + 1, 4);
  setU32(b, o + 2, v);
  return o + 6;
}
