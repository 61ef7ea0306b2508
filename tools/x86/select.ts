// Picks the table row for a mnemonic and its operands: the first row whose
// operand forms all fit. Fitting is checked per operand (register class and
// width, memory width, immediate range), with one rule that looks across
// operands: a memory operand given without a width takes it from a register
// operand of the same instruction, or from the instruction itself when every
// fitting row agrees (`movsxd r64, [m]` reads 32 bits); otherwise it is
// ambiguous and the caller must say `mem(..., size)`.
//
// The choice depends on the operands' shapes only (shape.ts), and a code
// generator asks for the same few hundred shapes over and over, so it is
// memoized per mnemonic and shape: the search runs once per shape.
import { encodingsOf, formatEncoding, type Encoding, type Pattern } from "./encodings.ts";
import { AsmError } from "./errors.ts";
import { immFits } from "./immediates.ts";
import { formatInstruction, type Operand } from "./operands.ts";
import type { GprSize } from "./registers.ts";
import { shapeKey } from "./shape.ts";

/** The width an rmN/rN pattern stands for; null for patterns without a fixed GPR width. */
function gprWidth(p: Pattern): GprSize | null {
  switch (p) {
    case "r8": case "rm8": return 8;
    case "r16": case "rm16": return 16;
    case "r32": case "rm32": return 32;
    case "r64": case "rm64": return 64;
    default: return null;
  }
}

/** The width of memory a pattern accepts: a number, "any" (lea), or null (no memory). */
function memWidth(p: Pattern): number | "any" | null {
  switch (p) {
    case "rm8": return 8;
    case "rm16": return 16;
    case "rm32": case "m32": case "xm32": return 32;
    case "rm64": case "m64": case "xm64": return 64;
    case "xm128": return 128;
    case "m": return "any";
    default: return null;
  }
}

const fixedRegs: Partial<Record<Pattern, [number, GprSize]>> = {
  al: [0, 8], ax: [0, 16], eax: [0, 32], cl: [1, 8], dx: [2, 16],
};

function fits(p: Pattern, op: Operand, e: Encoding, checkRange: boolean): boolean {
  const width = gprWidth(p);
  switch (p) {
    case "r8": case "r16": case "r32": case "r64":
      return op.kind === "gpr" && op.size === width;
    case "rm8": case "rm16": case "rm32": case "rm64":
      return (op.kind === "gpr" && op.size === width) || (op.kind === "mem" && (op.size === null || op.size === width));
    case "m":
      return op.kind === "mem";
    case "m32": case "m64":
      return op.kind === "mem" && (op.size === null || op.size === memWidth(p));
    case "x":
      return op.kind === "xmm";
    case "xm32": case "xm64": case "xm128":
      return op.kind === "xmm" || (op.kind === "mem" && (op.size === null || op.size === memWidth(p)));
    case "cr":
      return op.kind === "cr";
    case "al": case "ax": case "eax": case "cl": case "dx": {
      const [num, size] = fixedRegs[p]!;
      return op.kind === "gpr" && op.num === num && op.size === size;
    }
    case "ib": case "iw": case "id": case "iq": case "ub": case "pred":
      return op.kind === "imm" && (!op.wide || p === "iq") && (!checkRange || immFits(p, op.value, e.size));
    case "rel8":
      return op.kind === "label";
    case "rel32":
      return op.kind === "label" || op.kind === "sym";
  }
}

function matches(e: Encoding, ops: readonly Operand[], checkRange: boolean): boolean {
  const patterns = e.operands;
  if (patterns.length !== ops.length) return false;
  for (let i = 0; i < patterns.length; i++) if (!fits(patterns[i]!, ops[i]!, e, checkRange)) return false;
  return true;
}

/** Rows already chosen, by mnemonic and then by shapeKey. */
const chosen = new Map<string, Map<number, Encoding>>();

/** The row to encode `mnemonic ops` with; throws an AsmError that names the instruction when there is none. */
export function select(mnemonic: string, ops: readonly Operand[]): Encoding {
  return selectByKey(mnemonic, shapeKey(ops), ops);
}

/** select() for a caller that has the operands' shapeKey already. */
export function selectByKey(mnemonic: string, key: number, ops: readonly Operand[]): Encoding {
  const byShape = chosen.get(mnemonic);
  const known = key < 0 || byShape === undefined ? undefined : byShape.get(key);
  if (known !== undefined) return known;
  const e = search(mnemonic, ops);
  if (key >= 0) {
    if (byShape === undefined) chosen.set(mnemonic, new Map([[key, e]]));
    else byShape.set(key, e);
  }
  return e;
}

/** select() without the memo: the first fitting row, with the width inference for unsized memory. */
function search(mnemonic: string, ops: readonly Operand[]): Encoding {
  const rows = encodingsOf(mnemonic);
  const what = (): string => formatInstruction(mnemonic, ops);
  if (rows.length === 0) throw new AsmError(`${what()}: unknown instruction "${mnemonic}"`);
  const at = ops.findIndex((op) => op.kind === "mem" && op.size === null);
  if (at < 0) {
    // The common case: nothing to infer, the first fitting row wins.
    for (const e of rows) if (matches(e, ops, true)) return e;
  }
  const candidates = rows.filter((e) => matches(e, ops, true));
  if (candidates.length === 0) {
    const forms = [...new Set(rows.map(formatEncoding))].join(" | ");
    if (rows.some((e) => matches(e, ops, false))) {
      throw new AsmError(`${what()}: immediate out of range for every form of ${mnemonic} (${forms})`);
    }
    throw new AsmError(`${what()}: no such form of ${mnemonic}; the forms are ${forms}`);
  }
  const first = candidates[0]!;
  if (gprWidth(first.operands[at]!) === null) return first;

  // An unsized memory operand in an integer form: take the width of a register operand...
  const byRegister = candidates.find((e) => {
    const w = gprWidth(e.operands[at]!);
    return ops.some((op, i) => op.kind === "gpr" && i !== at && "RMO".includes(e.roles[i]!) && op.size === w);
  });
  if (byRegister !== undefined) return byRegister;
  // ...or the one width that every fitting form agrees on.
  const widths = new Set(candidates.map((e) => memWidth(e.operands[at]!)));
  if (widths.size === 1) return first;
  throw new AsmError(
    `${what()}: the memory operand's size is ambiguous (${[...widths].join(" or ")} bits); give it as mem(base, opts, size)`,
  );
}
