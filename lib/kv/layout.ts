// Where things live on the device, and the limits a store is formatted with.
//
//   sector 0            superblock copy 0 (even generations)
//   sector 1            superblock copy 1 (odd generations)
//   sectors 2 ..        half 0: `halfSectors` sectors of log
//   then                half 1: `halfSectors` sectors of log
//   last sector         unused when the count is odd
//
// One half holds the live log; the other receives the next compaction.

import { SECTOR_TRAILER_LEN } from "./sector";

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES: i32 = 255;
/** Largest value, in bytes. */
export const MAX_VALUE_BYTES: i32 = 65536;
/** Sectors holding superblock copies, at the start of the device. */
export const SUPERBLOCK_SECTORS: u64 = 2;
/** The smallest half worth having: a few one-sector commits. */
export const MIN_HALF_SECTORS: u64 = 4;
/** Bytes at the start of a log sector before its payload (log-sector.ts). */
export const LOG_HEADER_LEN: i32 = 56;

/** The geometry of a store on a device with `sectorSize`-byte sectors. */
export class Layout {
  /** Sectors in each half. */
  readonly halfSectors: u64;
  /** Payload bytes a log sector carries. */
  readonly payloadPerSector: i32;

  constructor(readonly sectorSize: i32, readonly sectorCount: u64) {
    this.halfSectors = sectorCount < SUPERBLOCK_SECTORS ? 0 : (sectorCount - SUPERBLOCK_SECTORS) / 2;
    this.payloadPerSector = sectorSize - LOG_HEADER_LEN - SECTOR_TRAILER_LEN;
  }

  /** The device sector where half `h` (0 or 1) begins. */
  halfStart(h: i32): u64 {
    return SUPERBLOCK_SECTORS + <u64>h * this.halfSectors;
  }

  /** Sectors of a commit that carries `payloadLen` bytes (at least one). */
  commitSectors(payloadLen: u64): u64 {
    const p = <u64>this.payloadPerSector;
    return payloadLen == 0 ? 1 : (payloadLen + p - 1) / p;
  }
}
