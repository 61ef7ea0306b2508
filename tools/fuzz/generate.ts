// Random modules: binaryen's translate-to-fuzz (`wasm-opt -ttf`) turns
// bytes into a valid module, using them as its source of decisions. The
// bytes come from SHA-256 in counter mode over the run's seed and the
// module's number, so a module is reproduced from those two alone (with the
// same binaryen version).

import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runBinaryen } from "./binaryen.ts";

/**
 * What AssemblyScript emits and tools/wasm accepts (tools/wasm/README.md):
 * the MVP plus sign extension, saturating float-to-int, bulk memory,
 * mutable globals and multi-value. `--mvp-features` turns everything else
 * off (SIMD, threads, reference types, GC, exceptions, tail calls, memory64,
 * ...), so translate-to-fuzz emits none of it.
 */
export const FEATURES: readonly string[] = [
  "--mvp-features",
  "--enable-sign-ext",
  "--enable-nontrapping-float-to-int",
  "--enable-bulk-memory",
  "--enable-bulk-memory-opt",
  "--enable-mutable-globals",
  "--enable-multivalue",
];

/**
 * Input sizes: translate-to-fuzz makes bigger modules from more bytes, and
 * takes longer (about 20 ms for 1 KiB, 85 ms for 4 KiB, 200 ms for 16 KiB):
 * 1 to 8 KiB gives modules of 1 to 4 KB with about 15 exports.
 */
const MIN_INPUT = 1024;
const MAX_INPUT = 8 * 1024;

/** `n` deterministic bytes for module `index` of the run seeded `seed`. */
export function randomBytes(seed: number, index: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let block = 0, at = 0; at < n; block++) {
    const h = createHash("sha256").update(`atoll-fuzz:${seed}:${index}:${block}`).digest();
    out.set(h.subarray(0, Math.min(h.length, n - at)), at);
    at += h.length;
  }
  return out;
}

/**
 * Some modules also go through binaryen's optimizer. Raw translate-to-fuzz
 * code is deep trees of blocks with a local per value; what asc emits has
 * been through binaryen -O3 or -Oz (locals coalesced, blocks merged, br_if
 * and select where branches were), and the compiler should see both. The
 * optimizer costs two to three times what generation does, so a third of
 * the modules get one of these levels. (`--fuzz-passes` would pick passes
 * from the input, but among them is the lowering of i64 at the JS boundary,
 * which adds `env` imports and changes the logging imports' types.)
 */
const OPTIMIZE: readonly (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, "-O1", "-O3", "-Oz"];

/** The input for module `index`, and its optimization level if any: its size and that choice are drawn from the same stream. */
export function moduleInput(seed: number, index: number): { bytes: Uint8Array; optimize?: string } {
  const head = randomBytes(seed, index, 4);
  const size = MIN_INPUT + (((head[0]! << 8) | head[1]!) % (MAX_INPUT - MIN_INPUT + 1));
  return { bytes: randomBytes(seed, index, size + 4).subarray(4), optimize: OPTIMIZE[head[2]! % OPTIMIZE.length] };
}

/**
 * Module `index` of the run seeded `seed`: its binary, made in `dir` (two
 * scratch files while it runs, named after the index). `root` is the repository.
 */
export async function generateModule(root: string, dir: string, seed: number, index: number): Promise<Uint8Array> {
  const input = path.join(dir, `${index}.in`);
  const output = path.join(dir, `${index}.ttf.wasm`);
  try {
    const { bytes, optimize } = moduleInput(seed, index);
    await writeFile(input, bytes);
    const status = await runBinaryen(root, "wasm-opt", ["-ttf", input, ...FEATURES, ...(optimize === undefined ? [] : [optimize]), "-q", "-o", output]);
    if (status !== 0) throw new Error(`wasm-opt -ttf failed with status ${status} on module ${index} of seed ${seed}`);
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(input, { force: true });
    await rm(output, { force: true });
  }
}
