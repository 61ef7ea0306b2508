import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";
import { BlockDevice, BlockResult } from "atoll/block";
import { exit } from "atoll/exit";

const CHUNK: i32 = 1 << 20;
const SMALL: i32 = 4096;

/**
 * Times, on the whole device: a sequential write in 1 MiB calls then a
 * flush, a sequential read in 1 MiB calls, then `ops` random 4 KiB reads and
 * `ops` random 4 KiB writes followed by one flush. Prints one line per test:
 * "NAME bytes=B ns=T".
 */
export function start(out: Console, clock: Clock, args: Args, disk: BlockDevice): void {
  const ops = <i32>args.int("ops");
  const spc = <u64>(CHUNK / <i32>disk.sectorSize);
  const chunks = disk.sectorCount / spc;
  const big = new Uint8Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) big[i] = <u8>(i * 31);

  let t0 = clock.monotonic();
  for (let c: u64 = 0; c < chunks; c++) ok(out, disk.write(c * spc, big));
  ok(out, disk.flush());
  report(out, "seq-write", chunks * <u64>CHUNK, clock.monotonic() - t0);

  t0 = clock.monotonic();
  for (let c: u64 = 0; c < chunks; c++) ok(out, disk.read(c * spc, big));
  report(out, "seq-read", chunks * <u64>CHUNK, clock.monotonic() - t0);

  const small = new Uint8Array(SMALL);
  const spb = <u64>(SMALL / <i32>disk.sectorSize);
  const blocks = disk.sectorCount / spb;
  let x: u64 = 0x9e3779b97f4a7c15;
  t0 = clock.monotonic();
  for (let i = 0; i < ops; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    ok(out, disk.read((x % blocks) * spb, small));
  }
  report(out, "rand-read", <u64>ops * <u64>SMALL, clock.monotonic() - t0);

  t0 = clock.monotonic();
  for (let i = 0; i < ops; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    ok(out, disk.write((x % blocks) * spb, small));
  }
  ok(out, disk.flush());
  report(out, "rand-write", <u64>ops * <u64>SMALL, clock.monotonic() - t0);
}

function ok(out: Console, r: BlockResult): void {
  if (r == BlockResult.Ok) return;
  out.log("error: block result " + (<i32>r).toString());
  exit(1);
}

function report(out: Console, name: string, bytes: u64, ns: i64): void {
  out.log(name + " bytes=" + bytes.toString() + " ns=" + ns.toString());
}
