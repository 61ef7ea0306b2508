// Recovery of one half: reads its log from the first sector, commit after
// commit, and rebuilds the key index. The log ends at the first sector that
// is blank or sealed but not the expected commit's sector 0 (an older epoch,
// an older attempt at the same place). A commit whose later sectors are not
// all its own is the torn tail of an interrupted write: it and everything
// after it are ignored. A sector whose checksum fails stops recovery with an
// error, because decay of a committed sector must never read as a shorter log.
// For the same reason, where the log seems to end, the sectors just past it
// are checked for a later commit of the same epoch: one there means a sector
// was lost (zeroed, overwritten), not that a write was interrupted.

import { BlockDevice } from "../block";
import { CRC32C_INIT, crc32cFinish, crc32cUpdate } from "./crc32c";
import { Fault, FaultKind } from "./errors";
import { readSectors } from "./io";
import { KeyDir, ValueRef } from "./keydir";
import { LOG_HEADER_LEN, Layout } from "./layout";
import { CommitKind, LOG_MAGIC, LogSector } from "./log-sector";
import { RecordOp, RecordParser, recordLen } from "./record";
import { SectorState, sectorState } from "./sector";

/** What a half's log holds. */
export class ScanResult {
  /** None, or the damaged sector or device failure that stopped the scan. */
  fault: Fault = Fault.none();
  keys: KeyDir = new KeyDir();
  /** Sectors of the half taken by complete commits: where the next commit goes. */
  end: u64 = 0;
  /** Sequence number of the next commit. */
  nextSeq: u64 = 0;
  /** Kind of the first commit once it is known complete; 0 for an empty log. */
  firstKind: u32 = 0;
}

/** Reads the log of half `half`, whose sectors carry `epoch`. */
export function scanHalf(dev: BlockDevice, layout: Layout, half: i32, epoch: u64): ScanResult {
  const res = new ScanResult();
  const size = layout.sectorSize;
  const per = <u64>layout.payloadPerSector;
  const head = new Uint8Array(size);
  const buf = new Uint8Array(size);
  const base = layout.halfStart(half);
  let pos: u64 = 0;
  let seq: u64 = 0;
  while (pos < layout.halfSectors) {
    const at = base + pos;
    let f = readSectors(dev, at, head);
    if (!f.ok) { res.fault = f; break; }
    const state = sectorState(head);
    if (state == SectorState.Zero) break;
    if (state == SectorState.Damaged) {
      const where = "log sector " + at.toString() + " (half " + half.toString() + ", where commit " + seq.toString() + " starts) fails its checksum";
      // Later commits prove it held committed data; without them it may be the last commit or unused space.
      const later = lostBefore(dev, layout, half, pos + 1, epoch, seq, buf);
      res.fault = corrupt(later.kind == FaultKind.Corrupt ? where + ", and later commits follow it: committed writes are damaged" :
        where + "; it is either that commit, damaged, or damaged space just past the end of the log, and the store cannot " +
        "tell which, so it stops rather than risk dropping a committed write");
      break;
    }
    const h = new LogSector(head);
    if (!h.isPartOf(epoch, seq, 0)) break; // stale: the log ends here
    const count = h.count;
    const plen = h.payloadLen;
    if (plen > layout.halfSectors * per || count != layout.commitSectors(plen) || count > layout.halfSectors - pos ||
        (h.kind != CommitKind.Ops && h.kind != CommitKind.Snapshot) || (h.kind == CommitKind.Snapshot && seq != 0)) {
      res.fault = corrupt("log sector " + at.toString() + " starts commit " + seq.toString() + " with an impossible header (kind " +
        h.kind.toString() + ", " + count.toString() + " sectors, " + plen.toString() + " bytes)");
      break;
    }
    const parser = new RecordParser();
    let crc = CRC32C_INIT;
    let n = <i32>min(per, plen);
    parser.feed(head, LOG_HEADER_LEN, LOG_HEADER_LEN + n, 0);
    crc = crc32cUpdate(crc, head, LOG_HEADER_LEN, LOG_HEADER_LEN + n);
    let last = h;
    let complete = true;
    for (let i: u64 = 1; i < count; i++) {
      f = readSectors(dev, at + i, buf);
      if (!f.ok) { res.fault = f; return finish(res, pos, seq); }
      const st = sectorState(buf);
      if (st == SectorState.Damaged) {
        res.fault = corrupt("log sector " + (at + i).toString() + " (sector " + i.toString() + " of the " + count.toString() +
          " of commit " + seq.toString() + " in half " + half.toString() + ") fails its checksum");
        return finish(res, pos, seq);
      }
      const s = new LogSector(buf);
      if (st == SectorState.Zero || !s.sameCommitAs(h) || s.index != i) { complete = false; break; }
      const off = i * per;
      n = <i32>min(per, plen - off);
      parser.feed(buf, LOG_HEADER_LEN, LOG_HEADER_LEN + n, off);
      crc = crc32cUpdate(crc, buf, LOG_HEADER_LEN, LOG_HEADER_LEN + n);
      last = s;
    }
    // Sectors of two attempts at the same place can only mix outside the fault
    // model (writes reordered); the commit checksum catches that too.
    if (!complete || crc32cFinish(crc) != last.commitCrc) break;
    parser.finish();
    if (parser.error.length > 0) {
      res.fault = corrupt("commit " + seq.toString() + " at log sector " + at.toString() + " is malformed: " + parser.error);
      break;
    }
    for (let r = 0; r < parser.records.length; r++) {
      const rec = parser.records[r];
      if (rec.op == RecordOp.Put) {
        res.keys.put(rec.key, new ValueRef(at, seq, rec.valueOffset, rec.valueLen, recordLen(rec.keyLen, <i32>rec.valueLen)));
      } else if (h.kind == CommitKind.Snapshot) {
        res.fault = corrupt("snapshot at log sector " + at.toString() + " holds a delete record");
        return finish(res, pos, seq);
      } else {
        res.keys.remove(rec.key);
      }
    }
    if (seq == 0) res.firstKind = h.kind;
    pos += count;
    seq++;
  }
  if (res.fault.ok && pos < layout.halfSectors) res.fault = lostBefore(dev, layout, half, pos, epoch, seq, buf);
  return finish(res, pos, seq);
}

function finish(res: ScanResult, pos: u64, seq: u64): ScanResult {
  res.end = pos;
  res.nextSeq = seq;
  return res;
}

/**
 * Looks past `pos`, where the log of `half` seems to end before commit `seq`.
 * Commit seq+1 is only ever written after commit seq is complete and
 * flushed, so a sealed sector of this epoch with a later sequence number
 * means commit seq (or the start of it) was lost. Sectors of commit seq
 * itself (a torn attempt) are stepped over; the search stops at the second
 * sector that is neither, which bounds it to a few reads per open.
 */
function lostBefore(dev: BlockDevice, layout: Layout, half: i32, pos: u64, epoch: u64, seq: u64, buf: Uint8Array): Fault {
  const base = layout.halfStart(half);
  let others = 0;
  for (let q = pos; q < layout.halfSectors; q++) {
    const f = readSectors(dev, base + q, buf);
    if (!f.ok) return f;
    if (sectorState(buf) == SectorState.Sealed) {
      const s = new LogSector(buf);
      if (s.magic == LOG_MAGIC && s.epoch == epoch && s.seq > seq) {
        return corrupt("the log of half " + half.toString() + " stops at sector " + (base + pos).toString() + " (commit " + seq.toString() +
          ") but sector " + (base + q).toString() + " holds commit " + s.seq.toString() + ": a sector in between was lost " +
          "(zeroed or overwritten), so committed writes are missing");
      }
      if (s.magic == LOG_MAGIC && s.epoch == epoch && s.seq == seq) continue;
    }
    if (++others > 1) break;
  }
  return Fault.none();
}

function corrupt(message: string): Fault {
  return new Fault(FaultKind.Corrupt, message);
}
