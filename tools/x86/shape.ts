// An instruction's operands as one number, the shape key: what select.ts
// memoizes its choice under, and what the encoder and the assembler read
// instead of the operands' `kind` fields.
//
// Selection reads, per operand: its kind; for a GPR its width, and whether
// it is register 0, 1 or 2 (al/ax/eax, cl, dx are fixed operands of some
// rows); for memory its width or its lack of one; for an immediate `wide`
// and which immediate fields its value fits (immFits for every pattern and
// operation size a row can ask about). Register numbers above 2, addresses
// and displacements do not change the row, only the bytes; so two operand
// lists with one key get one row.
//
// Why the others read the key too: operands come in seven hidden classes,
// so every place that reads `kind` from any of them is a megamorphic
// property access, and with a dozen such places per instruction they were
// the largest cost of emitting one. Here `kind` is read once per operand.
// The key also says whether an operand refers to a label, which the
// assembler must track.
import { IMM_CLASS_NUMBERS, immClassNumber } from "./immediates.ts";
import type { Operand } from "./operands.ts";

/** Operand codes. GPRs are 1-16: 1 + 4 * (width 8, 16, 32, 64 as 0-3) + (register number, 3 for 3-15). */
export const enum Code {
  /** A GPR of no width the assembler knows (it fits no row). */
  GprOdd = 17,
  Xmm = 18,
  Cr = 19,
  Label = 20,
  Sym = 21,
  /** Memory: 22-27 for no width and 8, 16, 32, 64, 128 bits; 28 for any other width (only `m` rows take it). */
  Mem = 22,
  MemOdd = 28,
  /** The same seven for memory addressing a label (rip-relative). */
  MemLabel = 29,
  MemLabelOdd = 35,
  /** Not an operand at all. */
  Other = 36,
  /** Immediates: 64 + (wide ? 1 : 0) + 2 * immClassNumber(value), up to 127. */
  Imm = 64,
}

/** Bits per operand code; with three operands, the count and the label flag a key is 24 bits, a small integer. */
const BITS = 7;
if (Code.Imm + 2 * IMM_CLASS_NUMBERS > 1 << BITS) throw new Error("tools/x86: shape codes outgrew their bits");

/** 0-3 for a GPR width of 8-64, -1 for anything else. */
function gprSizeCode(size: number): number {
  return size === 64 ? 3 : size === 32 ? 2 : size === 8 ? 0 : size === 16 ? 1 : -1;
}

/** 0 for no width, 1-5 for 8-128, 6 for anything else. */
function memSizeCode(size: number | null): number {
  return size === null ? 0 : size === 64 ? 4 : size === 32 ? 3 : size === 8 ? 1 : size === 16 ? 2 : size === 128 ? 5 : 6;
}

/** One operand's code. */
function shapeOf(op: Operand): number {
  switch (op.kind) {
    case "gpr": {
      const s = gprSizeCode(op.size);
      return s < 0 ? Code.GprOdd : 1 + s * 4 + (op.num < 3 ? op.num : 3);
    }
    case "xmm":
      return Code.Xmm;
    case "cr":
      return Code.Cr;
    case "label":
      return Code.Label;
    case "sym":
      return Code.Sym;
    case "mem": {
      const t = op.target;
      return (t !== null && t.kind === "label" ? Code.MemLabel : Code.Mem) + memSizeCode(op.size);
    }
    case "imm":
      return Code.Imm + (op.wide ? 1 : 0) + 2 * immClassNumber(op.value);
    default:
      return Code.Other;
  }
}

/**
 * The key of an operand list, or -1 for more than three operands (no row
 * has more). Bits 0-1 are the operand count, bit 2 is set when an operand
 * refers to a label, and the operands' codes follow, BITS each.
 */
export function shapeKey(ops: readonly Operand[]): number {
  const n = ops.length;
  if (n > 3) return -1;
  let key = n;
  for (let i = 0; i < n; i++) {
    const s = shapeOf(ops[i]!);
    if (s === Code.Label || (s >= Code.MemLabel && s <= Code.MemLabelOdd)) key |= 4;
    key |= s << (3 + BITS * i);
  }
  return key;
}

/** The code of operand `i` of a key. */
export function codeAt(key: number, i: number): number {
  return (key >> (3 + BITS * i)) & ((1 << BITS) - 1);
}

/** Whether an operand of a key refers to a label. */
export function keyHasLabel(key: number): boolean {
  return (key & 4) !== 0;
}

/** The key of a lone label operand: `jmp label`, `call label`. */
export const LONE_LABEL_KEY = 1 | 4 | (Code.Label << 3);

export function isGpr(code: number): boolean {
  return code >= 1 && code <= Code.GprOdd;
}

/** spl, bpl, sil, dil: byte registers 4-7, which exist only with a REX prefix (SDM Vol 2A §2.2.1.2). */
export function needsRex(code: number, op: Operand): boolean {
  // Code 4 is an 8-bit GPR numbered 3 or more.
  return code === 4 && (op as { num: number }).num >= 4 && (op as { num: number }).num <= 7;
}

export function isMem(code: number): boolean {
  return code >= Code.Mem && code <= Code.MemLabelOdd;
}

export function isImm(code: number): boolean {
  return code >= Code.Imm;
}
