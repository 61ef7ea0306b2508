// The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones'
// complement sum of the data taken as big-endian 16-bit words, an odd last
// byte padded with zero. Sums are kept unfolded in a u64 so callers can add
// the pieces (pseudo-header, header, payload) before folding once.

import { Ipv4Addr } from "../addr";

/** Adds `len` bytes of `b` from `off` to the running sum `acc`. */
export function sumBytes(acc: u64, b: Uint8Array, off: i32, len: i32): u64 {
  let p = b.dataStart + <usize>off;
  let n = len;
  // The bulk a 64-bit load at a time, in the machine's little-endian order:
  // the sum is independent of byte order up to a swap of the folded result
  // (RFC 1071 §2(B)), so it is folded and swapped once at the end. Each
  // 32-bit half adds into a u64, which cannot overflow below 2^32 loads.
  // This is TCP's hot loop: bulk transfers checksum every byte twice.
  if (n >= 16) {
    let le: u64 = 0;
    while (n >= 16) {
      const w0 = load<u64>(p);
      const w1 = load<u64>(p, 8);
      le += (w0 & 0xFFFF_FFFF) + (w0 >> 32) + (w1 & 0xFFFF_FFFF) + (w1 >> 32);
      p += 16;
      n -= 16;
    }
    acc += <u64>bswap<u16>(fold(le));
  }
  // Whole 32-bit words: the sum of big-endian 32-bit words folds to the same
  // 16-bit result as the sum of its 16-bit halves (RFC 1071 §2(B)).
  while (n >= 4) {
    acc += <u64>bswap<u32>(load<u32>(p));
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    acc += <u64>bswap<u16>(load<u16>(p));
    p += 2;
    n -= 2;
  }
  if (n == 1) acc += <u64>load<u8>(p) << 8;
  return acc;
}

/** Folds a running sum to 16 bits (end-around carry). */
export function fold(acc: u64): u16 {
  while (acc > 0xFFFF) acc = (acc & 0xFFFF) + (acc >> 16);
  return <u16>acc;
}

/** The sum of the IPv4 pseudo-header for UDP and TCP (RFC 768; RFC 793 §3.1). */
export function pseudoHeaderSum(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u32): u64 {
  return <u64>(src >>> 16) + <u64>(src & 0xFFFF) + <u64>(dst >>> 16) + <u64>(dst & 0xFFFF) +
    <u64>protocol + <u64>length;
}

/** The checksum to store: the complement of the folded sum. */
@inline export function finish(acc: u64): u16 {
  return ~fold(acc);
}

/** The checksum of `len` bytes of `b` from `off`. */
export function checksum(b: Uint8Array, off: i32, len: i32): u16 {
  return finish(sumBytes(0, b, off, len));
}
