// Floating-point arithmetic and comparisons, as tables from opcode to the
// SSE instructions that compute them (SSE4.1 is the baseline: roundss/sd).
//
// abs, neg and copysign are bit operations on the integer registers, so
// NaN payloads pass through untouched. min and max cannot be minss/maxss
// alone: those return the second operand when either is NaN or both are
// zeros, while wasm propagates NaN and orders -0 below +0.

import { Op } from "../wasm/index.ts";
import { al, cl, eax, ecx, imm, imm64, rax, rcx, xmm0, xmm1, type Assembler, type Cond, type Xmm, type Mem } from "../x86/index.ts";
import type { Ctx, Emitter } from "./context.ts";

type Size = 32 | 64;

/** The scalar SSE instruction of one size: movss or movsd, addss or addsd... */
export interface Sse {
  mov(a: Assembler, dst: Xmm | Mem, src: Xmm | Mem): void;
  op(a: Assembler, name: "add" | "sub" | "mul" | "div" | "min" | "max" | "sqrt", dst: Xmm, src: Xmm): void;
  round(a: Assembler, dst: Xmm, src: Xmm, mode: number): void;
  ucomi(a: Assembler, x: Xmm, y: Xmm | Mem): void;
  or(a: Assembler, dst: Xmm, src: Xmm): void;
  and(a: Assembler, dst: Xmm, src: Xmm): void;
}

export const SSE: Readonly<Record<Size, Sse>> = {
  32: {
    mov: (a, d, s) => a.movss(d, s),
    op: (a, n, d, s) => a.emit(`${n}ss`, d, s),
    round: (a, d, s, m) => a.roundss(d, s, imm(m)),
    ucomi: (a, x, y) => a.ucomiss(x, y),
    or: (a, d, s) => a.orps(d, s),
    and: (a, d, s) => a.andps(d, s),
  },
  64: {
    mov: (a, d, s) => a.movsd(d, s),
    op: (a, n, d, s) => a.emit(`${n}sd`, d, s),
    round: (a, d, s, m) => a.roundsd(d, s, imm(m)),
    ucomi: (a, x, y) => a.ucomisd(x, y),
    or: (a, d, s) => a.orpd(d, s),
    and: (a, d, s) => a.andpd(d, s),
  },
};

type BinaryOp = (c: Ctx, s: Size) => void;

/** Left operand in xmm0, right in xmm1, result in xmm0. */
function binary(s: Size, op: BinaryOp): Emitter {
  return (c) => {
    const sse = SSE[s];
    sse.mov(c.a, xmm0, c.top(1, s));
    sse.mov(c.a, xmm1, c.top(0, s));
    op(c, s);
    c.pop();
    sse.mov(c.a, c.top(0, s), xmm0);
  };
}

const arith =
  (name: "add" | "sub" | "mul" | "div"): BinaryOp =>
  (c, s) =>
    SSE[s].op(c.a, name, xmm0, xmm1);

/**
 * Either NaN: a NaN out of addss/addsd (the quieted NaN operand: an
 * arithmetic NaN, canonical when the input was). Equal (including -0 vs
 * +0): min ORs the sign bits in, max ANDs them. Otherwise the SSE min/max.
 */
const minMax =
  (isMax: boolean): BinaryOp =>
  (c, s) => {
    const sse = SSE[s];
    const nan = c.a.newLabel("minmax.nan");
    const ordered = c.a.newLabel("minmax.ne");
    const done = c.a.newLabel("minmax.done");
    sse.ucomi(c.a, xmm0, xmm1);
    c.a.jcc("p", nan);
    c.a.jcc("ne", ordered);
    if (isMax) sse.and(c.a, xmm0, xmm1);
    else sse.or(c.a, xmm0, xmm1);
    c.a.jmp(done);
    c.a.bind(ordered);
    sse.op(c.a, isMax ? "max" : "min", xmm0, xmm1);
    c.a.jmp(done);
    c.a.bind(nan);
    sse.op(c.a, "add", xmm0, xmm1);
    c.a.bind(done);
  };

/** A unary operation in xmm0. */
function unary(s: Size, op: (c: Ctx) => void): Emitter {
  return (c) => {
    const sse = SSE[s];
    sse.mov(c.a, xmm0, c.top(0, s));
    op(c);
    sse.mov(c.a, c.top(0, s), xmm0);
  };
}

const SIGN32 = 0x8000_0000;
const SIGN64 = 1n << 63n;

/** abs/neg/copysign on the bits, in the integer registers. */
function bits32(op: (c: Ctx) => void, binaryOp = false): Emitter {
  return (c) => {
    c.a.mov(eax, c.top(binaryOp ? 1 : 0, 32));
    if (binaryOp) c.a.mov(ecx, c.top(0, 32));
    op(c);
    if (binaryOp) c.pop();
    c.a.mov(c.top(0, 32), eax);
  };
}

function bits64(op: (c: Ctx) => void, binaryOp = false): Emitter {
  return (c) => {
    c.a.mov(rax, c.top(binaryOp ? 1 : 0, 64));
    if (binaryOp) c.a.mov(rcx, c.top(0, 64));
    op(c);
    if (binaryOp) c.pop();
    c.a.mov(c.top(0, 64), rax);
  };
}

/**
 * Comparisons through ucomiss/ucomisd, which set ZF, PF and CF all three
 * on unordered operands. lt/le swap the operands so that every ordered
 * test is "above" (CF=0, ZF=0) or "above or equal" (CF=0), both false when
 * unordered; eq needs ZF=1 and PF=0, ne ZF=0 or PF=1.
 */
function compare(s: Size, kind: "eq" | "ne" | "lt" | "gt" | "le" | "ge"): Emitter {
  return (c) => {
    const sse = SSE[s];
    const swap = kind === "lt" || kind === "le";
    sse.mov(c.a, xmm0, c.top(swap ? 0 : 1, s));
    sse.mov(c.a, xmm1, c.top(swap ? 1 : 0, s));
    sse.ucomi(c.a, xmm0, xmm1);
    const set = (cc: Cond, r: typeof al): void => c.a.setcc(cc, r);
    switch (kind) {
      case "eq":
        set("e", al);
        set("np", cl);
        c.a.and(al, cl);
        break;
      case "ne":
        set("ne", al);
        set("p", cl);
        c.a.or(al, cl);
        break;
      case "lt":
      case "gt":
        set("a", al);
        break;
      case "le":
      case "ge":
        set("ae", al);
        break;
    }
    c.a.movzx(eax, al);
    c.pop();
    c.a.mov(c.top(0, 32), eax);
  };
}

// roundss/roundsd immediates: bits 1:0 the mode, bit 3 suppresses the inexact exception.
const NEAREST = 0x8;
const FLOOR = 0x9;
const CEIL = 0xa;
const TRUNC = 0xb;

const emitters: [number, Emitter][] = [];
for (const s of [32, 64] as const) {
  const code = (op32: number, op64: number): number => (s === 32 ? op32 : op64);
  const round = (mode: number): Emitter => unary(s, (c) => SSE[s].round(c.a, xmm0, xmm0, mode));
  emitters.push(
    [code(Op.F32Add, Op.F64Add), binary(s, arith("add"))],
    [code(Op.F32Sub, Op.F64Sub), binary(s, arith("sub"))],
    [code(Op.F32Mul, Op.F64Mul), binary(s, arith("mul"))],
    [code(Op.F32Div, Op.F64Div), binary(s, arith("div"))],
    [code(Op.F32Min, Op.F64Min), binary(s, minMax(false))],
    [code(Op.F32Max, Op.F64Max), binary(s, minMax(true))],
    [code(Op.F32Sqrt, Op.F64Sqrt), unary(s, (c) => SSE[s].op(c.a, "sqrt", xmm0, xmm0))],
    [code(Op.F32Ceil, Op.F64Ceil), round(CEIL)],
    [code(Op.F32Floor, Op.F64Floor), round(FLOOR)],
    [code(Op.F32Trunc, Op.F64Trunc), round(TRUNC)],
    [code(Op.F32Nearest, Op.F64Nearest), round(NEAREST)],
    [code(Op.F32Eq, Op.F64Eq), compare(s, "eq")],
    [code(Op.F32Ne, Op.F64Ne), compare(s, "ne")],
    [code(Op.F32Lt, Op.F64Lt), compare(s, "lt")],
    [code(Op.F32Gt, Op.F64Gt), compare(s, "gt")],
    [code(Op.F32Le, Op.F64Le), compare(s, "le")],
    [code(Op.F32Ge, Op.F64Ge), compare(s, "ge")],
  );
}

emitters.push(
  [Op.F32Abs, bits32((c) => c.a.and(eax, imm(SIGN32 - 1)))],
  [Op.F32Neg, bits32((c) => c.a.xor(eax, imm(SIGN32)))],
  [
    Op.F32Copysign,
    bits32((c) => {
      c.a.and(eax, imm(SIGN32 - 1));
      c.a.and(ecx, imm(SIGN32));
      c.a.or(eax, ecx);
    }, true),
  ],
  [
    Op.F64Abs,
    bits64((c) => {
      c.a.shl(rax, imm(1));
      c.a.shr(rax, imm(1));
    }),
  ],
  [
    Op.F64Neg,
    bits64((c) => {
      c.a.mov(rcx, imm64(SIGN64));
      c.a.xor(rax, rcx);
    }),
  ],
  [
    Op.F64Copysign,
    bits64((c) => {
      c.a.shl(rax, imm(1));
      c.a.shr(rax, imm(1));
      c.a.shr(rcx, imm(63));
      c.a.shl(rcx, imm(63));
      c.a.or(rax, rcx);
    }, true),
  ],
);

export const floatEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
