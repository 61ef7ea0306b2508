// Integer instructions, natively vs V8, on the edge cases x86 gets wrong
// by default: division by zero and MIN / -1, shift and rotate counts at and
// past the width, bit counts of zero.
import { describe, expect, it } from "vitest";
import { Trap } from "../../tools/aot/index.ts";
import { compare, grid, pairs, wat2wasm, type Case } from "./harness.ts";

const BIN = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"];
const DIV = ["div_s", "div_u", "rem_s", "rem_u"];
const CMP = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
const UN = ["clz", "ctz", "popcnt", "eqz"];

function module(t: "i32" | "i64"): string {
  const fns: string[] = [];
  for (const op of [...BIN, ...DIV]) fns.push(`(func (export "${op}") (param ${t} ${t}) (result ${t}) (${t}.${op} (local.get 0) (local.get 1)))`);
  for (const op of CMP) fns.push(`(func (export "${op}") (param ${t} ${t}) (result i32) (${t}.${op} (local.get 0) (local.get 1)))`);
  for (const op of UN) fns.push(`(func (export "${op}") (param ${t}) (result ${op === "eqz" ? "i32" : t}) (${t}.${op} (local.get 0)))`);
  const ext = t === "i32" ? ["extend8_s", "extend16_s"] : ["extend8_s", "extend16_s", "extend32_s"];
  for (const op of ext) fns.push(`(func (export "${op}") (param ${t}) (result ${t}) (${t}.${op} (local.get 0)))`);
  return `(module ${fns.join("\n")})`;
}

const I32 = [0, 1, -1, 2, 3, 5, 7, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0x12345678, -0x5a5a5a5b, 0xffff, 0x8000, 0x80];
const I64 = [0n, 1n, -1n, 2n, 7n, 31n, 32n, 63n, 64n, 65n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdef0n, -0x5a5a5a5a5a5a5a5bn, 0xffffffffn, 0x80000000n, 0x100000000n];

function divCases(values: readonly (number | bigint)[] | readonly number[] | readonly bigint[], min: number | bigint, zero: number | bigint, minusOne: number | bigint): Case[] {
  const cases: Case[] = [];
  for (const fn of DIV) {
    for (const [a, b] of pairs(values as readonly (number | bigint)[])) {
      const z = b === zero;
      const overflow = fn === "div_s" && a === min && b === minusOne;
      cases.push({ fn, args: [a!, b!], ...(z ? { trap: Trap.DivideByZero } : overflow ? { trap: Trap.IntegerOverflow } : {}) });
    }
  }
  return cases;
}

describe("aot: integer instructions against V8", () => {
  for (const [t, values, min, minusOne, zero] of [
    ["i32", I32, -0x80000000, -1, 0],
    ["i64", I64, -0x8000000000000000n, -1n, 0n],
  ] as const) {
    it(`${t}: arithmetic, bitwise, shifts, rotates, comparisons, bit counts, sign extension`, async () => {
      const wasm = wat2wasm(module(t));
      const vs: readonly (number | bigint)[] = values;
      const unary = [...UN, "extend8_s", "extend16_s", ...(t === "i64" ? ["extend32_s"] : [])];
      const cases = [
        ...grid([...BIN, ...CMP], pairs(vs)),
        ...grid(unary, vs.map((v) => [v])),
        ...divCases(values, min, zero, minusOne),
      ];
      expect(await compare(wasm, cases)).toEqual([]);
    });
  }

  it("rem_s of MIN by -1 is 0 and does not fault", async () => {
    const wasm = wat2wasm(module("i64"));
    expect(
      await compare(wasm, [
        { fn: "rem_s", args: [-0x8000000000000000n, -1n], bits: [0n] },
        { fn: "div_s", args: [-0x8000000000000000n, -1n], trap: Trap.IntegerOverflow },
      ]),
    ).toEqual([]);
  });
});
