// Control flow, calls, globals and multi-value natively vs V8: branches
// that carry values out of nested blocks, br_table with shared and
// defaulted targets, loops with parameters, direct, indirect and recursive
// calls (with their traps), stack exhaustion, many arguments and results.
import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

const WAT = `(module
  (type $ii (func (param i32) (result i32)))
  (type $ii2 (func (param i32) (result i32)))
  (type $v (func))
  (table 6 funcref)
  (elem (i32.const 1) $double $neg $nothing $double)
  (global $g (mut i64) (i64.const 5))
  (global $k i32 (i32.const 40))
  (func $double (type $ii) (i32.add (local.get 0) (local.get 0)))
  (func $neg (type $ii2) (i32.sub (i32.const 0) (local.get 0)))
  (func $nothing (type $v))

  (func (export "nested") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (block $c (result i32)
          (drop (br_if $a (i32.const 100) (i32.eq (local.get 0) (i32.const 0))))
          (drop (br_if $b (i32.const 200) (i32.eq (local.get 0) (i32.const 1))))
          (drop (br_if $c (i32.const 300) (i32.eq (local.get 0) (i32.const 2))))
          (i32.const 400))
        (i32.add (i32.const 1)))
      (i32.add (i32.const 10))))

  (func (export "switch") (param i32) (result i32)
    (local i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $b $c $a $d (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 20)))
      (return (i32.const 30)))
    (i32.const 99))

  (func (export "switch_value") (param i32) (result i64)
    (block $out (result i64)
      (i64.const 7)
      (block $x (param i64) (result i64)
        (br_table $out $x $out (local.get 0)))
      (i64.const 1000)
      (i64.add)))

  (func (export "sum_loop") (param i32) (result i64)
    (local i64)
    (i64.const 0)
    (loop $l (param i64) (result i64)
      (i64.add (i64.extend_i32_u (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (i32.ne (local.get 0) (i32.const -1)))))

  (func (export "if_params") (param i32 i32) (result i32)
    (local.get 1)
    (if (param i32) (result i32) (local.get 0)
      (then (i32.mul (i32.const 3)))
      (else (i32.sub (i32.const 1)))))

  (func (export "if_no_else") (param i32) (result i32)
    (local.get 0)
    (if (param i32) (result i32) (i32.gt_s (local.get 0) (i32.const 10))
      (then (drop) (i32.const 10))))

  (func (export "select") (param i32 i64 i64) (result i64)
    (select (local.get 1) (local.get 2) (local.get 0)))

  (func (export "fselect") (param i32 f64 f64) (result f64)
    (select (local.get 1) (local.get 2) (local.get 0)))

  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.le_u (local.get 0) (i64.const 1))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))

  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))

  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))

  (func (export "indirect_v") (param i32)
    (call_indirect (type $v) (local.get 0)))

  (func $many (param i32 i64 f32 f64 i32 i64 f32 f64 i32) (result f64)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
      (f64.add
        (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
        (f64.add (f64.convert_i32_s (i32.mul (local.get 4) (local.get 8)))
          (f64.add (f64.convert_i64_s (local.get 5)) (f64.add (f64.promote_f32 (local.get 6)) (local.get 7)))))))
  (func (export "many") (param i32) (result f64)
    (call $many (local.get 0) (i64.const -3) (f32.const 0.5) (f64.const 0.25) (i32.const 7) (i64.const 100) (f32.const -1.5) (f64.const 1e10) (i32.const -2)))

  (func $multi (param i32) (result i32 i64 f32 f64 i32)
    (local.get 0) (i64.extend_i32_s (local.get 0)) (f32.convert_i32_s (local.get 0)) (f64.const -2.5) (i32.const 9))
  (func (export "multi") (param i32) (result i32 i64 f32 f64 i32) (call $multi (local.get 0)))
  (func (export "multi_sum") (param i32) (result f64)
    (local i32 i64 f32 f64 i32)
    (call $multi (local.get 0))
    (local.set 5) (local.set 4) (local.set 3) (local.set 2) (local.set 1)
    (f64.add (f64.add (f64.convert_i32_s (i32.sub (local.get 1) (local.get 5))) (f64.convert_i64_s (local.get 2)))
      (f64.add (f64.promote_f32 (local.get 3)) (local.get 4))))
  (func (export "multi_block") (param i32) (result i32)
    (block (result i32 i32) (i32.const 3) (local.get 0) (br_if 0 (local.get 0)) (i32.add) (i32.const 100))
    (i32.mul))

  (func (export "global") (param i64) (result i64)
    (global.set $g (i64.add (global.get $g) (local.get 0)))
    (i64.add (global.get $g) (i64.extend_i32_u (global.get $k))))

  (func (export "locals") (param i32) (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (local.set 12 (i64.extend_i32_u (local.get 0)))
    (i64.add (local.get 1) (i64.add (local.get 11) (local.tee 5 (local.get 12)))))

  (func (export "unreachable") (unreachable))
)`;

const cases: Case[] = [
  ...[0, 1, 2, 3].map((x): Case => ({ fn: "nested", args: [x] })),
  ...[-1, 0, 1, 2, 3, 4, 5, 6, 100].map((x): Case => ({ fn: "switch", args: [x] })),
  ...[0, 1, 2, 3].map((x): Case => ({ fn: "switch_value", args: [x] })),
  ...[0, 1, 10, 1000].map((x): Case => ({ fn: "sum_loop", args: [x] })),
  ...[[0, 5], [1, 5]].map((a): Case => ({ fn: "if_params", args: a })),
  ...[5, 50].map((x): Case => ({ fn: "if_no_else", args: [x] })),
  ...[0, 1, -1].map((c): Case => ({ fn: "select", args: [c, 0x123456789n, -2n] })),
  ...[0, 1].map((c): Case => ({ fn: "fselect", args: [c, 1.5, -0] })),
  ...[0n, 1n, 5n, 20n, 25n].map((x): Case => ({ fn: "fac", args: [x] })),
  ...[0, 1, 2, 3, 4, 5].map((i): Case => ({ fn: "indirect", args: [i, 21], ...(i === 0 || i === 5 ? { trap: Trap.UninitializedElement } : i === 3 ? { trap: Trap.IndirectCallTypeMismatch } : {}) })),
  { fn: "indirect", args: [6, 1], trap: Trap.UndefinedElement },
  { fn: "indirect", args: [-1, 1], trap: Trap.UndefinedElement },
  { fn: "indirect_v", args: [3] },
  { fn: "indirect_v", args: [1], trap: Trap.IndirectCallTypeMismatch },
  { fn: "many", args: [3] },
  { fn: "multi", args: [-4] },
  { fn: "multi_sum", args: [11] },
  { fn: "multi_block", args: [0] },
  { fn: "multi_block", args: [5] },
  { fn: "global", args: [1n] },
  { fn: "global", args: [-100n] },
  { fn: "locals", args: [77] },
  { fn: "locals", args: [-1] },
  { fn: "unreachable", trap: Trap.Unreachable },
  { fn: "deep", args: [0], trap: Trap.StackExhausted },
  // The image survives exhaustion: calls afterwards work as before.
  { fn: "fac", args: [10n] },
];

describe("aot: control flow, calls, globals, multi-value against V8", () => {
  it("runs every case as V8 does", async () => {
    expect(await compare(wat2wasm(WAT), cases)).toEqual([]);
  });

  it("traps in a function that was entered again after a trap", async () => {
    const again: Case[] = [
      { fn: "indirect", args: [0, 1], trap: Trap.UninitializedElement },
      { fn: "deep", args: [0], trap: Trap.StackExhausted },
      { fn: "deep", args: [0], trap: Trap.StackExhausted },
      { fn: "indirect", args: [1, 4] },
    ];
    expect(await compare(wat2wasm(WAT), again)).toEqual([]);
  });
});

describe("aot: frames bigger than the stack guard", () => {
  // 1,000 values live across a recursive call: version 1 keeps them in locals' slots,
  // version 2 spills them (no register survives the call); either way an 8 KiB frame.
  it("a function with 1,000 values live across its recursive call exhausts the stack and traps cleanly", async () => {
    const n = 1000;
    const locals = Array.from({ length: n }, () => "i64").join(" ");
    const sets = Array.from({ length: n }, (_, k) => `(local.set ${k + 1} (i64.add (i64.extend_i32_u (local.get 0)) (i64.const ${k})))`).join("\n");
    const sum = Array.from({ length: n }, (_, k) => `local.get ${k + 1}` + (k > 0 ? " i64.add" : "")).join("\n");
    const wat = `(module
      (func $big (export "big") (param i32) (result i64) (local ${locals})
        ${sets}
        (if (result i64) (i32.eqz (local.get 0))
          (then (i64.const 0))
          (else
            local.get 0 i32.const 1 i32.sub call $big
            ${sum}
            i64.add))))`;
    expect(
      await compare(wat2wasm(wat), [
        { fn: "big", args: [2] },
        { fn: "big", args: [4] },
        { fn: "big", args: [100_000], trap: Trap.StackExhausted },
        { fn: "big", args: [3] },
      ]),
    ).toEqual([]);
  });
});
