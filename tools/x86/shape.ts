// The key select.ts memoizes its choice under: one number for an
// instruction's operands that holds everything selection looks at, and
// nothing more, so that two instructions with equal keys pick the same row.
//
// Selection reads, per operand: its kind; for a GPR its width, and whether
// it is register 0, 1 or 2 (al/ax/eax, cl, dx are fixed operands of some
// rows); for memory its width or its lack of one; for an immediate `wide`
// and which immediate fields its value fits (immFits for every pattern and
// operation size a row can ask about). Register numbers above 2, addresses
// and displacements do not change the row, only the bytes.
import { IMM_CLASSES, immClass } from "./immediates.ts";
import type { Operand } from "./operands.ts";

/** Codes per operand: below 64 for everything but immediates, then 2 per immediate class. */
const RADIX = 64 + 2 * IMM_CLASSES;

/** 0-3 for a GPR width of 8-64, -1 for anything else. */
function gprSizeCode(size: number): number {
  return size === 64 ? 3 : size === 32 ? 2 : size === 8 ? 0 : size === 16 ? 1 : -1;
}

/** 0 for no width, 1-5 for 8-128, -1 for anything else. */
function memSizeCode(size: number | null): number {
  return size === null ? 0 : size === 64 ? 4 : size === 32 ? 3 : size === 8 ? 1 : size === 16 ? 2 : size === 128 ? 5 : -1;
}

/** One operand's code, or -1 for something selection would reject anyway (it is then not memoized). */
function shapeOf(op: Operand): number {
  switch (op.kind) {
    case "gpr": {
      const s = gprSizeCode(op.size);
      return s < 0 ? -1 : 1 + s * 4 + (op.num < 3 ? op.num : 3);
    }
    case "xmm":
      return 17;
    case "cr":
      return 18;
    case "label":
      return 19;
    case "sym":
      return 20;
    case "mem": {
      const s = memSizeCode(op.size);
      return s < 0 ? -1 : 21 + s;
    }
    case "imm":
      return 64 + (op.wide ? 1 : 0) + 2 * immClass(op.value);
    default:
      return -1;
  }
}

/** The key of an operand list (at most three operands), or -1 when it has none. */
export function shapeKey(ops: readonly Operand[]): number {
  const n = ops.length;
  if (n > 3) return -1;
  let key = n;
  let scale = 4;
  for (let i = 0; i < n; i++) {
    const s = shapeOf(ops[i]!);
    if (s < 0) return -1;
    key += s * scale;
    scale *= RADIX;
  }
  return key;
}
