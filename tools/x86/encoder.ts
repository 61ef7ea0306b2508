// Turns one table row and its operands into bytes. One mechanism for every
// instruction (SDM Vol 2A §2.1, Figure 2-1):
//
//   [66] [mandatory prefix] [REX] opcode... [ModRM [SIB] [disp]] [imm] [rel]
//
// Fields that depend on where things end up (branch displacements, rip-relative
// references to labels or symbols) are written as zeros and reported as fixups
// for the assembler to fill in or turn into relocations.
//
// The assembler calls this once per instruction, so it writes straight into
// a ByteBuffer and allocates nothing on the way: the row's fixed parts are
// worked out once per row (a Plan), the operands are checked before the
// first byte is written (a failed instruction leaves the buffer as it was),
// and immediates that a double holds exactly skip bigint arithmetic.
import { ByteBuffer } from "./buffer.ts";
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

/** Where encodeInto reports a field to fill in; `at` is the field's position in the buffer. */
export interface FixupSink {
  fixup(at: number, size: 1 | 4, target: Label | Sym, addend: number, e: Encoding, ops: readonly Operand[]): void;
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

// Bounds as constants: `-x` on a bigint allocates a new one on every call.
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NEG_SAFE = -SAFE;
const TWO32 = 2 ** 32;

/** Appends the low `n` (1, 2, 4 or 8) bytes of `value`, little-endian, as littleEndian() would. */
function putImm(out: ByteBuffer, value: bigint, n: number): void {
  if (value >= NEG_SAFE && value <= SAFE) {
    // Exact as a double: the low word by ToInt32 (what BigInt.asIntN(32) gives), the high one by division.
    const v = Number(value);
    if (n <= 4) {
      out.putLE(v, n);
    } else {
      out.putLE(v, 4);
      out.putLE(Math.floor(v / TWO32), n - 4);
    }
    return;
  }
  for (const b of littleEndian(value, n)) out.put(b);
}

/** The row's operand roles as small numbers, so the per-instruction loop compares integers. */
const enum R {
  Reg,
  Rm,
  Opc,
  Imm,
  Rel,
  Fixed,
}
const roleCodes: Record<string, R> = { R: R.Reg, M: R.Rm, O: R.Opc, I: R.Imm, D: R.Rel, F: R.Fixed };

/** What encoding a row needs beyond its operands, worked out once per row. */
interface Plan {
  readonly roles: readonly R[];
  /** Bytes of each immediate operand (0 for other operands). */
  readonly immSize: readonly number[];
  /** Bytes of each relative operand (0 for other operands). */
  readonly relSize: readonly number[];
  readonly hasOpcodeReg: boolean;
}

const plans = new Map<Encoding, Plan>();

function planOf(e: Encoding): Plan {
  let p = plans.get(e);
  if (p === undefined) {
    p = {
      roles: e.roles.map((r) => roleCodes[r]!),
      immSize: e.operands.map((o, i) => (e.roles[i] === "I" ? immBytes[o]! : 0)),
      relSize: e.operands.map((o, i) => (e.roles[i] === "D" ? (o === "rel8" ? 1 : 4) : 0)),
      hasOpcodeReg: e.roles.includes("O"),
    };
    plans.set(e, p);
  }
  return p;
}

const scaleBits = [0, 0, 1, 0, 2, 0, 0, 0, 3];

/** Whether a register is spl/bpl/sil/dil, which exist only with a REX prefix (SDM Vol 2A §2.2.1.2). */
function needsRex(op: Operand): boolean {
  return op.kind === "gpr" && op.size === 8 && op.num >= 4 && op.num <= 7;
}

function fail(e: Encoding, ops: readonly Operand[], why: string): never {
  throw new AsmError(`${formatInstruction(e.mnemonic, ops)}: ${why}`);
}

/** The REX.X and REX.B bits a memory operand's index and base need. */
function memRex(m: Mem): number {
  if (m.base !== null && m.base.kind === "rip") return 0;
  const x = m.index === null ? 0 : (m.index.num >> 3) << 1;
  const b = m.base === null ? 0 : m.base.num >> 3;
  return x | b;
}

/**
 * ModRM, SIB and displacement for a memory operand (SDM Vol 2A Tables 2-2,
 * 2-3, §2.2.1.6); `reg` is ModRM.reg. A rip-relative reference to a label or
 * symbol leaves its disp32 zero for the caller's fixup.
 */
function putAddress(out: ByteBuffer, m: Mem, reg: number): void {
  const r = (reg & 7) << 3;
  if (m.base !== null && m.base.kind === "rip") {
    // mod=00 rm=101 is [rip + disp32] in 64-bit mode.
    out.put(r | 5);
    out.putLE(m.target === null ? m.disp : 0, 4);
    return;
  }
  const index = m.index;
  const indexBits = index === null ? 4 : index.num & 7; // SIB.index=100 without REX.X: no index
  const ss = scaleBits[m.scale]! << 6;
  if (m.base === null) {
    // No base: mod=00 with SIB.base=101 means [index*scale + disp32]; with no index either, [disp32].
    out.put(r | 4);
    out.put(ss | (indexBits << 3) | 5);
    out.putLE(m.disp, 4);
    return;
  }
  const base = m.base.num & 7;
  // rbp and r13 (low bits 101) with mod=00 would mean rip/disp32, so they take a disp8 of 0.
  const mod = m.disp === 0 && base !== 5 ? 0 : m.disp >= -128 && m.disp <= 127 ? 1 : 2;
  // rsp and r12 (low bits 100) can only be a base through a SIB byte.
  if (index !== null || base === 4) {
    out.put((mod << 6) | r | 4);
    out.put(ss | (indexBits << 3) | base);
  } else {
    out.put((mod << 6) | r | base);
  }
  if (mod === 1) out.put(m.disp);
  else if (mod === 2) out.putLE(m.disp, 4);
}

/**
 * Encodes `ops` with row `e` at the end of `out`; the operands must fit the
 * row (see select.ts). Fields to resolve later go to `sink`.
 */
export function encodeInto(out: ByteBuffer, e: Encoding, ops: readonly Operand[], sink: FixupSink): void {
  const n = ops.length;
  if (n !== e.operands.length) fail(e, ops, `expected ${e.operands.length} operands`);
  const plan = planOf(e);

  let reg = e.digit ?? 0; // ModRM.reg: a register operand or the /digit
  let rm: Operand | null = null;
  let opcodeReg = 0;
  let imm: bigint | null = null;
  let immSize = 0;
  let rel: Label | Sym | null = null;
  let relSize = 0;
  let rex = e.w ? 0x08 : 0; // REX.W; R, X, B are or-ed in below (SDM Vol 2A §2.2.1.2)
  let forceRex = false;

  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    const role = plan.roles[i]!;
    if ((role === R.Reg || role === R.Rm || role === R.Opc) && needsRex(op)) forceRex = true;
    if (role === R.Reg) {
      if (op.kind !== "gpr" && op.kind !== "xmm" && op.kind !== "cr") fail(e, ops, `operand ${i + 1} must be a register`);
      reg = op.num;
      rex |= (op.num >> 3) << 2; // REX.R
    } else if (role === R.Rm) {
      rm = op;
    } else if (role === R.Opc) {
      if (op.kind !== "gpr") fail(e, ops, `operand ${i + 1} must be a general-purpose register`);
      opcodeReg = op.num & 7;
      rex |= op.num >> 3; // REX.B
    } else if (role === R.Imm) {
      if (op.kind !== "imm") fail(e, ops, `operand ${i + 1} must be an immediate`);
      imm = op.value;
      immSize = plan.immSize[i]!;
    } else if (role === R.Rel) {
      if (op.kind !== "label" && op.kind !== "sym") fail(e, ops, `operand ${i + 1} must be a label or symbol`);
      rel = op;
      relSize = plan.relSize[i]!;
    }
  }

  let ripTarget: Label | Sym | null = null;
  if (rm !== null) {
    if (rm.kind === "mem") {
      rex |= memRex(rm);
      if (rm.base !== null && rm.base.kind === "rip") ripTarget = rm.target;
    } else if (rm.kind === "gpr" || rm.kind === "xmm") {
      rex |= rm.num >> 3; // REX.B
    } else {
      fail(e, ops, "the r/m operand must be a register or memory");
    }
  }

  // Longest instruction: 66 + prefix + REX + 3 opcode bytes + ModRM + SIB + disp32 + imm64 + rel32.
  out.reserve(24);
  if (e.o16) out.put(0x66);
  if (e.prefix !== null) out.put(e.prefix);
  if (rex !== 0 || forceRex) out.put(0x40 | rex);
  const opcode = e.opcode;
  const last = opcode.length - 1;
  for (let i = 0; i < last; i++) out.put(opcode[i]!);
  out.put(plan.hasOpcodeReg ? opcode[last]! + opcodeReg : opcode[last]!);
  if (rm !== null) {
    if (rm.kind === "mem") putAddress(out, rm, reg);
    else out.put(0xc0 | ((reg & 7) << 3) | ((rm as { num: number }).num & 7));
  }
  if (ripTarget !== null) {
    // The disp32 ends the ModRM bytes; rip points past the immediate that follows it.
    sink.fixup(out.length - 4, 4, ripTarget, (rm as Mem).disp - 4 - immSize, e, ops);
  }
  if (imm !== null) putImm(out, imm, immSize);
  if (rel !== null) {
    sink.fixup(out.length, relSize as 1 | 4, rel, -relSize, e, ops);
    out.putLE(0, relSize);
  }
}

/** Encodes `ops` with row `e` on its own; the operands must fit the row (see select.ts). */
export function encode(e: Encoding, ops: readonly Operand[]): Encoded {
  const out = new ByteBuffer(32);
  const fixups: Fixup[] = [];
  encodeInto(out, e, ops, { fixup: (at, size, target, addend) => fixups.push({ at, size, target, addend }) });
  return { bytes: Array.from(out.view()), fixups };
}
