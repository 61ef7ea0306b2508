// Crash consistency of lib/kv on kvm: the block fixture's crash mode (a kv
// workload printing "ack" once each operation is flushed) in a VM whose QEMU
// gets SIGKILL at random instants — the power cut, with the image file
// keeping what QEMU had handed to the host. Each next VM lists what it
// recovered, which must be the state after the acknowledged operations or
// after one more (the one in flight): test/block/crash.ts's invariant. Two
// chains of VMs on two disks run side by side (one on microvm, one on q35).
import { describe, expect, it } from "vitest";
import { disks, type Ran } from "../block/fixture.ts";
import { after, parse, same, show, type State } from "../block/crash.ts";
import { accel, buildImage, fixtureDisks, runVm, runVmKilled, type Vm } from "./qemu.ts";

const POINTS = 200;
const WINDOW_MS = 400;

/** xorshift32: a failing seed replays exactly. */
function rng(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

interface Tally { kills: number; completed: number; validated: number; keys: number; acked: number; inFlight: number; beforeWorkload: number }

/**
 * One chain of `points` killed VMs and a last one that checks the last crash.
 * Each kill comes at a random instant from 0.7 of the time a VM takes to
 * list its store ("dumped", when the workload starts) to WINDOW_MS (or that
 * time again) past it.
 * That time is the median of the last few runs that got there, not a figure
 * measured once: under TCG the machine's load stretches a boot several
 * times over, and a window measured on a quiet machine put most kills
 * before the workload when load came.
 */
async function chain(image: string, machine: Vm["machine"], points: number, seed: number, starts: number[]): Promise<Tally & { minMs: number; maxMs: number }> {
  const random = rng(seed);
  const d = disks();
  const vm: Vm = { machine, disks: fixtureDisks(d.disk, d.ro) };
  let candidates: State[] = [new Map()];
  let previous = "none (an empty disk)";
  const recent = [...starts];
  const t = { minMs: Infinity, maxMs: 0, kills: 0, completed: 0, validated: 0, keys: 0, acked: 0, inFlight: 0, beforeWorkload: 0 };
  for (let run = 1; run <= points + 1; run++) {
    const last = run === points + 1;
    const start = [...recent].sort((a, b) => a - b)[recent.length >> 1]!;
    // Past the listing: WINDOW_MS, or as long as the listing took when load
    // slows everything (and the estimate lags it).
    const [minMs, maxMs] = [Math.max(1, Math.floor(start * 0.7)), Math.ceil(start) + Math.max(WINDOW_MS, Math.ceil(start))];
    const delay = minMs + Math.floor(random() * (maxMs - minMs));
    const args = ["--mode=crash", `--run=${run}`, `--ops=${last ? 0 : 5000}`];
    let r: Ran;
    if (last) r = runVm(image, vm, args);
    else {
      t.minMs = Math.min(t.minMs, minMs);
      t.maxMs = Math.max(t.maxMs, maxMs);
      const killed = await runVmKilled(image, vm, args, delay, "dumped");
      // Killed before it listed: that took longer than `delay`, by an
      // unknown amount; a fifth more lets the estimate climb when load grows.
      recent.push(killed.markMs ?? delay * 1.2);
      r = killed;
      if (recent.length > 5) recent.shift();
    }
    const out = parse(r.stdout);
    const where = `${machine}, seed ${seed}, run ${run} (killed after ${delay} ms of ${minMs}..${maxMs})`;
    expect(out.errors, `${where}: ${r.stdout.slice(-500)} ${r.stderr}`).toEqual([]);
    if (r.signal === "SIGKILL") t.kills++;
    else {
      expect(r.status, `${where}: ${r.stderr}`).toBe(0);
      expect(out.done, `${where}: status 0 without "done"; its output ended ${JSON.stringify(r.stdout.slice(-200))} ${r.stderr}`).toBe(true);
      t.completed++;
    }
    if (out.found === null) { // killed while booting, recovering or listing: the candidates still stand
      t.beforeWorkload++;
      continue;
    }
    const match = candidates.find((c) => same(c, out.found!));
    expect(match, `${where}: found {${show(out.found)}}, expected one of\n${candidates.map((c) => `{${show(c)}}`).join("\n")}\nthe run that made the candidates: ${previous}`).toBeDefined();
    t.validated++;
    if (candidates.length === 2 && match === candidates[1]) t.inFlight++;
    t.keys += out.found.size;
    t.acked += out.acks.length;
    // What a failure must show: how the run that set the candidates ended, in its own words.
    previous = `run ${run}, ${r.signal ?? `status ${r.status}`} after ${delay} ms, ${out.acks.length} acks${out.done ? ", done" : ""}; its output ended ${JSON.stringify(r.stdout.slice(-160))}`;
    candidates = out.done ? [after(out.found, run, out.acks.length)] : [after(out.found, run, out.acks.length), after(out.found, run, out.acks.length + 1)];
  }
  return t;
}

/** Three times a VM of `machine` takes to boot and list an empty store (q35's firmware is slower): the chain's first estimate. */
function startTimes(image: string, machine: Vm["machine"]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const d = disks();
    const s0 = performance.now();
    runVm(image, { machine, disks: fixtureDisks(d.disk, d.ro) }, ["--mode=crash", "--ops=0"]);
    starts.push(performance.now() - s0);
  }
  return starts;
}

describe(`kv crash consistency on kvm under QEMU (${accel.toUpperCase()})`, () => {
  it(`loses or corrupts no acknowledged operation over ${POINTS} SIGKILLs of QEMU at random instants`, async () => {
    const seed = Number(process.env["ATOLL_CRASH_SEED"] ?? Date.now() % 1_000_000);
    const image = buildImage("test/fixtures/block", "blocktest");
    const t0 = performance.now();
    const microvm = startTimes(image, "microvm"), q35 = startTimes(image, "q35");
    const tallies = await Promise.all([
      chain(image, "microvm", POINTS / 2, seed, microvm),
      chain(image, "q35", POINTS / 2, seed + 1, q35),
    ]);
    const sum = (k: keyof Tally): number => tallies.reduce((n, t) => n + t[k], 0);
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(`crash test on kvm (${accel}): seed ${seed}, ${sum("kills")} kills (microvm ${tallies[0]!.kills}, q35 ${tallies[1]!.kills}), ${sum("completed")} runs completed, ${sum("validated")} recovered states checked (${sum("keys")} keys), ${sum("acked")} acknowledged operations (kill windows within ${tallies[0]!.minMs}..${tallies[0]!.maxMs} ms after QEMU started on microvm, ${tallies[1]!.minMs}..${tallies[1]!.maxMs} on q35); ${sum("inFlight")} times the operation in flight had committed unacknowledged, ${sum("beforeWorkload")} kills before the workload; ${seconds.toFixed(1)} s\n`);
    expect(sum("kills")).toBeGreaterThanOrEqual(POINTS * 0.95);
    expect(sum("validated")).toBeGreaterThanOrEqual(POINTS * 0.5);
    expect(sum("acked")).toBeGreaterThan(POINTS); // the kills landed inside the workload, not only before it
  }, 600_000);
});
