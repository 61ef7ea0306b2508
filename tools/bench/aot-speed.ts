// `npm run bench -- aot`: how fast the AOT pipeline turns each compute
// program's wasm into x86, phase by phase. The compute suite's `AOT KB/s`
// column is one figure for decode + validate + compile; this one splits it,
// so a change to the decoder, the validator or the assembler shows where it
// went. Run it under `node --cpu-prof bin/bench.mjs aot` for a profile.
//
// Each row also prints a digest of everything the phases produce (the
// validated module and the compiled object): a change meant to make the
// pipeline faster must leave it the same. With ATOLL_AOT_DIGESTS=FILE the
// digests are written to FILE, or compared with it when it exists (exit
// status 1 on a difference): run once before a change and once after.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import { formatTable } from "./table.ts";
import { decodeModule, validateModule } from "../wasm/index.ts";
import { compileModule } from "../aot/index.ts";

/** Milliseconds of one call of `f`, and what it returned. */
function timed<T>(f: () => T): [number, T] {
  const t0 = performance.now();
  const v = f();
  return [performance.now() - t0, v];
}

/**
 * A stable text of any value the pipeline produces: object keys sorted (the
 * IR's meaning does not depend on property order), bigints, byte arrays and
 * maps spelled out.
 */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_key, x: unknown) => {
    if (typeof x === "bigint") return `${x}n`;
    if (x instanceof Uint8Array) return Buffer.from(x).toString("hex");
    if (x instanceof Map) return [...x.entries()];
    if (x !== null && typeof x === "object" && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return x;
  });
}

/** The digest of the decoded and validated module and of its compiled object. */
export function pipelineDigest(wasm: Uint8Array): string {
  const m = decodeModule(wasm);
  validateModule(m);
  const obj = compileModule(m);
  return createHash("sha256").update(canonical(m)).update(canonical(obj)).digest("hex");
}

async function wasmOf(dir: string): Promise<Uint8Array> {
  const file = path.join(dir, "_build", "node", "app.wasm");
  if (!existsSync(file)) {
    const { plan } = await configure(dir, "node");
    await build(plan, new Report(() => {}));
  }
  return readFileSync(file);
}

/** Runs the pipeline `runs` times per program; prints the best time of each phase as KB/s. */
export async function aotSpeedBench(opts: { runs: number; only?: string[] }): Promise<number> {
  const suite = path.join(repoRoot, "bench", "compute");
  const programs = readdirSync(suite).filter((d) => existsSync(path.join(suite, d, "config.ts"))).filter((d) => !opts.only || opts.only.includes(d)).sort();
  const runs = Math.max(opts.runs, 3);
  const rows: string[][] = [];
  const digests: Record<string, string> = {};
  for (const name of programs) {
    const wasm = await wasmOf(path.join(suite, name));
    let decode = Infinity, validate = Infinity, compile = Infinity, total = Infinity, first3 = Infinity;
    for (let i = 0; i < runs; i++) {
      const [d, m] = timed(() => decodeModule(wasm));
      const [v] = timed(() => validateModule(m));
      const [c] = timed(() => compileModule(m));
      decode = Math.min(decode, d);
      validate = Math.min(validate, v);
      compile = Math.min(compile, c);
      total = Math.min(total, d + v + c);
      // What the compute suite's column reports: the best of the first three.
      if (i < 3) first3 = total;
    }
    const kbps = (ms: number): string => (wasm.length / 1024 / (ms / 1000)).toFixed(0);
    const digest = pipelineDigest(wasm);
    digests[name] = digest;
    rows.push([name, (wasm.length / 1024).toFixed(1), kbps(decode), kbps(validate), kbps(compile), kbps(total), kbps(first3), digest.slice(0, 16)]);
  }
  process.stdout.write("\n" + formatTable(["program", "wasm KiB", "decode KB/s", "validate KB/s", "compile KB/s", "total KB/s", "first 3 KB/s", "digest"], rows) + "\n");
  process.stdout.write(`\nbest of ${runs} runs per phase; "first 3" is the best of the first three whole runs (the compute suite's AOT KB/s).\n`);
  process.stdout.write(`digest: sha256 of the validated module and the compiled object; an optimisation of the pipeline must leave it unchanged.\n`);
  return checkDigests(digests, process.env.ATOLL_AOT_DIGESTS);
}

/** Writes the digests to `file`, or compares them with the ones it holds; 1 when one differs. */
function checkDigests(digests: Record<string, string>, file: string | undefined): number {
  if (file === undefined) return 0;
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify(digests, null, 2) + "\n");
    process.stdout.write(`digests written to ${file}\n`);
    return 0;
  }
  const before = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  const differ = Object.keys(digests).filter((n) => before[n] !== undefined && before[n] !== digests[n]);
  const compared = Object.keys(digests).filter((n) => before[n] !== undefined).length;
  process.stdout.write(differ.length === 0 ? `digests: ${compared} the same as in ${file}\n` : `digests: ${differ.join(", ")} differ from ${file}\n`);
  return differ.length === 0 ? 0 : 1;
}
