// Instruction selection for integer arithmetic, compares and conversions
// between integer widths. Results are computed in the value's register (or
// rax when it lives in memory, then stored); operands are used where they
// are (register, slot, immediate). rcx holds shift counts and constants
// that do not fit an immediate; rax and rdx are division's.

import { Op } from "../../wasm/index.ts";
import { gpr, imm, imm64, IntOp, negate, type Assembler, type Cond, type Gpr, type Mem } from "../../x86/index.ts";
import { Trap } from "../traps.ts";
import { RBP, Where, widthOf, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";

export type Selector = (g: Gen, i: Inst) => void;

const RAX = gpr(0, 64);
const RCX = gpr(1, 64);
const RDX = gpr(2, 64);

/** Whether value v (not a constant) lives in general register n. */
function inReg(g: Gen, v: number, n: number): boolean {
  return g.regOf(v) === n && !g.isConst(v);
}

/** d = x op y for a two-address x86 instruction. */
function binary(op: IntOp, commutative: boolean): Selector {
  return (g, i) => {
    const w = widthOf(i.type);
    let x = i.args[0]!, y = i.args[1]!;
    let d = g.dst(i, RAX);
    const dn = d.num;
    if (inReg(g, y, dn) && !inReg(g, x, dn)) {
      if (commutative) {
        const t = x;
        x = y;
        y = t;
      } else d = gpr(0, w); // d would overwrite y before it is read
    }
    g.loadInto(d, x);
    const where = g.locate(y, w, 1);
    if (where === Where.Imm && op === IntOp.Imul) {
      // imul takes an immediate only in its three-operand form: through rcx.
      g.a.ri(IntOp.Mov, w, 1, g.at);
      g.a.rr(op, w, d.num, 1);
    } else g.opFrom(op, w, d.num, where, g.at);
    if (d.num !== dn) g.a.rr(IntOp.Mov, w, dn, d.num);
    g.finish(i, gpr(dn, w));
  };
}

/** Shifts and rotates: by a constant count as an immediate, else by cl. */
function shift(op: IntOp): Selector {
  const mnemonic = SHIFT_MNEMONICS[op - IntOp.Shl]!;
  return (g, i) => {
    const w = widthOf(i.type);
    const x = i.args[0]!, y = i.args[1]!;
    const count = g.isConst(y) ? Number(g.bits(y) & BigInt(w - 1)) : -1;
    if (count < 0) g.loadInto(gpr(1, 32), y);
    const d = g.dst(i, RAX);
    g.loadInto(d, x);
    if (count >= 0) g.a.ri(op, w, d.num, count);
    else g.a.emit(mnemonic, d, CL);
    g.finish(i, d);
  };
}
const SHIFT_MNEMONICS = ["shl", "shr", "sar", "rol", "ror"];
const CL = gpr(1, 8);

const mulByRegister = binary(IntOp.Imul, true);

const mul: Selector = (g, i) => {
  const w = widthOf(i.type);
  let [x, y] = i.args as [number, number];
  if (g.isConst(x)) [x, y] = [y, x];
  const d = g.dst(i, RAX);
  if (g.isConst(y) && !g.isConst(x) && (w === 32 || (g.bits(y) < 1n << 31n || g.bits(y) >= (1n << 64n) - (1n << 31n)))) {
    const k = g.bits(y);
    g.a.imul(d, g.src(x, w, RCX) as Gpr | Mem, imm(w === 32 ? Number(BigInt.asIntN(32, k)) : BigInt.asIntN(64, k)));
    g.finish(i, d);
    return;
  }
  mulByRegister(g, i);
};

/** Division: the dividend in rax, the divisor in a register or slot; wasm's traps first. */
function divide(signed: boolean, rem: boolean): Selector {
  return (g, i) => {
    const w = widthOf(i.type);
    const [x, y] = i.args as [number, number];
    const a = g.a;
    const eax = gpr(0, w), edx = gpr(2, w);
    const k = g.isConst(y) ? BigInt.asIntN(w, g.bits(y)) : null;
    // Unsigned by a power of two: a shift or a mask.
    if (!signed && k !== null && k > 0n && (k & (k - 1n)) === 0n) {
      const d = g.dst(i, RAX);
      g.loadInto(d, x);
      const log = k.toString(2).length - 1;
      if (rem) {
        if (k - 1n < 1n << 31n) a.ri(IntOp.And, w, d.num, Number(k - 1n));
        else {
          a.mov(RCX, imm64(k - 1n));
          a.and(d, gpr(1, w));
        }
      } else if (log > 0) a.ri(IntOp.Shr, w, d.num, log);
      g.finish(i, d);
      return;
    }
    let divisor: Gpr | Mem;
    if (k !== null) {
      g.constInto(gpr(1, w), g.bits(y));
      divisor = gpr(1, w);
    } else divisor = g.src(y, w, RCX) as Gpr | Mem;
    g.loadInto(eax, x);
    if (k === null) {
      if (divisor.kind === "gpr") a.test(divisor, divisor);
      else a.cmp(divisor, imm(0));
      a.jcc("z", g.bridge.trap(Trap.DivideByZero));
    } else if (k === 0n) a.jmp(g.bridge.trap(Trap.DivideByZero));
    const done = a.newLabel();
    if (signed && (k === null || k === -1n)) {
      // MIN / -1 overflows (a trap for div_s; rem_s is 0, and idiv would fault).
      const ok = a.newLabel();
      a.cmp(divisor, imm(-1));
      a.jcc("ne", ok);
      if (rem) {
        a.rr(IntOp.Xor, 32, 2, 2);
        a.jmp(done);
      } else {
        if (w === 32) a.ri(IntOp.Cmp, 32, 0, 0x8000_0000);
        else {
          a.mov(RDX, imm64(1n << 63n));
          a.cmp(RAX, RDX);
        }
        a.jcc("e", g.bridge.trap(Trap.IntegerOverflow));
      }
      a.bind(ok);
    }
    if (signed) {
      if (w === 32) a.cdq();
      else a.cqo();
      a.idiv(divisor);
    } else {
      a.rr(IntOp.Xor, 32, 2, 2);
      a.div(divisor);
    }
    a.bind(done);
    const r = rem ? edx : eax;
    const d = g.dst(i, r);
    if (d.num !== r.num) a.rr(IntOp.Mov, w, d.num, r.num);
    g.finish(i, d);
  };
}

/** Condition codes of the integer compares, by opcode. */
export const INT_CC: ReadonlyMap<number, Cond> = new Map<number, Cond>([
  [Op.I32Eq, "e"], [Op.I32Ne, "ne"], [Op.I32LtS, "l"], [Op.I32LtU, "b"], [Op.I32GtS, "g"], [Op.I32GtU, "a"],
  [Op.I32LeS, "le"], [Op.I32LeU, "be"], [Op.I32GeS, "ge"], [Op.I32GeU, "ae"],
  [Op.I64Eq, "e"], [Op.I64Ne, "ne"], [Op.I64LtS, "l"], [Op.I64LtU, "b"], [Op.I64GtS, "g"], [Op.I64GtU, "a"],
  [Op.I64LeS, "le"], [Op.I64LeU, "be"], [Op.I64GeS, "ge"], [Op.I64GeU, "ae"],
]);

/** The same test with its operands swapped. */
const SWAPPED: Record<string, Cond> = { e: "e", ne: "ne", l: "g", g: "l", le: "ge", ge: "le", b: "a", a: "b", be: "ae", ae: "be" };

/** Emits the flags of compare `i` (an integer compare or eqz) and returns the condition that is true when it holds. */
export function compareFlags(g: Gen, i: Inst): Cond {
  const a = g.a;
  if (i.op === Op.I32Eqz || i.op === Op.I64Eqz) {
    const w = i.op === Op.I32Eqz ? 32 : 64;
    const v = i.args[0]!;
    const where = g.locate(v, w, 1);
    if (where === Where.Reg) a.rr(IntOp.Test, w, g.at, g.at);
    else if (where === Where.Slot) a.mi(IntOp.Cmp, w, RBP, -1, 1, g.at, 0);
    else {
      a.ri(IntOp.Mov, w, 0, g.at);
      a.rr(IntOp.Test, w, 0, 0);
    }
    return "e";
  }
  const w = i.op >= Op.I64Eq ? 64 : 32;
  let cc = INT_CC.get(i.op)!;
  let x = i.args[0]!, y = i.args[1]!;
  if (g.isConst(x) && !g.isConst(y)) {
    const t = x;
    x = y;
    y = t;
    cc = SWAPPED[cc]!;
  }
  let left = g.locate(x, w, 0);
  let l = g.at;
  const right = g.locate(y, w, 1);
  const r = g.at;
  if (left === Where.Imm || (left === Where.Slot && right === Where.Slot)) {
    // cmp takes no immediate on the left and one memory operand at most: the left into eax.
    g.opFrom(IntOp.Mov, w, 0, left, l);
    left = Where.Reg;
    l = 0;
  }
  if (left === Where.Reg) g.opFrom(IntOp.Cmp, w, l, right, r);
  else if (right === Where.Reg) a.mr(IntOp.Cmp, w, RBP, -1, 1, l, r);
  else a.mi(IntOp.Cmp, w, RBP, -1, 1, l, r);
  return cc;
}

const compare: Selector = (g, i) => {
  const cc = compareFlags(g, i);
  g.a.setcc(cc, gpr(0, 8));
  const d = g.dst(i, RAX);
  g.a.rr(IntOp.Movzx8, 32, d.num, 0);
  g.finish(i, d);
};

/** A conversion done by one instruction from a 32- or 64-bit source into the result's register. */
function unary(srcWidth: 32 | 64, op: (a: Assembler, d: Gpr, s: Gpr | Mem) => void): Selector {
  return (g, i) => {
    const d = g.dst(i, RAX);
    const s = g.src(i.args[0]!, srcWidth, RCX);
    op(g.a, d, s.kind === "imm" ? (g.a.mov(gpr(1, srcWidth), s), gpr(1, srcWidth)) : s);
    g.finish(i, d);
  };
}

/** i32.wrap_i64 and i64.extend_i32_u: a 32-bit move, which zeroes the upper half (a constant through ecx, as unary() does). */
const move32: Selector = (g, i) => {
  const d = g.dst(i, RAX);
  const where = g.locate(i.args[0]!, 32, 1);
  if (where === Where.Imm) {
    g.a.ri(IntOp.Mov, 32, 1, g.at);
    g.a.rr(IntOp.Mov, 32, d.num, 1);
  } else g.opFrom(IntOp.Mov, 32, d.num, where, g.at);
  g.finish(i, d);
};

const sized = (s: Gpr | Mem, size: 8 | 16 | 32): Gpr | Mem => (s.kind === "gpr" ? gpr(s.num, size) : { ...s, size });

const table: [number, Selector][] = [
  [Op.I32Add, binary(IntOp.Add, true)], [Op.I64Add, binary(IntOp.Add, true)],
  [Op.I32Sub, binary(IntOp.Sub, false)], [Op.I64Sub, binary(IntOp.Sub, false)],
  [Op.I32And, binary(IntOp.And, true)], [Op.I64And, binary(IntOp.And, true)],
  [Op.I32Or, binary(IntOp.Or, true)], [Op.I64Or, binary(IntOp.Or, true)],
  [Op.I32Xor, binary(IntOp.Xor, true)], [Op.I64Xor, binary(IntOp.Xor, true)],
  [Op.I32Mul, mul], [Op.I64Mul, mul],
  [Op.I32Shl, shift(IntOp.Shl)], [Op.I64Shl, shift(IntOp.Shl)],
  [Op.I32ShrS, shift(IntOp.Sar)], [Op.I64ShrS, shift(IntOp.Sar)],
  [Op.I32ShrU, shift(IntOp.Shr)], [Op.I64ShrU, shift(IntOp.Shr)],
  [Op.I32Rotl, shift(IntOp.Rol)], [Op.I64Rotl, shift(IntOp.Rol)],
  [Op.I32Rotr, shift(IntOp.Ror)], [Op.I64Rotr, shift(IntOp.Ror)],
  [Op.I32DivS, divide(true, false)], [Op.I64DivS, divide(true, false)],
  [Op.I32DivU, divide(false, false)], [Op.I64DivU, divide(false, false)],
  [Op.I32RemS, divide(true, true)], [Op.I64RemS, divide(true, true)],
  [Op.I32RemU, divide(false, true)], [Op.I64RemU, divide(false, true)],
  [Op.I32Eqz, compare], [Op.I64Eqz, compare],
  ...[...INT_CC.keys()].map((op): [number, Selector] => [op, compare]),
  [Op.I32Popcnt, unary(32, (a, d, s) => a.popcnt(d, s))], [Op.I64Popcnt, unary(64, (a, d, s) => a.popcnt(d, s))],
  [Op.I32WrapI64, move32],
  [Op.I64ExtendI32U, move32],
  [Op.I64ExtendI32S, unary(32, (a, d, s) => a.movsxd(d, s))],
  [Op.I32Extend8S, unary(32, (a, d, s) => a.movsx(d, sized(s, 8)))],
  [Op.I32Extend16S, unary(32, (a, d, s) => a.movsx(d, sized(s, 16)))],
  [Op.I64Extend8S, unary(64, (a, d, s) => a.movsx(d, sized(s, 8)))],
  [Op.I64Extend16S, unary(64, (a, d, s) => a.movsx(d, sized(s, 16)))],
  [Op.I64Extend32S, unary(64, (a, d, s) => a.movsxd(d, sized(s, 32)))],
];

export const intSelectors: ReadonlyMap<number, Selector> = new Map(table);
export { negate };
