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
// worked out once per row (a Plan), the operands' kinds come from their
// shape key (shape.ts) rather than from their megamorphic `kind` fields, the
// operands are checked before the first byte is written (a failed
// instruction leaves the buffer as it was), and immediates that a double
// holds exactly skip bigint arithmetic.
import { ByteBuffer } from "./buffer.ts";
import { encodings, encodingsOf, type Encoding, type Pattern } from "./encodings.ts";
import { AsmError } from "./errors.ts";
import { formatInstruction, type Imm, type Label, type Mem, type Operand, type Sym } from "./operands.ts";
import type { Gpr, Register, Xmm } from "./registers.ts";
import { Code, codeAt, isGpr, isImm, isMem, needsRex, shapeKey } from "./shape.ts";

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

/** Writes the low `n` (1, 2 or 4) bytes of a 32-bit value at `p`, little-endian; returns the position after them. */
export function le(b: Uint8Array, p: number, v: number, n: number): number {
  b[p] = v;
  if (n === 1) return p + 1;
  b[p + 1] = v >> 8;
  if (n === 2) return p + 2;
  b[p + 2] = v >> 16;
  b[p + 3] = v >> 24;
  return p + 4;
}

/** Writes the low `n` (1, 2, 4 or 8) bytes of `value` at `p`, as littleEndian() would; returns the position after them. */
function putImm(b: Uint8Array, p: number, value: bigint, n: number): number {
  if (value >= NEG_SAFE && value <= SAFE) {
    // Exact as a double: the low word by ToInt32 (what BigInt.asIntN(32) gives), the high one by division.
    const v = Number(value);
    if (n <= 4) return le(b, p, v, n);
    p = le(b, p, v, 4);
    return le(b, p, Math.floor(v / TWO32), 4);
  }
  if (n <= 4) {
    for (const x of littleEndian(value, n)) b[p++] = x;
    return p;
  }
  // An 8-byte field beyond ±2^53 (f64 bit patterns): two 32-bit halves, not a bigint operation per byte.
  p = le(b, p, Number(BigInt.asIntN(32, value)), 4);
  return le(b, p, Number(BigInt.asIntN(32, value >> 32n)), 4);
}

/**
 * What encoding a row needs, worked out once per row: where each operand
 * goes (the index of the operand in each role, -1 for none; no row has two
 * operands in one role, F aside) and the fixed bytes as plain fields.
 */
export interface Plan {
  readonly e: Encoding;
  readonly count: number;
  /** The operand in ModRM.reg, ModRM.rm, the opcode's low bits, the immediate, the relative field. */
  readonly reg: number;
  readonly rm: number;
  readonly opc: number;
  readonly imm: number;
  readonly rel: number;
  readonly immSize: number;
  readonly relSize: 0 | 1 | 4;
  /** ModRM.reg when no operand fills it: the /digit, or 0. */
  readonly digit: number;
  readonly rexW: number;
  readonly o16: boolean;
  /** The mandatory prefix, or -1. */
  readonly prefix: number;
  /** Opcode bytes: 1 to 3, the last one taking the register of an `O` operand. */
  readonly opLen: number;
  readonly op0: number;
  readonly op1: number;
  readonly op2: number;
}

/** Plans by row index, made on first use (filled, so the array stays a dense one). */
const plans = new Array<Plan | undefined>(encodings.length).fill(undefined);

export function planOf(e: Encoding): Plan {
  const known = plans[e.index];
  if (known !== undefined && known.e === e) return known;
  const role = (r: string): number => e.roles.indexOf(r as Encoding["roles"][number]);
  const imm = role("I");
  const rel = role("D");
  const p: Plan = {
    e,
    count: e.operands.length,
    reg: role("R"),
    rm: role("M"),
    opc: role("O"),
    imm,
    rel,
    immSize: imm < 0 ? 0 : immBytes[e.operands[imm]!]!,
    relSize: rel < 0 ? 0 : e.operands[rel] === "rel8" ? 1 : 4,
    digit: e.digit ?? 0,
    rexW: e.w ? 0x08 : 0,
    o16: e.o16,
    prefix: e.prefix ?? -1,
    opLen: e.opcode.length,
    op0: e.opcode[0] ?? 0,
    op1: e.opcode[1] ?? 0,
    op2: e.opcode[2] ?? 0,
  };
  // A row made outside the table (tests) may share an index with a table row; it is planned each time.
  if (known === undefined && encodingsOf(e.mnemonic).includes(e)) plans[e.index] = p;
  return p;
}

const scaleBits = [0, 0, 1, 0, 2, 0, 0, 0, 3];

/**
 * Writes an instruction's prefixes, REX and opcode bytes at p; returns the position after them.
 * The register of an O operand (`opcodeReg`, 0 otherwise) goes into the last opcode byte.
 */
export function putHead(b: Uint8Array, p: number, plan: Plan, rex: number, forceRex: boolean, opcodeReg: number): number {
  if (plan.o16) b[p++] = 0x66;
  if (plan.prefix >= 0) b[p++] = plan.prefix;
  if (rex !== 0 || forceRex) b[p++] = 0x40 | rex;
  const opLen = plan.opLen;
  if (opLen === 1) {
    b[p++] = plan.op0 + opcodeReg;
  } else {
    b[p++] = plan.op0;
    if (opLen === 2) {
      b[p++] = plan.op1 + opcodeReg;
    } else {
      b[p++] = plan.op1;
      b[p++] = plan.op2 + opcodeReg;
    }
  }
  return p;
}

function fail(e: Encoding, ops: readonly Operand[], why: string): never {
  throw new AsmError(`${formatInstruction(e.mnemonic, ops)}: ${why}`);
}

/** The REX.X and REX.B bits a memory operand's index and base need (none for rip-relative). */
function memRex(m: Mem): number {
  if (m.base !== null && m.base.kind === "rip") return 0;
  const x = m.index === null ? 0 : (m.index.num >> 3) << 1;
  const b = m.base === null ? 0 : m.base.num >> 3;
  return x | b;
}

/**
 * Writes ModRM, SIB and displacement for a memory operand at `p` (SDM Vol 2A
 * Tables 2-2, 2-3, §2.2.1.6); `reg` is ModRM.reg. A rip-relative reference
 * to a label or symbol leaves its disp32 zero for the caller's fixup.
 * Returns the position after them.
 */
function putAddress(b: Uint8Array, p: number, m: Mem, reg: number): number {
  const baseReg = m.base;
  if (baseReg !== null && baseReg.kind === "rip") {
    // mod=00 rm=101 is [rip + disp32] in 64-bit mode.
    b[p] = ((reg & 7) << 3) | 5;
    return le(b, p + 1, m.target === null ? m.disp : 0, 4);
  }
  return putAddressParts(b, p, reg, baseReg === null ? -1 : baseReg.num, m.index === null ? -1 : m.index.num, m.scale, m.disp);
}

/**
 * putAddress() for `[base + index*scale + disp]` given as numbers: register
 * numbers, -1 for no base or no index (direct.ts writes addresses this way,
 * without a Mem). Returns the position after the bytes.
 */
export function putAddressParts(b: Uint8Array, p: number, reg: number, baseNum: number, indexNum: number, scale: number, disp: number): number {
  const r = (reg & 7) << 3;
  const indexBits = indexNum < 0 ? 4 : indexNum & 7; // SIB.index=100 without REX.X: no index
  if (baseNum < 0) {
    // No base: mod=00 with SIB.base=101 means [index*scale + disp32]; with no index either, [disp32].
    b[p] = r | 4;
    b[p + 1] = (scaleBits[scale]! << 6) | (indexBits << 3) | 5;
    return le(b, p + 2, disp, 4);
  }
  const base = baseNum & 7;
  // rbp and r13 (low bits 101) with mod=00 would mean rip/disp32, so they take a disp8 of 0.
  const mod = disp === 0 && base !== 5 ? 0 : disp >= -128 && disp <= 127 ? 1 : 2;
  // rsp and r12 (low bits 100) can only be a base through a SIB byte.
  if (indexNum >= 0 || base === 4) {
    b[p++] = (mod << 6) | r | 4;
    b[p++] = (scaleBits[scale]! << 6) | (indexBits << 3) | base;
  } else {
    b[p++] = (mod << 6) | r | base;
  }
  if (mod === 0) return p;
  return le(b, p, disp, mod === 1 ? 1 : 4);
}

/**
 * Throws the message for operands that do not fit row `e`'s roles, naming
 * the first that does not, as a check in operand order would.
 */
function misfit(e: Encoding, ops: readonly Operand[], key: number): never {
  for (let i = 0; i < ops.length; i++) {
    const code = codeAt(key, i);
    const role = e.roles[i];
    if (role === "R" && !isGpr(code) && code !== Code.Xmm && code !== Code.Cr) fail(e, ops, `operand ${i + 1} must be a register`);
    if (role === "O" && !isGpr(code)) fail(e, ops, `operand ${i + 1} must be a general-purpose register`);
    if (role === "I" && !isImm(code)) fail(e, ops, `operand ${i + 1} must be an immediate`);
    if (role === "D" && code !== Code.Label && code !== Code.Sym) fail(e, ops, `operand ${i + 1} must be a label or symbol`);
  }
  fail(e, ops, "the r/m operand must be a register or memory");
}

/**
 * Encodes `ops` with row `e` at the end of `out`; the operands must fit the
 * row (see select.ts). `key` is their shapeKey, from which the operands'
 * kinds are read. Fields to resolve later go to `sink`.
 */
export function encodeInto(out: ByteBuffer, e: Encoding, ops: readonly Operand[], key: number, sink: FixupSink): void {
  encodePlanned(out, planOf(e), ops, key, sink);
}

/** encodeInto() with the row's plan (planOf) at hand: a caller that memoizes plans skips looking it up. */
export function encodePlanned(out: ByteBuffer, plan: Plan, ops: readonly Operand[], key: number, sink: FixupSink): void {
  const e = plan.e;
  if (ops.length !== plan.count) fail(e, ops, `expected ${plan.count} operands`);

  let reg = plan.digit; // ModRM.reg: a register operand or the /digit
  let rex = plan.rexW; // REX.W; R, X, B are or-ed in below (SDM Vol 2A §2.2.1.2)
  let forceRex = false;
  let opcodeReg = 0;

  if (plan.reg >= 0) {
    const code = codeAt(key, plan.reg);
    if (!isGpr(code) && code !== Code.Xmm && code !== Code.Cr) misfit(e, ops, key);
    const op = ops[plan.reg] as Register;
    if (needsRex(code, op)) forceRex = true;
    reg = op.num;
    rex |= (reg >> 3) << 2; // REX.R
  }
  if (plan.opc >= 0) {
    const code = codeAt(key, plan.opc);
    if (!isGpr(code)) misfit(e, ops, key);
    const op = ops[plan.opc] as Gpr;
    if (needsRex(code, op)) forceRex = true;
    opcodeReg = op.num & 7;
    rex |= op.num >> 3; // REX.B
  }
  let imm: bigint | null = null;
  if (plan.imm >= 0) {
    if (!isImm(codeAt(key, plan.imm))) misfit(e, ops, key);
    imm = (ops[plan.imm] as Imm).value;
  }
  let rel: Label | Sym | null = null;
  if (plan.rel >= 0) {
    const code = codeAt(key, plan.rel);
    if (code !== Code.Label && code !== Code.Sym) misfit(e, ops, key);
    rel = ops[plan.rel] as Label | Sym;
  }
  let rm: Operand | null = null;
  let rmIsMem = false;
  let ripTarget: Label | Sym | null = null;
  if (plan.rm >= 0) {
    const code = codeAt(key, plan.rm);
    rm = ops[plan.rm]!;
    if (isMem(code)) {
      rmIsMem = true;
      const m = rm as Mem;
      if (m.base !== null && m.base.kind === "rip") ripTarget = m.target;
      else rex |= memRex(m);
    } else if (isGpr(code) || code === Code.Xmm) {
      if (needsRex(code, rm)) forceRex = true;
      rex |= (rm as Gpr | Xmm).num >> 3; // REX.B
    } else {
      misfit(e, ops, key);
    }
  }

  // Longest instruction: 66 + prefix + REX + 3 opcode bytes + ModRM + SIB + disp32 + imm64 + rel32.
  out.reserve(24);
  const b = out.bytes;
  let p = out.length;
  p = putHead(b, p, plan, rex, forceRex, opcodeReg);
  if (rm !== null) {
    if (rmIsMem) p = putAddress(b, p, rm as Mem, reg);
    else b[p++] = 0xc0 | ((reg & 7) << 3) | ((rm as Gpr | Xmm).num & 7);
  }
  if (ripTarget !== null) {
    // The disp32 ends the ModRM bytes; rip points past the immediate that follows it.
    sink.fixup(p - 4, 4, ripTarget, (rm as Mem).disp - 4 - plan.immSize, e, ops);
  }
  if (imm !== null) p = putImm(b, p, imm, plan.immSize);
  if (rel !== null) {
    sink.fixup(p, plan.relSize as 1 | 4, rel, -plan.relSize, e, ops);
    p = le(b, p, 0, plan.relSize);
  }
  out.length = p;
}

/** Encodes `ops` with row `e` on its own; the operands must fit the row (see select.ts). */
export function encode(e: Encoding, ops: readonly Operand[]): Encoded {
  const out = new ByteBuffer(32);
  const fixups: Fixup[] = [];
  encodeInto(out, e, ops, shapeKey(ops), { fixup: (at, size, target, addend) => fixups.push({ at, size, target, addend }) });
  return { bytes: Array.from(out.view()), fixups };
}
