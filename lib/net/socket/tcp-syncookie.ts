// SYN cookies (RFC 4987 §3.6): when a listener's backlog is full, the
// SYN-ACK's sequence number carries what the connection needs, and nothing
// is kept; the client's ACK brings it back. The layout is Linux's, so
// traces read the same:
//
//   ISN = H1(4-tuple) + client ISN + (minute << 24) + ((H2(4-tuple, minute) + mss index) mod 2^24)
//
// with H1 and H2 keyed hashes (SipHash-2-4 here), `minute` a counter that
// ticks every 64 s, and the MSS as an index into a table of four common
// values. A cookie is good for two ticks. Options that do not fit there ride
// in the low 6 bits of our timestamp, which the client echoes: the window
// shift (4 bits, 15 for none), SACK-permitted (bit 4); without timestamps a
// cookie connection has neither, as on Linux.

import { Ipv4Addr } from "../addr";

/** The MSS values a cookie can carry (Linux's msstab for IPv4). */
export const COOKIE_MSS: StaticArray<u16> = [536, 1300, 1440, 1460];
const COOKIE_BITS: u32 = 24;
const COOKIE_MASK: u32 = (1 << COOKIE_BITS) - 1;
/** Ticks a cookie stays good: it was made in this tick or the one before. */
const MAX_AGE: u32 = 2;
/** A tick of the cookie counter, ns (Linux's: 64 s). */
const TICK: i64 = 64_000_000_000;

/** Bits of our timestamp that carry options (Linux's TSBITS). */
export const COOKIE_TS_BITS: u32 = 6;
const TS_MASK: u32 = (1 << COOKIE_TS_BITS) - 1;
const TS_WSCALE_NONE: u32 = 0xF;
const TS_SACK: u32 = 1 << 4;

/** What a valid cookie ACK says about the connection. */
export class CookieOptions {
  /** The MSS the client announced, rounded down to the table. */
  mss: i32 = 536;
  /** The client's window shift; -1 when it sent none (or without timestamps). */
  windowShift: i32 = -1;
  sackPermitted: bool = false;
  timestamps: bool = false;
}

let k0: u64 = 0;
let k1: u64 = 0;
let keyed = false;

function key(): void {
  if (keyed) return;
  k0 = (<u64>(Math.random() * 4294967296.0) << 32) | <u64>(Math.random() * 4294967296.0);
  k1 = (<u64>(Math.random() * 4294967296.0) << 32) | <u64>(Math.random() * 4294967296.0);
  keyed = true;
}

@inline function rotl(x: u64, b: u64): u64 { return (x << b) | (x >> (64 - b)); }

/** SipHash-2-4 of two 64-bit words (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), keyed by k0, k1. */
function siphash(m0: u64, m1: u64): u64 {
  let v0: u64 = k0 ^ 0x736f6d6570736575;
  let v1: u64 = k1 ^ 0x646f72616e646f6d;
  let v2: u64 = k0 ^ 0x6c7967656e657261;
  let v3: u64 = k1 ^ 0x7465646279746573;
  const b: u64 = <u64>16 << 56; // the message length, 16 bytes, in the last word
  for (let w = 0; w < 3; w++) {
    const m = w == 0 ? m0 : w == 1 ? m1 : b;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
      v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
    }
    v0 ^= m;
  }
  v2 ^= 0xFF;
  for (let r = 0; r < 4; r++) {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  return v0 ^ v1 ^ v2 ^ v3;
}

function hash(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, count: u32, which: u32): u32 {
  key();
  const m0 = (<u64>src << 32) | <u64>dst;
  const m1 = (<u64>sport << 48) | (<u64>dport << 32) | (<u64>(count & 0xFFFFFF) << 8) | <u64>which;
  return <u32>siphash(m0, m1);
}

/** The cookie counter at `now`. */
@inline export function cookieTick(now: i64): u32 { return <u32>(now / TICK); }

/** The index in COOKIE_MSS of the largest value not above the client's MSS (0 for none). */
export function cookieMssIndex(clientMss: i32): u32 {
  let i: u32 = <u32>COOKIE_MSS.length - 1;
  while (i > 0 && <i32>COOKIE_MSS[i] > clientMss) i--;
  return i;
}

/** Our ISN for a SYN from `src`:`sport` (ISN `clientIsn`) to `dst`:`dport`, carrying MSS index `mssIndex`. */
export function makeCookie(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, clientIsn: u32, mssIndex: u32, now: i64): u32 {
  const count = cookieTick(now);
  return hash(src, dst, sport, dport, 0, 0) + clientIsn + (count << COOKIE_BITS) +
    ((hash(src, dst, sport, dport, count, 1) + mssIndex) & COOKIE_MASK);
}

/**
 * The MSS index a cookie ACK carries (its ACK number less one is our ISN,
 * its sequence number less one the client's), or -1 when it is not one of
 * ours or too old.
 */
export function checkCookie(src: Ipv4Addr, dst: Ipv4Addr, sport: u16, dport: u16, clientIsn: u32, cookie: u32, now: i64): i32 {
  const count = cookieTick(now);
  const c = cookie - hash(src, dst, sport, dport, 0, 0) - clientIsn;
  const diff = (count - (c >> COOKIE_BITS)) & (0xFFFFFFFF >> COOKIE_BITS);
  if (diff >= MAX_AGE) return -1;
  const index = (c - hash(src, dst, sport, dport, count - diff, 1)) & COOKIE_MASK;
  return index < <u32>COOKIE_MSS.length ? <i32>index : -1;
}

/**
 * Our SYN-ACK's timestamp value carrying the options (`tsNow` is what it
 * would be): its low bits replaced, and kept from running ahead of tsNow.
 */
export function cookieTimestamp(tsNow: u32, windowShift: i32, sackPermitted: bool): u32 {
  let opts = windowShift >= 0 ? <u32>windowShift & 0xF : TS_WSCALE_NONE;
  if (sackPermitted) opts |= TS_SACK;
  let ts = (tsNow & ~TS_MASK) | opts;
  if (ts > tsNow) ts -= TS_MASK + 1;
  return ts;
}

/** Reads what cookieTimestamp put in the client's echo of it into `o`. */
export function cookieOptionsFromEcho(tsEcr: u32, o: CookieOptions): void {
  const opts = tsEcr & TS_MASK;
  const shift = opts & 0xF;
  o.windowShift = shift == TS_WSCALE_NONE ? -1 : <i32>min<u32>(shift, 14);
  o.sackPermitted = (opts & TS_SACK) != 0;
  o.timestamps = true;
}
