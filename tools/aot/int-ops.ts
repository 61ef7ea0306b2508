// Integer arithmetic, bitwise, shifts, comparisons and sign extension, as
// tables from opcode to the instruction(s) that compute it.
//
// Binary operators get the left operand in rax/eax and the right one in
// rcx/ecx (so shift counts are already in cl: x86 masks them by 31/63
// exactly as wasm does) and leave the result in rax/eax.

import { Op } from "../wasm/index.ts";
import { al, ax, cl, eax, ecx, edx, imm, imm64, rax, rcx, rdx, type Assembler, type Cond, type Gpr } from "../x86/index.ts";
import type { Ctx, Emitter } from "./context.ts";
import { Trap } from "./traps.ts";

type Width = 32 | 64;
const accum = (w: Width): Gpr => (w === 32 ? eax : rax);
const other = (w: Width): Gpr => (w === 32 ? ecx : rcx);

type BinaryOp = (c: Ctx, w: Width, a: Gpr, b: Gpr) => void;

function binary(w: Width, op: BinaryOp): Emitter {
  return (c) => {
    const a = accum(w);
    const b = other(w);
    c.a.mov(a, c.top(1, w));
    c.a.mov(b, c.top(0, w));
    op(c, w, a, b);
    c.pop();
    c.a.mov(c.top(0, w), a);
  };
}

const simple =
  (f: (a: Assembler, x: Gpr, y: Gpr) => void): BinaryOp =>
  (c, _w, a, b) =>
    f(c.a, a, b);

const shift =
  (f: (a: Assembler, x: Gpr) => void): BinaryOp =>
  (c, _w, a) =>
    f(c.a, a);

/** div_s traps on a zero divisor and on MIN / -1 (the one quotient that overflows). */
const divS: BinaryOp = (c, w, a, b) => {
  c.a.test(b, b);
  c.a.jcc("z", c.trap(Trap.DivideByZero));
  const ok = c.a.newLabel();
  c.a.cmp(b, imm(-1));
  c.a.jcc("ne", ok);
  if (w === 32) c.a.cmp(a, imm(0x8000_0000));
  else {
    c.a.mov(rdx, imm64(1n << 63n));
    c.a.cmp(a, rdx);
  }
  c.a.jcc("e", c.trap(Trap.IntegerOverflow));
  c.a.bind(ok);
  if (w === 32) c.a.cdq();
  else c.a.cqo();
  c.a.idiv(b);
};

/** rem_s of MIN by -1 is 0 in wasm, but idiv faults on it: any x rem -1 is 0, so skip the idiv. */
const remS: BinaryOp = (c, w, a, b) => {
  c.a.test(b, b);
  c.a.jcc("z", c.trap(Trap.DivideByZero));
  const divide = c.a.newLabel();
  const done = c.a.newLabel();
  c.a.cmp(b, imm(-1));
  c.a.jcc("ne", divide);
  c.a.xor(eax, eax);
  c.a.jmp(done);
  c.a.bind(divide);
  if (w === 32) c.a.cdq();
  else c.a.cqo();
  c.a.idiv(b);
  c.a.mov(a, w === 32 ? edx : rdx);
  c.a.bind(done);
};

const divU =
  (rem: boolean): BinaryOp =>
  (c, w, a, b) => {
    c.a.test(b, b);
    c.a.jcc("z", c.trap(Trap.DivideByZero));
    c.a.xor(edx, edx);
    c.a.div(b);
    if (rem) c.a.mov(a, w === 32 ? edx : rdx);
  };

function compare(w: Width, cc: Cond): Emitter {
  return (c) => {
    const a = accum(w);
    c.a.mov(a, c.top(1, w));
    c.a.cmp(a, c.top(0, w));
    c.a.setcc(cc, al);
    c.a.movzx(eax, al);
    c.pop();
    c.a.mov(c.top(0, 32), eax);
  };
}

/** A unary operator on rax/eax, in place. */
function unary(w: Width, op: (c: Ctx, a: Gpr) => void, resultWidth: Width = w): Emitter {
  return (c) => {
    const a = accum(w);
    c.a.mov(a, c.top(0, w));
    op(c, a);
    c.a.mov(c.top(0, resultWidth), accum(resultWidth));
  };
}

// bsr/bsf leave the destination undefined and set ZF for a zero source
// (lzcnt/tzcnt are not in the x86-64-v2 baseline), so the zero case is
// patched in with cmov.
const clz =
  (w: Width) =>
  (c: Ctx, a: Gpr): void => {
    c.a.mov(rcx, imm(-1));
    c.a.bsr(a, a);
    c.a.cmovcc("z", a, other(w));
    // w-1 - index; for a zero input the index is -1, giving w.
    c.a.neg(a);
    c.a.add(a, imm(w - 1));
  };

const ctz =
  (w: Width) =>
  (c: Ctx, a: Gpr): void => {
    c.a.mov(ecx, imm(w));
    c.a.bsf(a, a);
    c.a.cmovcc("z", a, other(w));
  };

const eqz = (c: Ctx, a: Gpr): void => {
  c.a.test(a, a);
  c.a.setcc("e", al);
  c.a.movzx(eax, al);
};

const emitters: [number, Emitter][] = [];

for (const w of [32, 64] as const) {
  const is32 = w === 32;
  const code = (op32: number, op64: number): number => (is32 ? op32 : op64);
  emitters.push(
    [code(Op.I32Add, Op.I64Add), binary(w, simple((a, x, y) => a.add(x, y)))],
    [code(Op.I32Sub, Op.I64Sub), binary(w, simple((a, x, y) => a.sub(x, y)))],
    [code(Op.I32Mul, Op.I64Mul), binary(w, simple((a, x, y) => a.imul(x, y)))],
    [code(Op.I32And, Op.I64And), binary(w, simple((a, x, y) => a.and(x, y)))],
    [code(Op.I32Or, Op.I64Or), binary(w, simple((a, x, y) => a.or(x, y)))],
    [code(Op.I32Xor, Op.I64Xor), binary(w, simple((a, x, y) => a.xor(x, y)))],
    [code(Op.I32Shl, Op.I64Shl), binary(w, shift((a, x) => a.shl(x, cl)))],
    [code(Op.I32ShrS, Op.I64ShrS), binary(w, shift((a, x) => a.sar(x, cl)))],
    [code(Op.I32ShrU, Op.I64ShrU), binary(w, shift((a, x) => a.shr(x, cl)))],
    [code(Op.I32Rotl, Op.I64Rotl), binary(w, shift((a, x) => a.rol(x, cl)))],
    [code(Op.I32Rotr, Op.I64Rotr), binary(w, shift((a, x) => a.ror(x, cl)))],
    [code(Op.I32DivS, Op.I64DivS), binary(w, divS)],
    [code(Op.I32RemS, Op.I64RemS), binary(w, remS)],
    [code(Op.I32DivU, Op.I64DivU), binary(w, divU(false))],
    [code(Op.I32RemU, Op.I64RemU), binary(w, divU(true))],
    [code(Op.I32Eq, Op.I64Eq), compare(w, "e")],
    [code(Op.I32Ne, Op.I64Ne), compare(w, "ne")],
    [code(Op.I32LtS, Op.I64LtS), compare(w, "l")],
    [code(Op.I32LtU, Op.I64LtU), compare(w, "b")],
    [code(Op.I32GtS, Op.I64GtS), compare(w, "g")],
    [code(Op.I32GtU, Op.I64GtU), compare(w, "a")],
    [code(Op.I32LeS, Op.I64LeS), compare(w, "le")],
    [code(Op.I32LeU, Op.I64LeU), compare(w, "be")],
    [code(Op.I32GeS, Op.I64GeS), compare(w, "ge")],
    [code(Op.I32GeU, Op.I64GeU), compare(w, "ae")],
    [code(Op.I32Eqz, Op.I64Eqz), unary(w, eqz, 32)],
    [code(Op.I32Clz, Op.I64Clz), unary(w, clz(w))],
    [code(Op.I32Ctz, Op.I64Ctz), unary(w, ctz(w))],
    // popcnt is in the x86-64-v2 baseline.
    [code(Op.I32Popcnt, Op.I64Popcnt), unary(w, (c, a) => c.a.popcnt(a, a))],
  );
}

emitters.push(
  [Op.I32Extend8S, unary(32, (c) => c.a.movsx(eax, al))],
  [Op.I32Extend16S, unary(32, (c) => c.a.movsx(eax, ax))],
  [Op.I64Extend8S, unary(64, (c) => c.a.movsx(rax, al))],
  [Op.I64Extend16S, unary(64, (c) => c.a.movsx(rax, ax))],
  [Op.I64Extend32S, unary(64, (c) => c.a.movsxd(rax, eax))],
);

export const intEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
