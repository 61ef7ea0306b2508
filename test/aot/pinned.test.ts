// asc's shadow-stack pointer kept in r14 (tools/aot/ssa/pinned.ts): the
// same results, traps and global values as V8 when functions move it,
// call each other directly and through the table, trap half-way, take
// their arguments on the stack; and the runtime's entries are the thunks
// that save r14, load the global and store it back.

import { describe, expect, it } from "vitest";
import { compileModule } from "../../tools/aot/index.ts";
import { Trap } from "../../tools/aot/traps.ts";
import { decodeModule, validateModule } from "../../tools/wasm/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

const WAT = `(module
  (import "spectest" "print_i32" (func $print (param i32)))
  (memory 1)
  (table 3 funcref)
  (type $t (func (param i32) (result i32)))
  (type $p (func (param i32)))
  (global $~lib/memory/__stack_pointer (mut i32) (i32.const 4096))
  (global $other (mut i32) (i32.const 7))
  (elem (i32.const 0) $leaf $down $print)
  ;; Balanced: pushes a slot, stores and reads it, pops.
  (func $leaf (type $t) (param i32) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (i32.const 16)))
    (i32.store (global.get $~lib/memory/__stack_pointer) (local.get 0))
    (local.set 0 (i32.add (local.get 0) (i32.load (global.get $~lib/memory/__stack_pointer))))
    (global.set $~lib/memory/__stack_pointer (i32.add (global.get $~lib/memory/__stack_pointer) (i32.const 16)))
    (local.get 0))
  ;; Unbalanced: the caller must see the new value.
  (func $down (type $t) (param i32) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (local.get 0)))
    (global.get $~lib/memory/__stack_pointer))
  (func (export "sp") (result i32) (global.get $~lib/memory/__stack_pointer))
  (func (export "set") (param i32) (global.set $~lib/memory/__stack_pointer (local.get 0)))
  (func (export "direct") (param i32) (result i32)
    (i32.add (call $leaf (local.get 0)) (i32.add (call $down (local.get 0)) (global.get $~lib/memory/__stack_pointer))))
  (func (export "indirect") (param i32 i32) (result i32)
    (i32.add (call_indirect (type $t) (local.get 1) (local.get 0)) (global.get $~lib/memory/__stack_pointer)))
  ;; Pushed, then a division that may trap, then popped.
  (func (export "divide") (param i32) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (i32.const 32)))
    (local.set 0 (i32.div_s (i32.const 1000) (local.get 0)))
    (global.set $~lib/memory/__stack_pointer (i32.add (global.get $~lib/memory/__stack_pointer) (i32.const 32)))
    (local.get 0))
  ;; Recursion with the pointer live across calls.
  (func $deep (export "deep") (param i32) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (i32.const 8)))
    (i32.store (global.get $~lib/memory/__stack_pointer) (local.get 0))
    (if (result i32) (i32.eqz (local.get 0))
      (then (global.get $~lib/memory/__stack_pointer))
      (else
        (local.set 0 (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.load (global.get $~lib/memory/__stack_pointer))))
        (global.set $~lib/memory/__stack_pointer (i32.add (global.get $~lib/memory/__stack_pointer) (i32.const 8)))
        (local.get 0))))
  ;; Seven integer arguments and a float: the stack convention, through the entry thunk.
  (func (export "many") (param i32 i32 i32 i32 i32 i32 i32 f64) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (local.get 6)))
    (i32.add (i32.add (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) (local.get 3)))
      (i32.add (i32.add (local.get 4) (local.get 5)) (i32.add (i32.trunc_f64_s (local.get 7)) (global.get $~lib/memory/__stack_pointer)))))
  (func (export "other") (result i32) (global.get $other))
  ;; An import called directly and through the table (its table entry writes the pointer back and reads it again).
  (func (export "imports") (param i32) (result i32)
    (global.set $~lib/memory/__stack_pointer (i32.sub (global.get $~lib/memory/__stack_pointer) (i32.const 4)))
    (call $print (local.get 0))
    (call_indirect (type $p) (local.get 0) (i32.const 2))
    (i32.add (global.get $~lib/memory/__stack_pointer) (local.get 0))))`;

describe("aot v2: asc's __stack_pointer in r14", () => {
  it("gives V8's results, traps and global values", async () => {
    const cases: Case[] = [
      { fn: "sp" },
      { fn: "direct", args: [5] },
      { fn: "sp" },
      { fn: "indirect", args: [0, 3] },
      { fn: "indirect", args: [1, 3] },
      { fn: "indirect", args: [3, 3], trap: Trap.UndefinedElement },
      { fn: "sp" },
      { fn: "set", args: [8192] },
      { fn: "divide", args: [7] },
      { fn: "sp" },
      // The trap leaves the pointer pushed, as V8 does.
      { fn: "divide", args: [0], trap: Trap.DivideByZero },
      { fn: "sp" },
      { fn: "deep", args: [50] },
      { fn: "sp" },
      { fn: "many", args: [1, 2, 3, 4, 5, 6, 100, 2.5] },
      { fn: "sp" },
      { fn: "other" },
      { fn: "imports", args: [9] },
      { fn: "sp" },
      { fn: "indirect", args: [2, 1], trap: Trap.IndirectCallTypeMismatch },
    ];
    expect(await compare(wat2wasm(WAT, ["--debug-names"]), cases)).toEqual([]);
  });

  it("enters through thunks that save r14 and load the global; without the name, or with ATOLL_AOT_PIN=0, nothing is pinned", () => {
    const compile = (flags: string[]) => {
      const m = decodeModule(wat2wasm(WAT, flags));
      validateModule(m);
      return compileModule(m);
    };
    const startsWithPushR14 = (o: ReturnType<typeof compile>, name: string): boolean => {
      const s = o.symbols.get(`wasm:export:${name}`)!;
      return o.text[s.offset] === 0x41 && o.text[s.offset + 1] === 0x56; // push r14
    };
    const pinned = compile(["--debug-names"]);
    for (const name of ["sp", "direct", "many"]) expect(startsWithPushR14(pinned, name)).toBe(true);
    expect(startsWithPushR14(pinned, "other")).toBe(true);
    process.env.ATOLL_AOT_PIN = "0";
    try {
      expect(startsWithPushR14(compile(["--debug-names"]), "sp")).toBe(false);
    } finally {
      delete process.env.ATOLL_AOT_PIN;
    }
    const plain = compile([]);
    expect(startsWithPushR14(plain, "sp")).toBe(false);
    const sp = decodeModule(wat2wasm(WAT)).exports.find((e) => e.name === "sp")!.index;
    expect(plain.symbols.get("wasm:export:sp")!.offset).toBe(plain.symbols.get(`wasm:func:${sp}`)!.offset);
  });
});
