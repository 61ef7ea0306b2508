// `npm run bench -- compute`: the same AssemblyScript programs timed on the
// unix target (our AOT), on node (V8) and as wasm2c + gcc -O2, in one run.
// Each program times its own work with the monotonic clock and prints
// "checksum=C ns=T", so start-up is excluded and the checksums show that the
// three engines computed the same thing. The last row is the geometric mean
// over the programs every engine ran: one figure per column to compare
// compilers by, with no program weighing more for taking longer.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { formatTable, geomean, median } from "./table.ts";
import { decodeModule, validateModule } from "../wasm/index.ts";
import { compileModule } from "../aot/index.ts";
import { engines, prepare, runOnce } from "./compute-engines.ts";

/** The AOT compiler on `wasm`: decode + validate + compile, best of 3 after 2 warm-up rounds; [KB/s, code bytes]. */
function aotSpeed(wasm: Uint8Array): [number, number] {
  let best = Infinity, code = 0;
  // Two warm-up rounds first: the figure is the compiler's speed, not V8's JIT warming up on it.
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const m = decodeModule(wasm);
    validateModule(m);
    code = compileModule(m).text.length;
    if (i >= 2) best = Math.min(best, performance.now() - t0);
  }
  return [wasm.length / 1024 / (best / 1000), code];
}

/** The programs of bench/compute, all or those named; a name that is none of them is an error naming those there are. */
export function computePrograms(only?: string[]): string[] | string {
  const suite = path.join(repoRoot, "bench", "compute");
  const all = readdirSync(suite).filter((d) => existsSync(path.join(suite, d, "config.ts"))).sort();
  const unknown = (only ?? []).filter((n) => !all.includes(n));
  if (unknown.length > 0) return `no compute program ${unknown.join(", ")}; there are ${all.join(", ")}`;
  return only ? all.filter((d) => only.includes(d)) : all;
}

/** Runs the compute suite; `runs` repetitions per engine, median reported. */
export async function computeBench(opts: { runs: number; scale?: number; only?: string[] }): Promise<number> {
  const suite = path.join(repoRoot, "bench", "compute");
  const programs = computePrograms(opts.only);
  if (typeof programs === "string") { process.stderr.write(`bench: ${programs}\n`); return 2; }
  const args = opts.scale ? [`--scale=${opts.scale}`] : [];
  // The times are wall time: other work on the host inflates them, so the table says how busy it was.
  const loadBefore = loadavg()[0]!;
  const rows: string[][] = [];
  const notes: string[] = [];
  /** Per program that ran on every engine: its median time on each. */
  const complete: number[][] = [];
  let failures = 0;
  for (const name of programs) {
    const dir = path.join(suite, name);
    const ms: (number | null)[] = [];
    const sums = new Set<string>();
    for (const e of engines) {
      const p = await prepare(e, dir, name);
      if (!("cmd" in p)) { if (p.failure) failures++; ms.push(null); notes.push(p.failure ? `${name} on ${e.name}: ${p.why}` : `${e.name}: ${p.why}`); continue; }
      const cmd = p.cmd;
      const times: number[] = [];
      let err = "";
      for (let i = 0; i < opts.runs; i++) {
        const r = runOnce(cmd, args);
        if (typeof r === "string") { err = r; break; }
        sums.add(r.checksum);
        times.push(r.ns / 1e6);
      }
      if (err) { failures++; ms.push(null); notes.push(`${name} on ${e.name}: ${err}`); continue; }
      ms.push(median(times));
      process.stderr.write(`bench: ${name} on ${e.name}: ${median(times).toFixed(1)} ms\n`);
    }
    const base = ms[2];
    const ratio = (v: number | null | undefined): string => (v == null || base == null ? "n/a" : (v / base).toFixed(2) + "x");
    if (sums.size > 1) { failures++; notes.push(`${name}: checksums differ between engines: ${[...sums].join(" vs ")}`); }
    if (ms.every((v) => v !== null)) complete.push(ms as number[]);
    const wasmFile = path.join(dir, "_build", "node", "app.wasm");
    let compiler = ["n/a", "n/a", "n/a"];
    if (existsSync(wasmFile)) {
      const wasm = readFileSync(wasmFile);
      try {
        const [kbps, code] = aotSpeed(wasm);
        compiler = [(wasm.length / 1024).toFixed(1), (code / 1024).toFixed(1), kbps.toFixed(0)];
      } catch (e) {
        compiler = [(wasm.length / 1024).toFixed(1), "n/a", "n/a"];
        notes.push(`${name}: the AOT compiler failed: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    rows.push([name, ...ms.map((v) => (v == null ? "n/a" : v.toFixed(1))), ratio(ms[0]), ratio(ms[1]), sums.size === 1 ? "same" : sums.size === 0 ? "n/a" : "DIFFER", ...compiler]);
  }
  if (complete.length > 0) {
    const g = (i: number): number => geomean(complete.map((t) => t[i]!));
    const gr = (i: number): string => geomean(complete.map((t) => t[i]! / t[2]!)).toFixed(2) + "x";
    rows.push([`geomean (${complete.length})`, g(0).toFixed(1), g(1).toFixed(1), g(2).toFixed(1), gr(0), gr(1), "", "", "", ""]);
  }
  process.stdout.write("\n" + formatTable(["program", "unix ms", "node ms", "wasm2c ms", "unix/w2c", "node/w2c", "checksums", "wasm KiB", "x86 KiB", "AOT KB/s"], rows) + "\n");
  process.stdout.write(`\nwork time inside the program (monotonic clock), median of ${opts.runs} runs; lower is better.\n`);
  process.stdout.write(`host: ${availableParallelism()} CPUs, load average ${loadBefore.toFixed(1)} before the run and ${loadavg()[0]!.toFixed(1)} after (above about ${availableParallelism() - 1}, other work competes with the programs and inflates their times).\n`);
  if (complete.length > 0) process.stdout.write(`geomean: geometric mean over the ${complete.length} program${complete.length === 1 ? "" : "s"} that ran on all three engines, of each time and of each ratio.\n`);
  process.stdout.write(`AOT KB/s: wasm kilobytes per second through decode + validate + compile (best of 3 after 2 warm-up rounds); x86 KiB: generated code.\n`);
  process.stdout.write(`Where the time goes: npm run bench -- compute --profile PROGRAM.\n`);
  for (const n of [...new Set(notes)]) process.stdout.write(`note: ${n}\n`);
  return failures === 0 ? 0 : 1;
}
