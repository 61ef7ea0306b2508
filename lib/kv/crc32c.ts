// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value and
// final XOR 0xFFFFFFFF, as in iSCSI (RFC 3720, appendix B.4) and ext4. Like
// every 32-bit CRC it catches every single flipped bit and every burst of up
// to 32 bits, which is the damage a bit flip at rest or a bad cell does to
// one sector. Table-driven, a byte at a time: the table is 1 KiB and sectors
// are small.

const POLY: u32 = 0x82F63B78;

const TABLE = new StaticArray<u32>(256);
for (let i = 0; i < 256; i++) {
  let c = <u32>i;
  for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[i] = c;
}

/** The register's value before the first byte. */
export const CRC32C_INIT: u32 = 0xFFFFFFFF;

/** Runs `b[start..end)` through the register `crc` (start from CRC32C_INIT, end with crc32cFinish). */
export function crc32cUpdate(crc: u32, b: Uint8Array, start: i32, end: i32): u32 {
  assert(start >= 0 && start <= end && end <= b.length, "crc32c: range outside the buffer");
  let p = b.dataStart + <usize>start;
  const e = b.dataStart + <usize>end;
  while (p < e) {
    crc = unchecked(TABLE[(crc ^ <u32>load<u8>(p)) & 0xFF]) ^ (crc >>> 8);
    p++;
  }
  return crc;
}

/** The checksum of everything run through the register. */
export function crc32cFinish(crc: u32): u32 {
  return ~crc;
}

/** CRC-32C of `b[start..end)`. */
export function crc32c(b: Uint8Array, start: i32, end: i32): u32 {
  return crc32cFinish(crc32cUpdate(CRC32C_INIT, b, start, end));
}
