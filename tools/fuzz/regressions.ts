// Saved mismatches: test/aot/fuzz-regressions/NAME.wasm (the module,
// reduced when wasm-reduce could) and NAME.json (what mismatched, where it
// came from). test/aot/fuzz-regressions.test.ts runs every one of them
// through both engines again.
//
// `open: true` marks a compiler bug that is known and not fixed yet: its
// test then checks that the module still shows a mismatch of the same kind,
// so that the saved module stays a reproducer, and fails once the bug is
// fixed, asking for the flag to go.

import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Mismatch, MismatchKind } from "./compare.ts";

export const REGRESSIONS_DIR = path.join("test", "aot", "fuzz-regressions");

export interface Regression {
  kind: MismatchKind;
  where: string;
  native: string;
  v8: string;
  /** Where the module came from: `npm run fuzz -- --seed SEED --first INDEX --modules 1`. */
  seed: number;
  index: number;
  /** ATOLL_AOT when it was found ("" for the default compiler). */
  aot: string;
  /** Whether wasm-reduce shrank the module (else it is the generated one). */
  reduced: boolean;
  open: boolean;
  /** Anything a reader should know (what the bug was, the fix). */
  note?: string;
}

export interface SavedRegression {
  name: string;
  meta: Regression;
  wasm: Uint8Array;
}

export function regressionName(seed: number, index: number, kind: MismatchKind): string {
  return `seed${seed}-module${index}-${kind}`;
}

/** Writes NAME.wasm and NAME.json under the repository's regression folder; returns the .wasm's path. */
export async function saveRegression(root: string, name: string, wasm: Uint8Array, meta: Regression): Promise<string> {
  const dir = path.join(root, REGRESSIONS_DIR);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.wasm`);
  await writeFile(file, wasm);
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(meta, null, 2)}\n`);
  return file;
}

export function regressionOf(m: Mismatch, seed: number, index: number, reduced: boolean): Regression {
  return { kind: m.kind, where: m.where, native: m.native, v8: m.v8, seed, index, aot: process.env.ATOLL_AOT ?? "", reduced, open: true };
}

/** Every saved regression, by name. */
export function loadRegressions(root: string): SavedRegression[] {
  const dir = path.join(root, REGRESSIONS_DIR);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const name = f.replace(/\.json$/, "");
      const meta = JSON.parse(readFileSync(path.join(dir, f), "utf8")) as Regression;
      return { name, meta, wasm: new Uint8Array(readFileSync(path.join(dir, `${name}.wasm`))) };
    });
}
