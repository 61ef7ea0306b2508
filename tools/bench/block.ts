// `npm run bench -- block`: sequential and random read/write throughput of
// the block device on unix (our runtime) and node (the Node host), beside the
// host doing the same to the same file: dd for the sequential tests, a
// pread/pwrite loop in Node (no wasm, no ABI) for the random ones. All in one
// table. The file is 64 MiB; reads come from the page cache on every column.
import { spawnSync } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import type { TargetName } from "../targets.ts";
import { formatTable, median } from "./table.ts";

const TESTS = ["seq-write", "seq-read", "rand-read", "rand-write"] as const;
type Test = (typeof TESTS)[number];
type Figures = Partial<Record<Test, number>>; // MB/s
const SIZE = 64 * 1024 * 1024;
const OPS = 4096;

async function artefact(dir: string, target: TargetName): Promise<string> {
  const { plan } = await configure(dir, target);
  await build(plan, new Report(() => {}));
  return plan.artefact;
}

/** One run of the bench app; MB/s per test, or an error text. */
function runApp(cmd: string[], file: string): Figures | string {
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), `--atoll-disk=disk=${file}`, `--ops=${OPS}`], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) return `status ${r.status}: ${(r.stderr || r.stdout).trim().split("\n")[0]}`;
  const out: Figures = {};
  for (const m of r.stdout.matchAll(/^(\S+) bytes=(\d+) ns=(\d+)$/gm)) out[m[1] as Test] = Number(m[2]) / 1e6 / (Number(m[3]) / 1e9);
  return out;
}

/** dd's own figure: "N bytes (...) copied, S s, ..." */
function dd(args: string[]): number {
  const r = spawnSync("dd", args, { encoding: "utf8" });
  const m = /(\d+) bytes .* copied, ([\d.e-]+) s/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`dd ${args.join(" ")}: ${r.stderr.trim()}`);
  return Number(m[1]) / 1e6 / Number(m[2]);
}

/** The host on the same file: dd sequentially, a Node pread/pwrite loop at random (the app's sequence of offsets). */
function host(file: string): Figures {
  const seqWrite = dd(["if=/dev/zero", `of=${file}`, "bs=1M", `count=${SIZE >> 20}`, "conv=notrunc,fdatasync"]);
  const seqRead = dd([`if=${file}`, "of=/dev/null", "bs=1M"]);
  const fd = openSync(file, "r+");
  const buf = Buffer.alloc(4096);
  const blocks = BigInt(SIZE / 4096);
  const mask = (1n << 64n) - 1n;
  let x = 0x9e3779b97f4a7c15n;
  const next = (): number => {
    x ^= (x << 13n) & mask; x ^= x >> 7n; x ^= (x << 17n) & mask;
    return Number(x % blocks) * 4096;
  };
  let t0 = performance.now();
  for (let i = 0; i < OPS; i++) readSync(fd, buf, 0, 4096, next());
  const randRead = (OPS * 4096) / 1e6 / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < OPS; i++) writeSync(fd, buf, 0, 4096, next());
  fdatasyncSync(fd);
  const randWrite = (OPS * 4096) / 1e6 / ((performance.now() - t0) / 1000);
  closeSync(fd);
  return { "seq-write": seqWrite, "seq-read": seqRead, "rand-read": randRead, "rand-write": randWrite };
}

/** Runs the block suite: `runs` runs of each column, the median reported. */
export async function blockBench(opts: { runs: number }): Promise<number> {
  const dir = path.join(repoRoot, "bench", "block");
  const tmp = mkdtempSync(path.join(tmpdir(), "atoll-bench-block-"));
  const file = path.join(tmp, "disk.img");
  writeFileSync(file, Buffer.alloc(0));
  spawnSync("truncate", ["-s", String(SIZE), file]);
  const columns: [string, () => Figures | string][] = [];
  const notes: string[] = [];
  const unix = await artefact(dir, "unix");
  const node = await artefact(dir, "node");
  columns.push(["unix", () => runApp([unix], file)], ["node", () => runApp([process.execPath, node], file)], ["host", () => host(file)]);
  const results: Figures[] = [];
  for (const [name, run] of columns) {
    const per: Record<string, number[]> = {};
    for (let i = 0; i < opts.runs; i++) {
      const r = run();
      if (typeof r === "string") { notes.push(`${name}: ${r}`); break; }
      for (const t of TESTS) if (r[t] !== undefined) (per[t] ??= []).push(r[t]!);
    }
    const med: Figures = {};
    for (const t of TESTS) if (per[t]) med[t] = median(per[t]!);
    results.push(med);
    process.stderr.write(`bench: block on ${name} done\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
  const cell = (v: number | undefined): string => (v === undefined ? "n/a" : v.toFixed(0));
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? "n/a" : (a / b).toFixed(2) + "x");
  const rows = TESTS.map((t) => [t, cell(results[0]![t]), cell(results[1]![t]), cell(results[2]![t]), ratio(results[0]![t], results[2]![t]), ratio(results[1]![t], results[2]![t])]);
  process.stdout.write("\n" + formatTable(["test", "unix MB/s", "node MB/s", "host MB/s", "unix/host", "node/host"], rows) + "\n");
  process.stdout.write(`\n64 MiB file; seq: 1 MiB calls (write ends with a flush); rand: ${OPS} calls of 4 KiB (write ends with one flush).\n`);
  process.stdout.write(`host: dd bs=1M (conv=fdatasync for the write) for seq, a Node readSync/writeSync loop for rand (it pays Node's per-call fs overhead, so it is a low host figure, not a ceiling). Median of ${opts.runs} runs; reads hit the page cache in every column.\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  return notes.length === 0 ? 0 : 1;
}
