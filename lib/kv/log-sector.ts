// A sector of the log. A commit is a run of consecutive log sectors that all
// carry the same tag (epoch, sequence number, sector count, payload length,
// kind) and their index within the commit, so a sector that belongs to
// another commit, an older epoch, or an earlier attempt at the same place is
// recognised by its header alone. See docs/kv-format.md, "Log sector".

import { getU32, setU32, getU64, setU64 } from "./bytes";

// Field offsets.
const MAGIC = 0;
const KIND = 4;
const EPOCH = 8;
const SEQ = 16;
const INDEX = 24;
const COUNT = 32;
const PAYLOAD_LEN = 40;
const COMMIT_CRC = 48;
// 52..56 reserved, zero; the payload starts at LOG_HEADER_LEN (layout.ts).

/** "AKVL", read as a little-endian u32. */
export const LOG_MAGIC: u32 = 0x4C564B41;

/** What a commit holds. */
export enum CommitKind {
  /** Operations applied on top of what came before (set, delete). */
  Ops = 1,
  /** The whole live state, written by compaction; always the first commit of a half. */
  Snapshot = 2,
}

/** A view of a log sector in a buffer of one sector that the caller owns. */
export class LogSector {
  constructor(public buffer: Uint8Array) {}

  get magic(): u32 { return getU32(this.buffer, MAGIC); }
  set magic(v: u32) { setU32(this.buffer, MAGIC, v); }
  get kind(): u32 { return getU32(this.buffer, KIND); }
  set kind(v: u32) { setU32(this.buffer, KIND, v); }
  get epoch(): u64 { return getU64(this.buffer, EPOCH); }
  set epoch(v: u64) { setU64(this.buffer, EPOCH, v); }
  /** The commit's sequence number within its epoch: 0, 1, 2, ... */
  get seq(): u64 { return getU64(this.buffer, SEQ); }
  set seq(v: u64) { setU64(this.buffer, SEQ, v); }
  /** This sector's place in its commit, from 0. */
  get index(): u64 { return getU64(this.buffer, INDEX); }
  set index(v: u64) { setU64(this.buffer, INDEX, v); }
  /** Sectors in the commit. */
  get count(): u64 { return getU64(this.buffer, COUNT); }
  set count(v: u64) { setU64(this.buffer, COUNT, v); }
  /** Payload bytes in the whole commit. */
  get payloadLen(): u64 { return getU64(this.buffer, PAYLOAD_LEN); }
  set payloadLen(v: u64) { setU64(this.buffer, PAYLOAD_LEN, v); }
  /** CRC-32C of the commit's whole payload; set in its last sector only, zero elsewhere. */
  get commitCrc(): u32 { return getU32(this.buffer, COMMIT_CRC); }
  set commitCrc(v: u32) { setU32(this.buffer, COMMIT_CRC, v); }

  /** True when this sealed sector is sector `index` of the commit tagged (epoch, seq). */
  isPartOf(epoch: u64, seq: u64, index: u64): bool {
    return this.magic == LOG_MAGIC && this.epoch == epoch && this.seq == seq && this.index == index;
  }

  /** True when this sector's tag equals that of `first`, the commit's sector 0. */
  sameCommitAs(first: LogSector): bool {
    return this.magic == LOG_MAGIC && this.epoch == first.epoch && this.seq == first.seq &&
      this.count == first.count && this.payloadLen == first.payloadLen && this.kind == first.kind;
  }
}
