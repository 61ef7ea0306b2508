// Operands other than registers: immediates, memory references, labels (code
// positions inside one assembly) and symbols (names the linker resolves).
// Constructors check what can be checked without knowing the instruction, so
// a malformed address fails where it is written.
import { AsmError } from "./errors.ts";
import type { ControlReg, Gpr, Rip, Xmm } from "./registers.ts";

/**
 * An immediate. `wide` (from `imm64`) asks for the 8-byte form `mov r64, imm64`
 * even when the value would fit in fewer bytes, e.g. for code that is patched later.
 */
export interface Imm {
  readonly kind: "imm";
  readonly value: bigint;
  readonly wide: boolean;
}

const MIN_I64 = -(1n << 63n);
const MAX_U64 = (1n << 64n) - 1n;

function toBigInt(v: number | bigint, what: string): bigint {
  if (typeof v === "number") {
    // A safe integer is always inside the 64-bit range.
    if (!Number.isSafeInteger(v)) throw new AsmError(`${what}(${v}): not an integer that a number holds exactly; pass a bigint`);
    return BigInt(v);
  }
  if (v < MIN_I64 || v > MAX_U64) throw new AsmError(`${what}(${v}): outside the 64-bit range`);
  return v;
}

/** imm(v) for v in [-128, 255], made once: code generators ask for small immediates all the time (an Imm is never changed). */
const SMALL_IMMS: readonly Imm[] = Array.from({ length: 384 }, (_, k) => ({ kind: "imm", value: BigInt(k - 128), wide: false }) as Imm);

/** An immediate; the instruction decides how many bytes it takes, and rejects values that do not fit. */
export function imm(v: number | bigint): Imm {
  if (typeof v === "number") {
    if (v >= -128 && v <= 255 && Number.isInteger(v)) return SMALL_IMMS[v + 128]!;
  } else if (v >= -128n && v <= 255n) return SMALL_IMMS[Number(v) + 128]!;
  return { kind: "imm", value: toBigInt(v, "imm"), wide: false };
}

/** A 64-bit immediate, always encoded in 8 bytes (only `mov r64, imm64` takes one). */
export function imm64(v: number | bigint): Imm {
  return { kind: "imm", value: toBigInt(v, "imm64"), wide: true };
}

/** A position in the code of one Assembler; create with `Assembler.newLabel()`. */
export class Label {
  readonly kind = "label";
  constructor(
    /** Unique within its assembler. */
    readonly id: number,
    /** The id of the assembler that made it; using it in another one is an error. */
    readonly owner: number,
    /** For messages only. */
    readonly name?: string,
  ) {}

  toString(): string {
    return this.name === undefined ? `L${this.id}` : `${this.name}(L${this.id})`;
  }
}

/** A symbol defined outside this assembly; references to it become relocations. */
export interface Sym {
  readonly kind: "sym";
  readonly name: string;
}

export function sym(name: string): Sym {
  if (name.length === 0) throw new AsmError("sym(): empty symbol name");
  return { kind: "sym", name };
}

/** The width of the data a memory operand refers to; 128 is a whole xmm register. */
export type MemSize = 8 | 16 | 32 | 64 | 128;
export type Scale = 1 | 2 | 4 | 8;

/**
 * A memory reference: `[base + index*scale + disp]`, or `[rip + disp]`, or
 * `[rip + target + disp]` where the target is a label or a symbol.
 * `size` is needed only where the instruction does not imply it
 * (`mov [mem], imm`, `add [mem], imm`, `movzx r, [mem]`, `cvtsi2sd x, [mem]`).
 */
export interface Mem {
  readonly kind: "mem";
  readonly base: Gpr | Rip | null;
  readonly index: Gpr | null;
  readonly scale: Scale;
  readonly disp: number;
  readonly target: Label | Sym | null;
  readonly size: MemSize | null;
}

export interface MemOptions {
  index?: Gpr;
  scale?: Scale;
  /** Signed 32-bit displacement; with a label or symbol, an addend to it. */
  disp?: number;
  /** Only with base `rip`: address the label or symbol (plus disp). */
  label?: Label | Sym;
}

/**
 * Builds a memory operand. `base` null means no base register: the address is
 * `index*scale + disp`, or the absolute `disp` when there is no index either.
 */
export function mem(base: Gpr | Rip | null, opts: MemOptions = {}, size?: MemSize): Mem {
  const index = opts.index ?? null;
  const scale = opts.scale ?? 1;
  const disp = opts.disp ?? 0;
  const target = opts.label ?? null;
  const m: Mem = { kind: "mem", base, index, scale, disp, target, size: size ?? null };
  // The checks compare fields directly: a code generator builds a memory operand for nearly every instruction.
  if (base !== null && base.kind === "gpr" && base.size !== 64) {
    memError(m, `base register ${base.name} must be 64-bit (32-bit addressing is not supported)`);
  }
  if (index !== null) {
    if (index.kind !== "gpr" || index.size !== 64) memError(m, `index register ${index.name} must be a 64-bit register`);
    // SIB.index = 100 without REX.X means "no index" (SDM Vol 2A Table 2-3).
    if (index.num === 4) memError(m, "rsp cannot be an index register");
    if (base !== null && base.kind === "rip") memError(m, "a rip-relative address cannot have an index");
  }
  if (scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8) memError(m, `scale ${m.scale} is not 1, 2, 4 or 8`);
  if (scale !== 1 && index === null) memError(m, `scale ${m.scale} without an index register`);
  if (!Number.isInteger(disp) || disp < -0x8000_0000 || disp > 0x7fff_ffff) {
    memError(m, `displacement ${m.disp} does not fit in a signed 32-bit field`);
  }
  if (target !== null && (base === null || base.kind !== "rip")) {
    memError(m, "a label or symbol can only be addressed relative to rip: mem(rip, { label })");
  }
  if (size !== undefined && size !== 8 && size !== 16 && size !== 32 && size !== 64 && size !== 128) {
    memError(m, `size ${String(size)} is not 8, 16, 32, 64 or 128`);
  }
  return m;
}

function memError(m: Mem, why: string): never {
  throw new AsmError(`memory operand ${formatMem(m)}: ${why}`);
}

export type Operand = Gpr | Xmm | ControlReg | Imm | Mem | Label | Sym;

const ptrNames: Record<MemSize, string> = {
  8: "BYTE PTR ",
  16: "WORD PTR ",
  32: "DWORD PTR ",
  64: "QWORD PTR ",
  128: "XMMWORD PTR ",
};

function hex(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** `DWORD PTR [rdi+rsi*4+0x8]`, in the Intel syntax of objdump. */
export function formatMem(m: Mem): string {
  const parts: string[] = [];
  if (m.base !== null) parts.push(m.base.name);
  if (m.target !== null) parts.push(m.target.kind === "sym" ? m.target.name : m.target.toString());
  if (m.index !== null) parts.push(`${m.index.name}*${m.scale}`);
  let text = parts.join("+");
  if (m.disp !== 0 || parts.length === 0) {
    const d = hex(BigInt(m.disp));
    text += text.length === 0 || d.startsWith("-") ? d : `+${d}`;
  }
  return `${m.size === null ? "" : ptrNames[m.size]}[${text}]`;
}

/** An operand as a person reads it in an error message. */
export function formatOperand(op: Operand): string {
  switch (op.kind) {
    case "gpr":
    case "xmm":
    case "cr":
      return op.name;
    case "imm":
      return op.wide ? `imm64(${hex(op.value)})` : hex(op.value);
    case "mem":
      return formatMem(op);
    case "label":
      return `label ${op.toString()}`;
    case "sym":
      return `symbol ${op.name}`;
  }
}

/** `add rax, 0x5`: how messages name an instruction. */
export function formatInstruction(mnemonic: string, ops: readonly Operand[]): string {
  return ops.length === 0 ? mnemonic : `${mnemonic} ${ops.map(formatOperand).join(", ")}`;
}
