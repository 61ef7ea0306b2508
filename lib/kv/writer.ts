// Writes one commit: streams its payload into tagged, sealed sectors and
// hands them to the device a chunk at a time. The commit checksum goes into
// the last sector, which is why that sector is written last: a commit is
// complete only when all of its sectors are on the device.

import { BlockDevice } from "../block";
import { CRC32C_INIT, crc32cFinish, crc32cUpdate } from "./crc32c";
import { Fault } from "./errors";
import { writeSectors } from "./io";
import { LOG_HEADER_LEN, Layout } from "./layout";
import { CommitKind, LOG_MAGIC, LogSector } from "./log-sector";
import { sealSector } from "./sector";

export class CommitWriter {
  /** Sectors in the commit. */
  readonly count: u64;
  private buf: Uint8Array = new Uint8Array(0);
  private chunkSectors: i32 = 0;
  /** Commit index of the chunk buffer's first sector. */
  private chunkFirst: u64 = 0;
  /** Sector of the chunk being filled. */
  private cur: i32 = 0;
  /** Payload bytes already in the current sector. */
  private used: i32 = 0;
  private written: u64 = 0;
  private crc: u32 = CRC32C_INIT;
  private sectorSize: i32 = 0;
  private perSector: i32 = 0;

  /**
   * A commit of `payloadLen` bytes at device sector `first`, tagged
   * (epoch, seq, kind), written at most `maxChunk` sectors per device write.
   */
  constructor(
    private dev: BlockDevice, layout: Layout, private first: u64,
    private epoch: u64, private seq: u64, private kind: CommitKind, private payloadLen: u64, maxChunk: i32,
  ) {
    const count = layout.commitSectors(payloadLen);
    this.count = count;
    this.sectorSize = layout.sectorSize;
    this.perSector = layout.payloadPerSector;
    this.chunkSectors = <i32>min<u64>(count, <u64>max(maxChunk, 1));
    this.buf = new Uint8Array(this.chunkSectors * layout.sectorSize);
    this.startSector();
  }

  /** Payload offset of the next byte appended. */
  get position(): u64 { return this.written; }

  /** Appends `src[start..end)` to the payload. */
  append(src: Uint8Array, start: i32, end: i32): Fault {
    assert(this.written + <u64>(end - start) <= this.payloadLen, "kv: commit payload longer than announced");
    while (start < end) {
      if (this.used == this.perSector) {
        const f = this.nextSector();
        if (!f.ok) return f;
      }
      const n = min(this.perSector - this.used, end - start);
      const at = this.cur * this.sectorSize + LOG_HEADER_LEN + this.used;
      memory.copy(this.buf.dataStart + <usize>at, src.dataStart + <usize>start, <usize>n);
      this.crc = crc32cUpdate(this.crc, src, start, start + n);
      this.used += n;
      this.written += <u64>n;
      start += n;
    }
    return Fault.none();
  }

  /** Seals the last sector with the commit checksum and writes what is left. */
  finish(): Fault {
    assert(this.written == this.payloadLen, "kv: commit payload shorter than announced");
    assert(this.chunkFirst + <u64>this.cur + 1 == this.count, "kv: commit sector count mismatch");
    const last = this.sector(this.cur);
    new LogSector(last).commitCrc = crc32cFinish(this.crc);
    sealSector(last);
    return writeSectors(this.dev, this.first + this.chunkFirst, this.buf.subarray(0, (this.cur + 1) * this.sectorSize));
  }

  private sector(i: i32): Uint8Array {
    return this.buf.subarray(i * this.sectorSize, (i + 1) * this.sectorSize);
  }

  private startSector(): void {
    const s = new LogSector(this.sector(this.cur));
    s.magic = LOG_MAGIC;
    s.kind = <u32>this.kind;
    s.epoch = this.epoch;
    s.seq = this.seq;
    s.index = this.chunkFirst + <u64>this.cur;
    s.count = this.count;
    s.payloadLen = this.payloadLen;
    this.used = 0;
  }

  private nextSector(): Fault {
    sealSector(this.sector(this.cur));
    this.cur++;
    if (this.cur == this.chunkSectors) {
      const f = writeSectors(this.dev, this.first + this.chunkFirst, this.buf);
      if (!f.ok) return f;
      this.chunkFirst += <u64>this.chunkSectors;
      this.cur = 0;
      this.buf.fill(0);
    }
    this.startSector();
    return Fault.none();
  }
}
