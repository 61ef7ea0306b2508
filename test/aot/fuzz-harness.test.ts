// The differential fuzzer's own parts (tools/fuzz): that the instrumenter
// hides NaN bits and exports state, that V8's trap messages map to the
// right codes, that the comparison tells what differs and forgives what the
// spec leaves open, and that the whole native/V8 path runs a module with
// every kind of event (logs, traps, several results, memory, globals) to
// "equal" — and reports a difference when there is one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileModule, SYMBOLS, Trap, type TrapCode } from "../../tools/aot/index.ts";
import { link } from "../../tools/link/index.ts";
import { ObjectBuilder } from "../../tools/runtime/object-builder.ts";
import { unixRuntime } from "../../tools/runtime/unix/index.ts";
import { eax, imm, mem, rbx, rsp } from "../../tools/x86/index.ts";
import { driverObject } from "../../tools/fuzz/driver.ts";
import { decodeModule, validateModule } from "../../tools/wasm/index.ts";
import { checkModule } from "../../tools/fuzz/check.ts";
import { compareRuns } from "../../tools/fuzz/compare.ts";
import { generateModule } from "../../tools/fuzz/generate.ts";
import { globalExport, instrument, MEMORY_EXPORT } from "../../tools/fuzz/instrument.ts";
import { buildImage, parseOutput, runNative } from "../../tools/fuzz/native.ts";
import { makePlan, TUPLES, type Plan } from "../../tools/fuzz/plan.ts";
import type { CallRecord, EngineRun, Outcome } from "../../tools/fuzz/record.ts";
import { v8TrapCodes } from "../../tools/fuzz/traps.ts";
import { runV8 } from "../../tools/fuzz/v8.ts";
import { wat2wasm } from "./harness.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "atoll-fuzz-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Fn = (...a: unknown[]) => unknown;
const values = (...bits: bigint[]): Outcome => ({ kind: "values", bits });
const exportsOf = (bytes: Uint8Array): Record<string, unknown> => new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)), {}).exports;

describe("fuzz: instrument", () => {
  const wasm = wat2wasm(`(module
    (global $g (mut f32) (f32.const 1.5))
    (memory 1)
    (func (export "bits") (param f32 f32) (result i32) (i32.reinterpret_f32 (f32.div (local.get 0) (local.get 1))))
    (func (export "store") (param f64) (f64.store (i32.const 8) (f64.div (local.get 0) (local.get 0))))
    (func (export "sign") (param f64) (result f64) (f64.copysign (f64.const 1) (f64.div (local.get 0) (local.get 0))))
    (func (export "plain") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0))))`);
  const inst = instrument(wasm);

  it("gives a NaN the canonical bits wherever its bits would show", () => {
    // x86's default NaN (0/0) has the sign bit set: the raw module shows it, the instrumented one cannot.
    const raw = exportsOf(wasm);
    expect(((raw.bits as Fn)(0, 0) as number) >>> 0).toBe(0xffc0_0000);
    expect((raw.sign as Fn)(0)).toBe(-1);
    const e = exportsOf(inst);
    expect(((e.bits as Fn)(0, 0) as number) >>> 0).toBe(0x7fc0_0000);
    expect((e.sign as Fn)(0)).toBe(1);
    (e.store as Fn)(0);
    const mem = new DataView((e[MEMORY_EXPORT] as WebAssembly.Memory).buffer);
    expect(mem.getBigUint64(8, true)).toBe(0x7ff8_0000_0000_0000n);
  });

  it("leaves numbers alone", () => {
    const e = exportsOf(inst);
    expect(((e.bits as Fn)(3, 2) as number) >>> 0).toBe(0x3fc0_0000);
    expect((e.sign as Fn)(5)).toBe(1);
    expect(((e.plain as Fn)(-2) as number) >>> 0).toBe(0xc000_0000);
  });

  it("exports the memory and every global, and tools/wasm still validates it", () => {
    const e = exportsOf(inst);
    expect((e[globalExport(0)] as WebAssembly.Global).value).toBe(1.5);
    expect(e[MEMORY_EXPORT]).toBeInstanceOf(WebAssembly.Memory);
    const m = decodeModule(inst);
    validateModule(m);
    expect(m.exports.map((x) => x.name)).toEqual(["bits", "store", "sign", "plain", MEMORY_EXPORT, globalExport(0)]);
  });
});

describe("fuzz: V8 trap messages", () => {
  const wasm = wat2wasm(`(module
    (type $v (func)) (type $i (func (result i32)))
    (table 4 funcref) (elem (i32.const 0) $a) (memory 1)
    (func $a)
    (func (export "unreachable") unreachable)
    (func (export "div") (drop (i32.div_u (i32.const 1) (i32.const 0))))
    (func (export "rem") (drop (i64.rem_s (i64.const 1) (i64.const 0))))
    (func (export "overflow") (drop (i32.div_s (i32.const 0x80000000) (i32.const -1))))
    (func (export "nan") (drop (i32.trunc_f32_s (f32.const nan))))
    (func (export "range") (drop (i64.trunc_f64_u (f64.const -1))))
    (func (export "memory") (drop (i32.load (i32.const 65535))))
    (func (export "fill") (memory.fill (i32.const 65530) (i32.const 0) (i32.const 7)))
    (func (export "undefined") (call_indirect (type $v) (i32.const 9)))
    (func (export "null") (call_indirect (type $v) (i32.const 1)))
    (func (export "signature") (drop (call_indirect (type $i) (i32.const 0))))
    (func (export "tablecopy") (table.copy (i32.const 2) (i32.const 0) (i32.const 3))))`);
  const expected: Record<string, number> = {
    unreachable: Trap.Unreachable,
    div: Trap.DivideByZero,
    rem: Trap.DivideByZero,
    overflow: Trap.IntegerOverflow,
    nan: Trap.InvalidConversion,
    range: Trap.IntegerOverflow,
    memory: Trap.MemoryOutOfBounds,
    fill: Trap.MemoryOutOfBounds,
    undefined: Trap.UndefinedElement,
    null: Trap.UninitializedElement,
    signature: Trap.IndirectCallTypeMismatch,
    tablecopy: Trap.TableOutOfBounds,
  };
  for (const [name, code] of Object.entries(expected)) {
    it(`${name}: the message stands for trap ${code}`, () => {
      let message = "";
      try {
        (exportsOf(wasm)[name] as Fn)();
      } catch (e) {
        expect(e).toBeInstanceOf(WebAssembly.RuntimeError);
        message = (e as Error).message;
      }
      expect(v8TrapCodes(message)).toContain(code);
    });
  }
  it("an unknown message stands for nothing", () => {
    expect(v8TrapCodes("something new")).toBeUndefined();
  });
});

describe("fuzz: compareRuns", () => {
  const plan: Plan = {
    calls: [
      { name: "f", params: [], results: ["f32", "i32"], args: [] },
      { name: "g", params: ["i64"], results: [], args: [7n] },
      { name: "h", params: [], results: [], args: [] },
    ],
    globals: [{ name: "g0", index: 0, type: "f64" }],
    memory: "mem",
  };
  const rec = (outcome: Outcome, extra: Partial<CallRecord> = {}): CallRecord => ({ logs: [], outcome, state: { pages: 1, hash: 5, globals: [0n] }, ...extra });
  const run = (calls: CallRecord[], died?: string): EngineRun => ({ init: { logs: [], outcome: values() }, calls, ...(died === undefined ? {} : { died }) });
  const base = (): CallRecord[] => [rec(values(0x7fc0_0000n, 1n)), rec(values()), rec(values())];

  it("equal runs: every call equal", () => {
    expect(compareRuns(plan, run(base()), run(base()))).toEqual({ equal: 3, skipped: 0, exhausted: false });
  });
  it("any NaN equals any NaN, in results, logs and globals", () => {
    const n = base();
    n[0] = rec(values(0xffc0_0001n, 1n), { logs: [{ type: "f64", bits: 0xfff8_0000_0000_0001n }], state: { pages: 1, hash: 5, globals: [0x7ff0_0000_0000_0001n] } });
    const v = base();
    v[0] = rec(values(0x7fc0_0000n, 1n), { logs: [{ type: "f64", bits: 0x7ff8_0000_0000_0000n }], state: { pages: 1, hash: 5, globals: [0x7ff8_0000_0000_0000n] } });
    expect(compareRuns(plan, run(n), run(v)).mismatch).toBeUndefined();
  });
  it("a different result is a mismatch at that call, and the rest is not compared", () => {
    const n = base();
    n[0] = rec(values(0x7fc0_0000n, 2n));
    const c = compareRuns(plan, run(n), run(base()));
    expect(c.mismatch?.kind).toBe("results");
    expect(c.mismatch?.where).toBe("f()");
    expect(c).toMatchObject({ equal: 0, skipped: 2 });
  });
  it("a zero of the other sign is a different result", () => {
    const n = base();
    n[0] = rec(values(0x8000_0000n, 1n));
    const v = base();
    v[0] = rec(values(0n, 1n));
    expect(compareRuns(plan, run(n), run(v)).mismatch?.kind).toBe("results");
  });
  it("traps match when V8's message may mean the native code", () => {
    const trap = (...codes: TrapCode[]): Outcome => ({ kind: "trap", codes, text: "" });
    const n = base();
    n[1] = rec(trap(Trap.UninitializedElement));
    const v = base();
    v[1] = rec(trap(Trap.UninitializedElement, Trap.IndirectCallTypeMismatch));
    expect(compareRuns(plan, run(n), run(v)).mismatch).toBeUndefined();
    v[1] = rec(trap(Trap.MemoryOutOfBounds));
    expect(compareRuns(plan, run(n), run(v)).mismatch).toMatchObject({ kind: "trap", where: "g(0x0000000000000007 (7))" });
    v[1] = rec(values());
    expect(compareRuns(plan, run(n), run(v)).mismatch?.kind).toBe("trap");
  });
  it("logs, memory and globals are compared after each call", () => {
    const withLog = base();
    withLog[1] = rec(values(), { logs: [{ type: "i32", bits: 1n }] });
    expect(compareRuns(plan, run(withLog), run(base())).mismatch?.kind).toBe("logs");
    const mem = base();
    mem[2] = rec(values(), { state: { pages: 1, hash: 6, globals: [0n] } });
    expect(compareRuns(plan, run(mem), run(base())).mismatch).toMatchObject({ kind: "memory", where: "h()" });
    const glob = base();
    glob[2] = rec(values(), { state: { pages: 1, hash: 5, globals: [0x8000_0000_0000_0000n] } });
    expect(compareRuns(plan, run(glob), run(base())).mismatch?.kind).toBe("globals");
  });
  it("a stack exhaustion on either side ends the comparison without a mismatch", () => {
    const n = base();
    n[1] = rec({ kind: "exhausted" }, { logs: [{ type: "i32", bits: 9n }] });
    const c = compareRuns(plan, run(n), run(base()));
    expect(c).toEqual({ equal: 1, skipped: 2, exhausted: true });
  });
  it("a native run that died is a mismatch at the call it died in", () => {
    const c = compareRuns(plan, run(base().slice(0, 1), "the image ended with status SIGSEGV"), run(base()));
    expect(c.mismatch).toMatchObject({ kind: "died", where: "g(0x0000000000000007 (7))", native: "the image ended with status SIGSEGV" });
  });
  it("a call that broke the calling convention is a mismatch even when everything else agrees", () => {
    const out = "i ok\nx\nc 000000007fc00000 0000000000000001\ns 0000000000000001 0000000000000005 0000000000000000\n";
    const r = parseOutput(out, { ...plan, calls: plan.calls.slice(0, 1) }, undefined);
    expect(r.calls[0]?.brokeConvention).toBe(true);
    expect(compareRuns({ ...plan, calls: plan.calls.slice(0, 1) }, r, run(base().slice(0, 1))).mismatch?.kind).toBe("convention");
  });
  it("a native run that died after its last call is a mismatch", () => {
    expect(compareRuns(plan, run(base(), "the image ended with status SIGSEGV"), run(base())).mismatch).toMatchObject({ kind: "died", where: "after the last call" });
  });
  it("parseOutput: a line cut off mid-write is dropped and the run counts as died", () => {
    const out = "i ok\nl 0 0000000000000005\nc 000000007fc00000 0000000000000001\ns 0000000000000001 0000000000000005 0000000000000000\nc\ns 00000000000000";
    const r = parseOutput(out, plan, undefined);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toEqual(rec(values(0x7fc0_0000n, 1n), { logs: [{ type: "i32", bits: 5n }] }));
    expect(r.died).toBe("the image stopped early");
  });
});

// Every kind of event the driver reports, through both engines.
const EVENTS = `(module
  (import "fuzzing-support" "log-i32" (func $log-i32 (param i32)))
  (import "fuzzing-support" "log-i64" (func $log-i64 (param i64)))
  (import "fuzzing-support" "log-f32" (func $log-f32 (param f32)))
  (import "fuzzing-support" "log-f64" (func $log-f64 (param f64)))
  (import "fuzzing-support" "sleep" (func $sleep (param i32 i32) (result i32)))
  (import "fuzzing-support" "call-export-catch" (func $catch (param i32) (result i32)))
  (global $count (mut i32) (i32.const 0))
  (global $wide (mut i64) (i64.const -1))
  (memory 1 2)
  (func (export "logs") (param i32 i64 f32 f64)
    (call $log-i32 (local.get 0)) (call $log-i64 (local.get 1))
    (call $log-f32 (local.get 2)) (call $log-f64 (local.get 3))
    (call $log-f32 (f32.div (f32.const 0) (f32.const 0))))
  (func (export "host") (result i32 i32) (call $sleep (i32.const 100) (i32.const 42)) (call $catch (i32.const 0)))
  (func (export "state") (param i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.set $wide (i64.extend_i32_s (local.get 0)))
    (i32.store (i32.and (local.get 0) (i32.const 0xfffc)) (local.get 0))
    (drop (memory.grow (i32.const 1))))
  (func (export "multi") (param f64) (result f64 i64 f32 i32) (local.get 0) (i64.const 9) (f32.const -0) (i32.const 3))
  (func (export "trap") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1))))`;

describe("fuzz: one module both ways", () => {
  it("a module with every kind of event: all calls equal", async () => {
    const bytes = instrument(wat2wasm(EVENTS));
    const r = await checkModule(bytes, path.join(dir, "events.elf"));
    expect(r.status).toBe("ran");
    if (r.status !== "ran") return;
    expect(r.comparison.mismatch).toBeUndefined();
    // "deep" runs out of stack with its first arguments, which ends the comparison there.
    const beforeDeep = makePlan(decodeModule(bytes)).calls.findIndex((c) => c.name === "deep");
    expect(r.comparison).toMatchObject({ equal: beforeDeep, exhausted: true });
    expect(beforeDeep).toBe(6 * TUPLES);
  });

  it("reports a difference: native runs one module, V8 a copy with one stored value changed", async () => {
    const changed = EVENTS.replace("(i32.store (i32.and (local.get 0) (i32.const 0xfffc)) (local.get 0))", "(i32.store (i32.and (local.get 0) (i32.const 0xfffc)) (i32.const 1))");
    expect(changed).not.toBe(EVENTS);
    const a = instrument(wat2wasm(EVENTS));
    const b = instrument(wat2wasm(changed));
    const m = decodeModule(a);
    validateModule(m);
    const plan = makePlan(m);
    const native = await runNative(buildImage(m, plan), path.join(dir, "differ.elf"), plan, 20_000);
    const c = compareRuns(plan, native, runV8(b, plan));
    // Everything before state(0) is the same; it stores 0 natively, 1 in V8.
    expect(c.mismatch).toMatchObject({ kind: "memory", where: "state(0x00000000 (0))" });
    expect(c.equal).toBe(plan.calls.findIndex((x) => x.name === "state"));
  });
});

describe("fuzz: the native driver's convention check", () => {
  it("a function that returns with rbx changed is reported, one that keeps it is not", async () => {
    // Two hand-written "exports" beside a real module: the compiler keeps
    // the convention, so the check needs a function that breaks it on purpose.
    const m = decodeModule(wat2wasm(`(module (func (export "ok")))`));
    validateModule(m);
    const plan: Plan = {
      calls: [
        { name: "ok", params: [], results: [], args: [] },
        { name: "keeps", params: ["i32"], results: ["i32"], args: [5n] },
        { name: "clobbers", params: ["i32"], results: ["i32"], args: [5n] },
      ],
      globals: [],
    };
    const b = new ObjectBuilder("evil");
    b.func(SYMBOLS.export("keeps"));
    b.text.push(rbx);
    b.text.mov(rbx, imm(1));
    b.text.mov(eax, mem(rsp, { disp: 16 }, 32));
    b.text.pop(rbx);
    b.text.ret();
    b.func(SYMBOLS.export("clobbers"));
    b.text.mov(rbx, imm(1));
    b.text.mov(eax, mem(rsp, { disp: 8 }, 32));
    b.text.ret();
    const { image } = link(
      [
        { name: "ok.wasm", object: compileModule(m) },
        { name: "driver", object: driverObject(m, plan) },
        { name: "evil", object: b.finish() },
        { name: "runtime", object: unixRuntime({ start: "custom" }) },
      ],
      { entry: "_start" },
    );
    const r = await runNative(image, path.join(dir, "evil.elf"), plan, 20_000);
    expect(r.calls.map((c) => c.brokeConvention === true)).toEqual([false, false, true]);
    expect(r.calls.map((c) => c.outcome)).toEqual([values(), values(5n), values(5n)]);
  });
});

describe("fuzz: generation", () => {
  it("a seed and a module number give the same module every time", async () => {
    const a = await generateModule(ROOT, dir, 77, 3);
    const b = await generateModule(ROOT, dir, 77, 3);
    const c = await generateModule(ROOT, dir, 77, 4);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(WebAssembly.validate(new Uint8Array(a))).toBe(true);
  });
});
