// `npm run fuzz`: the differential fuzzer of tools/aot against V8.
//
//   npm run fuzz -- [--seconds N] [--seed S] [--modules N] [--first K]
//                   [--jobs N] [--aot v1|v2] [--reduce-seconds N] [--no-reduce]
//   npm run fuzz -- check FILE.wasm [--kind KIND] [--quiet] [--run-timeout S] [--aot v1|v2]
//
// The first form runs modules K, K+1... of seed S (default: random, and
// printed) for N seconds (default 60) or N modules, on --jobs worker
// processes (default: one per core), printing progress, then the totals and
// the command that reproduces the run. Each mismatching module is shrunk
// with wasm-reduce (at most --reduce-seconds each, default 300) and saved
// under test/aot/fuzz-regressions/. Exit status 1 on any mismatch.
//
// `check` runs one module (already instrumented, as saved) both ways and
// exits 1 when they differ (with --kind, only for a mismatch of that kind):
// wasm-reduce's command, and a way to look at a saved regression.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { runCampaign, type Finding, type Totals } from "./campaign.ts";
import { checkModule } from "./check.ts";
import { describeMismatch, type Mismatch, type MismatchKind } from "./compare.ts";
import { reduceModule } from "./reduce.ts";
import { regressionName, regressionOf, saveRegression } from "./regressions.ts";

/** Mismatches reduced and saved per run, the first ones found. */
const MAX_SAVED = 5;

const USAGE = `usage: npm run fuzz -- [--seconds N] [--seed S] [--modules N] [--first K] [--jobs N] [--aot v1|v2] [--reduce-seconds N] [--no-reduce]
       npm run fuzz -- check FILE.wasm [--kind KIND] [--quiet] [--run-timeout SECONDS] [--aot v1|v2]
`;

interface Args {
  command: "run" | "check" | "worker";
  file?: string;
  seconds?: number;
  modules?: number;
  seed: number;
  first: number;
  jobs: number;
  kind?: MismatchKind;
  quiet: boolean;
  reduce: boolean;
  reduceSeconds: number;
  /** How long one image may run, in seconds (check). */
  runTimeout?: number;
  stride?: { of: number; mine: number };
}

function parse(argv: string[]): Args | string {
  const args: Args = { command: "run", seed: Math.floor(Math.random() * 1e9), first: 0, jobs: availableParallelism(), quiet: false, reduce: true, reduceSeconds: 300 };
  const rest = [...argv];
  if (rest[0] === "check" || rest[0] === "worker") args.command = rest.shift() as "check" | "worker";
  const int = (flag: string, v: string | undefined, min = 0): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new Error(`${flag} takes a whole number${min > 0 ? ` >= ${min}` : ""}`);
    return n;
  };
  try {
    while (rest.length > 0) {
      const a = rest.shift()!;
      switch (a) {
        case "--seconds":
          args.seconds = int(a, rest.shift(), 1);
          break;
        case "--modules":
          args.modules = int(a, rest.shift(), 1);
          break;
        case "--seed":
          args.seed = int(a, rest.shift());
          break;
        case "--first":
          args.first = int(a, rest.shift());
          break;
        case "--jobs":
          args.jobs = int(a, rest.shift(), 1);
          break;
        case "--reduce-seconds":
          args.reduceSeconds = int(a, rest.shift(), 1);
          break;
        case "--no-reduce":
          args.reduce = false;
          break;
        case "--kind":
          args.kind = rest.shift() as MismatchKind;
          break;
        case "--quiet":
          args.quiet = true;
          break;
        case "--run-timeout":
          args.runTimeout = int(a, rest.shift(), 1);
          break;
        case "--stride": {
          const [mine, of] = (rest.shift() ?? "").split("/").map(Number);
          if (!Number.isInteger(mine) || !Number.isInteger(of) || of! < 1 || mine! < 0 || mine! >= of!) throw new Error("--stride takes I/N");
          args.stride = { mine: mine!, of: of! };
          break;
        }
        case "--aot": {
          const v = rest.shift();
          if (v !== "v1" && v !== "v2") throw new Error("--aot takes v1 or v2");
          // The compiler reads ATOLL_AOT when it compiles; worker processes and wasm-reduce's checks inherit it.
          process.env.ATOLL_AOT = v;
          break;
        }
        default:
          if (args.command === "check" && args.file === undefined && !a.startsWith("-")) args.file = a;
          else throw new Error(`unknown argument ${a}`);
      }
    }
  } catch (e) {
    return (e as Error).message;
  }
  if (args.command === "check" && args.file === undefined) return "check needs a .wasm file";
  if (args.command !== "check" && args.seconds === undefined && args.modules === undefined) args.seconds = 60;
  return args;
}

function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

function progressLine(t: Totals): string {
  const rate = t.seconds > 0 ? (t.modules / t.seconds).toFixed(1) : "-";
  return `fuzz: ${plural(t.modules, "module")} (${rate}/s), ${plural(t.exports, "export")}, ${plural(t.calls, "call")}, ${plural(t.findings.length, "mismatch", "mismatches")}`;
}

// ---- check ----------------------------------------------------------------

async function check(args: Args): Promise<number> {
  const wasm = new Uint8Array(readFileSync(args.file!));
  const dir = await mkdtemp(path.join(tmpdir(), "atoll-fuzz-check-"));
  try {
    const r = await checkModule(wasm, path.join(dir, "check.elf"), args.runTimeout === undefined ? undefined : args.runTimeout * 1000);
    if (r.status === "skipped") {
      if (!args.quiet) console.log(`skipped: ${r.why}`);
      return 0;
    }
    const m = r.comparison.mismatch;
    if (!args.quiet) {
      if (m !== undefined) for (const l of describeMismatch(m)) console.log(l);
      else console.log(`no mismatch: ${r.comparison.equal} of ${r.calls} calls equal${r.comparison.exhausted ? ", the rest skipped after a stack exhaustion" : ""}`);
    }
    return m !== undefined && (args.kind === undefined || m.kind === args.kind) ? 1 : 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- workers --------------------------------------------------------------
//
// A worker is this program with `worker --stride I/N`: it runs the modules
// first + I, first + I + N, first + I + 2N... and writes one line per module, WORKER_TAG
// and JSON (its totals so far, and the finding if there was one), for the
// parent. Other lines on its standard output (binaryen writes there
// directly) are passed on to standard error.

const WORKER_TAG = "fuzz-worker ";

interface WorkerLine {
  totals: Omit<Totals, "findings" | "skipped"> & { skipped: [string, number][] };
  finding?: { seed: number; index: number; wasm: string; mismatch: Mismatch };
}

async function worker(args: Args): Promise<number> {
  await runCampaign({
    root: repoRoot,
    seed: args.seed,
    first: args.first,
    modules: args.modules,
    seconds: args.seconds,
    stride: args.stride,
    onModule: (t, f) => {
      const { findings: _, skipped, ...rest } = t;
      const line: WorkerLine = { totals: { ...rest, skipped: [...skipped] } };
      if (f !== undefined) line.finding = { seed: f.seed, index: f.index, wasm: Buffer.from(f.bytes).toString("base64"), mismatch: f.mismatch };
      process.stdout.write(`${WORKER_TAG}${JSON.stringify(line)}\n`);
    },
  });
  return 0;
}

/** Runs the campaign on `jobs` worker processes; calls onModule with the sum of their totals. */
async function runWorkers(args: Args, onModule: (t: Totals, f?: Finding) => void): Promise<Totals> {
  const launcher = process.argv[1]!;
  const latest: (WorkerLine["totals"] | undefined)[] = [];
  const findings: Finding[] = [];
  const started = Date.now();
  const sum = (): Totals => {
    const t: Totals = { modules: 0, skipped: new Map(), exports: 0, calls: 0, equal: 0, notCompared: 0, exhausted: 0, initTrapped: 0, findings, seconds: (Date.now() - started) / 1000 };
    for (const w of latest) {
      if (w === undefined) continue;
      t.modules += w.modules;
      t.exports += w.exports;
      t.calls += w.calls;
      t.equal += w.equal;
      t.notCompared += w.notCompared;
      t.exhausted += w.exhausted;
      t.initTrapped += w.initTrapped;
      for (const [k, n] of w.skipped) t.skipped.set(k, (t.skipped.get(k) ?? 0) + n);
    }
    return t;
  };
  // With a module count, each worker takes its share of the numbers below first + modules.
  const share = (i: number): number | undefined => (args.modules === undefined ? undefined : Math.floor(args.modules / args.jobs) + (i < args.modules % args.jobs ? 1 : 0));
  const runs = Array.from({ length: args.jobs }, (_, i) => {
    const wargs = ["worker", "--seed", String(args.seed), "--first", String(args.first), "--stride", `${i}/${args.jobs}`];
    const n = share(i);
    if (n === 0) return Promise.resolve();
    if (n !== undefined) wargs.push("--modules", String(n));
    if (args.seconds !== undefined) wargs.push("--seconds", String(args.seconds));
    return new Promise<void>((resolve, reject) => {
      // stderr through the parent too: a descriptor shared with the parent may be non-blocking, and a
      // child's synchronous write to it can then fail with EAGAIN.
      const child = spawn(process.execPath, [launcher, ...wargs], { stdio: ["ignore", "pipe", "pipe"] });
      child.stderr.on("data", (b: Buffer) => process.stderr.write(b));
      let buffered = "";
      child.stdout.on("data", (b: Buffer) => {
        buffered += b.toString();
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const text = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!text.startsWith(WORKER_TAG)) {
            process.stderr.write(`${text}\n`);
            continue;
          }
          const line = JSON.parse(text.slice(WORKER_TAG.length)) as WorkerLine;
          latest[i] = line.totals;
          let f: Finding | undefined;
          if (line.finding !== undefined) {
            f = { seed: line.finding.seed, index: line.finding.index, bytes: new Uint8Array(Buffer.from(line.finding.wasm, "base64")), mismatch: line.finding.mismatch };
            findings.push(f);
          }
          onModule(sum(), f);
        }
      });
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`fuzz worker ${i} ended with status ${code}`))));
    });
  });
  await Promise.all(runs);
  return sum();
}

// ---- run ------------------------------------------------------------------

async function run(args: Args): Promise<number> {
  const limit = args.modules !== undefined ? plural(args.modules, "module") : `${args.seconds} s`;
  console.log(`fuzz: seed ${args.seed}, modules from ${args.first}, ${limit}, ${plural(args.jobs, "job")}, compiler ${process.env.ATOLL_AOT ?? "default"}`);
  const tty = process.stdout.isTTY;
  let lastShown = 0;
  const onModule = (t: Totals, f?: Finding): void => {
    if (f !== undefined) {
      if (tty) process.stdout.write("\r\x1b[K");
      console.log(`mismatch in module ${f.index} of seed ${f.seed} (npm run fuzz -- --seed ${f.seed} --first ${f.index} --modules 1 --jobs 1):`);
      for (const l of describeMismatch(f.mismatch)) console.log(`  ${l}`);
    }
    const now = Date.now();
    if (tty) process.stdout.write(`\r\x1b[K${progressLine(t)}`);
    else if (now - lastShown >= 10_000) {
      console.log(progressLine(t));
      lastShown = now;
    }
  };
  const totals =
    args.jobs === 1
      ? await runCampaign({ root: repoRoot, seed: args.seed, first: args.first, modules: args.modules, seconds: args.seconds, onModule })
      : await runWorkers(args, onModule);
  if (tty) process.stdout.write("\r\x1b[K");

  const skipped = [...totals.skipped.values()].reduce((a, b) => a + b, 0);
  const why: string[] = [];
  if (totals.initTrapped > 0) why.push(`${plural(totals.initTrapped, "module")} whose instantiation trapped on both sides`);
  if (totals.exhausted > 0) why.push(`after a stack exhaustion in ${plural(totals.exhausted, "module")}`);
  if (totals.findings.length > 0) why.push("after a mismatch");
  console.log(
    `fuzz: ${plural(totals.modules, "module")} in ${totals.seconds.toFixed(1)} s (${(totals.modules / Math.max(totals.seconds, 0.001)).toFixed(1)}/s), ` +
      `${plural(totals.exports, "export")} run, ${plural(totals.calls, "call")} planned: ${totals.equal} equal` +
      (totals.notCompared > 0 ? `, ${totals.notCompared} not compared (${why.join("; ")})` : ""),
  );
  if (skipped > 0) {
    console.log(`skipped ${plural(skipped, "module")}:`);
    for (const [why, n] of [...totals.skipped].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  ${why}`);
  }
  const aot = process.env.ATOLL_AOT ? ` --aot ${process.env.ATOLL_AOT}` : "";
  // With a time limit and several workers, each worker stopped after its own count: the replay runs the same
  // modules give or take the last few of each worker. A single module replays exactly (see a mismatch's line).
  console.log(`reproduce: npm run fuzz -- --seed ${args.seed} --first ${args.first} --modules ${totals.modules}${aot}`);

  // One broken instruction shows up in many modules: the first few are enough to work on.
  const saved = totals.findings.slice(0, MAX_SAVED);
  if (totals.findings.length > saved.length) {
    console.log(`saving the first ${saved.length} mismatches; the others replay with the commands printed above`);
  }
  for (const f of saved) {
    const name = regressionName(f.seed, f.index, f.mismatch.kind);
    let wasm = f.bytes;
    let reduced = false;
    if (args.reduce) {
      console.log(`reducing module ${f.index} (${f.bytes.length} bytes, at most ${args.reduceSeconds} s)...`);
      const r = await reduceModule(process.argv[1]!, f.bytes, f.mismatch.kind, args.reduceSeconds);
      if (r.ok) {
        wasm = r.wasm;
        reduced = true;
        console.log(`  ${wasm.length} bytes after ${r.seconds.toFixed(0)} s`);
      } else console.log(`  not reduced: ${r.why}`);
    }
    // The mismatch as the saved module shows it (reduction may have moved it).
    const dir = await mkdtemp(path.join(tmpdir(), "atoll-fuzz-save-"));
    let shown = f.mismatch;
    try {
      const again = await checkModule(wasm, path.join(dir, "saved.elf"));
      if (again.status === "ran" && again.comparison.mismatch !== undefined) shown = again.comparison.mismatch;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const file = await saveRegression(repoRoot, name, wasm, regressionOf(shown, f.seed, f.index, reduced));
    console.log(`  saved ${path.relative(process.cwd(), file)}`);
  }
  console.log(`fuzz: ${plural(totals.findings.length, "mismatch", "mismatches")}, seed ${args.seed}`);
  return totals.findings.length === 0 ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (typeof args === "string") {
    process.stderr.write(`fuzz: ${args}\n${USAGE}`);
    return 2;
  }
  if (args.command === "check") return check(args);
  if (args.command === "worker") return worker(args);
  return run(args);
}
