// The superblock: which half holds the live log and which epoch its sectors
// carry. Two copies, in sectors 0 and 1; generation g lives in copy g % 2, so
// each update overwrites the older copy and a torn or decayed copy always
// leaves the other one readable. See docs/kv-format.md, "Superblock".

import { getU32, setU32, getU64, setU64 } from "./bytes";
import { crc32c } from "./crc32c";
import { MIN_HALF_SECTORS } from "./layout";
import { SectorState, sectorState, sealSector } from "./sector";

// Field offsets.
const MAGIC = 0; // 8 bytes, "ATOLLKV1"
const VERSION = 8;
const SECTOR_SIZE = 12;
const SECTOR_COUNT = 16;
const HALF_SECTORS = 24;
const GENERATION = 32;
const EPOCH = 40;
const ACTIVE = 48;
const MAX_KEY = 52;
const MAX_VALUE = 56;

/** The format version this code writes and reads. */
export const FORMAT_VERSION: u32 = 1;

const MAGIC_BYTES: StaticArray<u8> = [0x41, 0x54, 0x4F, 0x4C, 0x4C, 0x4B, 0x56, 0x31]; // "ATOLLKV1"

/** The meaning of a superblock. */
export class Superblock {
  version: u32 = FORMAT_VERSION;
  sectorSize: u32 = 0;
  /** The device's sector count when the store was formatted. */
  sectorCount: u64 = 0;
  halfSectors: u64 = 0;
  /** Bumped by every superblock write; copy `generation % 2` holds it. */
  generation: u64 = 0;
  /** The epoch of the active half's log: every sector of it carries this number. */
  epoch: u64 = 0;
  /** The half (0 or 1) that holds the live log. */
  active: i32 = 0;
  maxKeyBytes: u32 = 0;
  maxValueBytes: u32 = 0;

  /** The same superblock with the next generation and the given active half and epoch. */
  next(active: i32, epoch: u64): Superblock {
    const s = new Superblock();
    s.version = this.version;
    s.sectorSize = this.sectorSize;
    s.sectorCount = this.sectorCount;
    s.halfSectors = this.halfSectors;
    s.generation = this.generation + 1;
    s.epoch = epoch;
    s.active = active;
    s.maxKeyBytes = this.maxKeyBytes;
    s.maxValueBytes = this.maxValueBytes;
    return s;
  }

  /** Fills `sector` (one whole sector) with this superblock and its checksum. */
  emit(sector: Uint8Array): void {
    sector.fill(0);
    for (let i = 0; i < 8; i++) sector[MAGIC + i] = MAGIC_BYTES[i];
    setU32(sector, VERSION, this.version);
    setU32(sector, SECTOR_SIZE, this.sectorSize);
    setU64(sector, SECTOR_COUNT, this.sectorCount);
    setU64(sector, HALF_SECTORS, this.halfSectors);
    setU64(sector, GENERATION, this.generation);
    setU64(sector, EPOCH, this.epoch);
    setU32(sector, ACTIVE, <u32>this.active);
    setU32(sector, MAX_KEY, this.maxKeyBytes);
    setU32(sector, MAX_VALUE, this.maxValueBytes);
    sealSector(sector);
  }
}

/** How a superblock copy looks when read back. */
export enum SlotState {
  /** All zero: never written (a blank device, or a format cut short). */
  Blank,
  /** Checksum and fields hold. */
  Valid,
  /** A kv superblock whose checksum or fields are wrong. */
  Damaged,
  /** Neither zero nor recognisably a kv superblock. */
  Foreign,
  /** A sound superblock this code cannot use: a later format version, or another sector size. */
  Unusable,
}

/** One copy, read back: `sb` is meaningful when `state` is Valid (or Newer, for its version). */
export class SlotRead {
  constructor(readonly state: SlotState, readonly sb: Superblock, readonly detail: string) {}
}

/** Parses `sector`, read from superblock copy `slot`. */
export function readSlot(sector: Uint8Array, slot: i32): SlotRead {
  const sb = new Superblock();
  const state = sectorState(sector);
  if (state == SectorState.Zero) return new SlotRead(SlotState.Blank, sb, "blank");
  // A one-bit error in the magic still names a kv superblock: damaged, not foreign.
  let magicBitsOff = 0;
  for (let i = 0; i < 8; i++) magicBitsOff += popcnt<u32>(<u32>(sector[MAGIC + i] ^ MAGIC_BYTES[i]));
  if (magicBitsOff > 1) return new SlotRead(SlotState.Foreign, sb, "not a kv superblock (it starts " + hexStart(sector) + ")");
  if (state == SectorState.Damaged || magicBitsOff != 0) {
    // A store formatted with other sectors: its checksum sits elsewhere.
    const size = getU32(sector, SECTOR_SIZE);
    if (magicBitsOff == 0 && size != <u32>sector.length && size >= 512 && popcnt<u32>(size) == 1) {
      const what = "formatted with " + size.toString() + "-byte sectors, but the device has " + sector.length.toString() + "-byte sectors";
      if (size < <u32>sector.length && getU32(sector, <i32>size - 4) == crc32c(sector, 0, <i32>size - 4)) return new SlotRead(SlotState.Unusable, sb, what);
      if (size > <u32>sector.length) return new SlotRead(SlotState.Damaged, sb, "checksum mismatch, or " + what);
    }
    return new SlotRead(SlotState.Damaged, sb, "checksum mismatch");
  }
  sb.version = getU32(sector, VERSION);
  sb.sectorSize = getU32(sector, SECTOR_SIZE);
  sb.sectorCount = getU64(sector, SECTOR_COUNT);
  sb.halfSectors = getU64(sector, HALF_SECTORS);
  sb.generation = getU64(sector, GENERATION);
  sb.epoch = getU64(sector, EPOCH);
  sb.active = <i32>getU32(sector, ACTIVE);
  sb.maxKeyBytes = getU32(sector, MAX_KEY);
  sb.maxValueBytes = getU32(sector, MAX_VALUE);
  if (sb.version > FORMAT_VERSION) {
    return new SlotRead(SlotState.Unusable, sb, "written by format version " + sb.version.toString() + "; this code reads version " + FORMAT_VERSION.toString());
  }
  // A sealed sector with impossible fields was not written by this code; trust none of it.
  let bad = "";
  if (sb.version != FORMAT_VERSION) bad = "format version " + sb.version.toString();
  else if (sb.sectorSize != <u32>sector.length) bad = "sector size " + sb.sectorSize.toString() + " in a " + sector.length.toString() + "-byte sector";
  else if (sb.sectorCount < 2 || sb.halfSectors != (sb.sectorCount - 2) / 2 || sb.halfSectors < MIN_HALF_SECTORS) bad = "half size " + sb.halfSectors.toString() + " for " + sb.sectorCount.toString() + " sectors";
  else if (sb.active != 0 && sb.active != 1) bad = "active half " + sb.active.toString();
  else if (sb.epoch == 0) bad = "epoch 0";
  else if (<i32>(sb.generation & 1) != slot) bad = "generation " + sb.generation.toString() + " in copy " + slot.toString();
  if (bad.length > 0) return new SlotRead(SlotState.Damaged, sb, "inconsistent fields (" + bad + ")");
  return new SlotRead(SlotState.Valid, sb, "generation " + sb.generation.toString());
}

function hexStart(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 8; i++) {
    const v = b[i];
    s += (i > 0 ? " " : "") + (v < 16 ? "0" : "") + v.toString(16);
  }
  return s;
}
