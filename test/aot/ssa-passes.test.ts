// Version 2's scalar passes on the shapes they are for: constant folding and
// offset reassociation (fold.ts), asc's repeated shadow-stack checks
// (cse.ts), redundant loads (loads.ts), loop invariants (licm.ts), dead
// global and memory stores (stores.ts), dead shadow-stack stores (shadow.ts). Each test checks the
// IR lost what the pass removes, and that the compiled code still gives
// V8's results, traps, and the globals V8 shows after a trap.

import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/traps.ts";
import { buildIr } from "../../tools/aot/ssa/build.ts";
import { optimize } from "../../tools/aot/ssa/function.ts";
import { shadowStackGlobal } from "../../tools/aot/ssa/pinned.ts";
import type { IrFunction } from "../../tools/aot/ssa/ir.ts";
import { decodeModule, Op, validateModule, type Module } from "../../tools/wasm/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

function decode(wasm: Uint8Array): Module {
  const m = decodeModule(wasm);
  validateModule(m);
  return m;
}

/** The optimized IR of the exported function `name`. */
function ir(m: Module, name: string): IrFunction {
  const index = m.exports.find((e) => e.name === name && e.kind === "func")!.index;
  const fn = m.funcs[index]!;
  const f = buildIr(m, (k) => m.types[m.funcs[k]!.typeIndex]!, fn, m.types[fn.typeIndex]!, name, index);
  optimize(f, true);
  return f;
}

const count = (f: IrFunction, op: number): number => f.layout.flatMap((b) => f.blocks[b]!.insts).filter((i) => i.op === op).length;

/** Two accessors the way asc inlines them: shadow-stack push, overflow check, slot cleared then written, load, pop. */
const SHADOW_WAT = `(module
  (memory 1)
  (global $sp (mut i32) (i32.const 1024))
  (func (export "two") (param i32) (result i32) (local i32)
    (global.set $sp (i32.sub (global.get $sp) (i32.const 8)))
    (if (i32.lt_s (global.get $sp) (i32.const 64)) (then unreachable))
    (i32.store (global.get $sp) (i32.const 0))
    (i32.store (global.get $sp) (local.get 0))
    (local.set 1 (i32.load offset=4 (local.get 0)))
    (global.set $sp (i32.add (global.get $sp) (i32.const 8)))
    (global.set $sp (i32.sub (global.get $sp) (i32.const 8)))
    (if (i32.lt_s (global.get $sp) (i32.const 64)) (then unreachable))
    (i32.store (global.get $sp) (local.get 1))
    (local.set 1 (i32.add (local.get 1) (i32.load offset=8 (local.get 0))))
    (global.set $sp (i32.add (global.get $sp) (i32.const 8)))
    (local.get 1))
  (func (export "bump") (param i32 i32) (result i32) (local i32)
    (global.set $sp (i32.sub (global.get $sp) (i32.const 8)))
    (i32.store (i32.const 1016) (i32.const 0))
    (local.set 2 (i32.load (local.get 0)))
    (i32.store (i32.const 1016) (local.get 2))
    (global.set $sp (i32.add (global.get $sp) (i32.const 8)))
    (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
    (i32.store (i32.const 1016) (i32.const 0))
    (i32.store (local.get 1) (i32.const 1))
    (i32.store (i32.const 1016) (i32.const 2))
    (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
    (local.get 2))
  (func (export "sp") (result i32) (global.get $sp))
  (func (export "set_sp") (param i32) (global.set $sp (local.get 0)))
  (func (export "slot") (result i32) (i32.load (i32.const 1016))))`;

/** Operations on constants only, each an edge of wrapping, shifting or signedness. */
const CONST_WAT = `(module
  (func (export "c32") (result i32)
    (i32.xor
      (i32.add (i32.shr_s (i32.const -8) (i32.const 33)) (i32.mul (i32.const 0x10001) (i32.const 0x10001)))
      (i32.or (i32.shl (i32.lt_u (i32.const -1) (i32.const 0)) (i32.const 4))
              (i32.shl (i32.ge_s (i32.const -1) (i32.const 0)) (i32.const 5)))))
  (func (export "c64") (result i64)
    (i64.add
      (i64.sub (i64.const 0) (i64.shl (i64.const 1) (i64.const 65)))
      (i64.shr_u (i64.const -1) (i64.const 60))))
  (func (export "offsets") (param i32) (result i32)
    (i32.add (i32.sub (i32.add (local.get 0) (i32.const 7)) (i32.const 3)) (i32.const -4))))`;

/**
 * Loops with invariants: `n * 1000` in an exit test, a row address `a + i * 64` in an inner loop, a
 * division (it may trap: it stays) and a compare (it stays by its branch) of invariant values.
 */
const LOOP_WAT = `(module
  (memory 1)
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $out
      (loop $top
        (br_if $out (i32.ge_u (local.get $i) (i32.mul (local.get $n) (i32.const 1000))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (local.get $i))
  (func (export "rows") (param $a i32) (param $rows i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $s (i32.add (local.get $s)
          (i32.load8_u (i32.add (i32.add (local.get $a) (i32.mul (local.get $i) (i32.const 64))) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (i32.const 64))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $rows))))
    (local.get $s))
  (func (export "divide") (param $x i32) (param $d i32) (param $n i32) (result i32) (local $s i32)
    (loop $top
      (if (i32.gt_s (local.get $x) (local.get $d))
        (then (local.set $s (i32.add (local.get $s) (i32.div_s (local.get $x) (local.get $d))))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top (i32.gt_s (local.get $n) (i32.const 0))))
    (local.get $s))
  (func (export "fill") (param $k i32)
    (local $i i32)
    (loop $top
      (i32.store8 (local.get $i) (i32.mul (local.get $i) (local.get $k)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (i32.const 4096))))))`;

/** Loads of places already loaded or just stored, and the writes that make them necessary again. */
const LOADS_WAT = `(module
  (memory 1)
  (func $touch (param i32) (i32.store (local.get 0) (i32.const 99)))
  (func (export "twice") (param $p i32) (result i32)
    (i32.add (i32.load offset=4 (local.get $p)) (i32.load offset=4 (local.get $p))))
  (func (export "forward") (param $p i32) (param $v i64) (result i64)
    (i64.store offset=8 (local.get $p) (local.get $v))
    (i64.add (i64.load offset=8 (local.get $p)) (i64.const 1)))
  (func (export "aliased") (param $p i32) (param $q i32) (result i32) (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.store (local.get $q) (i32.const 7))
    (i32.add (local.get $x) (i32.load (local.get $p))))
  (func (export "called") (param $p i32) (result i32) (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (call $touch (local.get $p))
    (i32.add (local.get $x) (i32.load (local.get $p))))
  (func (export "narrow") (param $p i32) (result i32)
    (i32.store8 (local.get $p) (i32.const 0x1ff))
    (i32.load8_u (local.get $p))))`;

/** Divisors that take each path of divide.ts: powers of two, multipliers of 32 and 33 bits, negative, extreme, and those left as divisions. */
const DIVISORS = [2, 3, 5, 7, 10, 16, 100, 641, 1000, 10000, 0x7fffffff, 0x40000000, -1, -2, -3, -7, -10, -1000, -0x80000000, 0x80000001, 0, 1];
const DIVIDE_WAT = `(module
${DIVISORS.map((d) => ["div_u", "rem_u", "div_s", "rem_s"].map((op) => `  (func (export "${op}_${d >>> 0}") (param i32) (result i32) (i32.${op} (local.get 0) (i32.const ${d | 0})))`).join("\n")).join("\n")})`;
const DIVIDENDS = [0, 1, -1, 2, 3, 6, 7, 9, 10, 11, 99, 100, 101, 9999, 10000, 12345678, 0x7fffffff, -0x80000000, -0x7fffffff, -7, -10, -99, -100, 0xfffffffe, 0x80000001, 641 * 6700417];

/** Integer selects on each compare, with operands in registers and as constants (zero, small, past 32 bits). */
const SELECT_CMPS = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
const SELECT_WAT = `(module
${["i32", "i64"].map((t) => SELECT_CMPS.map((c) => `  (func (export "${t}_${c}") (param $a ${t}) (param $b ${t}) (param $x i64) (param $y i64) (result i64)
    (select (local.get $x) (local.get $y) (${t}.${c} (local.get $a) (local.get $b))))
  (func (export "${t}_${c}_k") (param $a ${t}) (param $b ${t}) (result ${t})
    (select (${t}.const 0) (${t}.const ${t === "i64" ? "0x123456789" : "-7"}) (${t}.${c} (local.get $a) (${t}.const 5))))`).join("\n")).join("\n")}
  (func (export "eqz") (param $a i32) (param $x i32) (result i32)
    (select (local.get $a) (local.get $x) (i32.eqz (local.get $x)))))`;

/** asc's shadow stack: slots written and given back with or without a call, a read of the slot (narrow: loads.ts leaves it), a slot not given back. */
const SHADOW_SP = "$~lib/memory/__stack_pointer";
const SHADOW_STACK_WAT = `(module
  (memory 1)
  (global ${SHADOW_SP} (mut i32) (i32.const 4096))
  (func $gc)
  (func (export "accessor") (param $p i32) (result i32) (local $sp i32)
    (global.set ${SHADOW_SP} (local.tee $sp (i32.sub (global.get ${SHADOW_SP}) (i32.const 8))))
    (i32.store (local.get $sp) (local.get $p))
    (i32.store offset=4 (local.get $sp) (local.get $p))
    (local.set $p (i32.load offset=4 (local.get $p)))
    (global.set ${SHADOW_SP} (i32.add (local.get $sp) (i32.const 8)))
    (local.get $p))
  (func (export "called") (param $p i32) (result i32)
    (global.set ${SHADOW_SP} (i32.sub (global.get ${SHADOW_SP}) (i32.const 4)))
    (i32.store (global.get ${SHADOW_SP}) (local.get $p))
    (call $gc)
    (global.set ${SHADOW_SP} (i32.add (global.get ${SHADOW_SP}) (i32.const 4)))
    (i32.load (local.get $p)))
  (func (export "reread") (param $p i32) (result i32) (local $v i32)
    (global.set ${SHADOW_SP} (i32.sub (global.get ${SHADOW_SP}) (i32.const 4)))
    (i32.store (global.get ${SHADOW_SP}) (local.get $p))
    (local.set $v (i32.load8_u offset=1 (global.get ${SHADOW_SP})))
    (global.set ${SHADOW_SP} (i32.add (global.get ${SHADOW_SP}) (i32.const 4)))
    (local.get $v))
  (func (export "kept") (param $p i32) (result i32) (local $sp i32)
    (global.set ${SHADOW_SP} (local.tee $sp (i32.sub (global.get ${SHADOW_SP}) (i32.const 8))))
    (i32.store offset=4 (local.get $sp) (local.get $p))
    (global.set ${SHADOW_SP} (i32.add (local.get $sp) (i32.const 4)))
    (i32.const 0))
  (func (export "peek") (result i32) (i32.load (i32.const 4092)))
  (func (export "sp") (result i32) (global.get ${SHADOW_SP})))`;

/** How many instructions with opcode `op` are in blocks at loop depth `depth` or deeper. */
const countInLoops = (f: IrFunction, op: number, depth: number): number =>
  f.layout.filter((b) => f.blocks[b]!.loopDepth >= depth).flatMap((b) => f.blocks[b]!.insts).filter((i) => i.op === op).length;

describe("aot v2: scalar passes", () => {
  it("reuses a value already loaded or stored, but not across a store elsewhere or a call, with V8's results", async () => {
    const m = decode(wat2wasm(LOADS_WAT));
    expect(count(ir(m, "twice"), Op.I32Load)).toBe(1);
    expect(count(ir(m, "forward"), Op.I64Load)).toBe(0);
    expect(count(ir(m, "aliased"), Op.I32Load)).toBe(2);
    expect(count(ir(m, "called"), Op.I32Load)).toBe(2);
    expect(count(ir(m, "narrow"), Op.I32Load8U)).toBe(1);
    const cases: Case[] = [
      { fn: "twice", args: [100] },
      { fn: "forward", args: [200, 41n] },
      { fn: "aliased", args: [300, 300] },
      { fn: "aliased", args: [300, 304] },
      { fn: "called", args: [400] },
      { fn: "narrow", args: [500] },
      { fn: "twice", args: [65532], trap: Trap.MemoryOutOfBounds },
      { fn: "forward", args: [65530, 1n], trap: Trap.MemoryOutOfBounds },
    ];
    expect(await compare(wat2wasm(LOADS_WAT), cases)).toEqual([]);
  });

  it("divides by constants with multiplications, with V8's quotients, remainders and traps", async () => {
    const m = decode(wat2wasm(DIVIDE_WAT));
    const divisions = (name: string): number => [Op.I32DivU, Op.I32RemU, Op.I32DivS, Op.I32RemS].reduce((n, op) => n + count(ir(m, name), op), 0);
    expect(divisions("div_u_10") + divisions("rem_s_4294967289") + divisions("div_s_2147483648")).toBe(0);
    // Left as divisions: by 0 and -1 (they trap), by 1 (asc never asks), unsigned above 2^31.
    expect(divisions("div_s_4294967295") + divisions("div_u_0") + divisions("div_u_1") + divisions("div_u_2147483649")).toBe(4);
    const cases: Case[] = [];
    for (const d of DIVISORS) {
      for (const op of ["div_u", "rem_u", "div_s", "rem_s"]) {
        const fn = `${op}_${d >>> 0}`;
        for (const x of DIVIDENDS) {
          const traps = d === 0 || (op === "div_s" && d === -1 && (x | 0) === -0x80000000);
          cases.push(traps ? { fn, args: [x | 0], trap: d === 0 ? Trap.DivideByZero : Trap.IntegerOverflow } : { fn, args: [x | 0] });
        }
      }
    }
    expect(await compare(wat2wasm(DIVIDE_WAT), cases)).toEqual([]);
  });

  it("fuses a compare into the integer select that reads it, with V8's results", async () => {
    const m = decode(wat2wasm(SELECT_WAT));
    for (const name of ["i32_lt_s", "i64_ge_u", "i32_ne_k", "eqz"]) {
      const index = m.exports.find((e) => e.name === name)!.index;
      const fn = m.funcs[index]!;
      const f = buildIr(m, (k) => m.types[m.funcs[k]!.typeIndex]!, fn, m.types[fn.typeIndex]!, name, index);
      expect(optimize(f, true).size).toBe(1);
    }
    const cases: Case[] = [];
    const pairs: [bigint, bigint][] = [[0n, 0n], [1n, 2n], [2n, 1n], [-1n, 1n], [5n, 5n], [-5n, 5n], [0x7fffffffn, -0x80000000n], [0x100000000n, 1n]];
    for (const t of ["i32", "i64"]) {
      for (const c of SELECT_CMPS) {
        for (const [a, b] of pairs) {
          const [x, y] = t === "i32" ? [Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, b))] : [a, b];
          cases.push({ fn: `${t}_${c}`, args: [x, y, 0x1111222233334444n, -3n] });
          cases.push({ fn: `${t}_${c}_k`, args: [x, y] });
        }
      }
    }
    for (const [a, x] of [[3, 0], [3, 9], [-1, 0]]) cases.push({ fn: "eqz", args: [a, x] });
    expect(await compare(wat2wasm(SELECT_WAT), cases)).toEqual([]);
  });

  it("drops stores to asc's shadow-stack slots given back before any call, and only those", async () => {
    const wasm = wat2wasm(SHADOW_STACK_WAT, ["--debug-names"]);
    const m = decode(wasm);
    const sp = shadowStackGlobal(m);
    expect(sp).not.toBeNull();
    const stores = (name: string, shadow: number | null): number => {
      const index = m.exports.find((e) => e.name === name)!.index;
      const fn = m.funcs[index]!;
      const f = buildIr(m, (k) => m.types[m.funcs[k]!.typeIndex]!, fn, m.types[fn.typeIndex]!, name, index);
      optimize(f, true, shadow);
      return count(f, Op.I32Store);
    };
    expect(stores("accessor", sp)).toBe(0);
    expect(stores("accessor", null)).toBe(2);
    // A call between may run the collector; a load of the slot reads it; a slot still below the stack pointer is live.
    expect(stores("called", sp)).toBe(1);
    expect(stores("reread", sp)).toBe(1);
    expect(stores("kept", sp)).toBe(1);
    const cases: Case[] = [
      { fn: "accessor", args: [100] },
      { fn: "sp" },
      { fn: "called", args: [100] },
      { fn: "reread", args: [0x1234] },
      { fn: "kept", args: [55] },
      { fn: "peek" },
      { fn: "sp" },
    ];
    expect(await compare(wasm, cases)).toEqual([]);
  });

  it("moves loop invariants to the preheader, leaving what may trap and the compares, with V8's results", async () => {
    const m = decode(wat2wasm(LOOP_WAT));
    const count1 = ir(m, "count");
    expect(count(count1, Op.I32Mul)).toBe(1);
    expect(countInLoops(count1, Op.I32Mul, 1)).toBe(0);
    // The row address depends on the outer loop's i: out of the inner loop, not out of the outer one.
    const rows = ir(m, "rows");
    expect(count(rows, Op.I32Mul) + count(rows, Op.I32Shl)).toBe(1);
    expect(countInLoops(rows, Op.I32Mul, 2) + countInLoops(rows, Op.I32Shl, 2)).toBe(0);
    expect(countInLoops(rows, Op.I32Mul, 1) + countInLoops(rows, Op.I32Shl, 1)).toBe(1);
    const divide = ir(m, "divide");
    expect(countInLoops(divide, Op.I32DivS, 1)).toBe(1);
    expect(countInLoops(divide, Op.I32GtS, 1)).toBe(2);
    const cases: Case[] = [
      { fn: "count", args: [0] },
      { fn: "count", args: [3] },
      { fn: "fill", args: [7] },
      { fn: "rows", args: [100, 5] },
      { fn: "rows", args: [0, 1] },
      { fn: "divide", args: [100, 7, 3] },
      // The division is never reached when x <= d, even with d = 0: no trap.
      { fn: "divide", args: [0, 0, 3] },
      { fn: "divide", args: [5, 0, 2], trap: Trap.DivideByZero },
    ];
    expect(await compare(wat2wasm(LOOP_WAT), cases)).toEqual([]);
  });

  it("folds constant expressions and offset chains, with V8's results", async () => {
    const m = decode(wat2wasm(CONST_WAT));
    for (const name of ["c32", "c64"]) {
      const f = ir(m, name);
      expect(f.layout.flatMap((b) => f.blocks[b]!.insts).filter((i) => i.op < 0x10000)).toEqual([]);
    }
    // x + 7 - 3 - 4 is x.
    const off = ir(m, "offsets");
    expect(count(off, Op.I32Add) + count(off, Op.I32Sub)).toBe(0);
    const cases: Case[] = [{ fn: "c32" }, { fn: "c64" }, { fn: "offsets", args: [-5] }, { fn: "offsets", args: [123] }];
    expect(await compare(wat2wasm(CONST_WAT), cases)).toEqual([]);
  });

  it("drops the repeated shadow-stack check, the dead stack-pointer write and the cleared slot's write", () => {
    const f = ir(decode(wat2wasm(SHADOW_WAT)), "two");
    expect(count(f, Op.I32LtS)).toBe(1);
    // Written: on the first push, on the second push (the pop before it is dead), on the last pop.
    expect(count(f, Op.GlobalSet)).toBe(3);
    // The slot cleared with 0 and written at once keeps only the write.
    expect(count(f, Op.I32Store)).toBe(2);
    // In one block: a load or a store elsewhere between two writes may fault, so both writes stay;
    // the slot's write after the load is dead (rewritten with only global writes between).
    const bump = ir(decode(wat2wasm(SHADOW_WAT)), "bump");
    expect(count(bump, Op.GlobalSet)).toBe(3);
    expect(count(bump, Op.I32Store)).toBe(4);
  });

  it("leaves memory and globals as V8 does when the code traps between the stores", async () => {
    const cases: Case[] = [
      { fn: "two", args: [16] },
      { fn: "sp" },
      { fn: "slot" },
      // The second load faults: the first push's write of sp and the slot's write stay visible.
      { fn: "two", args: [65528], trap: Trap.MemoryOutOfBounds },
      { fn: "sp" },
      { fn: "slot" },
      // The first load faults.
      { fn: "set_sp", args: [1024] },
      { fn: "two", args: [65532], trap: Trap.MemoryOutOfBounds },
      { fn: "sp" },
      { fn: "slot" },
      // Faults between writes in one block.
      { fn: "set_sp", args: [1024] },
      { fn: "bump", args: [65534, 0], trap: Trap.MemoryOutOfBounds },
      { fn: "sp" },
      { fn: "slot" },
      { fn: "set_sp", args: [1024] },
      { fn: "bump", args: [4, 65534], trap: Trap.MemoryOutOfBounds },
      { fn: "sp" },
      { fn: "slot" },
      { fn: "set_sp", args: [1024] },
      { fn: "bump", args: [4, 100] },
      { fn: "sp" },
      { fn: "slot" },
      // The overflow check traps: sp stays pushed.
      { fn: "set_sp", args: [70] },
      { fn: "two", args: [16], trap: Trap.Unreachable },
      { fn: "sp" },
    ];
    expect(await compare(wat2wasm(SHADOW_WAT), cases)).toEqual([]);
  });
});
