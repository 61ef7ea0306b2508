// What instruction selection sees: the assembler, the allocation, and the
// helpers that turn a value into an operand (register, frame slot or
// immediate), move values between locations, and store results.
//
// Frame (below rbp, 8 bytes each): the callee-saved registers the function
// uses, the spill slots, then the bridge slots where version 1's emitters
// find their operands (bridge.ts). Parameters arrive in registers
// (convention.ts) and are allocated like any value; a function that takes its
// arguments on the stack leaves a spilled parameter in its argument slot.
//
// Invariant: an i32 in a general register has its upper 32 bits zero (every
// 32-bit x86 instruction writes them so), so it can index memory as is.
//
// The hot paths (moves, loads and stores, ALU operations, compares) use the
// assembler's direct forms (tools/x86/direct.ts), registers and frame slots
// as numbers: locate() is src() without building an operand. The bytes are
// the same either way.

import type { ValType } from "../../wasm/index.ts";
import {
  gpr,
  imm,
  imm64,
  IntOp,
  mem,
  rbp,
  xmm,
  type Assembler,
  type Gpr,
  type Imm,
  type Label,
  type Mem,
  type MemSize,
  type Xmm,
} from "../../x86/index.ts";
import type { Ctx } from "../context.ts";
import type { ModuleEnv } from "../env.ts";
import { argRegisters } from "./convention.ts";
import { IrOp, type Inst, type IrFunction } from "./ir.ts";
import type { Allocation } from "./regalloc.ts";
import { int32s } from "./arena.ts";

/** Bridge slots: the most operands a version 1 emitter takes (select, memory.copy/fill: 3), plus one spare. */
export const BRIDGE_SLOTS = 4;

export class Unsupported extends Error {}

export function isFloat(t: ValType | null): boolean {
  return t === "f32" || t === "f64";
}

export function widthOf(t: ValType | null): 32 | 64 {
  return t === "i64" || t === "f64" ? 64 : 32;
}

// Bounds as constants: a bigint expression is evaluated (and allocated) on every call.
const MIN_I32 = -(1n << 31n);
const LIMIT_I32 = 1n << 31n;
const LIMIT_U32 = 1n << 32n;

/** `v` fits a sign-extended 32-bit immediate. */
export function fitsImm32(v: bigint): boolean {
  const s = BigInt.asIntN(64, v);
  return s >= MIN_I32 && s < LIMIT_I32;
}

/** rbp's register number: frame slots are rbp-relative. */
export const RBP = 5;

/** Where locate() found a general operand. */
export const enum Where {
  /** In general register `g.at`. */
  Reg,
  /** In the frame slot at rbp displacement `g.at`. */
  Slot,
  /** A constant: the immediate `g.at`. */
  Imm,
}

export class Gen {
  /** Each block's label, by id. */
  readonly labels: Label[];
  /** The block being emitted, and the next one emitted after it (-1 at the end). */
  block = 0;
  next = -1;
  /** By block id: where a jump to the block lands (itself, or past blocks that emit no code; see function.ts). */
  land: Int32Array;
  /** No frame at all: a leaf with nothing on the stack (function.ts); it returns with a bare `ret`. */
  frameless = false;
  /** The registers the parameters arrive in, or null: on the stack (convention.ts). */
  readonly argRegs: number[] | null;

  constructor(
    readonly a: Assembler,
    readonly env: ModuleEnv,
    readonly f: IrFunction,
    readonly alloc: Allocation,
    /** By value id: 1 for a compare fused into its block's branch (it emits nothing of its own). */
    readonly fused: Uint8Array,
    /** Version 1's context over the bridge slots; also owns the trap stubs. */
    readonly bridge: Ctx,
  ) {
    // Labels and landing blocks are set by function.ts's threadJumps, for the blocks in the layout.
    this.labels = new Array<Label>(f.blocks.length);
    this.land = int32s(f.blocks.length);
    this.argRegs = argRegisters(f.type);
  }

  value(v: number): Inst {
    return this.f.values[v]!;
  }

  isConst(v: number): boolean {
    return this.f.values[v]!.op === IrOp.Const;
  }

  bits(v: number): bigint {
    return this.f.values[v]!.bits;
  }

  /** rbp displacement of spill slot k. */
  slotDisp(k: number): number {
    return -8 * (this.alloc.calleeSaved.length + k + 1);
  }

  /** Displacement of the caller's argument slot of parameter i. */
  paramDisp(i: number): number {
    const n = this.f.type.params.length;
    return 16 + 8 * (n - 1 - i);
  }

  /** The register number of v, or -1 when it is in memory or a constant. */
  regOf(v: number): number {
    return this.alloc.reg[v]!;
  }

  /** The rbp displacement of the frame slot of a value in memory. */
  slotDispOf(v: number): number {
    const i = this.f.values[v]!;
    const k = this.alloc.slot[v]!;
    if (k < 0) throw new Error(`tools/aot: ${this.f.where}: value ${v} has no location`);
    return i.op === IrOp.Param && this.argRegs === null ? this.paramDisp(i.index) : this.slotDisp(k);
  }

  /** The frame slot of a value in memory. */
  slotMem(v: number, size?: MemSize): Mem {
    return mem(rbp, { disp: this.slotDispOf(v) }, size);
  }

  /** v's own register (general), or null. */
  gpr(v: number, size: 8 | 16 | 32 | 64): Gpr | null {
    const r = this.alloc.reg[v]!;
    return r < 0 || isFloat(this.f.values[v]!.type) ? null : gpr(r, size);
  }

  xmm(v: number): Xmm | null {
    const r = this.alloc.reg[v]!;
    return r < 0 || !isFloat(this.f.values[v]!.type) ? null : xmm(r);
  }

  /** What locate() found: a register number, an rbp displacement or an immediate. */
  at = 0;

  /**
   * src() without an operand object, for the assembler's direct forms: where
   * v is, with its register number, slot displacement or immediate value
   * left in `at`; a 64-bit constant beyond imm32 is loaded into register
   * `scratch` first. The same instructions src() makes.
   */
  locate(v: number, size: 32 | 64, scratch: number): Where {
    const i = this.f.values[v]!;
    if (i.op === IrOp.Const) {
      const b = i.bits;
      if (size === 32) {
        this.at = Number(BigInt.asIntN(32, b));
        return Where.Imm;
      }
      if (fitsImm32(b)) {
        this.at = Number(BigInt.asIntN(64, b));
        return Where.Imm;
      }
      this.a.mov(gpr(scratch, 64), imm64(b));
      this.at = scratch;
      return Where.Reg;
    }
    const r = this.alloc.reg[v]!;
    if (r >= 0 && !isFloat(i.type)) {
      this.at = r;
      return Where.Reg;
    }
    this.at = this.slotDispOf(v);
    return Where.Slot;
  }

  /** `op d, x` for general register number d at width `size`, x as locate() found it (`where`, `at`). */
  opFrom(op: IntOp, size: 32 | 64, d: number, where: Where, at: number): void {
    if (where === Where.Reg) this.a.rr(op, size, d, at);
    else if (where === Where.Slot) this.a.rm(op, size, d, RBP, -1, 1, at);
    else this.a.ri(op, size, d, at);
  }

  /** `op d, v`: v from its register, its slot or as an immediate (through register `scratch` when beyond imm32). */
  opWith(op: IntOp, size: 32 | 64, d: number, v: number, scratch: number): void {
    const where = this.locate(v, size, scratch);
    this.opFrom(op, size, d, where, this.at);
  }

  /** A general operand for v: its register, its slot, or an immediate when it is a constant that fits; else the constant in `scratch`. */
  src(v: number, size: 32 | 64, scratch: Gpr): Gpr | Mem | Imm {
    if (this.isConst(v)) {
      const b = this.bits(v);
      if (size === 32) return imm(BigInt.asIntN(32, b));
      if (fitsImm32(b)) return imm(BigInt.asIntN(64, b));
      this.a.mov(gpr(scratch.num, 64), imm64(b));
      return gpr(scratch.num, 64);
    }
    return this.gpr(v, size) ?? this.slotMem(v, size);
  }

  /** v in a general register: its own, or loaded into `scratch`. */
  reg(v: number, size: 32 | 64, scratch: Gpr): Gpr {
    const own = this.isConst(v) ? null : this.gpr(v, size);
    if (own !== null) return own;
    const r = gpr(scratch.num, size);
    this.loadInto(r, v);
    return r;
  }

  /** v (general or float bits) into general register r (sized 32 or 64); `keepFlags`: without touching the flags. */
  loadInto(r: Gpr, v: number, keepFlags = false): void {
    if (this.isConst(v)) return this.constInto(r, this.bits(v), keepFlags);
    const size = r.size as 32 | 64;
    const own = this.alloc.reg[v]!;
    if (own >= 0) {
      if (isFloat(this.f.values[v]!.type)) {
        if (size === 64) this.a.movq(r, xmm(own));
        else this.a.movd(r, xmm(own));
      } else if (own !== r.num) this.a.rr(IntOp.Mov, size, r.num, own);
      return;
    }
    this.a.rm(IntOp.Mov, size, r.num, RBP, -1, 1, this.slotDispOf(v));
  }

  /** The constant b into r; zero by `xor` (shorter) unless `keepFlags`. */
  constInto(r: Gpr, b: bigint, keepFlags = false): void {
    const u = BigInt.asUintN(r.size === 64 ? 64 : 32, b);
    if (u === 0n && !keepFlags) this.a.rr(IntOp.Xor, 32, r.num, r.num);
    else if (u < LIMIT_U32) this.a.ri(IntOp.Mov, 32, r.num, Number(u));
    else if (fitsImm32(u)) this.a.ri(IntOp.Mov, 64, r.num, Number(BigInt.asIntN(64, u)));
    else this.a.mov(r, imm64(u));
  }

  /** Where to compute i's general result: its register, or `scratch` when it lives in memory. */
  dst(i: Inst, scratch: Gpr): Gpr {
    const size = widthOf(i.type);
    return this.gpr(i.id, size) ?? gpr(scratch.num, size);
  }

  /** After computing i's result in r: stores it when i lives in memory. */
  finish(i: Inst, r: Gpr): void {
    if (this.alloc.reg[i.id]! >= 0) return;
    if (this.alloc.slot[i.id]! < 0) return; // unused result
    this.a.mr(IntOp.Mov, 64, RBP, -1, 1, this.slotDispOf(i.id), r.num);
  }

  /** A float operand: its register or its slot; a constant goes through `scratch`. */
  fsrc(v: number, scratch: Xmm): Xmm | Mem {
    if (this.isConst(v)) {
      this.fconstInto(scratch, this.value(v).type!, this.bits(v));
      return scratch;
    }
    return this.xmm(v) ?? this.slotMem(v, this.value(v).type === "f32" ? 32 : 64);
  }

  fconstInto(x: Xmm, t: ValType, b: bigint): void {
    if (b === 0n) {
      this.a.xorps(x, x);
      return;
    }
    const r = gpr(0, t === "f32" ? 32 : 64);
    this.constInto(r, b);
    if (t === "f32") this.a.movd(x, r);
    else this.a.movq(x, r);
  }

  /** v into float register x. */
  floadInto(x: Xmm, v: number): void {
    const t = this.value(v).type!;
    if (this.isConst(v)) return this.fconstInto(x, t, this.bits(v));
    const own = this.xmm(v);
    if (own !== null) {
      if (own.num !== x.num) this.a.movaps(x, own);
      return;
    }
    if (t === "f32") this.a.movss(x, this.slotMem(v, 32));
    else this.a.movsd(x, this.slotMem(v, 64));
  }

  fdst(i: Inst, scratch: Xmm): Xmm {
    return this.xmm(i.id) ?? scratch;
  }

  ffinish(i: Inst, x: Xmm): void {
    if (this.alloc.reg[i.id]! >= 0 || this.alloc.slot[i.id]! < 0) return;
    this.a.movsd(this.slotMem(i.id, 64), x);
  }

  fail(what: string): never {
    throw new Unsupported(`tools/aot: ${this.f.where}: ${what}`);
  }
}
