// Bulk memory and table operations natively vs V8: memmove in both
// directions, bounds checked before any write (no partial copies or
// fills), segments that drop, table.copy/init through call_indirect.
import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

const MEMORY = `(module
  (memory 1 2)
  (data $d "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
  (data (i32.const 100) "abcdefghijklmnopqrstuvwxyz")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $d))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "at") (param i32) (result i64) (i64.load (local.get 0)))
  ;; A checksum of [a, a+n), so that a whole region is compared at once.
  (func (export "sum") (param $a i32) (param $n i32) (result i64)
    (local $h i64)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $h (i64.add (i64.mul (local.get $h) (i64.const 31)) (i64.load8_u (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $h))
)`;

const TABLE = `(module
  (type $r (func (result i32)))
  (table $t 8 funcref)
  (elem $e func $f0 $f1 $f2 $f3)
  (elem (i32.const 0) func $f3 $f2)
  (elem declare func $f0)
  (func $f0 (result i32) (i32.const 10))
  (func $f1 (result i32) (i32.const 11))
  (func $f2 (result i32) (i32.const 12))
  (func $f3 (result i32) (i32.const 13))
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0)))
  (func (export "init") (param i32 i32 i32) (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $e))
  (func (export "size") (result i32) (table.size $t))
)`;

const OOB = Trap.MemoryOutOfBounds;
const TOOB = Trap.TableOutOfBounds;

describe("aot: bulk memory and table operations against V8", () => {
  it("memory.copy overlapping either way, memory.fill, and their bounds", async () => {
    const cases: Case[] = [
      { fn: "copy", args: [102, 100, 10] },
      { fn: "sum", args: [90, 50] },
      { fn: "copy", args: [100, 103, 20] },
      { fn: "sum", args: [90, 50] },
      { fn: "copy", args: [200, 100, 0] },
      { fn: "copy", args: [65536, 0, 0] },
      { fn: "copy", args: [65537, 0, 0], trap: OOB },
      { fn: "copy", args: [0, 65537, 0], trap: OOB },
      { fn: "copy", args: [65530, 100, 7], trap: OOB },
      { fn: "copy", args: [100, 65530, 7], trap: OOB },
      { fn: "copy", args: [100, 0, -1], trap: OOB },
      { fn: "sum", args: [65520, 16] },
      { fn: "fill", args: [300, 0xab, 9] },
      { fn: "at", args: [300] },
      { fn: "at", args: [302] },
      { fn: "fill", args: [65530, 1, 7], trap: OOB },
      { fn: "sum", args: [65520, 16] },
      { fn: "fill", args: [65536, 1, 0] },
      { fn: "fill", args: [65537, 1, 0], trap: OOB },
      { fn: "grow", args: [1] },
      { fn: "fill", args: [65530, 0x77, 7] },
      { fn: "copy", args: [131000, 65530, 7] },
      { fn: "sum", args: [130990, 30] },
      { fn: "copy", args: [131070, 0, 3], trap: OOB },
    ];
    expect(await compare(wat2wasm(MEMORY), cases)).toEqual([]);
  });

  it("memory.copy downwards by quadwords then bytes: every overlap distance 1..17 and length 0..40, each result summed", async () => {
    const cases: Case[] = [];
    for (let d = 1; d <= 17; d++) {
      for (let n = 0; n <= 40; n++) {
        cases.push({ fn: "fill", args: [1000, (d * 7 + n) & 255, 80] }, { fn: "copy", args: [100, 108 + n, 30] });
        cases.push({ fn: "copy", args: [1000 - d, 1000, n] }, { fn: "sum", args: [1000 - d - 1, n + d + 2] });
      }
    }
    expect(await compare(wat2wasm(MEMORY), cases)).toEqual([]);
  });

  it("memory.copy upwards, overlapping (backward) or not (forward), and in place: every distance 0..17 and length 0..40", async () => {
    const cases: Case[] = [];
    for (let d = 0; d <= 17; d++) {
      for (let n = 0; n <= 40; n++) {
        cases.push({ fn: "fill", args: [1000, (d * 5 + n) & 255, 80] }, { fn: "copy", args: [1000, 108 + n, 30] });
        cases.push({ fn: "copy", args: [1000 + d, 1000, n] }, { fn: "sum", args: [999, n + d + 2] });
      }
    }
    expect(await compare(wat2wasm(MEMORY), cases)).toEqual([]);
  });

  it("memory.fill of every length 0..40 at every alignment 0..7, with values whose bytes differ in their upper bits, touches only its range", async () => {
    const cases: Case[] = [];
    for (let at = 0; at < 8; at++) {
      for (let n = 0; n <= 40; n++) {
        cases.push({ fn: "copy", args: [990, 100, 26] }, { fn: "copy", args: [1016, 100, 26] });
        cases.push({ fn: "fill", args: [1000 + at, (0x1234_5600 | (n * 7 + at)) >>> 0, n] }, { fn: "sum", args: [990, 60] });
      }
    }
    expect(await compare(wat2wasm(MEMORY), cases)).toEqual([]);
  });

  it("memory.init within the segment and the memory, then data.drop", async () => {
    const cases: Case[] = [
      { fn: "init", args: [500, 2, 8] },
      { fn: "at", args: [500] },
      { fn: "init", args: [600, 16, 0] },
      { fn: "init", args: [600, 17, 0], trap: OOB },
      { fn: "init", args: [600, 10, 7], trap: OOB },
      { fn: "init", args: [65530, 0, 7], trap: OOB },
      { fn: "sum", args: [65520, 16] },
      { fn: "drop" },
      { fn: "drop" },
      { fn: "init", args: [600, 0, 0] },
      { fn: "init", args: [600, 0, 1], trap: OOB },
      { fn: "at", args: [600] },
    ];
    expect(await compare(wat2wasm(MEMORY), cases)).toEqual([]);
  });

  it("table.init, table.copy (overlapping), elem.drop, table.size, with call_indirect seeing the result", async () => {
    const UNINIT = Trap.UninitializedElement;
    const cases: Case[] = [
      { fn: "size" },
      { fn: "call", args: [0] },
      { fn: "call", args: [1] },
      { fn: "call", args: [2], trap: UNINIT },
      { fn: "init", args: [4, 0, 4] },
      ...[4, 5, 6, 7].map((i): Case => ({ fn: "call", args: [i], orTrap: UNINIT })),
      { fn: "copy", args: [1, 0, 6] },
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i): Case => ({ fn: "call", args: [i], orTrap: UNINIT })),
      { fn: "copy", args: [0, 2, 6] },
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i): Case => ({ fn: "call", args: [i], orTrap: UNINIT })),
      { fn: "copy", args: [8, 0, 0] },
      { fn: "copy", args: [9, 0, 0], trap: TOOB },
      { fn: "copy", args: [0, 4, 5], trap: TOOB },
      { fn: "init", args: [6, 0, 3], trap: TOOB },
      { fn: "init", args: [0, 2, 3], trap: TOOB },
      { fn: "call", args: [7], orTrap: UNINIT },
      { fn: "drop" },
      { fn: "init", args: [0, 0, 0] },
      { fn: "init", args: [0, 0, 1], trap: TOOB },
      { fn: "call", args: [8], trap: Trap.UndefinedElement },
    ];
    expect(await compare(wat2wasm(TABLE), cases)).toEqual([]);
  });
});
