// Big-endian field access at a byte offset of a buffer. Network byte order is
// big-endian (RFC 1700, "Data Notations"); wasm is little-endian, hence the
// swaps. No bounds checks: callers have run their view's checkLen.

@inline export function getU8(b: Uint8Array, off: i32): u8 {
  return load<u8>(b.dataStart + <usize>off);
}

@inline export function setU8(b: Uint8Array, off: i32, v: u8): void {
  store<u8>(b.dataStart + <usize>off, v);
}

@inline export function getU16(b: Uint8Array, off: i32): u16 {
  return bswap<u16>(load<u16>(b.dataStart + <usize>off));
}

@inline export function setU16(b: Uint8Array, off: i32, v: u16): void {
  store<u16>(b.dataStart + <usize>off, bswap<u16>(v));
}

@inline export function getU32(b: Uint8Array, off: i32): u32 {
  return bswap<u32>(load<u32>(b.dataStart + <usize>off));
}

@inline export function setU32(b: Uint8Array, off: i32, v: u32): void {
  store<u32>(b.dataStart + <usize>off, bswap<u32>(v));
}

/** Copies `len` bytes of `src` from `srcOff` into `dst` at `dstOff`; both ranges must be in bounds. */
@inline export function copyBytes(dst: Uint8Array, dstOff: i32, src: Uint8Array, srcOff: i32, len: i32): void {
  memory.copy(dst.dataStart + <usize>dstOff, src.dataStart + <usize>srcOff, <usize>len);
}

/** Zeroes `len` bytes of `b` from `off`. */
@inline export function zeroBytes(b: Uint8Array, off: i32, len: i32): void {
  memory.fill(b.dataStart + <usize>off, 0, <usize>len);
}
