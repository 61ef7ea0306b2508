// Opening a device: format it when it is blank, otherwise pick the
// superblock, find the live half and rebuild the index from its log. The
// procedure is written out step by step in docs/kv-format.md, "Recovery";
// the comments here say why each step is safe.

import { BlockDevice } from "../block";
import { OpenError, FaultKind, Fault } from "./errors";
import { flushDevice, readSectors, writeSectors } from "./io";
import { Layout, MAX_KEY_BYTES, MAX_VALUE_BYTES, MIN_HALF_SECTORS, SUPERBLOCK_SECTORS } from "./layout";
import { CommitKind } from "./log-sector";
import { ScanResult, scanHalf } from "./scan";
import { isZero } from "./sector";
import { FORMAT_VERSION, SlotRead, SlotState, Superblock, readSlot } from "./superblock";

/** What opening found: either an error, or the superblock in force and its half's log. */
export class Recovery {
  error: OpenError = OpenError.None;
  message: string = "";
  layout: Layout;
  sb: Superblock = new Superblock();
  scan: ScanResult = new ScanResult();
  /** True when the device was blank and has just been formatted. */
  formatted: bool = false;
  /** What recovery rewrote, for the curious ("" when nothing). */
  repaired: string = "";

  constructor(layout: Layout) { this.layout = layout; }

  fail(error: OpenError, message: string): Recovery {
    this.error = error;
    this.message = message;
    return this;
  }
}

/** Formats or recovers the store on `dev`. */
export function recover(dev: BlockDevice): Recovery {
  const size = dev.sectorSize;
  const r = new Recovery(new Layout(<i32>size, dev.sectorCount));
  if (size < 512 || size > (1 << 20) || popcnt<u32>(size) != 1) {
    return r.fail(OpenError.Unsupported, "the device's sector size, " + size.toString() + " bytes, is not a power of two from 512 bytes to 1 MiB");
  }
  const layout = r.layout;
  if (layout.halfSectors < MIN_HALF_SECTORS) {
    const need = SUPERBLOCK_SECTORS + 2 * MIN_HALF_SECTORS;
    return r.fail(OpenError.TooSmall, "the device has " + dev.sectorCount.toString() + " sectors; a store needs at least " + need.toString());
  }

  const s0 = new Uint8Array(<i32>size);
  const s1 = new Uint8Array(<i32>size);
  let f = readSectors(dev, 0, s0);
  if (f.ok) f = readSectors(dev, 1, s1);
  if (!f.ok) return r.fail(OpenError.DeviceError, f.message);
  const a = readSlot(s0, 0);
  const b = readSlot(s1, 1);

  if (a.state == SlotState.Blank && b.state == SlotState.Blank) {
    const e = formatBlank(dev, r);
    if (e != OpenError.None) return r;
  } else {
    const e = choose(a, b, r);
    if (e != OpenError.None) return r;
  }
  const sb = r.sb;
  const otherSound = r.formatted || (a.state == SlotState.Valid && b.state == SlotState.Valid);

  if (sb.sectorCount > dev.sectorCount) {
    return r.fail(OpenError.Unsupported, "the store was formatted for " + sb.sectorCount.toString() + " sectors but the device has only " +
      dev.sectorCount.toString() + "; was it shrunk, or is this the wrong device?");
  }
  if (sb.maxKeyBytes != <u32>MAX_KEY_BYTES || sb.maxValueBytes != <u32>MAX_VALUE_BYTES) {
    return r.fail(OpenError.Unsupported, "the store was formatted for keys up to " + sb.maxKeyBytes.toString() + " bytes and values up to " +
      sb.maxValueBytes.toString() + "; this code uses " + MAX_KEY_BYTES.toString() + " and " + MAX_VALUE_BYTES.toString());
  }
  // The store keeps the geometry it was formatted with, even on a device that has since grown.
  r.layout = new Layout(<i32>size, sb.sectorCount);

  // A compaction writes the next epoch's snapshot into the other half, then
  // the superblock that makes it active. If that snapshot is there whole, the
  // state it holds is the state when it was written (nothing is committed in
  // between), so adopting it is right whether or not the superblock switch
  // reached the disk; and it must be adopted now, before anything is
  // committed to the old half, or a later loss of the newest superblock copy
  // could bring it back over newer commits.
  const other = 1 - sb.active;
  const peek = scanHalf(dev, r.layout, other, sb.epoch + 1);
  if (peek.fault.kind == FaultKind.Device) return r.fail(OpenError.DeviceError, peek.fault.message);
  let active = sb.active;
  let epoch = sb.epoch;
  let rewrite = !otherSound;
  if (peek.firstKind == CommitKind.Snapshot) {
    if (!peek.fault.ok) return r.fail(OpenError.Corrupt, peek.fault.message);
    active = other;
    epoch = sb.epoch + 1;
    r.scan = peek;
    rewrite = true;
    r.repaired = "finished an interrupted compaction into half " + other.toString();
  } else {
    // With one superblock copy damaged, the lost copy may have been the
    // newest, naming a compaction into the other half; that half must then be
    // readable to show it was not.
    if (!peek.fault.ok && !otherSound) {
      return r.fail(OpenError.Corrupt, "superblock copy " + (1 - <i32>(sb.generation & 1)).toString() + " is not valid, so the other half " +
        "must be readable to show no compaction into it was lost, and " + peek.fault.message);
    }
    r.scan = scanHalf(dev, r.layout, active, epoch);
    if (r.scan.fault.kind == FaultKind.Device) return r.fail(OpenError.DeviceError, r.scan.fault.message);
    if (!r.scan.fault.ok) return r.fail(OpenError.Corrupt, r.scan.fault.message);
    if (rewrite) r.repaired = "rewrote superblock copy " + (1 - <i32>(sb.generation & 1)).toString();
  }
  if (rewrite) {
    const next = sb.next(active, epoch);
    if (!dev.readOnly) {
      f = writeSuperblock(dev, next);
      if (!f.ok) return r.fail(OpenError.DeviceError, f.message);
    } else {
      r.repaired = "";
    }
    r.sb = next;
  }
  return r;
}

/** Writes `sb` into its copy (generation % 2) and flushes. */
export function writeSuperblock(dev: BlockDevice, sb: Superblock): Fault {
  const buf = new Uint8Array(<i32>dev.sectorSize);
  sb.emit(buf);
  const f = writeSectors(dev, sb.generation & 1, buf);
  return f.ok ? flushDevice(dev) : f;
}

/** Picks the superblock in force from two copies that are not both blank. */
function choose(a: SlotRead, b: SlotRead, r: Recovery): OpenError {
  if (a.state == SlotState.Unusable || b.state == SlotState.Unusable) {
    const s = a.state == SlotState.Unusable ? a : b;
    r.fail(OpenError.Unsupported, "superblock copy " + (s == a ? "0" : "1") + " is " + s.detail);
    return r.error;
  }
  if (a.state == SlotState.Valid && (b.state != SlotState.Valid || a.sb.generation > b.sb.generation)) {
    r.sb = a.sb;
  } else if (b.state == SlotState.Valid) {
    r.sb = b.sb;
  } else {
    const both = "sector 0: " + a.detail + "; sector 1: " + b.detail;
    if (a.state == SlotState.Damaged || b.state == SlotState.Damaged) {
      r.fail(OpenError.Corrupt, "no usable superblock (" + both + "); the store cannot be opened without one");
    } else {
      r.fail(OpenError.NotAStore, "the device does not hold a kv store (" + both + "); it was left untouched");
    }
    return r.error;
  }
  return OpenError.None;
}

/** Formats a device whose superblock sectors are blank, if all of it is. */
function formatBlank(dev: BlockDevice, r: Recovery): OpenError {
  const layout = r.layout;
  const size = <u64>layout.sectorSize;
  const chunk: u64 = max<u64>(1, 65536 / size);
  const buf = new Uint8Array(<i32>(chunk * size));
  for (let s: u64 = 0; s < dev.sectorCount; s += chunk) {
    const n = min(chunk, dev.sectorCount - s);
    const view = buf.subarray(0, <i32>(n * size));
    const f = readSectors(dev, s, view);
    if (!f.ok) return r.fail(OpenError.DeviceError, f.message).error;
    if (isZero(view)) continue;
    for (let i: u64 = 0; i < n; i++) {
      if (!isZero(view.subarray(<i32>(i * size), <i32>((i + 1) * size)))) {
        return r.fail(OpenError.NotAStore, "sectors 0 and 1 are blank but sector " + (s + i).toString() +
          " is not: the device holds data that is not a kv store, and it was left untouched (zero the whole device to use it for a store)").error;
      }
    }
  }
  if (dev.readOnly) return r.fail(OpenError.ReadOnly, "the device is blank and read-only, so it cannot be formatted").error;
  const sb = new Superblock();
  sb.version = FORMAT_VERSION;
  sb.sectorSize = <u32>layout.sectorSize;
  sb.sectorCount = layout.sectorCount;
  sb.halfSectors = layout.halfSectors;
  sb.epoch = 1;
  sb.active = 0;
  sb.maxKeyBytes = <u32>MAX_KEY_BYTES;
  sb.maxValueBytes = <u32>MAX_VALUE_BYTES;
  // Both copies in one write: if it is torn, copy 0 alone is a whole store.
  const two = new Uint8Array(<i32>(2 * size));
  sb.generation = 0;
  sb.emit(two.subarray(0, <i32>size));
  sb.generation = 1;
  sb.emit(two.subarray(<i32>size, <i32>(2 * size)));
  let f = writeSectors(dev, 0, two);
  if (f.ok) f = flushDevice(dev);
  if (!f.ok) return r.fail(OpenError.DeviceError, f.message).error;
  r.sb = sb;
  r.formatted = true;
  return OpenError.None;
}
