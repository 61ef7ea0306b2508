// The public face of the assembler: one method per instruction, labels,
// data directives, and `finish()`, which lays the code out and resolves what
// it can.
//
// Branches to labels are relaxed: every jmp/jcc to a label starts as the
// 2-byte rel8 form and is widened to rel32 only when its target is out of
// reach, repeating the layout until nothing grows (sizes only ever grow, so
// this ends). Pass `"near"` to jmp/jcc to force rel32. Calls are always rel32.
// Because of this, offsets are only known after `finish()`; bind a label
// where you need one.
import { encode, littleEndian, type Encoded, type Fixup } from "./encoder.ts";
import { encodingsOf } from "./encodings.ts";
import { AsmError } from "./errors.ts";
import { nopBytes } from "./nops.ts";
import {
  formatInstruction,
  imm,
  Label,
  type Imm,
  type Mem,
  type Operand,
  type Sym,
} from "./operands.ts";
import { condCode, condNames, type Cond, type ControlReg, type Gpr, type Xmm } from "./registers.ts";
import { select } from "./select.ts";

/**
 * A place in `code` the linker must patch.
 * - `rel32`: the 4-byte field becomes S + addend - P, with S the symbol's
 *   address and P the field's own address (ELF R_X86_64_PC32/PLT32). A call or
 *   jmp has addend -4 (the field is the last 4 bytes of the instruction); a
 *   rip-relative operand has disp - 4 - (bytes of immediate after the field).
 * - `abs64`: the 8-byte field becomes S + addend (R_X86_64_64).
 * `symbol` null means this code itself: S is the address `code` is loaded at
 * (an absolute reference to a label, from `dq(label)`; addend is the label's offset).
 */
export interface Reloc {
  readonly offset: number;
  readonly symbol: string | null;
  readonly kind: "rel32" | "abs64";
  readonly addend: number;
}

export interface Assembled {
  readonly code: Uint8Array;
  /** Offsets of every bound label. */
  readonly labels: Map<Label, number>;
  readonly relocs: Reloc[];
  /** The largest boundary passed to align(): load `code` at a multiple of it. */
  readonly alignment: number;
}

/** The SSE comparison predicates of cmpss/cmpsd (SDM Vol 2A "CMPSS", Table 3-1). */
export const cmpPredicates = { eq: 0, lt: 1, le: 2, unord: 3, neq: 4, nlt: 5, nle: 6, ord: 7 } as const;
export type CmpPredicate = keyof typeof cmpPredicates;

type RM = Gpr | Mem;
type XM = Xmm | Mem;

/** A field to resolve at finish, at an offset inside a bytes piece. */
/** Describes the instruction or directive for a message; computed only when one is needed. */
type What = () => string;

type PieceFixup =
  | { kind: "pcrel"; fixup: Fixup; what: What }
  | { kind: "abs64"; at: number; target: Label | Sym }
  | { kind: "diff32"; at: number; target: Label; base: Label };

interface BytesPiece {
  kind: "bytes";
  bytes: number[];
  fixups: PieceFixup[];
}

/** The code as a sequence of pieces: fixed bytes, relaxable branches, and alignment padding. */
type Piece =
  | BytesPiece
  | { kind: "branch"; short: Encoded; near: Encoded; forceNear: boolean; target: Label; what: What }
  | { kind: "align"; boundary: number; fill: number | null };

const jccMnemonics = new Set(condNames.map((c) => `j${c}`));

let nextAssemblerId = 1;

export class Assembler {
  private readonly id = nextAssemblerId++;
  /** The bytes piece being appended to; always the last piece. */
  private current: BytesPiece = { kind: "bytes", bytes: [], fixups: [] };
  private readonly pieces: Piece[] = [this.current];
  private labelCount = 0;
  private readonly bound = new Map<Label, { piece: number; at: number }>();
  /** Labels used before finish, with the first instruction that used each. */
  private readonly used = new Map<Label, What>();
  private alignment = 1;

  // --- labels ---------------------------------------------------------------

  /** A new, unbound label; `name` only shows in messages. */
  newLabel(name?: string): Label {
    return new Label(this.labelCount++, this.id, name);
  }

  /** Binds `label` to the current position. A label is bound once. */
  bind(label: Label): void {
    this.own(label, () => `bind(${label})`);
    if (this.bound.has(label)) throw new AsmError(`bind(${label}): label is already bound`);
    this.bound.set(label, { piece: this.pieces.length - 1, at: this.current.bytes.length });
  }

  // --- the generic entry point ---------------------------------------------

  /** Emits `mnemonic ops` (e.g. `emit("add", rax, imm(8))`); the typed methods below all come here. */
  emit(mnemonic: string, ...ops: Operand[]): void {
    const what = (): string => formatInstruction(mnemonic, ops);
    for (const op of ops) {
      if (op.kind === "label") this.use(op, what);
      if (op.kind === "mem" && op.target !== null && op.target.kind === "label") this.use(op.target, what);
    }
    const target = ops[0];
    if (ops.length === 1 && target !== undefined && target.kind === "label" && (mnemonic === "jmp" || jccMnemonics.has(mnemonic))) {
      this.branch(mnemonic, target, false, what);
      return;
    }
    const encoded = encode(select(mnemonic, ops), ops);
    this.append(encoded, what);
  }

  // --- data -------------------------------------------------------------------

  /** Raw bytes, each 0-255. */
  emitBytes(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (!Number.isInteger(b) || b < 0 || b > 255) throw new AsmError(`emitBytes: byte ${i} is ${b}, not 0-255`);
      this.current.bytes.push(b);
    }
  }

  /**
   * A 32-bit value: a number, or the distance `target - base` between two
   * labels (position-independent jump tables: load the entry, add the table's address, jump).
   */
  dd(value: number | Label, base?: Label): void {
    if (typeof value === "number") {
      if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0xffff_ffff) {
        throw new AsmError(`dd(${value}): not a 32-bit integer`);
      }
      this.current.bytes.push(...littleEndian(value, 4));
      return;
    }
    const what = (): string => `dd(${value}, ${base})`;
    if (base === undefined) throw new AsmError(`${what()}: a label entry needs a base label: dd(target, base) stores target - base`);
    this.use(value, what);
    this.use(base, what);
    this.current.fixups.push({ kind: "diff32", at: this.current.bytes.length, target: value, base });
    this.current.bytes.push(0, 0, 0, 0);
  }

  /** A 64-bit value: a number or bigint, or the absolute address of a label or symbol (an abs64 relocation). */
  dq(value: bigint | number | Label | Sym): void {
    if (typeof value === "number" || typeof value === "bigint") {
      if (typeof value === "number" && !Number.isSafeInteger(value)) throw new AsmError(`dq(${value}): pass a bigint`);
      const v = BigInt(value);
      if (v < -(1n << 63n) || v >= 1n << 64n) throw new AsmError(`dq(${v}): not a 64-bit integer`);
      this.current.bytes.push(...littleEndian(v, 8));
      return;
    }
    if (value.kind === "label") this.use(value, () => `dq(${value.toString()})`);
    this.current.fixups.push({ kind: "abs64", at: this.current.bytes.length, target: value });
    this.current.bytes.push(0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** Pads to a multiple of `boundary` (a power of two) with `fill` bytes, or with multi-byte NOPs when fill is omitted. */
  align(boundary: number, fill?: number): void {
    if (!Number.isInteger(boundary) || boundary < 1 || (boundary & (boundary - 1)) !== 0) {
      throw new AsmError(`align(${boundary}): the boundary must be a power of two`);
    }
    if (fill !== undefined && (!Number.isInteger(fill) || fill < 0 || fill > 255)) {
      throw new AsmError(`align(${boundary}, ${fill}): the fill must be a byte`);
    }
    this.alignment = Math.max(this.alignment, boundary);
    this.pushPiece({ kind: "align", boundary, fill: fill ?? null });
  }

  // --- layout -----------------------------------------------------------------

  /** Lays out the code, picks branch sizes, fills in label references; throws if a used label is unbound. */
  finish(): Assembled {
    for (const [label, what] of this.used) {
      if (!this.bound.has(label)) throw new AsmError(`${what()}: label ${label} is never bound`);
    }
    const pieces = this.pieces;
    const start = new Array<number>(pieces.length + 1).fill(0);
    const near = pieces.map((p) => p.kind === "branch" && p.forceNear);
    const layout = (): void => {
      let pos = 0;
      pieces.forEach((p, i) => {
        start[i] = pos;
        if (p.kind === "bytes") pos += p.bytes.length;
        else if (p.kind === "branch") pos += (near[i] ? p.near : p.short).bytes.length;
        else pos += padding(pos, p.boundary);
      });
      start[pieces.length] = pos;
    };
    const labelOffset = (l: Label): number => {
      const b = this.bound.get(l)!;
      return start[b.piece]! + b.at;
    };

    for (let grew = true; grew; ) {
      layout();
      grew = false;
      pieces.forEach((p, i) => {
        if (p.kind !== "branch" || near[i]) return;
        const field = p.short.fixups[0]!;
        const rel = labelOffset(p.target) + field.addend - (start[i]! + field.at);
        if (rel < -128 || rel > 127) {
          near[i] = true;
          grew = true;
        }
      });
    }

    const code = new Uint8Array(start[pieces.length]!);
    const relocs: Reloc[] = [];
    const patch = (at: number, value: bigint | number, size: number): void => code.set(littleEndian(value, size), at);
    const pcrel = (f: Fixup, base: number, what: What): void => {
      const p = base + f.at;
      if (f.target.kind === "sym") {
        relocs.push({ offset: p, symbol: f.target.name, kind: "rel32", addend: f.addend });
        return;
      }
      const value = labelOffset(f.target) + f.addend - p;
      const limit = f.size === 1 ? 0x80 : 0x8000_0000;
      if (value < -limit || value >= limit) throw new AsmError(`${what()}: displacement ${value} does not fit in ${f.size * 8} bits`);
      patch(p, value, f.size);
    };

    pieces.forEach((p, i) => {
      const base = start[i]!;
      if (p.kind === "bytes") {
        code.set(p.bytes, base);
        for (const f of p.fixups) {
          if (f.kind === "pcrel") pcrel(f.fixup, base, f.what);
          else if (f.kind === "diff32") patch(base + f.at, labelOffset(f.target) - labelOffset(f.base), 4);
          else if (f.target.kind === "sym") relocs.push({ offset: base + f.at, symbol: f.target.name, kind: "abs64", addend: 0 });
          else relocs.push({ offset: base + f.at, symbol: null, kind: "abs64", addend: labelOffset(f.target) });
        }
      } else if (p.kind === "branch") {
        const e = near[i] ? p.near : p.short;
        code.set(e.bytes, base);
        pcrel(e.fixups[0]!, base, p.what);
      } else {
        const n = padding(base, p.boundary);
        code.set(p.fill === null ? nopBytes(n) : new Array<number>(n).fill(p.fill), base);
      }
    });

    const labels = new Map<Label, number>();
    for (const l of this.bound.keys()) labels.set(l, labelOffset(l));
    return { code, labels, relocs, alignment: this.alignment };
  }

  // --- internals ----------------------------------------------------------------

  private own(label: Label, what: What): void {
    if (label.owner !== this.id) throw new AsmError(`${what()}: label ${label} belongs to another assembler`);
  }

  private use(label: Label, what: What): void {
    this.own(label, what);
    if (!this.used.has(label)) this.used.set(label, what);
  }

  private pushPiece(piece: Piece): void {
    this.pieces.push(piece);
    this.current = { kind: "bytes", bytes: [], fixups: [] };
    this.pieces.push(this.current);
  }

  private append(encoded: Encoded, what: What): void {
    const at = this.current.bytes.length;
    for (const f of encoded.fixups) this.current.fixups.push({ kind: "pcrel", fixup: { ...f, at: at + f.at }, what });
    const out = this.current.bytes;
    for (const b of encoded.bytes) out.push(b);
  }

  private branch(mnemonic: string, target: Label, forceNear: boolean, what: What): void {
    const form = (p: "rel8" | "rel32"): Encoded => encode(encodingsOf(mnemonic).find((e) => e.operands[0] === p)!, [target]);
    this.pushPiece({ kind: "branch", short: form("rel8"), near: form("rel32"), forceNear, target, what });
  }

  private jump(mnemonic: string, target: Label | Sym | Gpr | Mem, width?: "near"): void {
    if (target.kind === "label" && width === "near") {
      const what = (): string => formatInstruction(mnemonic, [target]);
      this.use(target, what);
      this.branch(mnemonic, target, true, what);
    } else {
      this.emit(mnemonic, target);
    }
  }

  // --- instructions: integer ------------------------------------------------------

  mov(dst: Gpr | Mem | ControlReg, src: Gpr | Mem | Imm | ControlReg): void { this.emit("mov", dst, src); }
  movzx(dst: Gpr, src: RM): void { this.emit("movzx", dst, src); }
  movsx(dst: Gpr, src: RM): void { this.emit("movsx", dst, src); }
  movsxd(dst: Gpr, src: RM): void { this.emit("movsxd", dst, src); }
  lea(dst: Gpr, src: Mem): void { this.emit("lea", dst, src); }
  xchg(a: RM, b: RM): void { this.emit("xchg", a, b); }
  bswap(r: Gpr): void { this.emit("bswap", r); }
  push(src: Gpr | Mem | Imm): void { this.emit("push", src); }
  pop(dst: Gpr | Mem): void { this.emit("pop", dst); }

  add(dst: RM, src: RM | Imm): void { this.emit("add", dst, src); }
  or(dst: RM, src: RM | Imm): void { this.emit("or", dst, src); }
  adc(dst: RM, src: RM | Imm): void { this.emit("adc", dst, src); }
  sbb(dst: RM, src: RM | Imm): void { this.emit("sbb", dst, src); }
  and(dst: RM, src: RM | Imm): void { this.emit("and", dst, src); }
  sub(dst: RM, src: RM | Imm): void { this.emit("sub", dst, src); }
  xor(dst: RM, src: RM | Imm): void { this.emit("xor", dst, src); }
  cmp(dst: RM, src: RM | Imm): void { this.emit("cmp", dst, src); }
  test(a: RM, b: Gpr | Imm): void { this.emit("test", a, b); }

  not(x: RM): void { this.emit("not", x); }
  neg(x: RM): void { this.emit("neg", x); }
  mul(src: RM): void { this.emit("mul", src); }
  div(src: RM): void { this.emit("div", src); }
  idiv(src: RM): void { this.emit("idiv", src); }
  /** imul(src): rdx:rax = rax * src; imul(dst, src): dst *= src; imul(dst, src, k): dst = src * k. */
  imul(src: RM): void;
  imul(dst: Gpr, src: RM): void;
  imul(dst: Gpr, src: RM, factor: Imm): void;
  imul(a: RM, src?: RM, factor?: Imm): void {
    const ops: Operand[] = [a];
    if (src !== undefined) ops.push(src);
    if (factor !== undefined) ops.push(factor);
    this.emit("imul", ...ops);
  }
  cdq(): void { this.emit("cdq"); }
  cqo(): void { this.emit("cqo"); }

  /** Shifts and rotates by `cl` or by an immediate count. */
  shl(dst: RM, count: Gpr | Imm): void { this.emit("shl", dst, count); }
  shr(dst: RM, count: Gpr | Imm): void { this.emit("shr", dst, count); }
  sar(dst: RM, count: Gpr | Imm): void { this.emit("sar", dst, count); }
  rol(dst: RM, count: Gpr | Imm): void { this.emit("rol", dst, count); }
  ror(dst: RM, count: Gpr | Imm): void { this.emit("ror", dst, count); }

  bsf(dst: Gpr, src: RM): void { this.emit("bsf", dst, src); }
  bsr(dst: Gpr, src: RM): void { this.emit("bsr", dst, src); }
  tzcnt(dst: Gpr, src: RM): void { this.emit("tzcnt", dst, src); }
  lzcnt(dst: Gpr, src: RM): void { this.emit("lzcnt", dst, src); }
  popcnt(dst: Gpr, src: RM): void { this.emit("popcnt", dst, src); }
  bt(base: RM, bit: Gpr | Imm): void { this.emit("bt", base, bit); }

  setcc(cc: Cond, dst: RM): void { this.emit(`set${condNames[condCode(cc)]}`, dst); }
  cmovcc(cc: Cond, dst: Gpr, src: RM): void { this.emit(`cmov${condNames[condCode(cc)]}`, dst, src); }

  // --- instructions: control flow -------------------------------------------------

  /** jmp to a label (rel8 or rel32, chosen at finish; "near" forces rel32), a symbol (rel32 relocation), or through a register or memory. */
  jmp(target: Label | Sym | Gpr | Mem, width?: "near"): void { this.jump("jmp", target, width); }
  /** Conditional jump to a label (relaxed like jmp) or a symbol. */
  jcc(cc: Cond, target: Label | Sym, width?: "near"): void { this.jump(`j${condNames[condCode(cc)]}`, target, width); }
  /** call a label or symbol (rel32), or through a register or memory. */
  call(target: Label | Sym | Gpr | Mem): void { this.emit("call", target); }
  ret(): void { this.emit("ret"); }

  // --- instructions: no operands, system --------------------------------------------

  nop(): void { this.emit("nop"); }
  int3(): void { this.emit("int3"); }
  ud2(): void { this.emit("ud2"); }
  hlt(): void { this.emit("hlt"); }
  cli(): void { this.emit("cli"); }
  sti(): void { this.emit("sti"); }
  iretq(): void { this.emit("iretq"); }
  cpuid(): void { this.emit("cpuid"); }
  rdtsc(): void { this.emit("rdtsc"); }
  rdmsr(): void { this.emit("rdmsr"); }
  wrmsr(): void { this.emit("wrmsr"); }
  syscall(): void { this.emit("syscall"); }
  pause(): void { this.emit("pause"); }
  mfence(): void { this.emit("mfence"); }
  /** memcpy of rcx bytes from [rsi] to [rdi] (direction flag clear). */
  repMovsb(): void { this.emit("rep movsb"); }
  /** memset of rcx bytes at [rdi] to al. */
  repStosb(): void { this.emit("rep stosb"); }
  repMovsq(): void { this.emit("rep movsq"); }
  repStosq(): void { this.emit("rep stosq"); }
  lgdt(src: Mem): void { this.emit("lgdt", src); }
  lidt(src: Mem): void { this.emit("lidt", src); }
  /** in al/ax/eax, dx or imm8. */
  in(dst: Gpr, port: Gpr | Imm): void { this.emit("in", dst, port); }
  /** out dx or imm8, al/ax/eax. */
  out(port: Gpr | Imm, src: Gpr): void { this.emit("out", port, src); }

  // --- instructions: SSE ------------------------------------------------------------

  movss(dst: XM, src: XM): void { this.emit("movss", dst, src); }
  movsd(dst: XM, src: XM): void { this.emit("movsd", dst, src); }
  movaps(dst: XM, src: XM): void { this.emit("movaps", dst, src); }
  movups(dst: XM, src: XM): void { this.emit("movups", dst, src); }
  movdqa(dst: XM, src: XM): void { this.emit("movdqa", dst, src); }
  movdqu(dst: XM, src: XM): void { this.emit("movdqu", dst, src); }
  /** 32 bits between an xmm register and a GPR or memory. */
  movd(dst: Xmm | RM, src: Xmm | RM): void { this.emit("movd", dst, src); }
  /** 64 bits between an xmm register and a GPR, memory or another xmm register. */
  movq(dst: Xmm | RM, src: Xmm | RM): void { this.emit("movq", dst, src); }

  addss(dst: Xmm, src: XM): void { this.emit("addss", dst, src); }
  addsd(dst: Xmm, src: XM): void { this.emit("addsd", dst, src); }
  subss(dst: Xmm, src: XM): void { this.emit("subss", dst, src); }
  subsd(dst: Xmm, src: XM): void { this.emit("subsd", dst, src); }
  mulss(dst: Xmm, src: XM): void { this.emit("mulss", dst, src); }
  mulsd(dst: Xmm, src: XM): void { this.emit("mulsd", dst, src); }
  divss(dst: Xmm, src: XM): void { this.emit("divss", dst, src); }
  divsd(dst: Xmm, src: XM): void { this.emit("divsd", dst, src); }
  sqrtss(dst: Xmm, src: XM): void { this.emit("sqrtss", dst, src); }
  sqrtsd(dst: Xmm, src: XM): void { this.emit("sqrtsd", dst, src); }
  minss(dst: Xmm, src: XM): void { this.emit("minss", dst, src); }
  minsd(dst: Xmm, src: XM): void { this.emit("minsd", dst, src); }
  maxss(dst: Xmm, src: XM): void { this.emit("maxss", dst, src); }
  maxsd(dst: Xmm, src: XM): void { this.emit("maxsd", dst, src); }
  /** SSE4.1; mode 0 nearest-even, 1 floor, 2 ceil, 3 truncate (+8 to suppress the precision exception). */
  roundss(dst: Xmm, src: XM, mode: Imm): void { this.emit("roundss", dst, src, mode); }
  roundsd(dst: Xmm, src: XM, mode: Imm): void { this.emit("roundsd", dst, src, mode); }
  /** Sets dst to all ones or zeros; objdump prints `cmpss xmm0,xmm1,lt` as `cmpltss`. */
  cmpss(dst: Xmm, src: XM, pred: CmpPredicate | Imm): void { this.emit("cmpss", dst, src, predicate(pred)); }
  cmpsd(dst: Xmm, src: XM, pred: CmpPredicate | Imm): void { this.emit("cmpsd", dst, src, predicate(pred)); }

  cvtss2sd(dst: Xmm, src: XM): void { this.emit("cvtss2sd", dst, src); }
  cvtsd2ss(dst: Xmm, src: XM): void { this.emit("cvtsd2ss", dst, src); }
  /** From a 32- or 64-bit signed integer (a memory source needs a size). */
  cvtsi2ss(dst: Xmm, src: RM): void { this.emit("cvtsi2ss", dst, src); }
  cvtsi2sd(dst: Xmm, src: RM): void { this.emit("cvtsi2sd", dst, src); }
  /** Truncating conversions to a 32- or 64-bit signed integer (the width of dst). */
  cvttss2si(dst: Gpr, src: XM): void { this.emit("cvttss2si", dst, src); }
  cvttsd2si(dst: Gpr, src: XM): void { this.emit("cvttsd2si", dst, src); }
  /** Conversions rounding by MXCSR. */
  cvtss2si(dst: Gpr, src: XM): void { this.emit("cvtss2si", dst, src); }
  cvtsd2si(dst: Gpr, src: XM): void { this.emit("cvtsd2si", dst, src); }

  ucomiss(a: Xmm, b: XM): void { this.emit("ucomiss", a, b); }
  ucomisd(a: Xmm, b: XM): void { this.emit("ucomisd", a, b); }
  comiss(a: Xmm, b: XM): void { this.emit("comiss", a, b); }
  comisd(a: Xmm, b: XM): void { this.emit("comisd", a, b); }

  andps(dst: Xmm, src: XM): void { this.emit("andps", dst, src); }
  andpd(dst: Xmm, src: XM): void { this.emit("andpd", dst, src); }
  andnps(dst: Xmm, src: XM): void { this.emit("andnps", dst, src); }
  andnpd(dst: Xmm, src: XM): void { this.emit("andnpd", dst, src); }
  orps(dst: Xmm, src: XM): void { this.emit("orps", dst, src); }
  orpd(dst: Xmm, src: XM): void { this.emit("orpd", dst, src); }
  xorps(dst: Xmm, src: XM): void { this.emit("xorps", dst, src); }
  xorpd(dst: Xmm, src: XM): void { this.emit("xorpd", dst, src); }
  pxor(dst: Xmm, src: XM): void { this.emit("pxor", dst, src); }

  ldmxcsr(src: Mem): void { this.emit("ldmxcsr", src); }
  stmxcsr(dst: Mem): void { this.emit("stmxcsr", dst); }
}

function padding(pos: number, boundary: number): number {
  return (boundary - (pos % boundary)) % boundary;
}

function predicate(p: CmpPredicate | Imm): Imm {
  if (typeof p !== "string") return p;
  const code: number | undefined = cmpPredicates[p];
  if (code === undefined) throw new AsmError(`unknown comparison predicate "${String(p)}"`);
  return imm(code);
}
