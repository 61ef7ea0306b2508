// Direct forms: the integer instructions a code generator emits most, with
// plain numbers for operands (register numbers, the parts of an address,
// an immediate a number holds), so that the hot path builds no operand
// object, computes no shape key and looks nothing up by hash.
//
// The bytes are the general path's by construction: each (operation, form,
// width, class of immediate) takes its row from select.ts once, chosen for
// representative operands, and is encoded from that row's plan with the
// encoder's own address code. Selection looks only at operand kinds and
// widths, the immediate's class, and whether a register is number 0, 1 or 2
// (rows with a fixed al/ax/eax/cl/dx operand); no operation here has such a
// row in the forms it takes, and test/x86/direct.test.ts compares every
// form with the general path over all registers, widths, addresses and
// immediate boundaries. What falls outside (a form with no row, a 64-bit
// immediate, an invalid register) is the assembler's to send the general way.
import type { ByteBuffer } from "./buffer.ts";
import { le, planOf, putAddressParts, putHead, type Plan } from "./encoder.ts";
import { imm, mem, type Operand } from "./operands.ts";
import { gpr, gpr64, type GprSize } from "./registers.ts";
import { select } from "./select.ts";

/** The operations with direct forms. Movzx8 is `movzx r, r/m8`, and so on: the source's width is part of the operation. */
export const enum IntOp {
  Mov, Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test,
  Shl, Shr, Sar, Rol, Ror,
  Movzx8, Movzx16, Movsx8, Movsx16, Movsxd, Lea,
  /** The two-operand `imul r, r/m` (no immediate form: that one has three operands). */
  Imul,
}

/** The mnemonic of each IntOp, in order. */
export const INT_OP_MNEMONICS: readonly string[] = [
  "mov", "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test",
  "shl", "shr", "sar", "rol", "ror",
  "movzx", "movzx", "movsx", "movsx", "movsxd", "lea",
  "imul",
];

/** The width of an operation's source operand (register or memory) when it is not the destination's; 0: the same; -1: lea's memory, of no width. */
const SOURCE_WIDTH: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 16, 8, 16, 32, -1, 0];

/** The operand forms: R a register, I an immediate, M memory; destination first. */
export const enum Form { RR, RI, RM, MR, MI }
const FORMS = 5;

/**
 * Immediates fall in three classes that pick the same rows: [-128, -1],
 * [0, 127] (a sign-extended imm8 either way, but [0, 127] also fits the
 * unsigned imm8 of shifts), and the rest of the 16- or 32-bit range.
 */
const IMM_CLASSES = 3;
/** A value of each class, for selection; the last by operation width (8-bit values all fall in the first two). */
function representative(cls: number, size: GprSize): number {
  return cls === 0 ? -1 : cls === 1 ? 8 : size === 16 ? 0x1234 : 0x12345;
}

/** 0-3 for widths 8-64, -1 for anything else. */
export function sizeCode(size: number): number {
  return size === 64 ? 3 : size === 32 ? 2 : size === 8 ? 0 : size === 16 ? 1 : -1;
}

/** The source width of `op` at destination width `size` (a GPR or memory width; 0 for lea's). */
export function sourceWidth(op: IntOp, size: GprSize): number {
  const w = SOURCE_WIDTH[op]!;
  return w === 0 ? size : w < 0 ? 0 : w;
}

/**
 * `value` as the immediate field holds it for an operation of `size` bits
 * (a value of the width written unsigned becomes its signed self, as
 * select.ts's immFits allows), or NaN when it is not an integer of that
 * width or a sign-extended imm32 (64 bits): then only the general path knows.
 */
export function immValue(value: number, size: GprSize): number {
  switch (size) {
    case 32:
      return value >= -0x8000_0000 && value <= 0xffff_ffff && Number.isInteger(value) ? value | 0 : NaN;
    case 64:
      return (value | 0) === value ? value : NaN;
    case 16:
      return value >= -0x8000 && value <= 0xffff && Number.isInteger(value) ? (value << 16) >> 16 : NaN;
    default:
      return value >= -0x80 && value <= 0xff && Number.isInteger(value) ? (value << 24) >> 24 : NaN;
  }
}

/** The class of an immValue(). */
export function immClassOf(v: number): number {
  return v < -128 ? 2 : v < 0 ? 0 : v < 128 ? 1 : 2;
}

/** Plans by (op, form, width, immediate class); undefined until asked for, null where the table has no row. */
const plans: (Plan | null | undefined)[] = new Array<Plan | null | undefined>(INT_OP_MNEMONICS.length * FORMS * 4 * IMM_CLASSES).fill(undefined);

/** The representative operands of a form: register 3 (no fixed-register row takes it), memory at [rbx]. */
function representatives(op: IntOp, form: Form, size: GprSize, cls: number): Operand[] {
  const src = sourceWidth(op, size);
  const srcMem = mem(gpr64[3]!, {}, src === 0 ? undefined : (src as 8 | 16 | 32 | 64));
  const dst = gpr(3, size);
  switch (form) {
    case Form.RR: return [dst, gpr(3, (src || size) as GprSize)];
    case Form.RI: return [dst, imm(representative(cls, size))];
    case Form.RM: return [dst, srcMem];
    case Form.MR: return [mem(gpr64[3]!, {}, size), dst];
    case Form.MI: return [mem(gpr64[3]!, {}, size), imm(representative(cls, size))];
  }
}

/** The plan of `op` in `form` at width `size` (its sizeCode `sc`) for immediates of class `cls` (0 without one), or null: none. */
export function directPlan(op: IntOp, form: Form, size: GprSize, sc: number, cls: number): Plan | null {
  const k = ((op * FORMS + form) * 4 + sc) * IMM_CLASSES + cls;
  const known = plans[k];
  if (known !== undefined) return known;
  let p: Plan | null = null;
  try {
    const ops = representatives(op, form, size, cls);
    const e = select(INT_OP_MNEMONICS[op]!, ops);
    // A row must place the operands where the direct encoder puts them: the destination in ModRM.rm,
    // ModRM.reg or the opcode, the source after it, no third operand.
    if (e.operands.length === 2 && e.roles[1] !== "F") p = planOf(e);
  } catch {
    p = null; // no such form: the general path says why
  }
  plans[k] = p;
  return p;
}

/** The `base` of a rip-relative address: `[rip + disp32]`, the disp32 left zero for a fixup. */
export const RIP = -2;

/**
 * Encodes `plan` at the end of `out`. `r` is the register operand that goes
 * in ModRM.reg or the opcode (-1: the plan's /digit); `rm` the one in
 * ModRM.rm as a register, or -1 for memory at `[base + index*scale + disp]`
 * (-1: no base, no index; base RIP: rip-relative, the disp32 zero for the
 * caller's fixup); `immediate` is written when the plan has one.
 * `forceRex` for spl/bpl/sil/dil.
 */
export function encodeDirect(
  out: ByteBuffer, plan: Plan, r: number, rm: number,
  base: number, index: number, scale: number, disp: number, immediate: number, forceRex: boolean,
): void {
  let rex = plan.rexW;
  let reg = plan.digit;
  let opcodeReg = 0;
  if (plan.opc >= 0) {
    opcodeReg = r & 7;
    rex |= r >> 3; // REX.B
  } else if (r >= 0) {
    reg = r;
    rex |= (r >> 3) << 2; // REX.R
  }
  const hasModRm = plan.rm >= 0;
  if (hasModRm) {
    if (rm >= 0) rex |= rm >> 3; // REX.B
    else rex |= (index < 0 ? 0 : (index >> 3) << 1) | (base < 0 ? 0 : base >> 3); // REX.X, REX.B
  }
  out.reserve(16);
  const b = out.bytes;
  let p = out.length;
  p = putHead(b, p, plan, rex, forceRex, opcodeReg);
  if (hasModRm) {
    if (rm >= 0) b[p++] = 0xc0 | ((reg & 7) << 3) | (rm & 7);
    else if (base === RIP) {
      b[p] = ((reg & 7) << 3) | 5; // mod=00 rm=101: [rip + disp32] in 64-bit mode
      p = le(b, p + 1, 0, 4);
    } else p = putAddressParts(b, p, reg, base, index, scale, disp);
  }
  if (plan.immSize > 0) p = le(b, p, immediate, plan.immSize);
  out.length = p;
}

/** Whether a register number is 0-15. */
export function isRegNum(n: number): boolean {
  return (n & 15) === n;
}

/** Whether `[base + index*scale + disp]` is an address mem() accepts (base and index 64-bit registers or -1). */
export function isAddress(base: number, index: number, scale: number, disp: number): boolean {
  return (
    (base === -1 || (base & 15) === base) &&
    (index === -1 ? scale === 1 : (index & 15) === index && index !== 4 && (scale === 1 || scale === 2 || scale === 4 || scale === 8)) &&
    (disp | 0) === disp
  );
}

/** An 8-bit register operand numbered 4-7 (spl, bpl, sil, dil) needs a REX prefix. */
export function byteRex(width: number, n: number): boolean {
  return width === 8 && n >= 4 && n <= 7;
}
