// Constant folding and reassociation of constant offsets, after globals
// are forwarded (so that asc's `__stack_pointer - 12 ... + 12 ... - 12`
// chains meet): an integer add or sub of a constant whose operand is itself
// an add or sub of a constant becomes one add of the sum, or the operand
// when the sum is zero; an operation whose operands are all constants
// becomes a constant. Wrapping arithmetic on the 64-bit patterns, so the
// result is what the instructions would have computed.
//
// One pass in layout order: a value is defined before its non-phi uses in
// the textual order of a structured body, so operands are final when their
// users are looked at.

import { Op } from "../../wasm/index.ts";
import { resetTemps, tempInt32s } from "./arena.ts";
import { IrOp, newValue, replaceArgs, replaceUsesBy, type Inst, type IrFunction } from "./ir.ts";

type Fold = (x: bigint, y: bigint, bits: 32 | 64) => bigint | null;

const u = (v: bigint, bits: 32 | 64): bigint => BigInt.asUintN(bits, v);
const s = (v: bigint, bits: 32 | 64): bigint => BigInt.asIntN(bits, v);
const shift = (y: bigint, bits: 32 | 64): bigint => y & BigInt(bits - 1);
const flag = (c: boolean): bigint => (c ? 1n : 0n);

/** Binary operations on two constants: the result's pattern (null: may trap, left for run time). */
const BINARY: ReadonlyMap<number, [32 | 64, Fold]> = new Map<number, [32 | 64, Fold]>([
  ...([32, 64] as const).flatMap((w): [number, [32 | 64, Fold]][] => {
    const o = w === 32 ? { add: Op.I32Add, sub: Op.I32Sub, mul: Op.I32Mul, and: Op.I32And, or: Op.I32Or, xor: Op.I32Xor, shl: Op.I32Shl, shrS: Op.I32ShrS, shrU: Op.I32ShrU, eq: Op.I32Eq, ne: Op.I32Ne, ltS: Op.I32LtS, ltU: Op.I32LtU, gtS: Op.I32GtS, gtU: Op.I32GtU, leS: Op.I32LeS, leU: Op.I32LeU, geS: Op.I32GeS, geU: Op.I32GeU }
      : { add: Op.I64Add, sub: Op.I64Sub, mul: Op.I64Mul, and: Op.I64And, or: Op.I64Or, xor: Op.I64Xor, shl: Op.I64Shl, shrS: Op.I64ShrS, shrU: Op.I64ShrU, eq: Op.I64Eq, ne: Op.I64Ne, ltS: Op.I64LtS, ltU: Op.I64LtU, gtS: Op.I64GtS, gtU: Op.I64GtU, leS: Op.I64LeS, leU: Op.I64LeU, geS: Op.I64GeS, geU: Op.I64GeU };
    const rows: [number, Fold][] = [
      [o.add, (x, y) => u(x + y, w)],
      [o.sub, (x, y) => u(x - y, w)],
      [o.mul, (x, y) => u(x * y, w)],
      [o.and, (x, y) => x & y],
      [o.or, (x, y) => x | y],
      [o.xor, (x, y) => x ^ y],
      [o.shl, (x, y) => u(x << shift(y, w), w)],
      [o.shrU, (x, y) => u(x, w) >> shift(y, w)],
      [o.shrS, (x, y) => u(s(x, w) >> shift(y, w), w)],
      [o.eq, (x, y) => flag(u(x, w) === u(y, w))],
      [o.ne, (x, y) => flag(u(x, w) !== u(y, w))],
      [o.ltS, (x, y) => flag(s(x, w) < s(y, w))],
      [o.ltU, (x, y) => flag(u(x, w) < u(y, w))],
      [o.gtS, (x, y) => flag(s(x, w) > s(y, w))],
      [o.gtU, (x, y) => flag(u(x, w) > u(y, w))],
      [o.leS, (x, y) => flag(s(x, w) <= s(y, w))],
      [o.leU, (x, y) => flag(u(x, w) <= u(y, w))],
      [o.geS, (x, y) => flag(s(x, w) >= s(y, w))],
      [o.geU, (x, y) => flag(u(x, w) >= u(y, w))],
    ];
    return rows.map(([op, fn]) => [op, [w, fn]]);
  }),
]);

/** The width of an add or sub, the offset chains that reassociate; 0 for any other operation. */
function offsetWidth(op: number): 0 | 32 | 64 {
  return op === Op.I32Add || op === Op.I32Sub ? 32 : op === Op.I64Add || op === Op.I64Sub ? 64 : 0;
}

const isAdd = (op: number): boolean => op === Op.I32Add || op === Op.I64Add;

/** Folds operations on constants and reassociates chains of adds and subs of constants (see above). */
export function foldConstants(f: IrFunction): void {
  resetTemps();
  /** By value: what replaces it (-1: nothing). */
  const repl = tempInt32s(f.values.length, -1);
  let replaced = false;
  const isConst = (v: number): boolean => f.values[v]!.op === IrOp.Const;
  const bits = (v: number): bigint => f.values[v]!.bits;
  /** The block's instructions so far, once one has changed (null while none has: the block stays as it is). */
  let out: Inst[] | null = null;
  /** A new constant, placed before `at` in `out`. */
  const constant = (out: Inst[], at: Inst, pattern: bigint): number => {
    const c = newValue(f, IrOp.Const, at.type, [], at.block, at.origin, pattern);
    out.push(c);
    return c.id;
  };

  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const insts = b.insts;
    out = null;
    for (let n = 0; n < insts.length; n++) {
      const i = insts[n]!;
      // Operands are final before their users (see above): rewrite them now, in place, so that a folded
      // one reads as the constant. Phis and terminators are rewritten at the end.
      if (replaced) replaceArgs(i.args, repl);
      const args = i.args;
      if (args.length === 2 && isConst(args[0]!) && isConst(args[1]!)) {
        const bin = BINARY.get(i.op);
        const r = bin === undefined ? null : bin[1](bits(args[0]!), bits(args[1]!), bin[0]);
        if (r !== null) {
          out ??= insts.slice(0, n);
          repl[i.id] = constant(out, i, u(r, bin![0]));
          replaced = true;
          continue;
        }
      }
      const w = offsetWidth(i.op);
      if (w !== 0 && isConst(args[1]!)) {
        const k = isAdd(i.op) ? bits(args[1]!) : u(-bits(args[1]!), w);
        // The operand as y + k2 (k2 a constant), when it is an add or sub of a constant.
        const inner = f.values[args[0]!]!;
        const iw = offsetWidth(inner.op);
        const chained = iw !== 0 && isConst(inner.args[1]!);
        const base = chained ? inner.args[0]! : args[0]!;
        const sum = chained ? u((isAdd(inner.op) ? bits(inner.args[1]!) : u(-bits(inner.args[1]!), iw)) + k, w) : k;
        if (sum === 0n) {
          out ??= insts.slice(0, n);
          repl[i.id] = base;
          replaced = true;
          continue;
        }
        if (chained) {
          out ??= insts.slice(0, n);
          i.op = w === 32 ? Op.I32Add : Op.I64Add;
          i.args = [base, constant(out, i, sum)];
        }
      }
      out?.push(i);
    }
    if (out !== null) b.insts = out;
  }
  if (replaced) replaceUsesBy(f, repl);
}
