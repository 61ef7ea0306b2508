// Reads a value back through the sectors of its commit, checking each
// sector's checksum and tag, so decay after open is an error, not bad bytes.

import { BlockDevice } from "../block";
import { Fault, FaultKind } from "./errors";
import { readSectors } from "./io";
import { ValueRef } from "./keydir";
import { LOG_HEADER_LEN, Layout } from "./layout";
import { LogSector } from "./log-sector";
import { SectorState, sectorState } from "./sector";

/** Reads the value at `ref` (in a half whose sectors carry `epoch`) into `out`, which is `ref.length` bytes. */
export function readValue(dev: BlockDevice, layout: Layout, epoch: u64, ref: ValueRef, out: Uint8Array): Fault {
  assert(out.length == <i32>ref.length, "kv: value buffer of the wrong size");
  if (ref.length == 0) return Fault.none();
  const per = <u64>layout.payloadPerSector;
  const buf = new Uint8Array(layout.sectorSize);
  const end = ref.offset + <u64>ref.length;
  for (let idx = ref.offset / per; idx * per < end; idx++) {
    const at = ref.sector + idx;
    const f = readSectors(dev, at, buf);
    if (!f.ok) return f;
    const st = sectorState(buf);
    if (st != SectorState.Sealed) {
      return new Fault(FaultKind.Corrupt, "log sector " + at.toString() + " (sector " + idx.toString() + " of commit " + ref.seq.toString() + ") " +
        (st == SectorState.Zero ? "is blank" : "fails its checksum") + "; the value stored there cannot be read");
    }
    if (!new LogSector(buf).isPartOf(epoch, ref.seq, idx)) {
      return new Fault(FaultKind.Corrupt, "log sector " + at.toString() + " no longer holds sector " + idx.toString() + " of commit " + ref.seq.toString());
    }
    const from = max(ref.offset, idx * per);
    const to = min(end, (idx + 1) * per);
    const src = LOG_HEADER_LEN + <i32>(from - idx * per);
    memory.copy(out.dataStart + <usize>(from - ref.offset), buf.dataStart + <usize>src, <usize>(to - from));
  }
  return Fault.none();
}
