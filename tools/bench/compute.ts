// `npm run bench -- compute`: the same AssemblyScript programs timed on the
// unix target (our AOT), on node (V8) and as wasm2c + gcc -O2, in one run.
// Each program times its own work with the monotonic clock and prints
// "checksum=C ns=T", so start-up is excluded and the checksums show that the
// three engines computed the same thing.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import { findTarget, type TargetName } from "../targets.ts";
import { formatTable, median } from "./table.ts";
import { decodeModule, validateModule } from "../wasm/index.ts";
import { compileModule } from "../aot/index.ts";
import { readFileSync } from "node:fs";

interface Engine {
  name: string;
  /** Builds the program in `dir`; returns the command that runs it, or why it cannot. */
  prepare(dir: string, name: string): Promise<string[] | string>;
}

const quiet = new Report(() => {});

async function buildTarget(dir: string, target: TargetName): Promise<string> {
  const { plan } = await configure(dir, target);
  await build(plan, quiet);
  return plan.artefact;
}

const W2C_RUNTIME = "/usr/share/wabt/wasm2c";

const engines: Engine[] = [
  {
    name: "unix (Atoll AOT)",
    async prepare(dir) {
      if (findTarget("unix")!.unavailable !== null) return "unix target not available yet";
      return [await buildTarget(dir, "unix")];
    },
  },
  {
    name: "node (V8)",
    async prepare(dir) {
      return [process.execPath, await buildTarget(dir, "node")];
    },
  },
  {
    name: "wasm2c+gcc -O2",
    async prepare(dir, name) {
      await buildTarget(dir, "node");
      const out = path.join(dir, "_build", "wasm2c");
      mkdirSync(out, { recursive: true });
      execFileSync("wasm2c", [path.join(dir, "_build", "node", "app.wasm"), "-n", "app", "-o", path.join(out, "app.c")]);
      const exe = path.join(out, name);
      execFileSync("gcc", ["-O2", "-I", out, "-I", W2C_RUNTIME, path.join(out, "app.c"), path.join(repoRoot, "tools", "bench", "wasm2c-host.c"), path.join(W2C_RUNTIME, "wasm-rt-impl.c"), "-lm", "-o", exe]);
      return [exe];
    },
  },
];

/** The AOT compiler on `wasm`: decode + validate + compile, best of 3; [KB/s, code bytes]. */
function aotSpeed(wasm: Uint8Array): [number, number] {
  let best = Infinity, code = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const m = decodeModule(wasm);
    validateModule(m);
    code = compileModule(m).text.length;
    best = Math.min(best, performance.now() - t0);
  }
  return [wasm.length / 1024 / (best / 1000), code];
}

/** Runs one command; returns [checksum, work ns] or an error text. */
function runOnce(cmd: string[], args: string[]): [string, number] | string {
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: "utf8", timeout: 300_000 });
  const m = /checksum=(-?\d+) ns=(\d+)/.exec(r.stdout ?? "");
  if (r.status !== 0 || !m) return `failed (status ${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n")[0]}`;
  return [m[1]!, Number(m[2])];
}

/** Runs the compute suite; `runs` repetitions per engine, median reported. */
export async function computeBench(opts: { runs: number; scale?: number; only?: string[] }): Promise<number> {
  const suite = path.join(repoRoot, "bench", "compute");
  const programs = readdirSync(suite).filter((d) => existsSync(path.join(suite, d, "config.ts"))).filter((d) => !opts.only || opts.only.includes(d)).sort();
  const args = opts.scale ? [`--scale=${opts.scale}`] : [];
  const rows: string[][] = [];
  const notes: string[] = [];
  let failures = 0;
  for (const name of programs) {
    const dir = path.join(suite, name);
    const ms: (number | null)[] = [];
    const sums = new Set<string>();
    for (const e of engines) {
      let cmd: string[] | string;
      try {
        cmd = await e.prepare(dir, name);
      } catch (err) {
        const stderr = (err as { stderr?: Buffer }).stderr;
        cmd = `build failed: ${(stderr ? stderr.toString() : String(err)).trim().split("\n").slice(0, 3).join(" | ")}`;
        failures++;
      }
      if (typeof cmd === "string") { ms.push(null); notes.push(`${e.name}: ${cmd}`); continue; }
      const times: number[] = [];
      let err = "";
      for (let i = 0; i < opts.runs; i++) {
        const r = runOnce(cmd, args);
        if (typeof r === "string") { err = r; break; }
        sums.add(r[0]);
        times.push(r[1] / 1e6);
      }
      if (err) { failures++; ms.push(null); notes.push(`${name} on ${e.name}: ${err}`); continue; }
      ms.push(median(times));
      process.stderr.write(`bench: ${name} on ${e.name}: ${median(times).toFixed(1)} ms\n`);
    }
    const base = ms[2];
    const ratio = (v: number | null | undefined): string => (v == null || base == null ? "n/a" : (v / base).toFixed(2) + "x");
    if (sums.size > 1) { failures++; notes.push(`${name}: checksums differ between engines: ${[...sums].join(" vs ")}`); }
    const wasm = readFileSync(path.join(dir, "_build", "node", "app.wasm"));
    const [kbps, code] = aotSpeed(wasm);
    rows.push([name, ...ms.map((v) => (v == null ? "n/a" : v.toFixed(1))), ratio(ms[0]), ratio(ms[1]), sums.size === 1 ? "same" : "DIFFER",
      (wasm.length / 1024).toFixed(1), (code / 1024).toFixed(1), kbps.toFixed(0)]);
  }
  process.stdout.write("\n" + formatTable(["program", "unix ms", "node ms", "wasm2c ms", "unix/w2c", "node/w2c", "checksums", "wasm KiB", "x86 KiB", "AOT KB/s"], rows) + "\n");
  process.stdout.write(`\nwork time inside the program (monotonic clock), median of ${opts.runs} runs; lower is better.\n`);
  process.stdout.write(`AOT KB/s: wasm kilobytes per second through decode + validate + compile (best of 3); x86 KiB: generated code.\n`);
  for (const n of [...new Set(notes)]) process.stdout.write(`note: ${n}\n`);
  return failures === 0 ? 0 : 1;
}
