// Conversions natively vs V8: the trapping truncations at the exact range
// bounds and on NaN, the saturating ones, unsigned 64-bit conversions both
// ways (rounding included), demote/promote, and reinterpret keeping NaN bits.
import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/index.ts";
import { compare, wat2wasm, type Case } from "./harness.ts";

const TRUNC = [
  ["i32", "f32"], ["i32", "f64"], ["i64", "f32"], ["i64", "f64"],
] as const;

function module(): string {
  const fns: string[] = [];
  for (const [i, f] of TRUNC) {
    for (const s of ["s", "u"]) {
      fns.push(`(func (export "${i}.trunc_${f}_${s}") (param ${f}) (result ${i}) (${i}.trunc_${f}_${s} (local.get 0)))`);
      fns.push(`(func (export "${i}.trunc_sat_${f}_${s}") (param ${f}) (result ${i}) (${i}.trunc_sat_${f}_${s} (local.get 0)))`);
      fns.push(`(func (export "${f}.convert_${i}_${s}") (param ${i}) (result ${f}) (${f}.convert_${i}_${s} (local.get 0)))`);
    }
  }
  fns.push(`(func (export "demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))`);
  fns.push(`(func (export "promote") (param f32) (result f64) (f64.promote_f32 (local.get 0)))`);
  fns.push(`(func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))`);
  fns.push(`(func (export "extend_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))`);
  fns.push(`(func (export "extend_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))`);
  fns.push(`(func (export "f32bits") (param i32) (result i32) (i32.reinterpret_f32 (f32.reinterpret_i32 (local.get 0))))`);
  fns.push(`(func (export "f64bits") (param i64) (result i64) (i64.reinterpret_f64 (f64.reinterpret_i64 (local.get 0))))`);
  fns.push(`(func (export "f32mem") (param i32) (result i32) (f32.store (i32.const 8) (f32.reinterpret_i32 (local.get 0))) (i32.load (i32.const 8)))`);
  fns.push(`(func (export "f64mem") (param i64) (result i64) (f64.store (i32.const 8) (f64.reinterpret_i64 (local.get 0))) (i64.load (i32.const 8)))`);
  return `(module (memory 1) ${fns.join("\n")})`;
}

const FLOATS = [
  0, -0, 0.9, -0.9, -1, 1.5, -1.5, NaN, Infinity, -Infinity,
  2147483647, 2147483647.5, 2147483648, -2147483648, -2147483648.5, -2147483649, -2147483649.5,
  4294967295, 4294967295.5, 4294967296,
  2 ** 63, -(2 ** 63), 2 ** 63 - 1024, 2 ** 64, 2 ** 64 - 2048, 1.8446744073709552e19, 9.2e18, -9.3e18, 1e30,
];

/** Whether the trapping truncation must trap on x, and with which code. */
function truncTrap(i: "i32" | "i64", s: "s" | "u", x: number, f: "f32" | "f64"): Case["trap"] | undefined {
  const v = f === "f32" ? Math.fround(x) : x;
  if (Number.isNaN(v)) return Trap.InvalidConversion;
  const t = Math.trunc(v);
  const [lo, hi] = i === "i32" ? (s === "s" ? [-(2 ** 31), 2 ** 31 - 1] : [0, 2 ** 32 - 1]) : s === "s" ? [-(2 ** 63), 2 ** 63] : [0, 2 ** 64];
  const tooHigh = i === "i64" ? t >= hi : t > hi;
  return t < lo || tooHigh ? Trap.IntegerOverflow : undefined;
}

const INTS64 = [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x20000000000001n, 0x20000000000003n, -0x20000000000003n, 0x7fffff4000000001n, 0xffffff7fffffffffn, 0x8000000000000401n, 0xfffffffffffff7ffn, 0x1000001n, 0x1000003n];
const INTS32 = [0, 1, -1, 0x7fffffff, -0x80000000, 0x1000001, 0x1000003, -0x1000003, 0x7fffff80];

describe("aot: conversions against V8", () => {
  it("trapping truncations at the range bounds and on NaN; saturating ones everywhere", async () => {
    const cases: Case[] = [];
    for (const [i, f] of TRUNC) {
      for (const s of ["s", "u"] as const) {
        for (const x of FLOATS) {
          const trap = truncTrap(i, s, x, f);
          cases.push({ fn: `${i}.trunc_${f}_${s}`, args: [x], ...(trap === undefined ? {} : { trap }) });
          cases.push({ fn: `${i}.trunc_sat_${f}_${s}`, args: [x] });
        }
      }
    }
    expect(await compare(wat2wasm(module()), cases)).toEqual([]);
  });

  it("integer to float, signed and unsigned, with round-to-nearest-even at the boundaries", async () => {
    const cases: Case[] = [];
    for (const f of ["f32", "f64"]) {
      for (const s of ["s", "u"]) {
        for (const x of INTS64) cases.push({ fn: `${f}.convert_i64_${s}`, args: [x] });
        for (const x of INTS32) cases.push({ fn: `${f}.convert_i32_${s}`, args: [x] });
      }
    }
    expect(await compare(wat2wasm(module()), cases)).toEqual([]);
  });

  it("demote, promote, wrap, extend", async () => {
    const cases: Case[] = [
      ...FLOATS.map((x): Case => ({ fn: "demote", args: [x] })),
      ...[3.4028235677973366e38, 3.4028235677973362e38, 1e-45, 7e-46, 1.401298464324817e-45].map((x): Case => ({ fn: "demote", args: [x] })),
      ...FLOATS.map((x): Case => ({ fn: "promote", args: [x] })),
      ...INTS64.map((x): Case => ({ fn: "wrap", args: [x] })),
      ...INTS32.flatMap((x): Case[] => [{ fn: "extend_s", args: [x] }, { fn: "extend_u", args: [x] }]),
    ];
    expect(await compare(wat2wasm(module()), cases)).toEqual([]);
  });

  it("reinterpret, and float loads and stores, keep signalling NaN bits", async () => {
    const nan32 = [0x7fa00001n, 0xff800001n, 0x7fc00000n, 0xffffffffn];
    const nan64 = [0x7ff0000000000001n, 0xfff4000000000000n, 0x7ff8000000000000n, 0xffffffffffffffffn];
    const cases: Case[] = [
      ...nan32.flatMap((b): Case[] => [{ fn: "f32bits", args: [b], bits: [b] }, { fn: "f32mem", args: [b], bits: [b] }]),
      ...nan64.flatMap((b): Case[] => [{ fn: "f64bits", args: [b], bits: [b] }, { fn: "f64mem", args: [b], bits: [b] }]),
    ];
    expect(await compare(wat2wasm(module()), cases)).toEqual([]);
  });
});
