// The module Atoll will really be fed: AssemblyScript's output, built at
// test time with the project's own asc (whose defaults enable sign
// extension, non-trapping float-to-int and bulk memory).

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeModule, Op, validateModule, type Module } from "../../tools/wasm/index.ts";

const run = promisify(execFile);
const ASC = fileURLToPath(new URL("../../node_modules/.bin/asc", import.meta.url));

const SOURCE = `
export function toInt(x: f64): i32 { return <i32>x; }
export function toLong(x: f32): i64 { return <i64>x; }
export function sext8(x: i32): i32 { return <i32><i8>x; }
export function sext16(x: i32): i32 { return <i32><i16>x; }
export function copy(dst: usize, src: usize, n: usize): void { memory.copy(dst, src, n); }
export function fill(dst: usize, v: u8, n: usize): void { memory.fill(dst, v, n); }
export function sum(n: i32): i64 {
  const a = new Array<i64>(n);
  for (let i = 0; i < n; i++) a[i] = i;
  const b = a.slice(0);
  let s: i64 = 0;
  for (let i = 0; i < n; i++) s += unchecked(b[i]);
  return s;
}
`;

describe("AssemblyScript output", () => {
  let dir = "";
  let bytes: Uint8Array<ArrayBuffer>;
  let m: Module;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "atoll-asc-"));
    await writeFile(join(dir, "app.ts"), SOURCE);
    // Run in the temp dir so that no asconfig.json (the repo has one for the unikernel) applies.
    await run(ASC, ["app.ts", "-O3", "--debug", "-o", "app.wasm"], { cwd: dir });
    bytes = new Uint8Array(await readFile(join(dir, "app.wasm")));
    m = decodeModule(bytes);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("decodes and validates, as V8 does", () => {
    expect(WebAssembly.validate(bytes)).toBe(true);
    validateModule(m);
    for (const f of m.funcs) expect(f.maxStackDepth).toBeGreaterThanOrEqual(0);
  });

  it("uses the post-MVP instructions Atoll must compile", () => {
    const ops = new Set(m.funcs.flatMap((f) => f.body.map((i) => i.op)));
    expect(ops).toContain(Op.I32TruncSatF64S);
    expect(ops).toContain(Op.I64TruncSatF32S);
    expect(ops).toContain(Op.I32Extend8S);
    expect(ops).toContain(Op.I32Extend16S);
    expect(ops).toContain(Op.MemoryCopy);
    expect(ops).toContain(Op.MemoryFill);
  });

  it("has function names from --debug's name section", () => {
    expect(m.names.funcs.size).toBeGreaterThan(m.funcs.length / 2);
    for (const name of ["toInt", "sext8", "copy", "sum"]) {
      const exp = m.exports.find((e) => e.name === name && e.kind === "func")!;
      expect(m.names.funcs.get(exp.index)).toMatch(new RegExp(`${name}$`));
    }
  });
});
