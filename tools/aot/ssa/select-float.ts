// Instruction selection for float arithmetic, compares, and the
// conversions that are one or two instructions. The rest (min/max,
// rounding, copysign, the truncations, u64 conversions) goes through
// version 1's emitters (bridge.ts).

import { Op } from "../../wasm/index.ts";
import { gpr, imm, imm64, xmm, type Assembler, type Cond, type Gpr, type Mem, type Xmm } from "../../x86/index.ts";
import type { Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import type { Selector } from "./select-int.ts";

type FOp = (a: Assembler, d: Xmm, s: Xmm | Mem) => void;

/** Whether value v (not a constant) lives in xmm register n. */
function inXmm(g: Gen, v: number, n: number): boolean {
  return !g.isConst(v) && g.xmm(v)?.num === n;
}

function fbinary(op: FOp, commutative: boolean): Selector {
  return (g, i) => {
    let x = i.args[0]!, y = i.args[1]!;
    let d = g.fdst(i, xmm(0));
    const own = d;
    if (inXmm(g, y, d.num) && !inXmm(g, x, d.num)) {
      if (commutative) {
        const t = x;
        x = y;
        y = t;
      } else d = xmm(0);
    }
    g.floadInto(d, x);
    op(g.a, d, g.fsrc(y, xmm(1)));
    if (d.num !== own.num) g.a.movaps(own, d);
    g.ffinish(i, own);
  };
}

function funary(op: FOp): Selector {
  return (g, i) => {
    const d = g.fdst(i, xmm(0));
    op(g.a, d, g.fsrc(i.args[0]!, xmm(1)));
    g.ffinish(i, d);
  };
}

const table: [number, Selector][] = [
  [Op.F32Add, fbinary((a, d, s) => a.addss(d, s), true)],
  [Op.F64Add, fbinary((a, d, s) => a.addsd(d, s), true)],
  [Op.F32Sub, fbinary((a, d, s) => a.subss(d, s), false)],
  [Op.F64Sub, fbinary((a, d, s) => a.subsd(d, s), false)],
  [Op.F32Mul, fbinary((a, d, s) => a.mulss(d, s), true)],
  [Op.F64Mul, fbinary((a, d, s) => a.mulsd(d, s), true)],
  [Op.F32Div, fbinary((a, d, s) => a.divss(d, s), false)],
  [Op.F64Div, fbinary((a, d, s) => a.divsd(d, s), false)],
  [Op.F32Sqrt, funary((a, d, s) => a.sqrtss(d, s))],
  [Op.F64Sqrt, funary((a, d, s) => a.sqrtsd(d, s))],
];

export const floatSelectors: ReadonlyMap<number, Selector> = new Map(table);

/**
 * Float compares through ucomiss/ucomisd, which set ZF, PF and CF on
 * unordered operands: lt/le swap the operands so every ordered test is
 * "above" or "above or equal", both false when unordered.
 */
const FLOAT_CMP: ReadonlyMap<number, [kind: "eq" | "ne" | "lt" | "gt" | "le" | "ge", size: 32 | 64]> = new Map([
  [Op.F32Eq, ["eq", 32]], [Op.F32Ne, ["ne", 32]], [Op.F32Lt, ["lt", 32]], [Op.F32Gt, ["gt", 32]], [Op.F32Le, ["le", 32]], [Op.F32Ge, ["ge", 32]],
  [Op.F64Eq, ["eq", 64]], [Op.F64Ne, ["ne", 64]], [Op.F64Lt, ["lt", 64]], [Op.F64Gt, ["gt", 64]], [Op.F64Le, ["le", 64]], [Op.F64Ge, ["ge", 64]],
] as const);

/** Float compares a branch can test with one condition (eq and ne need two flags). */
export function isFusableFloatCompare(op: number): boolean {
  const k = FLOAT_CMP.get(op);
  return k !== undefined && k[0] !== "eq" && k[0] !== "ne";
}

/** ucomis of compare i's operands; returns the condition that holds when the compare is true (lt..ge only), or the kind for eq/ne. */
export function floatCompareFlags(g: Gen, i: Inst): Cond {
  const [kind, size] = FLOAT_CMP.get(i.op)!;
  const swap = kind === "lt" || kind === "le";
  const [x, y] = (swap ? [i.args[1], i.args[0]] : i.args) as [number, number];
  const l = g.isConst(x) ? (g.floadInto(xmm(0), x), xmm(0)) : (g.xmm(x) ?? (g.floadInto(xmm(0), x), xmm(0)));
  const r = g.fsrc(y, xmm(1));
  if (size === 32) g.a.ucomiss(l, r);
  else g.a.ucomisd(l, r);
  return kind === "lt" || kind === "gt" ? "a" : kind === "le" || kind === "ge" ? "ae" : kind === "eq" ? "e" : "ne";
}

const fcompare: Selector = (g, i) => {
  const kind = FLOAT_CMP.get(i.op)![0];
  const cc = floatCompareFlags(g, i);
  const a = g.a;
  a.setcc(cc, gpr(0, 8));
  if (kind === "eq") {
    a.setcc("np", gpr(1, 8));
    a.and(gpr(0, 8), gpr(1, 8));
  } else if (kind === "ne") {
    a.setcc("p", gpr(1, 8));
    a.or(gpr(0, 8), gpr(1, 8));
  }
  const d = g.dst(i, gpr(0, 64));
  a.movzx(gpr(d.num, 32), gpr(0, 8));
  g.finish(i, d);
};

/** Integer to float by cvtsi2ss/sd from a 64-bit register: i32s are extended first (zero-extended ones already are). */
function convert(size: 32 | 64, from: "i32s" | "i32u" | "i64s"): Selector {
  return (g, i) => {
    const v = i.args[0]!;
    let src = g.reg(v, from === "i32u" ? 32 : 64, gpr(0, 64));
    if (from === "i32s") {
      g.a.movsxd(gpr(0, 64), gpr(src.num, 32));
      src = gpr(0, 64);
    } else src = gpr(src.num, 64);
    const d = g.fdst(i, xmm(0));
    g.a.xorps(d, d); // cvtsi2s* writes only the low lane: no dependency on d's old value
    if (size === 32) g.a.cvtsi2ss(d, src);
    else g.a.cvtsi2sd(d, src);
    g.ffinish(i, d);
  };
}

const promote: Selector = (g, i) => {
  const d = g.fdst(i, xmm(0));
  g.a.cvtss2sd(d, g.fsrc(i.args[0]!, xmm(1)));
  g.ffinish(i, d);
};

const demote: Selector = (g, i) => {
  const d = g.fdst(i, xmm(0));
  g.a.cvtsd2ss(d, g.fsrc(i.args[0]!, xmm(1)));
  g.ffinish(i, d);
};

/** Bits from a general register or slot into a float value. */
function toFloatBits(size: 32 | 64): Selector {
  return (g, i) => {
    const d = g.fdst(i, xmm(0));
    const v = i.args[0]!;
    if (g.isConst(v)) g.fconstInto(d, i.type!, g.bits(v));
    else {
      const s = g.src(v, size, gpr(0, 64));
      if (size === 32) g.a.movd(d, s as Gpr | Mem);
      else g.a.movq(d, s as Gpr | Mem);
    }
    g.ffinish(i, d);
  };
}

/** A float's bits into a general value. */
function toIntBits(size: 32 | 64): Selector {
  return (g, i) => {
    const d = g.dst(i, gpr(0, 64));
    g.loadInto(gpr(d.num, size), i.args[0]!);
    g.finish(i, d);
  };
}

/** abs and neg on the bits (NaN payloads pass through untouched). */
function signBit(size: 32 | 64, op: "abs" | "neg"): Selector {
  return (g, i) => {
    const r = gpr(0, size);
    g.loadInto(r, i.args[0]!);
    if (size === 32) {
      if (op === "abs") g.a.and(r, imm(0x7fff_ffff));
      else g.a.xor(r, imm(0x8000_0000));
    } else if (op === "abs") {
      g.a.shl(r, imm(1));
      g.a.shr(r, imm(1));
    } else {
      g.a.mov(gpr(1, 64), imm64(1n << 63n));
      g.a.xor(r, gpr(1, 64));
    }
    const d = g.fdst(i, xmm(0));
    if (size === 32) g.a.movd(d, r);
    else g.a.movq(d, r);
    g.ffinish(i, d);
  };
}

for (const [op, s] of [
  ...[...FLOAT_CMP.keys()].map((op): [number, Selector] => [op, fcompare]),
  [Op.F32ConvertI32S, convert(32, "i32s")], [Op.F32ConvertI32U, convert(32, "i32u")], [Op.F32ConvertI64S, convert(32, "i64s")],
  [Op.F64ConvertI32S, convert(64, "i32s")], [Op.F64ConvertI32U, convert(64, "i32u")], [Op.F64ConvertI64S, convert(64, "i64s")],
  [Op.F64PromoteF32, promote], [Op.F32DemoteF64, demote],
  [Op.F32ReinterpretI32, toFloatBits(32)], [Op.F64ReinterpretI64, toFloatBits(64)],
  [Op.I32ReinterpretF32, toIntBits(32)], [Op.I64ReinterpretF64, toIntBits(64)],
  [Op.F32Abs, signBit(32, "abs")], [Op.F32Neg, signBit(32, "neg")], [Op.F64Abs, signBit(64, "abs")], [Op.F64Neg, signBit(64, "neg")],
] as [number, Selector][]) {
  (floatSelectors as Map<number, Selector>).set(op, s);
}
