// `npm run spec`: the WebAssembly core spec scripts, compiled by tools/aot
// and run natively (one image per module), with V8 as a second referee.
// Prints one line per script (and its failures), the skip reasons with
// counts, and last `spec: N passed, N failed, N skipped`.
//
//   npm run spec [-- [-v] [NAME...]]     NAME: scripts to run (i32, br_table...)
//   ATOLL_WASM_SPEC=DIR                  the .wast files (default ../shared/wasm-spec)

import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, judgeRun, runImage, writeImage } from "./image.ts";
import { planScript, type Outcome } from "./plan.ts";
import { v8Verdicts } from "./reference.ts";
import { convert, wabtVersion, type WastCommand } from "./wast.ts";

const RUN_TIMEOUT_MS = 60_000;
const FAILURES_SHOWN = 15;

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  lines: string[];
  skips: Map<string, number>;
  v8Disagree: number;
}

function repoRoot(): string {
  return process.env.ATOLL_ROOT ?? fileURLToPath(new URL("../..", import.meta.url));
}

/** At most `n` tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function describe(cmd: WastCommand): string {
  if ("action" in cmd) {
    const args = (cmd.action.args ?? []).map((a) => `${a.type}:${a.value ?? "?"}`).join(" ");
    return `${cmd.type} ${cmd.action.type} "${cmd.action.field}"${args === "" ? "" : ` (${args})`}`;
  }
  if ("filename" in cmd) return `${cmd.type} ${cmd.filename}`;
  return cmd.type;
}

async function runFile(specDir: string, tmp: string, file: string, wabt: string, verbose: boolean, limit: ReturnType<typeof limiter>): Promise<FileResult> {
  const base = file.replace(/\.wast$/, "");
  const res: FileResult = { file, passed: 0, failed: 0, skipped: 0, lines: [], skips: new Map(), v8Disagree: 0 };
  const dir = join(tmp, base);
  await mkdir(dir, { recursive: true });
  let script;
  try {
    script = await convert(join(specDir, file), dir, base);
  } catch (e) {
    const why = `wast2json cannot convert the script (${(e as Error).message.slice(0, 80)})`;
    res.skipped = 1;
    res.skips.set(`script wast2json ${wabt} cannot parse (newer text syntax)`, 1);
    res.lines.push(`  ${why}`);
    return res;
  }
  const plan = planScript(script);
  const outcomes: (Outcome | undefined)[] = [...plan.outcomes];
  await Promise.all(
    plan.jobs.map(async (job, i) => {
      let image: Uint8Array;
      try {
        image = buildImage(job);
      } catch (e) {
        const why = `does not compile: ${(e as Error).message}`;
        outcomes[job.command] = { status: "fail", why };
        for (const c of job.calls) outcomes[c.id] = { status: "fail", why: "module did not compile" };
        return;
      }
      const path = join(dir, `${base}.${i}.elf`);
      await writeImage(path, image);
      const run = await limit(() => runImage(path, RUN_TIMEOUT_MS));
      for (const [k, o] of judgeRun(job, run, plan.expected)) outcomes[k] = o;
    }),
  );
  const v8 = v8Verdicts(script);
  let shown = 0;
  plan.commands.forEach((cmd, k) => {
    const o = outcomes[k];
    if (o === undefined) return; // register
    if (o.status === "skip") {
      res.skipped++;
      res.skips.set(o.why, (res.skips.get(o.why) ?? 0) + 1);
      return;
    }
    const ref = v8.get(k);
    const disagree = ref !== undefined && ref.status !== o.status;
    if (disagree) res.v8Disagree++;
    if (o.status === "pass") {
      res.passed++;
      if (disagree && verbose) res.lines.push(`  line ${cmd.line}: ${describe(cmd)}: passed, but ${ref.status === "fail" ? ref.why : ""}`);
      return;
    }
    res.failed++;
    if (verbose || shown < FAILURES_SHOWN) {
      const v8note = ref === undefined ? "" : ref.status === "pass" ? " [V8 passes]" : ` [V8 fails too: ${ref.status === "fail" ? ref.why : ""}]`;
      res.lines.push(`  line ${cmd.line}: ${describe(cmd)}: ${o.why}${v8note}`);
      shown++;
    }
  });
  if (res.failed > shown) res.lines.push(`  ... and ${res.failed - shown} more failures (-v shows all)`);
  return res;
}

export interface RunOptions {
  /** The directory of the .wast files. */
  specDir: string;
  /** List every failure and V8 disagreement, not only the first ones per script. */
  verbose?: boolean;
  /** Called as each script finishes, in name order. */
  onResult?: (r: FileResult) => void;
}

/** Runs the scripts `files` (names of .wast files in specDir). */
export async function runScripts(files: readonly string[], opts: RunOptions): Promise<FileResult[]> {
  const wabt = await wabtVersion(repoRoot());
  const tmp = await mkdtemp(join(tmpdir(), "atoll-spec-"));
  const images = limiter(Math.max(2, availableParallelism()));
  // A few scripts in flight keep both the compiler (this thread) and the images (other cores) busy.
  const scripts = limiter(4);
  const results: FileResult[] = [];
  try {
    const pending = files.map((f) => scripts(() => runFile(opts.specDir, tmp, f, wabt, opts.verbose ?? false, images)));
    for (const p of pending) {
      const r = await p;
      results.push(r);
      opts.onResult?.(r);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return results;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  const names = argv.filter((a) => !a.startsWith("-")).map((n) => n.replace(/\.wast$/, ""));
  const specDir = process.env.ATOLL_WASM_SPEC ?? join(repoRoot(), "..", "shared", "wasm-spec");
  if (!existsSync(specDir)) {
    process.stderr.write(`spec: no spec scripts at ${specDir}; set ATOLL_WASM_SPEC to the folder of the .wast files (the WebAssembly core test suite)\n`);
    return 2;
  }
  let files = (await readdir(specDir)).filter((f) => f.endsWith(".wast")).sort();
  if (names.length > 0) {
    const unknown = names.filter((n) => !files.includes(`${n}.wast`));
    if (unknown.length > 0) {
      console.error(`spec: no script ${unknown.join(", ")} in ${specDir}`);
      return 2;
    }
    files = files.filter((f) => names.includes(f.replace(/\.wast$/, "")));
  }
  const started = Date.now();
  const total = { passed: 0, failed: 0, skipped: 0, v8: 0 };
  const skips = new Map<string, number>();
  await runScripts(files, {
    specDir,
    verbose,
    onResult: (r) => {
      total.passed += r.passed;
      total.failed += r.failed;
      total.skipped += r.skipped;
      total.v8 += r.v8Disagree;
      for (const [k, n] of r.skips) skips.set(k, (skips.get(k) ?? 0) + n);
      const v8 = r.v8Disagree > 0 ? `, V8 disagrees on ${r.v8Disagree}` : "";
      console.log(`${r.file.padEnd(32)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${v8}`);
      for (const l of r.lines) console.log(l);
    },
  });
  if (skips.size > 0) {
    console.log("skipped, by reason:");
    for (const [k, n] of [...skips].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(5)}  ${k}`);
  }
  if (total.v8 > 0) console.log(`V8 disagrees with Atoll on ${total.v8} commands (-v lists them)`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`spec: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed === 0 ? 0 : 1;
}
