// Turns one table row and its operands into bytes. One mechanism for every
// instruction (SDM Vol 2A §2.1, Figure 2-1):
//
//   [66] [mandatory prefix] [REX] opcode... [ModRM [SIB] [disp]] [imm] [rel]
//
// Fields that depend on where things end up (branch displacements, rip-relative
// references to labels or symbols) are written as zeros and returned as fixups
// for the assembler to fill in or turn into relocations.
import type { Encoding, Pattern } from "./encodings.ts";
import { AsmError } from "./errors.ts";
import { formatInstruction, type Label, type Mem, type Operand, type Sym } from "./operands.ts";

/**
 * A field to fill in later: `value = target + addend - P`, where P is the
 * address of the field itself (the ELF R_X86_64_PC32 formula). For a rel32
 * after which nothing follows, addend is -4; for a rip-relative operand it is
 * disp - 4 - (bytes of immediate after the displacement).
 */
export interface Fixup {
  /** Offset of the field from the start of the instruction. */
  readonly at: number;
  readonly size: 1 | 4;
  readonly target: Label | Sym;
  readonly addend: number;
}

export interface Encoded {
  readonly bytes: number[];
  readonly fixups: Fixup[];
}

const immBytes: Partial<Record<Pattern, number>> = { ib: 1, ub: 1, pred: 1, iw: 2, id: 4, iq: 8 };

/** Little-endian bytes of the low `n` bytes of a two's-complement value. */
export function littleEndian(value: bigint | number, n: number): number[] {
  const out: number[] = [];
  if (n <= 4) {
    // Plain numbers for the common fields: bitwise operators work on the low 32 bits.
    let v = typeof value === "number" ? value : Number(BigInt.asIntN(32, value));
    for (let i = 0; i < n; i++) {
      out.push(v & 0xff);
      v >>= 8;
    }
    return out;
  }
  let v = BigInt.asUintN(n * 8, BigInt(value));
  for (let i = 0; i < n; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

const scaleBits = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;

interface Address {
  mod: number;
  rm: number;
  sib: number | null;
  disp: number[];
  x: number;
  b: number;
  /** A rip-relative reference to resolve: the disp32 field holds target + mem.disp - end of instruction. */
  relative: Label | Sym | null;
}

/** ModRM.mod/rm, SIB and displacement for a memory operand (SDM Vol 2A Tables 2-2, 2-3, §2.2.1.6). */
function address(m: Mem): Address {
  const disp32 = littleEndian(m.disp, 4);
  if (m.base !== null && m.base.kind === "rip") {
    // mod=00 rm=101 is [rip + disp32] in 64-bit mode.
    return { mod: 0, rm: 5, sib: null, disp: m.target === null ? disp32 : [0, 0, 0, 0], x: 0, b: 0, relative: m.target };
  }
  const index = m.index;
  const indexBits = index === null ? 4 : index.num & 7; // SIB.index=100 without REX.X: no index
  const x = index === null ? 0 : index.num >> 3;
  const ss = scaleBits[m.scale] << 6;
  if (m.base === null) {
    // No base: mod=00 with SIB.base=101 means [index*scale + disp32]; with no index either, [disp32].
    return { mod: 0, rm: 4, sib: ss | (indexBits << 3) | 5, disp: disp32, x, b: 0, relative: null };
  }
  const base = m.base.num;
  // rsp and r12 (low bits 100) can only be a base through a SIB byte.
  const needSib = index !== null || (base & 7) === 4;
  // rbp and r13 (low bits 101) with mod=00 would mean rip/disp32, so they take a disp8 of 0.
  const mod = m.disp === 0 && (base & 7) !== 5 ? 0 : m.disp >= -128 && m.disp <= 127 ? 1 : 2;
  const disp = mod === 0 ? [] : mod === 1 ? littleEndian(m.disp, 1) : disp32;
  return {
    mod,
    rm: needSib ? 4 : base & 7,
    sib: needSib ? ss | (indexBits << 3) | (base & 7) : null,
    disp,
    x,
    b: base >> 3,
    relative: null,
  };
}

/** Whether a register is spl/bpl/sil/dil, which exist only with a REX prefix (SDM Vol 2A §2.2.1.2). */
function needsRex(op: Operand): boolean {
  return op.kind === "gpr" && op.size === 8 && op.num >= 4 && op.num <= 7;
}

/** Encodes `ops` with row `e`; the operands must fit the row (see select.ts). */
export function encode(e: Encoding, ops: readonly Operand[]): Encoded {
  const fail = (why: string): never => {
    throw new AsmError(`${formatInstruction(e.mnemonic, ops)}: ${why}`);
  };
  if (ops.length !== e.operands.length) fail(`expected ${e.operands.length} operands`);

  let reg = e.digit ?? 0; // ModRM.reg: a register operand or the /digit
  let rm: Operand | null = null;
  let opcodeReg = 0;
  let imm: number[] = [];
  let rel: { target: Label | Sym; size: 1 | 4 } | null = null;
  let rex = e.w ? 0x08 : 0; // REX.W; R, X, B are or-ed in below (SDM Vol 2A §2.2.1.2)
  let forceRex = false;

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const role = e.roles[i]!;
    if ((role === "R" || role === "M" || role === "O") && needsRex(op)) forceRex = true;
    if (role === "R") {
      if (op.kind !== "gpr" && op.kind !== "xmm" && op.kind !== "cr") return fail(`operand ${i + 1} must be a register`);
      reg = op.num;
      rex |= (op.num >> 3) << 2; // REX.R
    } else if (role === "M") {
      rm = op;
    } else if (role === "O") {
      if (op.kind !== "gpr") return fail(`operand ${i + 1} must be a general-purpose register`);
      opcodeReg = op.num & 7;
      rex |= op.num >> 3; // REX.B
    } else if (role === "I") {
      if (op.kind !== "imm") return fail(`operand ${i + 1} must be an immediate`);
      imm = littleEndian(op.value, immBytes[e.operands[i]!]!);
    } else if (role === "D") {
      if (op.kind !== "label" && op.kind !== "sym") return fail(`operand ${i + 1} must be a label or symbol`);
      rel = { target: op, size: e.operands[i] === "rel8" ? 1 : 4 };
    }
  }

  const modrm: number[] = [];
  const fixups: Fixup[] = [];
  let ripFixup: { target: Label | Sym; disp: number } | null = null;
  if (rm !== null) {
    if (rm.kind === "mem") {
      const a = address(rm);
      rex |= (a.x << 1) | a.b; // REX.X, REX.B
      modrm.push((a.mod << 6) | ((reg & 7) << 3) | a.rm);
      if (a.sib !== null) modrm.push(a.sib);
      modrm.push(...a.disp);
      if (a.relative !== null) ripFixup = { target: a.relative, disp: rm.disp };
    } else if (rm.kind === "gpr" || rm.kind === "xmm") {
      rex |= rm.num >> 3; // REX.B
      modrm.push(0xc0 | ((reg & 7) << 3) | (rm.num & 7));
    } else {
      return fail("the r/m operand must be a register or memory");
    }
  }

  const bytes: number[] = [];
  if (e.o16) bytes.push(0x66);
  if (e.prefix !== null) bytes.push(e.prefix);
  if (rex !== 0 || forceRex) bytes.push(0x40 | rex);
  bytes.push(...e.opcode);
  if (e.roles.includes("O")) bytes[bytes.length - 1]! += opcodeReg;
  bytes.push(...modrm);
  if (ripFixup !== null) {
    // The disp32 ends the ModRM bytes; rip points past the immediate that follows it.
    fixups.push({ at: bytes.length - 4, size: 4, target: ripFixup.target, addend: ripFixup.disp - 4 - imm.length });
  }
  bytes.push(...imm);
  if (rel !== null) {
    fixups.push({ at: bytes.length, size: rel.size, target: rel.target, addend: -rel.size });
    for (let i = 0; i < rel.size; i++) bytes.push(0);
  }
  return { bytes, fixups };
}
