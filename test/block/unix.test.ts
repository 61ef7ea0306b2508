// The block devices of the unix target: the driver through the unix runtime
// (contract.ts); crash consistency of lib/kv on it, the process killed with
// SIGKILL at random instants; and a damaged disk file reported, never trusted.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, disks, runArtefact, runKilled } from "./fixture.ts";
import { contractSuite } from "./contract.ts";

contractSuite("unix");

type State = Map<string, string>;

/** The fixture's workload, operation `i` of run `run` (opKey, opValue in its unikernel.ts). */
function apply(state: State, run: number, i: number): void {
  const key = "k" + ((run * 7 + i * 3) % 17);
  if (i % 5 === 4) state.delete(key);
  else state.set(key, `r${run}i${i}_` + "x".repeat((run * 13 + i * 29) % 200));
}

function after(pre: State, run: number, ops: number): State {
  const s = new Map(pre);
  for (let i = 0; i < ops; i++) apply(s, run, i);
  return s;
}

function same(a: State, b: State): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

function show(s: State): string {
  return [...s].sort().map(([k, v]) => `${k}=${v.slice(0, 12)}${v.length > 12 ? "…" : ""}`).join(" ");
}

/** What a crash-mode run printed: the state it found (null when killed before it finished the dump), its acks, and whether it finished. */
function parse(stdout: string): { found: State | null; acks: string[]; done: boolean; errors: string[] } {
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

describe("kv on unix: crash consistency and damaged disks", () => {
  const exe = buildFixture("unix");

  it("loses or corrupts no acknowledged operation over 250 SIGKILLs at random instants", async () => {
    const seed = Number(process.env.ATOLL_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const d = disks();
    const t0 = performance.now();
    // The states the disk may hold: after the acknowledged operations of the
    // last run that started its workload, or after one more (the one in flight).
    let candidates: State[] = [new Map()];
    let kills = 0, validated = 0, keysChecked = 0, completed = 0, acked = 0, inFlight = 0, beforeWorkload = 0;
    const points = 250;
    for (let run = 1; run <= points + 1; run++) {
      const last = run === points + 1; // a final run, never killed, checks the last crash
      const delay = 1 + Math.floor(random() * 40);
      const args = [...d.args, "--mode=crash", `--run=${run}`, `--ops=${last ? 0 : 1000}`];
      const r = last ? runArtefact("unix", exe, args) : await runKilled("unix", exe, args, delay);
      const out = parse(r.stdout);
      const where = `seed ${seed}, run ${run} (killed after ${delay} ms)`;
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
    process.stderr.write(`crash test: seed ${seed}, ${kills} kills, ${completed} runs completed, ${validated} recovered states checked (${keysChecked} keys), ${acked} acknowledged operations; ${inFlight} times the operation in flight had committed unacknowledged, ${beforeWorkload} kills during recovery or listing; ${seconds.toFixed(1)} s\n`);
    expect(kills).toBeGreaterThanOrEqual(200);
    expect(validated).toBeGreaterThanOrEqual(200);
  });

  it("reports a damaged sector with a clear error, never a wrong state: every sector of a store damaged in turn", () => {
    const d = disks();
    const fill = runArtefact("unix", exe, [...d.args, "--mode=crash", "--run=3", "--ops=80"]);
    expect(parse(fill.stdout).done).toBe(true);
    const expected = after(new Map(), 3, 80);
    const image = readFileSync(d.disk);
    const copy = path.join(d.dir, "damaged.img");
    let errors = 0, intact = 0;
    const messages = new Set<string>();
    for (let sector = 0; sector < 64; sector++) {
      const bad = Buffer.from(image);
      bad[sector * 512 + 100] ^= 0x40;
      writeFileSync(copy, bad);
      const r = runArtefact("unix", exe, [`--atoll-disk=disk=${copy}`, d.args[1]!, "--mode=crash", "--ops=0"]);
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
    process.stderr.write(`damaged sectors: ${errors} reported, ${intact} recovered intact; messages:\n  ${[...messages].join("\n  ")}\n`);
    expect(errors).toBeGreaterThan(0);
    for (const m of messages) expect(m).toMatch(/checksum|damaged|corrupt/i);
    copyFileSync(d.disk, copy);
  });
});
