// In-memory block devices for tests of lib/kv (and anything else over
// lib/block.ts). MemDevice keeps a trace of every write since tracing began,
// so a test can rebuild the disk as it would be after power loss at any
// write: every earlier write reached the disk (those before the last flush
// were durable anyway; those after it are the prefix that got there), the
// lost write itself reached it only for its first `torn` sectors, and nothing
// later did. A harsher variant lets each sector written since the last flush
// land or not, independently, as a disk that reorders its queue may do. It
// can also flip bits, fail writes, and be read-only.

import { BlockDevice, BlockResult } from "atoll/block";

/** One write as the device received it. */
export class TracedWrite {
  constructor(readonly sector: u64, readonly data: Uint8Array) {}
}

/** A RAM disk. */
export class MemDevice extends BlockDevice {
  /** What reads see: every write applied. */
  readonly data: Uint8Array;
  /** The image when tracing began (see startTrace). */
  private base: Uint8Array = new Uint8Array(0);
  /** Every write since tracing began, in order. */
  readonly trace: TracedWrite[] = [];
  /** Length of `trace` at the last completed flush. */
  flushedAt: i32 = 0;
  /** Length of `trace` at every completed flush, in order. */
  readonly flushPoints: i32[] = [];
  /** Number of flushes so far. */
  flushes: i32 = 0;
  /** When >= 0, the trace index from which writes fail with DeviceError (nothing is written). */
  failWritesFrom: i32 = -1;
  /** When true, flushes fail with DeviceError. */
  failFlushes: bool = false;
  private ro: bool;

  constructor(private devName: string, private size: u32, private count: u64, image: Uint8Array | null = null, readOnly: bool = false) {
    super();
    const data = new Uint8Array(<i32>(<u64>size * count));
    if (image != null) data.set(image!);
    this.data = data;
    this.base = data.slice();
    this.ro = readOnly;
  }

  get name(): string { return this.devName; }
  get sectorSize(): u32 { return this.size; }
  get sectorCount(): u64 { return this.count; }
  get readOnly(): bool { return this.ro; }

  read(sector: u64, buf: Uint8Array): BlockResult {
    const r = this.check(sector, buf);
    if (r != BlockResult.Ok) return r;
    buf.set(this.data.subarray(<i32>(sector * <u64>this.size), <i32>(sector * <u64>this.size) + buf.length));
    return BlockResult.Ok;
  }

  write(sector: u64, buf: Uint8Array): BlockResult {
    if (this.ro) return BlockResult.ReadOnly;
    const r = this.check(sector, buf);
    if (r != BlockResult.Ok) return r;
    if (this.failWritesFrom >= 0 && this.trace.length >= this.failWritesFrom) return BlockResult.DeviceError;
    this.data.set(buf, <i32>(sector * <u64>this.size));
    this.trace.push(new TracedWrite(sector, buf.slice()));
    return BlockResult.Ok;
  }

  flush(): BlockResult {
    if (this.ro) return BlockResult.ReadOnly;
    if (this.failFlushes) return BlockResult.DeviceError;
    this.flushedAt = this.trace.length;
    this.flushPoints.push(this.trace.length);
    this.flushes++;
    return BlockResult.Ok;
  }

  /** Forgets the trace: the current contents become the base of later power-loss images. */
  startTrace(): void {
    this.base = this.data.slice();
    this.trace.length = 0;
    this.flushPoints.length = 0;
    this.flushedAt = 0;
  }

  /** Sectors in write `k` of the trace. */
  writeSectors(k: i32): i32 {
    return this.trace[k].data.length / <i32>this.size;
  }

  /** Writes since the last completed flush: the ones power loss may cut. */
  get pending(): i32 { return this.trace.length - this.flushedAt; }

  /**
   * The disk after power loss during trace write `k`: writes 0..k-1 complete,
   * write k's first `torn` sectors only (0 = none of it). k == trace.length
   * (with torn 0) is power loss after the last write.
   */
  imageAfterPowerLoss(k: i32, torn: i32): Uint8Array {
    const img = this.base.slice();
    for (let i = 0; i < k; i++) applyWrite(img, this.size, this.trace[i], this.writeSectors(i));
    if (k < this.trace.length && torn > 0) applyWrite(img, this.size, this.trace[k], torn);
    return img;
  }

  /** Writes before this trace index were flushed before write `k` was issued. */
  durableBefore(k: i32): i32 {
    let d = 0;
    for (let i = 0; i < this.flushPoints.length && this.flushPoints[i] <= k; i++) d = this.flushPoints[i];
    return d;
  }

  /**
   * The disk after power loss during trace write `k` on a disk that reorders:
   * everything flushed before write k is there; of writes durableBefore(k)..k
   * each sector landed or not, as the bits of the generator seeded with
   * `seed` say. Writes in one flush interval never overlap in lib/kv, so the
   * order of those that land does not matter.
   */
  imageAfterReorderedLoss(k: i32, seed: u32): Uint8Array {
    const img = this.base.slice();
    const d = this.durableBefore(k);
    for (let i = 0; i < d; i++) applyWrite(img, this.size, this.trace[i], this.writeSectors(i));
    let x = seed | 1;
    const size = <i32>this.size;
    for (let i = d; i <= k && i < this.trace.length; i++) {
      const w = this.trace[i];
      for (let j = 0; j < this.writeSectors(i); j++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        if ((x & 1) == 0) continue;
        img.set(w.data.subarray(j * size, (j + 1) * size), <i32>(w.sector * this.size) + j * size);
      }
    }
    return img;
  }

  /** Flips bit `bit` (0..7) of byte `byte` of the device, as decay at rest would. */
  flipBit(byte: i32, bit: i32): void {
    this.data[byte] = <u8>(<i32>this.data[byte] ^ (1 << bit));
  }

  private check(sector: u64, buf: Uint8Array): BlockResult {
    if (buf.length % <i32>this.size != 0) return BlockResult.Unaligned;
    const n = <u64>(buf.length / <i32>this.size);
    if (sector > this.count || n > this.count - sector) return BlockResult.OutOfRange;
    return BlockResult.Ok;
  }
}

/** Applies the first `sectors` sectors of `w` to `img`. */
export function applyWrite(img: Uint8Array, size: u32, w: TracedWrite, sectors: i32): void {
  const n = min(sectors * <i32>size, w.data.length);
  img.set(w.data.subarray(0, n), <i32>(w.sector * <u64>size));
}

/** A device holding `image` (e.g. imageAfterPowerLoss), as the machine sees it after reboot. */
export function deviceFrom(name: string, size: u32, image: Uint8Array, readOnly: bool = false): MemDevice {
  return new MemDevice(name, size, <u64>(image.length / <i32>size), image, readOnly);
}
