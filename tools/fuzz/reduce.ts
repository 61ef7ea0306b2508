// Shrinking a mismatching module with binaryen's wasm-reduce. wasm-reduce
// repeatedly rewrites the module smaller and runs a command on each
// candidate, keeping a candidate when the command's exit status and output
// stay what they were on the original. The command is this tool's `check`
// (`node bin/fuzz.mjs check FILE --kind KIND --quiet --run-timeout 5`):
// status 1 while a mismatch of the same kind shows, 0 otherwise, and no output.
//
// The binaryen npm package's wasm-reduce cannot do this: it is an
// Emscripten build, and running a command is something Emscripten does not
// provide (it fails at its first attempt). Debian's binaryen package has a
// native one (tools/setup installs it); ATOLL_WASM_REDUCE names another.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { MismatchKind } from "./compare.ts";

/** Feature flags for the wasm-opt that wasm-reduce runs (binaryen 108 has no --enable-bulk-memory-opt). */
const REDUCE_FEATURES = "--mvp-features --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --enable-mutable-globals --enable-multivalue";

/**
 * Seconds the image of one check may run (they take milliseconds; a
 * candidate that hangs natively is a "died" mismatch after this long), and
 * seconds one whole check may take before wasm-reduce counts it as a
 * different behaviour: more than the image's limit, so a hang is seen as one.
 */
const RUN_TIMEOUT = 5;
const CHECK_TIMEOUT = 30;

/** A native wasm-reduce, or undefined. */
export function findWasmReduce(): string | undefined {
  const candidates = [process.env.ATOLL_WASM_REDUCE, "/usr/bin/wasm-reduce", "/usr/local/bin/wasm-reduce"];
  return candidates.find((c): c is string => c !== undefined && c !== "" && existsSync(c));
}

export type Reduced = { ok: true; wasm: Uint8Array; seconds: number } | { ok: false; why: string };

/**
 * Shrinks `wasm` for at most `seconds` (wasm-reduce is stopped then, and
 * the smallest module found so far is the result). `launcher` is
 * bin/fuzz.mjs.
 */
export async function reduceModule(launcher: string, wasm: Uint8Array, kind: MismatchKind, seconds: number): Promise<Reduced> {
  const tool = findWasmReduce();
  if (tool === undefined) return { ok: false, why: "no native wasm-reduce (apt-get install binaryen, or set ATOLL_WASM_REDUCE)" };
  const dir = await mkdtemp(path.join(tmpdir(), "atoll-fuzz-reduce-"));
  const started = Date.now();
  try {
    await writeFile(path.join(dir, "original.wasm"), wasm);
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(launcher)} check test.wasm --kind ${kind} --quiet --run-timeout ${RUN_TIMEOUT}`;
    const args = [
      "original.wasm",
      `--command=${command}`,
      "--test=test.wasm",
      "--working=working.wasm",
      `--timeout=${CHECK_TIMEOUT}`,
      `--binaries=${path.dirname(tool)}`,
      `--extra-flags=${REDUCE_FEATURES}`,
    ];
    const log: string[] = [];
    const status = await new Promise<number | string>((resolve) => {
      const child = spawn(tool, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      const keep = (b: Buffer): void => {
        log.push(b.toString());
        if (log.length > 200) log.splice(0, log.length - 200);
      };
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const timer = setTimeout(() => child.kill("SIGTERM"), seconds * 1000);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? signal ?? "?");
      });
    });
    const working = path.join(dir, "working.wasm");
    if (!existsSync(working)) {
      const tail = log.join("").trim().split("\n").slice(-3).join(" | ");
      return { ok: false, why: `wasm-reduce ended with ${status} and no reduced module: ${tail}` };
    }
    return { ok: true, wasm: new Uint8Array(await readFile(working)), seconds: (Date.now() - started) / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
