// Crash consistency of lib/kv through a driver and a runtime: the block
// fixture's crash mode runs a deterministic workload, printing an ack once
// each operation is on stable storage, and is killed with SIGKILL at random
// instants; each next run lists what it recovered, which must be the state
// after the acknowledged operations, or after one more (the one in flight).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { buildFixture, disks, runArtefact, runKilled, type HostTarget, type Ran } from "./fixture.ts";

export type State = Map<string, string>;

/** The fixture's workload, operation `i` of run `run` (opKey, opValue in its unikernel.ts). */
function apply(state: State, run: number, i: number): void {
  const key = "k" + ((run * 7 + i * 3) % 17);
  if (i % 5 === 4) state.delete(key);
  else state.set(key, `r${run}i${i}_` + "x".repeat((run * 13 + i * 29) % 200));
}

export function after(pre: State, run: number, ops: number): State {
  const s = new Map(pre);
  for (let i = 0; i < ops; i++) apply(s, run, i);
  return s;
}

export function same(a: State, b: State): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

export function show(s: State): string {
  return [...s].sort().map(([k, v]) => `${k}=${v.slice(0, 12)}${v.length > 12 ? "…" : ""}`).join(" ");
}

/** What a crash-mode run printed: the state it found (null when killed before it finished the dump), its acks, and whether it finished. */
export function parse(stdout: string): { found: State | null; acks: string[]; done: boolean; errors: string[] } {
  const lines = stdout.split("\n");
  const complete = lines.slice(0, -1); // after the last newline: "" or a line cut short by the kill
  const found: State = new Map();
  let dumped = false;
  const acks: string[] = [];
  const errors: string[] = [];
  for (const l of complete) {
    if (l.startsWith("have ")) {
      const [, k, v] = l.split(" ");
      found.set(k!, v ?? "");
    } else if (l === "dumped") dumped = true;
    else if (l.startsWith("ack ")) acks.push(l);
    else if (l.startsWith("error")) errors.push(l);
  }
  return { found: dumped ? found : null, acks, done: complete.includes("done"), errors };
}

/** A small deterministic generator, so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `points` kill points on `target`. The delays are scaled to how long the
 * artefact takes to start and list an empty store on this machine now (a
 * loaded machine starts Node slowly): from 0.7 of that to `windowMs` past it.
 */
export function crashTest(target: HostTarget, points: number, windowMs: number): void {
  // The run's length follows the start-up time it measures, which a busy
  // machine stretches (200 points on node: about 40 s alone, over vitest's
  // default 60 s beside other work): the limit allows a second per point past the window.
  it(`loses or corrupts no acknowledged operation over ${points} SIGKILLs at random instants`, async () => {
    const seed = Number(process.env.ATOLL_CRASH_SEED ?? Date.now() % 1_000_000);
    const exe = buildFixture(target);
    const random = rng(seed);
    const d = disks();
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      runArtefact(target, exe, [...disks().args, "--mode=crash", "--ops=0"]);
      starts.push(performance.now() - s0);
    }
    const start = starts.sort((a, b) => a - b)[1]!;
    const minMs = Math.max(1, Math.floor(start * 0.7)), maxMs = Math.ceil(start) + windowMs;
    const t0 = performance.now();
    // The states the disk may hold: after the acknowledged operations of the
    // last run that started its workload, or after one more (the one in flight).
    let candidates: State[] = [new Map()];
    let kills = 0, validated = 0, keysChecked = 0, completed = 0, acked = 0, inFlight = 0, beforeWorkload = 0;
    for (let run = 1; run <= points + 1; run++) {
      const last = run === points + 1; // a final run, never killed, checks the last crash
      const delay = minMs + Math.floor(random() * (maxMs - minMs));
      const args = [...d.args, "--mode=crash", `--run=${run}`, `--ops=${last ? 0 : 5000}`];
      const r = last ? runArtefact(target, exe, args) : await runKilled(target, exe, args, delay);
      const out = parse(r.stdout);
      const where = `seed ${seed}, run ${run} (killed after ${delay} ms of ${minMs}..${maxMs})`;
      expect(out.errors, `${where}: ${r.stderr}`).toEqual([]);
      if (r.signal === "SIGKILL") kills++;
      else {
        expect(r.status, `${where}: ${r.stderr}`).toBe(0);
        expect(out.done, where).toBe(true);
        completed++;
      }
      if (out.found === null) { // killed while recovering or listing: the candidates still stand
        beforeWorkload++;
        continue;
      }
      const match = candidates.find((c) => same(c, out.found!));
      expect(match, `${where}: found {${show(out.found)}}, expected one of\n${candidates.map((c) => `{${show(c)}}`).join("\n")}`).toBeDefined();
      validated++;
      if (candidates.length === 2 && match === candidates[1]) inFlight++;
      keysChecked += out.found.size;
      acked += out.acks.length;
      candidates = out.done ? [after(out.found, run, out.acks.length)] : [after(out.found, run, out.acks.length), after(out.found, run, out.acks.length + 1)];
    }
    const seconds = (performance.now() - t0) / 1000;
    process.stderr.write(`crash test on ${target}: seed ${seed}, ${kills} kills, ${completed} runs completed, ${validated} recovered states checked (${keysChecked} keys), ${acked} acknowledged operations (kills ${minMs}..${maxMs} ms after the start); ${inFlight} times the operation in flight had committed unacknowledged, ${beforeWorkload} kills during recovery or listing; ${seconds.toFixed(1)} s\n`);
    expect(kills).toBeGreaterThanOrEqual(points * 0.95);
    expect(validated).toBeGreaterThanOrEqual(points * 0.5);
  }, points * (1000 + windowMs));
}

/**
 * A store is damaged one sector at a time (one flipped bit in each of its
 * first 64 sectors, on a copy in `dir`): `list(file)` runs the fixture's
 * crash mode with --ops=0 on the copy; each run must report the damage with
 * a clear error (status 1, nothing listed before it) or recover exactly
 * `expected`, and at least one must report it.
 */
export function damagedSweep(label: string, pristine: Buffer, expected: State, dir: string, list: (file: string) => Ran): void {
  const copy = path.join(dir, "damaged.img");
  let errors = 0, intact = 0;
  const messages = new Set<string>();
  for (let sector = 0; sector < 64; sector++) {
    const bad = Buffer.from(pristine);
    bad[sector * 512 + 100]! ^= 0x40;
    writeFileSync(copy, bad);
    const r = list(copy);
    const out = parse(r.stdout);
    if (out.errors.length > 0) {
      expect(r.status, `sector ${sector}`).toBe(1);
      expect(out.found, `sector ${sector}: nothing is listed before the error`).toBeNull();
      messages.add(out.errors[0]!.replace(/\d+/g, "N"));
      errors++;
    } else {
      expect(r.status, `sector ${sector}: ${r.stdout}`).toBe(0);
      expect(same(out.found!, expected), `sector ${sector}: found {${show(out.found!)}}`).toBe(true);
      intact++;
    }
  }
  process.stderr.write(`${label}, damaged sectors: ${errors} reported, ${intact} recovered intact; messages:\n  ${[...messages].join("\n  ")}\n`);
  expect(errors).toBeGreaterThan(0);
  for (const m of messages) expect(m).toMatch(/checksum|damaged|corrupt/i);
}
