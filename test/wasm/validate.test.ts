import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModule, Op, opNameOf, validateModule, WasmError, type Instr, type Module } from "../../tools/wasm/index.ts";

const work = mkdtempSync(join(tmpdir(), "atoll-wasm-validate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;

/** Assembles WAT with wat2wasm; `--no-check` lets invalid modules through to our validator. */
function wat(text: string): Uint8Array {
  const n = serial++;
  const src = join(work, `m${n}.wat`);
  const out = join(work, `m${n}.wasm`);
  writeFileSync(src, text);
  execFileSync("wat2wasm", ["--no-check", src, "-o", out]);
  return new Uint8Array(readFileSync(out));
}

function valid(text: string): Module {
  const m = decodeModule(wat(text));
  validateModule(m);
  return m;
}

function invalid(text: string): string {
  try {
    validateModule(decodeModule(wat(text)));
  } catch (e) {
    if (e instanceof WasmError) return e.reason;
    throw e;
  }
  throw new Error("module was accepted");
}

/** The body as "name" or "name!" (dead), for compact expectations. */
function shape(body: Instr[]): string[] {
  return body.map((i) => opNameOf(i.op) + (i.dead ? "!" : ""));
}

describe("dead code", () => {
  it("marks what follows br to the end of the block", () => {
    const m = valid(`(module (func (block (br 0) (i32.const 1) (drop)) (nop)))`);
    expect(shape(m.funcs[0]!.body)).toEqual(["block", "br", "i32.const!", "drop!", "end", "nop", "end"]);
  });

  it("marks a nested block in dead code, its end included, so skipping keeps blocks balanced", () => {
    const m = valid(`(module (func (return) (block (loop (nop))) (nop)))`);
    expect(shape(m.funcs[0]!.body)).toEqual(["return", "block!", "loop!", "nop!", "end!", "end!", "nop!", "end"]);
  });

  it("marks code after a loop nothing leaves", () => {
    const m = valid(`(module (func (loop (br 0)) (i32.const 1) (drop)))`);
    expect(shape(m.funcs[0]!.body)).toEqual(["loop", "br", "end", "i32.const!", "drop!", "end"]);
  });

  it("marks code after an if whose arms both return", () => {
    const m = valid(`(module (func (param i32) (result i32)
      (if (local.get 0) (then (return (i32.const 1))) (else (return (i32.const 2))))
      (i32.const 3)))`);
    expect(shape(m.funcs[0]!.body)).toEqual([
      "local.get", "if", "i32.const", "return", "else", "i32.const", "return", "end", "i32.const!", "end",
    ]);
  });

  it("keeps code live after an if without else, and after a block a branch reaches", () => {
    const m = valid(`(module (func (param i32)
      (if (local.get 0) (then (return)))
      (block (br_if 0 (local.get 0)) (unreachable))
      (nop)))`);
    const body = shape(m.funcs[0]!.body);
    expect(body.slice(-2)).toEqual(["nop", "end"]);
    expect(body).toContain("unreachable");
  });

  it("types dead code with the polymorphic stack, as the spec does", () => {
    const m = valid(`(module (func (result i32) (unreachable) (i32.add) (select) (drop) (i32.const 1)))`);
    expect(shape(m.funcs[0]!.body)).toEqual(["unreachable", "i32.add!", "select!", "drop!", "i32.const!", "end"]);
    expect(invalid(`(module (func (result i32) (unreachable) (i64.const 1) (i32.add)))`)).toBe(
      "type mismatch: i32.add expects [i32 i32], got [i64]",
    );
  });
});

describe("annotations for the code generator", () => {
  it("gives drop and select their operand type", () => {
    const m = valid(`(module (func (param i64 f32)
      (drop (local.get 0))
      (drop (select (local.get 1) (f32.const 2) (i32.const 0)))))`);
    const body = m.funcs[0]!.body;
    expect(body.filter((i) => i.op === Op.Drop).map((i) => i.type)).toEqual(["i64", "f32"]);
    expect(body.find((i) => i.op === Op.Select)!.type).toBe("f32");
  });

  it("computes the deepest operand stack", () => {
    const m = valid(`(module
      (func (result i32) (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))
      (func)
      (func (result i32 i32 i32 i32) (i32.const 0) (i32.const 0) (block (param i32 i32) (result i32 i32)) (i32.const 0) (i32.const 0)))`);
    expect(m.funcs.map((f) => f.maxStackDepth)).toEqual([3, 0, 4]);
  });
});

describe("multi-value", () => {
  it("accepts blocks with params and several results, and branches to loops with params", () => {
    valid(`(module
      (type $sw (func (param i32 i64) (result i64 i32)))
      (func (param i32 i64) (result i64 i32)
        (local.get 0) (local.get 1)
        (block (type $sw) (param i32 i64) (result i64 i32)
          (call 1)))
      (func (type $sw) (local.get 1) (local.get 0))
      (func (result i32) (local i32)
        (i32.const 10)
        (loop (param i32) (result i32)
          (i32.const 1) (i32.sub) (local.tee 0) (br_if 0 (local.get 0)) (drop) (i32.const 0))))`);
  });

  it("rejects an if without else whose params and results differ", () => {
    expect(invalid(`(module (func (result i32) (i32.const 0) (if (result i32) (then (i32.const 1)))))`)).toMatch(
      /^type mismatch: if without else/,
    );
  });
});

describe("error reasons", () => {
  const cases: [string, string | RegExp][] = [
    [`(module (func (result i32)))`, "type mismatch: end of function expects [i32], got []"],
    [`(module (func (i32.const 1)))`, "type mismatch: end of function expects [], got [i32]"],
    [`(module (func (result i32) (return (i64.const 1))))`, "type mismatch: return expects [i32], got [i64]"],
    [`(module (func (br 1)))`, /^unknown label 1/],
    [`(module (func (local.get 2)))`, /^unknown local 2/],
    [`(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))`, /^global is immutable/],
    [`(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))`, /^alignment must not be larger than natural/],
    [`(module (func (drop (i32.load (i32.const 0)))))`, /^unknown memory 0/],
    [`(module (func (call 5)))`, /^unknown function 5/],
    [`(module (func (drop (select (i32.const 1) (i64.const 1) (i32.const 0)))))`, /^type mismatch: select operands/],
    [`(module (memory 70000))`, /^memory size must be at most 65536 pages/],
    [`(module (table 2 1 funcref))`, /^size minimum must not be greater than maximum/],
    [`(module (func) (export "a" (func 0)) (export "a" (func 0)))`, `duplicate export name "a"`],
    [`(module (func (param i32)) (start 0))`, /^start function 0 must have type/],
    [`(module (global i32 (i32.add (i32.const 1) (i32.const 2))))`, /^constant expression required/],
    [`(module (global i32 (i64.const 1)))`, "type mismatch: constant expression expects [i32], got [i64]"],
    [`(module (global i32 (i32.const 0)) (global i32 (global.get 0)))`, /^unknown global 0/],
    [`(module (table 1 funcref) (elem (i32.const 0) 3))`, /^unknown function 3/],
    [`(module (func (data.drop 0)) (data ""))`.replace("(data.drop 0)", "(data.drop 1)"), /^unknown data segment 1/],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const got = invalid(text);
      if (typeof want === "string") expect(got).toBe(want);
      else expect(got).toMatch(want);
    });
  }
});
