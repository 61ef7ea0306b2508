// Version 2 of the code generator (tools/aot/ssa): the IR verifier between
// passes, inlining (results and traps as V8's, trap reports naming the
// inlined function), and the choice between versions 1 and 2.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileModule, type AotObject } from "../../tools/aot/index.ts";
import { Trap } from "../../tools/aot/traps.ts";
import { buildIr } from "../../tools/aot/ssa/build.ts";
import { optimize } from "../../tools/aot/ssa/function.ts";
import { verify } from "../../tools/aot/ssa/verify.ts";
import { link } from "../../tools/link/index.ts";
import { unixRuntime } from "../../tools/runtime/unix/index.ts";
import { decodeModule, Op, validateModule, type Module } from "../../tools/wasm/index.ts";
import { inlinePolicy } from "../../tools/aot/ssa/inline-policy.ts";
import { functionSymbolNames } from "../../tools/build/symbol-names.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

function decode(wasm: Uint8Array): Module {
  const m = decodeModule(wasm);
  validateModule(m);
  return m;
}

/** Small functions the inliner takes, each with a way to trap, and callers that use them in loops and branches. */
const INLINE_WAT = `(module
  (memory 1)
  (func $div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $load (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func $check (param i32) (if (i32.gt_u (local.get 0) (i32.const 100)) (then unreachable)))
  (func $twice (param i64) (result i64 i64) (local.get 0) (i64.add (local.get 0) (local.get 0)))
  (func $early (param i32) (result i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 7))))
    (i32.mul (local.get 0) (i32.const 3)))
  (func $never (param i32) (result i32) unreachable)
  (func (export "sum_div") (param i32 i32) (result i32) (local i32 i32)
    (loop $l
      (local.set 3 (i32.add (local.get 3) (call $div (local.get 0) (local.get 1))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 2) (i32.const 10))))
    (local.get 3))
  (func (export "load") (param i32) (result i32) (call $load (local.get 0)))
  (func (export "check") (param i32) (result i32) (call $check (local.get 0)) (i32.add (local.get 0) (i32.const 1)))
  (func (export "pair") (param i64) (result i64) (call $twice (local.get 0)) (i64.sub))
  (func (export "early") (param i32) (result i32) (i32.add (call $early (local.get 0)) (call $early (i32.const 0))))
  (func (export "never") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (call $never (local.get 0))) (else (i32.const 5)))))`;

describe("aot v2: the IR verifier", () => {
  it("passes every pass's output on a module of loops, branches, br_table and multi-value", () => {
    const m = decode(wat2wasm(INLINE_WAT));
    m.funcs.forEach((fn, i) => {
      const f = buildIr(m, (k) => m.types[m.funcs[k]!.typeIndex]!, fn, m.types[fn.typeIndex]!, `f${i}`, i, (k) => m.funcs[k] ?? null);
      expect(() => optimize(f, true)).not.toThrow();
    });
  });

  it("finds a use its definition does not dominate, and a phi with too few operands", () => {
    const m = decode(wat2wasm(`(module (func (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))`));
    const fn = m.funcs[0]!;
    const f = buildIr(m, () => m.types[0]!, fn, m.types[fn.typeIndex]!, "f", 0);
    optimize(f, true);
    const merge = f.layout.map((b) => f.blocks[b]!).find((b) => b.phis.length > 0)!;
    const phi = merge.phis[0]!;
    const saved = [...phi.args];
    phi.args.pop();
    expect(() => verify(f, "test")).toThrow(/operands for 2 predecessors/);
    phi.args = saved;
    // The then arm's constant, read in the else arm's block: not dominated.
    const thenConst = phi.args[0]!, elseConst = phi.args[1]!;
    phi.args = [elseConst, thenConst];
    expect(() => verify(f, "test")).toThrow(/does not dominate/);
  });
});

describe("aot v2: inlining", () => {
  const cases: Case[] = [
    { fn: "sum_div", args: [100, 7] },
    { fn: "sum_div", args: [-2147483648, -1], trap: Trap.IntegerOverflow },
    { fn: "sum_div", args: [1, 0], trap: Trap.DivideByZero },
    { fn: "load", args: [16] },
    { fn: "load", args: [65532], trap: Trap.MemoryOutOfBounds },
    { fn: "check", args: [5] },
    { fn: "check", args: [101], trap: Trap.Unreachable },
    { fn: "pair", args: [21n] },
    { fn: "early", args: [0] },
    { fn: "early", args: [5] },
    { fn: "never", args: [0] },
    { fn: "never", args: [1], trap: Trap.Unreachable },
  ];

  it("inlined calls give V8's results and traps", async () => {
    expect(await compare(wat2wasm(INLINE_WAT), cases)).toEqual([]);
  });

  it("inlines the small callees: no call is left in the callers' IR", () => {
    const m = decode(wat2wasm(INLINE_WAT));
    const policy = inlinePolicy(m, 0);
    const callers = m.funcs.slice(6);
    expect(callers.length).toBe(6);
    callers.forEach((fn, k) => {
      const f = buildIr(m, (x) => m.types[m.funcs[x]!.typeIndex]!, fn, m.types[fn.typeIndex]!, `f${k + 6}`, k + 6, policy);
      optimize(f, true);
      const calls = f.layout.flatMap((b) => f.blocks[b]!.insts).filter((i) => i.op === Op.Call);
      expect(calls.map((i) => i.ins!.index)).toEqual([]);
      // Each instruction and terminator remembers the function it came from.
      const origins = f.layout.flatMap((b) => [f.blocks[b]!.origin, ...f.blocks[b]!.insts.map((i) => i.origin)]);
      expect(origins.some((o) => o < 6)).toBe(true);
    });
  });

  it("names each stretch of inlined code after its function in the executable's symbol names", () => {
    const m = decode(wat2wasm(INLINE_WAT, ["--debug-names"]));
    const obj = compileModule(m);
    const names = functionSymbolNames(m, obj.inlined);
    const inlinedNames = new Set([...names].filter(([sym]) => sym.startsWith("wasm:inlined:")).map(([, n]) => n));
    expect(inlinedNames).toEqual(new Set(["div (inlined)", "load (inlined)", "check (inlined)", "twice (inlined)", "early (inlined)", "never (inlined)"]));
    for (const sym of obj.inlined!.keys()) expect(obj.symbols.get(sym)?.section).toBe("text");
  });

  // A real image: the runtime's trap report must name the function the trap was written in.
  const abiWat = (body: string): string => `(module
    (import "atoll" "console_write" (func $cw (param i32 i32)))
    (memory (export "memory") 1)
    (func $divide (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
    (func $peek (param i32) (result i32) (i32.load (local.get 0)))
    (func $halt unreachable)
    (func $run (param i32) (result i32) ${body})
    (func (export "atoll_abi_version") (result i32) (i32.const 1))
    (func (export "_initialize"))
    (func (export "atoll_init"))
    (func (export "atoll_run") (drop (call $run (i32.const 0))))
    (func (export "atoll_step") (param i64) (result i64) (drop (call $run (i32.const 0))) (i64.const -1)))`;

  function runImage(obj: AotObject): { stderr: string; status: number | null } {
    const dir = mkdtempSync(path.join(tmpdir(), "atoll-ssa-"));
    try {
      const exe = path.join(dir, "m");
      writeFileSync(exe, link([{ name: "m.wasm", object: obj }, { name: "unix runtime", object: unixRuntime() }], { entry: "_start" }).image);
      chmodSync(exe, 0o755);
      const r = spawnSync(exe, [], { timeout: 10_000 });
      return { stderr: r.stderr.toString(), status: r.status };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ["a division by zero", "(call $divide (i32.const 1) (local.get 0))", "trap: integer divide by zero in divide\n"],
    ["a load out of bounds", "(call $peek (i32.const 65535))", "trap: out of bounds memory access in peek\n"],
    ["unreachable", "(call $halt) (i32.const 0)", "trap: unreachable executed in halt\n"],
    ["the caller's own trap", "(i32.div_s (i32.const 1) (local.get 0))", "trap: integer divide by zero in run\n"],
  ])("%s inlined into its caller is reported in the callee", (_what, body, message) => {
    const obj = compileModule(decode(wat2wasm(abiWat(body), ["--debug-names"])), { name: "m.wasm" });
    const r = runImage(obj);
    expect(r.stderr).toBe(message);
    expect(r.status).toBe(102);
  });
});

describe("aot: choosing the code generator", () => {
  const m = (): Module => decode(wat2wasm(INLINE_WAT));
  it("ATOLL_AOT=v1 and the version option select version 1; a wrong value is an error naming it", () => {
    const v2 = compileModule(m());
    const v1 = compileModule(m(), { version: "v1" });
    expect(v1.text.length).toBeGreaterThan(v2.text.length);
    const saved = process.env.ATOLL_AOT;
    try {
      process.env.ATOLL_AOT = "v1";
      expect(compileModule(m()).text).toEqual(v1.text);
      process.env.ATOLL_AOT = "v3";
      expect(() => compileModule(m())).toThrow("ATOLL_AOT=v3: expected v1 or v2");
    } finally {
      if (saved === undefined) delete process.env.ATOLL_AOT;
      else process.env.ATOLL_AOT = saved;
    }
  });
});
