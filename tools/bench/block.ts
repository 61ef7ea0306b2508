// `npm run bench -- block`: sequential and random read/write throughput of
// the block device on unix (our runtime), node (the Node host) and kvm
// (drivers/virtio/block.ts on QEMU microvm's virtio-blk), beside the host
// doing the same to the same file: dd for the sequential tests, fio (psync
// engine) for the random ones. All in one table. The file is 64 MiB; reads
// come from the page cache on every column. The kvm column runs under TCG
// unless ATOLL_QEMU_ACCEL=kvm: this host's KVM runs guests at tens of µs per
// instruction (tools/runtime/kvm/README.md, "Under the KVM of these hosts").
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import type { TargetName } from "../targets.ts";
import { formatTable, median } from "./table.ts";
import { guestStatus, qemuCommand } from "../build/kvm.ts";
import { qemuBlockArgs } from "../build/qemu-block.ts";

const TESTS = ["seq-write", "seq-read", "rand-read", "rand-write"] as const;
type Test = (typeof TESTS)[number];
type Figures = Partial<Record<Test, number>>; // MB/s
const SIZE = 64 * 1024 * 1024;
const OPS = 65536;

async function artefact(dir: string, target: TargetName): Promise<{ file: string; memory: string }> {
  const { plan } = await configure(dir, target);
  await build(plan, new Report(() => {}));
  return { file: plan.artefact, memory: plan.memory };
}

/** The kvm column's accelerator: TCG unless ATOLL_QEMU_ACCEL=kvm (see the top of this file). */
const kvmAccel: "kvm" | "tcg" = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";

/** One run of the bench app; MB/s per test, or an error text. */
function runApp(cmd: string[], file: string): Figures | string {
  return figures(spawnSync(cmd[0]!, [...cmd.slice(1), `--atoll-disk=disk=${file}`, `--ops=${OPS}`], { encoding: "utf8", timeout: 300_000 }));
}

/** One run of the bench image in QEMU microvm with the file as its virtio-blk disk, as `atoll run -t kvm --disk` starts it. */
function runKvm(image: { file: string; memory: string }, file: string): Figures | string {
  const devices = qemuBlockArgs([{ name: "disk", file, readOnly: false }], "microvm");
  const [cmd, args] = qemuCommand(image.file, image.memory, [`--ops=${OPS}`], kvmAccel, devices, "microvm");
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000 });
  return figures({ ...r, status: r.status === null ? null : guestStatus(r.status) });
}

/** The app's "NAME bytes=B ns=T" lines as MB/s, or what went wrong. */
function figures(r: { status: number | null; stdout: string; stderr: string }): Figures | string {
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

/** fio's own figure for 4 KiB random I/O on `file` (psync, page cache kept, as the app sees it). */
function fio(file: string, rw: "randread" | "randwrite"): number {
  const r = spawnSync("fio", ["--name=atoll", `--filename=${file}`, `--rw=${rw}`, "--bs=4k", `--size=${SIZE}`, `--io_size=${OPS * 4096}`,
    "--ioengine=psync", "--invalidate=0", "--end_fsync=1", "--output-format=json"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`fio ${rw}: ${r.stderr.trim()}`);
  const job = (JSON.parse(r.stdout) as { jobs: { read: { bw_bytes: number }; write: { bw_bytes: number } }[] }).jobs[0]!;
  return (rw === "randread" ? job.read.bw_bytes : job.write.bw_bytes) / 1e6;
}

/** The host on the same file: dd for the sequential tests, fio for the random ones. */
function host(file: string): Figures {
  return {
    "seq-write": dd(["if=/dev/zero", `of=${file}`, "bs=1M", `count=${SIZE >> 20}`, "conv=notrunc,fdatasync"]),
    "seq-read": dd([`if=${file}`, "of=/dev/null", "bs=1M"]),
    "rand-read": fio(file, "randread"),
    "rand-write": fio(file, "randwrite"),
  };
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
  const unix = (await artefact(dir, "unix")).file;
  const node = (await artefact(dir, "node")).file;
  const kvm = await artefact(dir, "kvm");
  columns.push(["unix", () => runApp([unix], file)], ["node", () => runApp([process.execPath, node], file)], ["kvm", () => runKvm(kvm, file)], ["host", () => host(file)]);
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
  const [u, n, k, h] = results as [Figures, Figures, Figures, Figures];
  const rows = TESTS.map((t) => [t, cell(u[t]), cell(n[t]), cell(k[t]), cell(h[t]), ratio(u[t], h[t]), ratio(n[t], h[t]), ratio(k[t], h[t])]);
  process.stdout.write("\n" + formatTable(["test", "unix MB/s", "node MB/s", `kvm MB/s (${kvmAccel.toUpperCase()})`, "host MB/s", "unix/host", "node/host", "kvm/host"], rows) + "\n");
  process.stdout.write(`\n64 MiB file; seq: 1 MiB calls (write ends with a flush); rand: ${OPS} calls of 4 KiB (write ends with one flush).\n`);
  process.stdout.write(`kvm: QEMU microvm under ${kvmAccel.toUpperCase()}, virtio-blk (cache=writeback) on the same file, the guest's own clock; the flush is QEMU's fdatasync.\n`);
  process.stdout.write(`host: dd bs=1M (conv=fdatasync for the write) for seq; fio --bs=4k --ioengine=psync --invalidate=0 --end_fsync=1 for rand. Median of ${opts.runs} runs; reads hit the page cache in every column.\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  return notes.length === 0 ? 0 : 1;
}
