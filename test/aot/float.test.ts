// Float instructions natively vs V8: NaN and ±0 in min/max, round-half-even
// in nearest, NaN bits through abs/neg/copysign, unordered comparisons.
import { describe, expect, it } from "vitest";
import { compare, grid, pairs, wat2wasm, type Case } from "./harness.ts";

const BIN = ["add", "sub", "mul", "div", "min", "max", "copysign"];
const UN = ["abs", "neg", "sqrt", "ceil", "floor", "trunc", "nearest"];
const CMP = ["eq", "ne", "lt", "gt", "le", "ge"];

function module(t: "f32" | "f64"): string {
  const fns: string[] = [];
  for (const op of BIN) fns.push(`(func (export "${op}") (param ${t} ${t}) (result ${t}) (${t}.${op} (local.get 0) (local.get 1)))`);
  for (const op of UN) fns.push(`(func (export "${op}") (param ${t}) (result ${t}) (${t}.${op} (local.get 0)))`);
  for (const op of CMP) fns.push(`(func (export "${op}") (param ${t} ${t}) (result i32) (${t}.${op} (local.get 0) (local.get 1)))`);
  // Bits in, bits out: the NaN payload is observable without going through JavaScript numbers.
  const it = t === "f32" ? "i32" : "i64";
  for (const op of ["abs", "neg"]) {
    fns.push(`(func (export "bits_${op}") (param ${it}) (result ${it}) (${it}.reinterpret_${t} (${t}.${op} (${t}.reinterpret_${it} (local.get 0)))))`);
  }
  fns.push(
    `(func (export "bits_copysign") (param ${it} ${it}) (result ${it}) (${it}.reinterpret_${t} (${t}.copysign (${t}.reinterpret_${it} (local.get 0)) (${t}.reinterpret_${it} (local.get 1)))))`,
  );
  return `(module ${fns.join("\n")})`;
}

const VALUES = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 0.49999997, 1e-40, -1e-310, 3.4e38, 1.7e308, Infinity, -Infinity, NaN, 2 ** 52 + 0.5, 4503599627370497, 8388609.5];

describe("aot: float instructions against V8", () => {
  for (const t of ["f32", "f64"] as const) {
    it(`${t}: arithmetic, min/max, rounding, comparisons`, async () => {
      const wasm = wat2wasm(module(t));
      const cases: Case[] = [...grid([...BIN, ...CMP], pairs(VALUES)), ...grid(UN, VALUES.map((v) => [v]))];
      expect(await compare(wasm, cases)).toEqual([]);
    });

    it(`${t}: min/max order -0 below +0 and return a NaN when either operand is one`, async () => {
      const wasm = wat2wasm(module(t));
      const negZero = t === "f32" ? 0x8000_0000n : 1n << 63n;
      expect(
        await compare(wasm, [
          { fn: "min", args: [0, -0], bits: [negZero] },
          { fn: "min", args: [-0, 0], bits: [negZero] },
          { fn: "max", args: [0, -0], bits: [0n] },
          { fn: "max", args: [-0, 0], bits: [0n] },
          { fn: "min", args: [NaN, 1], nan: "canonical" },
          { fn: "min", args: [1, NaN], nan: "canonical" },
          { fn: "max", args: [NaN, -Infinity], nan: "canonical" },
          { fn: "max", args: [-Infinity, NaN], nan: "canonical" },
        ]),
      ).toEqual([]);
    });

    it(`${t}: abs, neg and copysign keep NaN payloads`, async () => {
      const wasm = wat2wasm(module(t));
      const [snan, nsnan, one] = t === "f32" ? [0x7fa0_0001n, 0xffa0_0001n, 0x3f80_0000n] : [0x7ff4_0000_0000_0001n, 0xfff4_0000_0000_0001n, 0x3ff0_0000_0000_0000n];
      expect(
        await compare(wasm, [
          { fn: "bits_abs", args: [nsnan], bits: [snan] },
          { fn: "bits_neg", args: [snan], bits: [nsnan] },
          { fn: "bits_copysign", args: [snan, nsnan], bits: [nsnan] },
          { fn: "bits_copysign", args: [nsnan, one], bits: [snan] },
        ]),
      ).toEqual([]);
    });
  }
});
