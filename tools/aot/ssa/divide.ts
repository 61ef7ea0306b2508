// 32-bit division and remainder by a constant become a multiplication by
// the divisor's reciprocal in fixed point (Granlund & Montgomery, "Division
// by Invariant Integers using Multiplication", PLDI 1994): an x86 `div`
// takes 20-90 cycles, a multiply and shifts a handful. asc's number
// printing divides by 10, 100 and 10000 in its inner loops.
//
// The rewrite uses only wasm's own 64-bit operations, so the selectors and
// the folding and value numbering after it need nothing new:
//
//   unsigned, 2^k:  q = x >>> k, r = x & (2^k - 1)
//   unsigned:       q = (x * m) >>> p over 64 bits, with m = ceil(2^p / d)
//                   for the least p in 32..32+l (l = ceil(log2 d)) where
//                   m*d - 2^p <= 2^(p-32); when that m needs 33 bits,
//                   q = (((x * (m - 2^32)) >>> 32) + x) >>> (p - 32)
//   signed, |d|=a:  p = 31 + l, m = floor(2^p / a) + 1 (at most 2^32);
//                   q = ((x * m) >> p) + (x >>> 31), negated when d < 0
//   remainder:      r = x - q * d
//
// Why the signed form holds (m*a - 2^p is in (0, a], and a <= 2^l): for
// x >= 0, x*m/2^p exceeds x/a by less than 1/a, so the floor is x/a's; for
// x < 0 the floor is one below the truncated quotient, which x >>> 31 adds
// back. Divisors 0 and -1 stay divisions: they trap (by zero, or on
// INT_MIN / -1), and a trap must stay where wasm puts it; so do unsigned
// divisors above 2^31 (the quotient is 0 or 1; the shifts would pass 63). 64-bit division
// would need the high half of a 128-bit product, which wasm cannot say;
// it stays a `div`.

import { Op, type ValType } from "../../wasm/index.ts";
import { IrOp, newValue, replaceUses, type Inst, type IrFunction } from "./ir.ts";

/** The operations rewritten, and whether each is signed and a remainder. */
const REWRITTEN: ReadonlyMap<number, { signed: boolean; rem: boolean }> = new Map([
  [Op.I32DivU, { signed: false, rem: false }],
  [Op.I32RemU, { signed: false, rem: true }],
  [Op.I32DivS, { signed: true, rem: false }],
  [Op.I32RemS, { signed: true, rem: true }],
]);

/** ceil(log2 d) for d >= 1. */
const ceilLog2 = (d: bigint): number => (d - 1n).toString(2).length - (d === 1n ? 1 : 0);

/** The unsigned multiplier and shift for d (not a power of two): [m, p]. */
export function unsignedMagic(d: bigint): [bigint, number] {
  const l = ceilLog2(d);
  for (let p = 32; ; p++) {
    const m = ((1n << BigInt(p)) + d - 1n) / d;
    if (m * d - (1n << BigInt(p)) <= 1n << BigInt(p - 32) || p === 32 + l) return [m, p];
  }
}

/** The signed multiplier and shift for |d| = a >= 2: [m, p]. */
export function signedMagic(a: bigint): [bigint, number] {
  const p = 31 + ceilLog2(a);
  return [(1n << BigInt(p)) / a + 1n, p];
}

/** Rewrites 32-bit divisions and remainders by constants; returns how many. */
export function divideByConstants(f: IrFunction): number {
  const repl = new Map<number, number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    let out: Inst[] | null = null;
    for (let k = 0; k < b.insts.length; k++) {
      const i = b.insts[k]!;
      // One compare for the common case: every other instruction (the four are opcodes 0x6d-0x70).
      const kind = i.op >= Op.I32DivS && i.op <= Op.I32RemU ? REWRITTEN.get(i.op) : undefined;
      const divisor = kind === undefined ? undefined : f.values[i.args[1]!]!;
      const d = divisor?.op === IrOp.Const ? BigInt.asIntN(32, divisor.bits) : 0n;
      const du = BigInt.asUintN(32, d);
      const usable = kind !== undefined && (kind.signed ? d !== 0n && d !== 1n && d !== -1n : du >= 2n && (du < 1n << 31n || (du & (du - 1n)) === 0n));
      if (!usable) {
        out?.push(i);
        continue;
      }
      out ??= b.insts.slice(0, k);
      const emit = (op: number, type: ValType, args: number[], bits = 0n): number => {
        const n = newValue(f, op, type, args, id, i.origin, bits);
        out!.push(n);
        return n.id;
      };
      const c32 = (v: bigint): number => emit(IrOp.Const, "i32", [], BigInt.asUintN(32, v));
      const c64 = (v: bigint): number => emit(IrOp.Const, "i64", [], BigInt.asUintN(64, v));
      const x = i.args[0]!;
      let q: number;
      if (!kind.signed) {
        if ((du & (du - 1n)) === 0n) {
          repl.set(i.id, kind.rem ? emit(Op.I32And, "i32", [x, c32(du - 1n)]) : emit(Op.I32ShrU, "i32", [x, c32(BigInt(ceilLog2(du)))]));
          continue;
        }
        const [m, p] = unsignedMagic(du);
        const wide = emit(Op.I64ExtendI32U, "i64", [x]);
        let q64: number;
        if (m < 1n << 32n) q64 = emit(Op.I64ShrU, "i64", [emit(Op.I64Mul, "i64", [wide, c64(m)]), c64(BigInt(p))]);
        else {
          const t = emit(Op.I64ShrU, "i64", [emit(Op.I64Mul, "i64", [wide, c64(m - (1n << 32n))]), c64(32n)]);
          q64 = emit(Op.I64ShrU, "i64", [emit(Op.I64Add, "i64", [t, wide]), c64(BigInt(p - 32))]);
        }
        q = emit(Op.I32WrapI64, "i32", [q64]);
      } else {
        const [m, p] = signedMagic(d < 0n ? -d : d);
        const q64 = emit(Op.I64ShrS, "i64", [emit(Op.I64Mul, "i64", [emit(Op.I64ExtendI32S, "i64", [x]), c64(m)]), c64(BigInt(p))]);
        q = emit(Op.I32Add, "i32", [emit(Op.I32WrapI64, "i32", [q64]), emit(Op.I32ShrU, "i32", [x, c32(31n)])]);
        if (d < 0n) q = emit(Op.I32Sub, "i32", [c32(0n), q]);
      }
      repl.set(i.id, kind.rem ? emit(Op.I32Sub, "i32", [x, emit(Op.I32Mul, "i32", [q, c32(d)])]) : q);
    }
    if (out !== null) b.insts = out;
  }
  replaceUses(f, repl);
  return repl.size;
}
