// lib/kv under power loss. A deterministic workload runs once on a traced
// device; then, for every write it issued and every sector boundary inside
// that write, the disk is rebuilt as power loss at that instant would leave
// it, the store is reopened, and checked:
//   - every operation that returned before the lost write holds (committed);
//   - the key of the operation in progress holds its old or its new value;
//   - no other key appears, and no key holds anything else;
//   - the recovered store takes further writes, and those survive a second
//     power loss at one point of their own trace as well.
import { KvStore } from "atoll/kv/store";
import { DeleteError, SetError } from "atoll/kv/errors";
import { AbiConsole } from "atoll/console";
import { MemDevice, deviceFrom } from "./blockdev";
import { Model, Rng, diff, sameBytes } from "./kv-model";

const out = new AbiConsole();

/** One operation of the workload, with the trace writes it issued. */
class Step {
  constructor(
    readonly key: string, readonly value: Uint8Array | null, readonly wStart: i32, readonly wEnd: i32,
    readonly before: Model, readonly after: Model,
  ) {}
}

class Workload {
  constructor(readonly keyspace: u32, readonly maxValue: u32) {}

  /** Runs `n` random operations on `s` (over `dev`), updating `m`; returns what each did. */
  run(s: KvStore, dev: MemDevice, m: Model, rng: Rng, n: i32): Step[] {
    const steps: Step[] = [];
    for (let i = 0; i < n; i++) {
      const key = "key" + rng.below(this.keyspace).toString();
      const before = m.clone();
      const wStart = dev.trace.length;
      let value: Uint8Array | null = null;
      if (rng.below(10) < 2) {
        const r = s.delete(key);
        assert(r.ok || r.error == DeleteError.NotFound, r.message);
        if (r.ok) m.delete(key);
        assert(!r.ok || dev.pending == 0, "delete returned Ok before flushing");
      } else {
        value = rng.bytes(<i32>rng.below(this.maxValue + 1));
        const r = s.set(key, value);
        assert(r.ok || r.error == SetError.Full, r.message);
        if (r.ok) m.set(key, value!);
        assert(!r.ok || dev.pending == 0, "set returned Ok before flushing");
      }
      steps.push(new Step(key, value, wStart, dev.trace.length, before, m.clone()));
    }
    return steps;
  }
}

/** The step whose writes include trace write `k`, or -1. */
function stepAt(steps: Step[], k: i32): i32 {
  for (let i = 0; i < steps.length; i++) if (steps[i].wStart <= k && k < steps[i].wEnd) return i;
  return -1;
}

/** The state a reopened store must show when power was lost at write k: the model before the step in progress. */
function modelAt(steps: Step[], k: i32, initial: Model): Model {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i].wEnd <= k) return steps[i].after;
  return initial;
}

/** True when the store's value for `key` is `m`'s (present or absent). */
function holds(s: KvStore, key: string, m: Model): bool {
  const r = s.get(key);
  if (!m.has(key)) return !r.ok && !s.has(key);
  return r.ok && sameBytes(r.value!, m.get(key));
}

/**
 * Checks the store reopened on `img` against `steps` for power loss at (k, torn);
 * returns the model it actually holds (the step in progress resolved one way or the other).
 */
function check(img: Uint8Array, size: u32, steps: Step[], k: i32, torn: i32, initial: Model, where: string, exact: bool = true): Model {
  const d = deviceFrom("disk", size, img);
  const r = KvStore.open(d);
  assert(r.ok, where + ": " + r.message);
  const s = r.store!;
  const committed = modelAt(steps, k, initial);
  const i = stepAt(steps, k);
  if (i < 0 || (exact && k == steps[i].wStart && torn == 0)) {
    const e = diff(s, committed);
    assert(e == "", where + ": " + e);
    return committed;
  }
  const step = steps[i];
  const oldOk = holds(s, step.key, step.before);
  const newOk = holds(s, step.key, step.after);
  assert(oldOk || newOk, where + ": key '" + step.key + "' holds neither its old nor its new value");
  const resolved = (newOk ? step.after : step.before).clone();
  const e = diff(s, resolved);
  assert(e == "", where + ": " + e);
  return resolved;
}

/** Runs the workload on a traced device, then checks power loss at every write and sector boundary. Returns the number of points. */
function crashEverywhere(sectors: u64, size: u32, w: Workload, ops: i32, seed: u32, minLiveSectors: u64 = 0): i32 {
  const dev = new MemDevice("disk", size, sectors);
  const opened = KvStore.open(dev); // the format is traced too
  assert(opened.ok, opened.message);
  const s = opened.store!;
  const initial = new Model();
  const m = new Model();
  const steps = w.run(s, dev, m, new Rng(seed), ops);
  assert(s.compactions >= 3, "the workload should compact a few times, not " + s.compactions.toString());
  assert(s.liveSectors >= minLiveSectors, "the live data should take at least " + minLiveSectors.toString() + " sectors, not " + s.liveSectors.toString());
  let points = 0;
  for (let k = 0; k <= dev.trace.length; k++) {
    const n = k < dev.trace.length ? dev.writeSectors(k) : 1;
    for (let torn = 0; torn < n; torn++) {
      const where = "power loss at write " + k.toString() + " after " + torn.toString() + " sectors";
      const img = dev.imageAfterPowerLoss(k, torn);
      const resolved = check(img, size, steps, k, torn, initial, where);
      points++;
      // The recovered store goes on: more writes, and a power loss among them.
      const d2 = deviceFrom("disk", size, img);
      const s2 = KvStore.open(d2).store!;
      d2.startTrace();
      const m2 = resolved.clone();
      const rng = new Rng(seed ^ <u32>(k * 7919 + torn * 104729 + 1));
      const steps2 = w.run(s2, d2, m2, rng, 4);
      const e = diff(KvStore.open(deviceFrom("disk", size, d2.data)).store!, m2);
      assert(e == "", where + ", then 4 more operations: " + e);
      if (d2.trace.length > 0) {
        const k2 = <i32>rng.below(<u32>d2.trace.length);
        const t2 = <i32>rng.below(<u32>d2.writeSectors(k2));
        check(d2.imageAfterPowerLoss(k2, t2), size, steps2, k2, t2, resolved, where + ", then again at write " + k2.toString());
      }
    }
  }
  return points;
}

/** Like crashEverywhere, with `tries` random landings of the writes since the last flush per write. */
function crashReordered(sectors: u64, size: u32, w: Workload, ops: i32, seed: u32, tries: i32): i32 {
  const dev = new MemDevice("disk", size, sectors);
  const s = KvStore.open(dev).store!;
  const initial = new Model();
  const steps = w.run(s, dev, new Model(), new Rng(seed), ops);
  let points = 0;
  for (let k = 0; k < dev.trace.length; k++) {
    for (let t = 0; t < tries; t++) {
      const mix = seed ^ <u32>(k * 31 + t * 1000003 + 7);
      check(dev.imageAfterReorderedLoss(k, mix), size, steps, k, 0, initial, "reordered loss at write " + k.toString() + " (mix " + mix.toString() + ")", false);
      points++;
    }
  }
  return points;
}

export function test_power_loss_at_every_write_of_a_small_busy_store(): void {
  // Halves of 23 sectors, values up to three sectors: a compaction every few
  // operations, and Full now and then.
  const points = crashEverywhere(48, 512, new Workload(10, 1100), 160, 12345);
  assert(points >= 200, points.toString());
  out.log("kv crash points (small store): " + points.toString());
}

export function test_power_loss_at_every_write_with_multi_chunk_snapshots(): void {
  // Halves of 99 sectors: snapshots span several device writes.
  const points = crashEverywhere(200, 512, new Workload(24, 3000), 80, 777, 33); // more than one 32-sector write
  assert(points >= 200, points.toString());
  out.log("kv crash points (large values): " + points.toString());
}

export function test_power_loss_with_4096_byte_sectors(): void {
  const points = crashEverywhere(40, 4096, new Workload(8, 9000), 80, 4242);
  assert(points >= 100, points.toString());
  out.log("kv crash points (4096-byte sectors): " + points.toString());
}

export function test_power_loss_on_a_disk_that_reorders_writes_between_flushes(): void {
  const points = crashReordered(48, 512, new Workload(10, 1100), 160, 999, 4) + crashReordered(200, 512, new Workload(24, 3000), 60, 31337, 4);
  assert(points >= 200, points.toString());
  out.log("kv crash points (reordering disk): " + points.toString());
}
