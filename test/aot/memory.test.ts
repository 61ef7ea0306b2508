// Loads, stores, memory.size and memory.grow natively vs V8: every width
// and extension, accesses that end exactly at the last byte or one past it,
// offsets of 2 GiB and more (the effective address is a 33-bit sum).
import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

const LOADS = [
  ["i32", "load", 4], ["i64", "load", 8], ["f32", "load", 4], ["f64", "load", 8],
  ["i32", "load8_s", 1], ["i32", "load8_u", 1], ["i32", "load16_s", 2], ["i32", "load16_u", 2],
  ["i64", "load8_s", 1], ["i64", "load8_u", 1], ["i64", "load16_s", 2], ["i64", "load16_u", 2], ["i64", "load32_s", 4], ["i64", "load32_u", 4],
] as const;
const STORES = [["i32", "store", 4], ["i64", "store", 8], ["i32", "store8", 1], ["i32", "store16", 2], ["i64", "store8", 1], ["i64", "store16", 2], ["i64", "store32", 4]] as const;

const WAT = `(module
  (memory 1 3)
  (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08\\f0\\f1\\f2\\f3\\f4\\f5\\f6\\f7\\80\\ff\\7f\\00")
  ${LOADS.map(([t, op]) => `(func (export "${t}.${op}") (param i32) (result ${t}) (${t}.${op} (local.get 0)))
  (func (export "${t}.${op}+3") (param i32) (result ${t}) (${t}.${op} offset=3 (local.get 0)))`).join("\n")}
  ${STORES.map(([t, op]) => `(func (export "${t}.${op}") (param i32 ${t}) (result i64) (${t}.${op} offset=1 (local.get 0) (local.get 1)) (i64.load (i32.const 32)))`).join("\n")}
  (func (export "load_2g") (param i32) (result i32) (i32.load offset=0x80000000 (local.get 0)))
  (func (export "load_4g") (param i32) (result i32) (i32.load8_u offset=0xffffffff (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)`;

describe("aot: memory instructions against V8", () => {
  it("loads of every width at every alignment, with offsets", async () => {
    const cases: Case[] = [];
    for (const [t, op] of LOADS) for (let a = 0; a < 14; a++) cases.push({ fn: `${t}.${op}`, args: [a] }, { fn: `${t}.${op}+3`, args: [a] });
    expect(await compare(wat2wasm(WAT), cases)).toEqual([]);
  });

  it("stores write exactly their width", async () => {
    const cases: Case[] = STORES.flatMap(([t, op]): Case[] =>
      [0x1122334455667788n, -1n, 0x80n].map((v): Case => ({ fn: `${t}.${op}`, args: [31, t === "i32" ? Number(BigInt.asIntN(32, v)) : v] })),
    );
    expect(await compare(wat2wasm(WAT), cases)).toEqual([]);
  });

  it("an access that ends at the last byte works, one byte further traps", async () => {
    const cases: Case[] = [];
    for (const [t, op, n] of LOADS) {
      cases.push({ fn: `${t}.${op}`, args: [65536 - n] });
      cases.push({ fn: `${t}.${op}`, args: [65536 - n + 1], trap: Trap.MemoryOutOfBounds });
      cases.push({ fn: `${t}.${op}+3`, args: [65536 - n - 3] });
      cases.push({ fn: `${t}.${op}+3`, args: [65536 - n - 2], trap: Trap.MemoryOutOfBounds });
      cases.push({ fn: `${t}.${op}`, args: [-1], trap: Trap.MemoryOutOfBounds });
    }
    cases.push(
      { fn: "load_2g", args: [0], trap: Trap.MemoryOutOfBounds },
      { fn: "load_2g", args: [-1], trap: Trap.MemoryOutOfBounds },
      { fn: "load_4g", args: [0], trap: Trap.MemoryOutOfBounds },
      { fn: "load_4g", args: [-1], trap: Trap.MemoryOutOfBounds },
      { fn: "i64.store", args: [65529, 1n], trap: Trap.MemoryOutOfBounds },
      { fn: "i32.store8", args: [65535, 1], trap: Trap.MemoryOutOfBounds },
    );
    expect(await compare(wat2wasm(WAT), cases)).toEqual([]);
  });

  it("memory.grow returns the old size or -1, new pages are zero and usable", async () => {
    const cases: Case[] = [
      { fn: "size" },
      { fn: "i32.load", args: [65536], trap: Trap.MemoryOutOfBounds },
      { fn: "grow", args: [0] },
      { fn: "grow", args: [1] },
      { fn: "size" },
      { fn: "i32.load", args: [65536] },
      { fn: "i64.load", args: [131064] },
      { fn: "i64.load", args: [131065], trap: Trap.MemoryOutOfBounds },
      { fn: "grow", args: [2] },
      { fn: "grow", args: [-1] },
      { fn: "grow", args: [1] },
      { fn: "size" },
      { fn: "i32.store", args: [196603, 7n] },
      { fn: "grow", args: [1] },
      { fn: "i32.load", args: [196608], trap: Trap.MemoryOutOfBounds },
    ];
    expect(await compare(wat2wasm(WAT), cases)).toEqual([]);
  });
});
