// Little-endian field access at a byte offset of a sector buffer. On-disk
// integers are little-endian, as wasm's loads are. Offsets are the constants
// of a layout and sectors are at least 512 bytes, so a bad offset is a bug in
// this folder: it traps rather than reading past the buffer.

@inline function at(b: Uint8Array, off: i32, size: i32): usize {
  assert(off >= 0 && off + size <= b.length, "kv: field outside its sector buffer");
  return b.dataStart + <usize>off;
}

export function getU32(b: Uint8Array, off: i32): u32 { return load<u32>(at(b, off, 4)); }
export function setU32(b: Uint8Array, off: i32, v: u32): void { store<u32>(at(b, off, 4), v); }
export function getU64(b: Uint8Array, off: i32): u64 { return load<u64>(at(b, off, 8)); }
export function setU64(b: Uint8Array, off: i32, v: u64): void { store<u64>(at(b, off, 8), v); }
export function getU16(b: Uint8Array, off: i32): u16 { return load<u16>(at(b, off, 2)); }
export function setU16(b: Uint8Array, off: i32, v: u16): void { store<u16>(at(b, off, 2), v); }
