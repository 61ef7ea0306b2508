// `npm run bench -- compute --profile [PROGRAM...]`: where a compute
// program's time goes, function by function, on the unix target beside the
// same wasm functions in the wasm2c+gcc binary. Both run once under
// `perf record -e cpu-clock`: the software clock event works where the CPU's
// counters are not exposed (most VMs, this project's hosts among them), and
// its counts are nanoseconds of CPU time, so a share becomes milliseconds
// comparable across the two binaries. `perf report` attributes samples
// through each ELF's symbol table: the unix executable names its functions
// from the wasm name section (tools/link's symbolNames), wasm2c's C names
// them by the same names mangled. The perf.data files stay in the program's
// _build/profile/ for `perf report` and `perf annotate`.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { formatTable } from "./table.ts";
import { computePrograms } from "./compute.ts";
import { outcome, prepare, unixEngine, wasm2cEngine, type Outcome } from "./compute-engines.ts";

/** Functions listed per program. */
const TOP = 25;
/** Fewer samples than this in either binary and a function's ratio would be noise: it is left blank. */
const RATIO_SAMPLES = 10;

/** One function's samples in one binary. */
interface Hot {
  name: string;
  /** Share of the binary's CPU time, 0..1. */
  share: number;
  samples: number;
  kernel: boolean;
}

interface Profile {
  run: Outcome;
  /** CPU time of the whole process, ms: start-up and the program's set-up included. */
  cpuMs: number;
  samples: number;
  hot: Hot[];
  data: string;
}

/** Why perf cannot profile here, or null when it can. */
function perfUnusable(): string | null {
  const r = spawnSync("perf", ["--version"], { encoding: "utf8" });
  if (r.error) return "perf is not installed (on Debian: apt-get install linux-perf)";
  // Debian's /usr/bin/perf is a wrapper that fails when no perf matches the running kernel.
  if (r.status !== 0) return `perf does not run: ${(r.stderr || r.stdout).trim().split("\n")[0]} (on Debian: apt-get install linux-perf)`;
  return null;
}

/** The first lines of a failed command's output. */
const firstLines = (s: string, n = 3): string => s.trim().split("\n").slice(0, n).join(" | ");

/** Runs `cmd` under perf record into `data`, then reads perf report's per-symbol shares. */
function profile(cmd: string[], args: string[], data: string): Profile | string {
  const r = spawnSync("perf", ["record", "-q", "-e", "cpu-clock", "-o", data, "--", ...cmd, ...args], { encoding: "utf8", timeout: 600_000 });
  const run = outcome(r);
  if (typeof run === "string") return /checksum=/.test(r.stdout ?? "") ? run : `perf record failed (status ${r.status}): ${firstLines(r.stderr || r.stdout || "")}`;
  const rep = spawnSync("perf", ["report", "-i", data, "--stdio", "--no-demangle", "--sort", "sym", "-n", "-t", "\t"], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (rep.status !== 0) return `perf report failed: ${firstLines(rep.stderr)}`;
  // "# Event count (approx.): N": cpu-clock counts nanoseconds.
  const count = /^# Event count \(approx\.\): (\d+)/m.exec(rep.stdout);
  const hot: Hot[] = [];
  let samples = 0;
  // "30.96% \t 2071 \t[.] ~lib/typedarray/Float64Array#__get" ([k] for the kernel)
  for (const m of rep.stdout.matchAll(/^\s*([\d.]+)%\s*\t\s*(\d+)\s*\t\[(.)\] (.*?)\s*$/gm)) {
    hot.push({ name: m[4]!, share: Number(m[1]) / 100, samples: Number(m[2]), kernel: m[3] === "k" });
    samples += Number(m[2]);
  }
  if (!count || hot.length === 0) return `perf report has no samples for ${data}`;
  return { run, cpuMs: Number(count[1]) / 1e6, samples, hot, data };
}

/** wasm2c's C name of a wasm function: `w2c_`, then the name with every character outside [A-Za-z0-9] as `_` (wabt 1.0.32). */
function wasm2cName(name: string): string {
  return "w2c_" + name.replace(/[^A-Za-z0-9]/g, "_");
}

/**
 * The user-space functions by name, gcc's clones of one function
 * (`f.isra.0`, `f.part.0`, `f.constprop.0`, `f.cold`) counted as `f`.
 */
function byFunction(hot: Hot[]): Map<string, Hot> {
  const out = new Map<string, Hot>();
  for (const h of hot) {
    if (h.kernel) continue;
    const name = h.name.replace(/(\.(isra|part|constprop|cold)(\.\d+)?)+$/, "");
    const prev = out.get(name);
    out.set(name, prev ? { ...prev, share: prev.share + h.share, samples: prev.samples + h.samples } : { ...h, name });
  }
  return out;
}

/** Profiles each program on unix and on wasm2c+gcc; prints a table per program. */
export async function computeProfile(opts: { scale?: number; only?: string[] }): Promise<number> {
  const unusable = perfUnusable();
  if (unusable) { process.stderr.write(`bench: --profile needs perf: ${unusable}\n`); return 2; }
  const programs = computePrograms(opts.only);
  if (typeof programs === "string") { process.stderr.write(`bench: ${programs}\n`); return 2; }
  const args = opts.scale ? [`--scale=${opts.scale}`] : [];
  let failures = 0;
  for (const name of programs) {
    const dir = path.join(repoRoot, "bench", "compute", name);
    const out = path.join(dir, "_build", "profile");
    mkdirSync(out, { recursive: true });
    const results: (Profile | string)[] = [];
    for (const [e, file] of [[unixEngine, "unix.data"], [wasm2cEngine, "wasm2c.data"]] as const) {
      const p = await prepare(e, dir, name);
      results.push("cmd" in p ? profile(p.cmd, args, path.join(out, file)) : p.why);
      process.stderr.write(`bench: profiled ${name} on ${e.name}\n`);
    }
    const [unix, w2c] = results as [Profile | string, Profile | string];
    process.stdout.write("\n");
    if (typeof unix === "string") { failures++; process.stdout.write(`note: ${name} on unix: ${unix}\n`); continue; }
    const peerProfile = typeof w2c === "string" ? null : w2c;
    const w2cByName = peerProfile ? byFunction(peerProfile.hot) : new Map<string, Hot>();
    const ms = (p: Profile, share: number): string => (share * p.cpuMs).toFixed(1);
    const rows = unix.hot.slice(0, TOP).map((h) => {
      const peer = h.kernel ? undefined : w2cByName.get(wasm2cName(h.name));
      const ratio = peer && peerProfile && Math.min(h.samples, peer.samples) >= RATIO_SAMPLES ? `${((h.share * unix.cpuMs) / (peer.share * peerProfile.cpuMs)).toFixed(1)}x` : "";
      return [`${h.kernel ? "[kernel] " : ""}${h.name}`, `${(h.share * 100).toFixed(2)}%`, ms(unix, h.share), peer && peerProfile ? ms(peerProfile, peer.share) : "-", ratio];
    });
    const rest = unix.hot.slice(TOP).reduce((s, h) => s + h.share, 0);
    if (rest > 0) rows.push([`(${unix.hot.length - TOP} more)`, `${(rest * 100).toFixed(2)}%`, ms(unix, rest), "", ""]);
    rows.push(["the whole process", "100%", unix.cpuMs.toFixed(1), peerProfile ? peerProfile.cpuMs.toFixed(1) : "n/a", peerProfile ? `${(unix.cpuMs / peerProfile.cpuMs).toFixed(1)}x` : ""]);
    process.stdout.write(formatTable([`${name}: function`, "unix %", "unix ms", "w2c ms", "unix/w2c"], rows) + "\n");
    process.stdout.write(`unix: ${unix.samples} samples, work ${(unix.run.ns / 1e6).toFixed(1)} ms (the program's own clock), perf data ${path.relative(process.cwd(), unix.data)}\n`);
    if (typeof w2c === "string") { failures++; process.stdout.write(`note: ${name} on wasm2c: ${w2c}\n`); }
    else {
      process.stdout.write(`w2c:  ${w2c.samples} samples, work ${(w2c.run.ns / 1e6).toFixed(1)} ms, perf data ${path.relative(process.cwd(), w2c.data)}\n`);
      if (w2c.run.checksum !== unix.run.checksum) { failures++; process.stdout.write(`note: checksums differ: unix ${unix.run.checksum}, wasm2c ${w2c.run.checksum}\n`); }
    }
  }
  process.stdout.write(`\nperf record -e cpu-clock (perf's default rate); ms = share of the process's CPU time. w2c ms: the same wasm function in the wasm2c+gcc -O2 binary, - when gcc inlined it into its callers or it drew no samples; no ratio under ${RATIO_SAMPLES} samples.\n`);
  return failures === 0 ? 0 : 1;
}
