// Device calls with their failures turned into Faults whose messages say
// which sectors and what the device answered.

import { BlockDevice, BlockResult } from "../block";
import { Fault, FaultKind } from "./errors";

function describe(r: BlockResult): string {
  switch (r) {
    case BlockResult.OutOfRange: return "the range is past the end of the device";
    case BlockResult.Unaligned: return "the buffer is not a whole number of sectors";
    case BlockResult.ReadOnly: return "the device is read-only";
    case BlockResult.DeviceError: return "the device reported an error";
    default: return "result " + (<i32>r).toString();
  }
}

function span(first: u64, buf: Uint8Array, dev: BlockDevice): string {
  const n = <u64>buf.length / <u64>dev.sectorSize;
  return n == 1 ? "sector " + first.toString() : "sectors " + first.toString() + ".." + (first + n - 1).toString();
}

/** Reads whole sectors from `first` into `buf`. */
export function readSectors(dev: BlockDevice, first: u64, buf: Uint8Array): Fault {
  const r = dev.read(first, buf);
  if (r == BlockResult.Ok) return Fault.none();
  return new Fault(FaultKind.Device, "reading " + span(first, buf, dev) + " failed: " + describe(r));
}

/** Writes whole sectors from `first`; durable only after flushDevice. */
export function writeSectors(dev: BlockDevice, first: u64, buf: Uint8Array): Fault {
  const r = dev.write(first, buf);
  if (r == BlockResult.Ok) return Fault.none();
  return new Fault(FaultKind.Device, "writing " + span(first, buf, dev) + " failed: " + describe(r));
}

/** Waits until every completed write is on stable storage. */
export function flushDevice(dev: BlockDevice): Fault {
  const r = dev.flush();
  if (r == BlockResult.Ok) return Fault.none();
  return new Fault(FaultKind.Device, "flush failed: " + describe(r));
}
