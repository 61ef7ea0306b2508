// Instruction forms for the objdump comparison: operand samples for every
// pattern of the encoding table (every register, every kind of base and
// index, displacements of 0/8/32 bits either side of the boundaries,
// immediates at their limits), and the text objdump -M intel should print
// for a row. The expected text is written from the operands, independently
// of the encoder: only objdump decodes the bytes.
import type { Encoding, Pattern } from "../../tools/x86/encodings.ts";
import { immFits } from "../../tools/x86/immediates.ts";
import { imm, imm64, Label, mem, type Mem, type MemSize, type Operand, type Scale } from "../../tools/x86/operands.ts";
import {
  al, ax, cl, controlRegs, dx, eax, gpr16, gpr32, gpr64, gpr8, rip, xmms,
  type Gpr,
} from "../../tools/x86/registers.ts";

const bases: (Gpr | typeof rip | null)[] = [...gpr64, rip, null];
const indexes: Gpr[] = gpr64.filter((r) => r.num !== 4);
const disps = [0, 1, -1, 127, -128, 128, -129, 0x7fff_ffff, -0x8000_0000, 0x1234, -0x1234, 0x40, -0x10000];
const scales: Scale[] = [1, 2, 4, 8];

/** About 70 memory shapes: each base (16 GPRs, rip, none) with and without index, disp 0 and others. */
export function memShapes(size: MemSize | null): Mem[] {
  const out: Mem[] = [];
  bases.forEach((base, b) => {
    const size_ = size ?? undefined;
    out.push(mem(base, { disp: disps[b % disps.length]! }, size_));
    out.push(mem(base, {}, size_));
    if (base === rip) {
      out.push(mem(base, { disp: -0x40 }, size_), mem(base, { disp: 0x1000 }, size_));
      return;
    }
    out.push(
      mem(base, { index: indexes[(b * 3) % indexes.length]!, scale: scales[b % 4]!, disp: disps[(b * 5 + 3) % disps.length]! }, size_),
      mem(base, { index: indexes[(b * 7 + 4) % indexes.length]!, scale: scales[3 - (b % 4)]!, disp: disps[(b * 2 + 1) % disps.length]! }, size_),
    );
  });
  return out;
}

const memSize: Partial<Record<Pattern, MemSize | null>> = {
  rm8: 8, rm16: 16, rm32: 32, rm64: 64, m: null, m32: null, m64: null, xm32: 32, xm64: 64, xm128: 128,
};

const shapesBySize = new Map<MemSize | null, Mem[]>();
function shapes(size: MemSize | null): Mem[] {
  let s = shapesBySize.get(size);
  if (s === undefined) shapesBySize.set(size, (s = memShapes(size)));
  return s;
}

/** A label for rel8/rel32 rows; encoding leaves the field zero, so the target is the next instruction. */
export const nextInstruction = new Label(0, -1, "next");

function immSamples(p: Pattern, size: number | null): bigint[] {
  const n = BigInt(size ?? 64);
  const max = (1n << n) - 1n;
  switch (p) {
    case "ib":
      return [0n, 1n, -1n, 127n, -128n, 0x5an, max, max - 127n];
    case "iw":
      return [0n, 1n, -1n, -32768n, 32767n, 65535n, 0x1234n];
    case "id":
      return size === 64
        ? [0n, 1n, -1n, 0x7fff_ffffn, -0x8000_0000n, 0x1234_5678n, max - 0x7fff_ffffn]
        : [0n, 1n, -1n, 0x7fff_ffffn, -0x8000_0000n, 0x1234_5678n, 0xffff_ffffn, 0x8000_0000n];
    case "iq":
      return [0n, -1n, (1n << 64n) - 1n, 1n << 63n, -(1n << 63n), 0x1122_3344_5566_7788n, 1n << 31n, 0x8000_0000n];
    case "ub":
      return [0n, 1n, 5n, 31n, 63n, 127n, 128n, 255n];
    case "pred":
      return [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n];
    default:
      return [];
  }
}

/** Every sample operand for one pattern of one row. */
export function samples(e: Encoding, p: Pattern): Operand[] {
  switch (p) {
    case "r8": return [...gpr8];
    case "r16": return [...gpr16];
    case "r32": return [...gpr32];
    case "r64": return [...gpr64];
    case "rm8": return [...gpr8, ...shapes(8)];
    case "rm16": return [...gpr16, ...shapes(16)];
    case "rm32": return [...gpr32, ...shapes(32)];
    case "rm64": return [...gpr64, ...shapes(64)];
    case "m": case "m32": case "m64": return shapes(null);
    case "x": return [...xmms];
    case "xm32": case "xm64": case "xm128": return [...xmms, ...shapes(memSize[p]!)];
    case "cr": return [...controlRegs];
    case "al": return [al];
    case "ax": return [ax];
    case "eax": return [eax];
    case "cl": return [cl];
    case "dx": return [dx];
    case "ib": case "iw": case "id": case "iq": case "ub": case "pred": {
      const values = immSamples(p, e.size);
      for (const v of values) {
        if (!immFits(p, v, e.size)) throw new Error(`test bug: sample ${v} does not fit ${p} of size ${e.size}`);
      }
      return values.map((v) => (p === "iq" ? imm64(v) : imm(v)));
    }
    case "rel8": case "rel32": return [nextInstruction];
  }
}

/** Operand lists for a row: every sample of every operand appears, in two different pairings. */
export function rowsOf(e: Encoding): Operand[][] {
  const lists = e.operands.map((p) => samples(e, p));
  const count = Math.max(1, ...lists.map((l) => l.length));
  const rows: Operand[][] = [];
  const seen = new Set<string>();
  for (const stride of [1, 5]) {
    for (let i = 0; i < count; i++) {
      const ops = lists.map((l, j) => l[(i * stride + 3 * j) % l.length]!);
      const key = ops.map((o) => JSON.stringify(o, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(ops);
    }
  }
  return rows;
}

// --- expected objdump text -------------------------------------------------------

const ptr: Partial<Record<Pattern, string>> = {
  rm8: "BYTE PTR ", rm16: "WORD PTR ", rm32: "DWORD PTR ", m32: "DWORD PTR ", xm32: "DWORD PTR ",
  rm64: "QWORD PTR ", m64: "QWORD PTR ", xm64: "QWORD PTR ", xm128: "XMMWORD PTR ", m: "",
};

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function memText(m: Mem, p: Pattern, end: number): string {
  const prefix = ptr[p]!;
  if (m.base === null && m.index === null) return `${prefix}ds:${hex(BigInt.asUintN(64, BigInt(m.disp)))}`;
  const parts: string[] = [];
  if (m.base !== null) parts.push(m.base.name);
  if (m.index !== null) parts.push(`${m.index.name}*${m.scale}`);
  let text = parts.join("+");
  // objdump shows a zero displacement when one is encoded: no base (disp32), rip, or rbp/r13 (disp8 0).
  const zeroShown = m.base === null || m.base.kind === "rip" || (m.base.num & 7) === 5;
  // objdump prints a negative rip displacement as its 64-bit two's complement.
  if (m.base !== null && m.base.kind === "rip") text += `+${hex(BigInt.asUintN(64, BigInt(m.disp)))}`;
  else if (m.disp > 0 || (m.disp === 0 && zeroShown)) text += `+${hex(BigInt(m.disp))}`;
  else if (m.disp < 0) text += `-${hex(BigInt(-m.disp))}`;
  let out = `${prefix}[${text}]`;
  if (m.base !== null && m.base.kind === "rip") out += ` # ${hex(BigInt.asUintN(64, BigInt(end + m.disp)))}`;
  return out;
}

function operandText(e: Encoding, p: Pattern, op: Operand, end: number): string {
  switch (op.kind) {
    case "gpr": case "xmm": case "cr": return op.name;
    case "mem": return memText(op, p, end);
    case "imm": {
      const bits = p === "ub" || p === "pred" ? 8 : p === "iq" ? 64 : e.size ?? 64;
      return hex(BigInt.asUintN(bits, op.value));
    }
    case "label": return hex(BigInt(end));
    case "sym": throw new Error("no symbols in table rows");
  }
}

const cmpNames = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"];
const stringOps: Record<string, string> = {
  "rep movsb": "rep movs BYTE PTR es:[rdi],BYTE PTR ds:[rsi]",
  "rep stosb": "rep stos BYTE PTR es:[rdi],al",
  "rep movsq": "rep movs QWORD PTR es:[rdi],QWORD PTR ds:[rsi]",
  "rep stosq": "rep stos QWORD PTR es:[rdi],rax",
};

/**
 * What objdump prints for row `e` with `ops`, the instruction ending at `end`.
 * A few spellings differ from the operands as written: movabs for the imm64
 * mov, cmpss with a predicate is a pseudo-op (cmpltss), the string operations
 * print their implicit operands, and xchg's r, r/m form prints r/m first.
 */
export function expectedText(e: Encoding, ops: readonly Operand[], end: number): string {
  const fixed = stringOps[e.mnemonic];
  if (fixed !== undefined) return fixed;
  let mnemonic = e.mnemonic;
  let texts = ops.map((op, i) => operandText(e, e.operands[i]!, op, end));
  if (mnemonic === "mov" && e.operands[1] === "iq") mnemonic = "movabs";
  if (mnemonic === "cmpss" || mnemonic === "cmpsd") {
    const pred = ops[2]!;
    if (pred.kind !== "imm") throw new Error("cmp predicate");
    mnemonic = `cmp${cmpNames[Number(pred.value)]}${mnemonic.slice(3)}`;
    texts = texts.slice(0, 2);
  }
  if (mnemonic === "xchg" && e.roles[0] === "R") texts.reverse();
  // objdump puts rip-relative comments at the end of the line.
  const comment = texts.map((t) => /( # .*)$/.exec(t)?.[1] ?? "").join("");
  texts = texts.map((t) => t.replace(/ # .*$/, ""));
  return (texts.length === 0 ? mnemonic : `${mnemonic} ${texts.join(",")}`) + comment;
}
