// What every sector the store writes has in common: its last four bytes are
// the CRC-32C of the bytes before them. A sector is therefore in one of three
// states when read back: all zero (never written), sealed (checksum holds),
// or damaged. Sector writes are atomic in the fault model (docs/kv-format.md),
// so a crash never produces a damaged sector; only decay does.

import { crc32c } from "./crc32c";
import { getU32, setU32 } from "./bytes";

/** Bytes at the end of every sector that hold its checksum. */
export const SECTOR_TRAILER_LEN: i32 = 4;

/** How a sector read back looks. */
export enum SectorState {
  /** Every byte is zero: never written since the device was blank. */
  Zero,
  /** The checksum holds. */
  Sealed,
  /** Not zero and the checksum fails. */
  Damaged,
}

/** Writes the checksum of `sector` (the whole buffer) into its last four bytes. */
export function sealSector(sector: Uint8Array): void {
  const end = sector.length - SECTOR_TRAILER_LEN;
  setU32(sector, end, crc32c(sector, 0, end));
}

/** True when every byte of `b` is zero. */
export function isZero(b: Uint8Array): bool {
  let p = b.dataStart;
  const e = p + <usize>b.length;
  while (p + 8 <= e) {
    if (load<u64>(p) != 0) return false;
    p += 8;
  }
  while (p < e) {
    if (load<u8>(p) != 0) return false;
    p++;
  }
  return true;
}

/** Classifies a sector read back from the device. */
export function sectorState(sector: Uint8Array): SectorState {
  if (isZero(sector)) return SectorState.Zero;
  const end = sector.length - SECTOR_TRAILER_LEN;
  return getU32(sector, end) == crc32c(sector, 0, end) ? SectorState.Sealed : SectorState.Damaged;
}
