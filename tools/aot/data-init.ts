// Active data segments at instantiation, as a table and one loop instead
// of straight-line code per segment (asc emits a segment per string
// literal: a hundred or more, which took 58 bytes of code each).
//
// The table (`wasm:data:active`, rodata) holds one entry per active data
// segment, in order: where it goes (a constant offset, or the global that
// holds it), its length, its index, and the address of its bytes. The loop
// in `wasm:init` checks each against the memory's size (trapping "out of
// bounds memory access" at the first that does not fit, after writing the
// ones before it, as instantiation does), copies it and drops it.

import { Op, type ConstExpr, type Module } from "../wasm/index.ts";
import { eax, ecx, imm, mem, r15, r8, r9, r10, rax, rcx, rdi, rdx, rsi, type Assembler } from "../x86/index.ts";
import { symMem, type Ctx } from "./context.ts";
import type { SectionBuilder } from "./object.ts";
import { S } from "./symbols.ts";
import { Trap } from "./traps.ts";

/** The table's symbol. */
const TABLE = "wasm:data:active";
/** Bytes per entry: u32 offset, u32 global index (NO_GLOBAL: the offset is constant), u32 length, u32 segment index, u64 address of the bytes. */
const ENTRY = 24;
export const NO_GLOBAL = 0xffff_ffff;

/** Where an active data or element segment goes, from its offset expression: a constant, or the global that holds it (else NO_GLOBAL); throws naming `what` on anything else. */
export function segmentOffset(e: ConstExpr | undefined, what: string): { offset: number; global: number } {
  const ins = e?.[0];
  if (e === undefined || e.length !== 1 || ins === undefined) throw new Error(`${what}: offset is not a single constant instruction`);
  if (ins.op === Op.I32Const) return { offset: (ins.value as number) >>> 0, global: NO_GLOBAL };
  if (ins.op === Op.GlobalGet) return { offset: 0, global: ins.index! };
  throw new Error(`${what}: unsupported offset expression`);
}

function placement(m: Module, k: number): { offset: number; global: number } {
  return segmentOffset(m.datas[k]!.offsetExpr, `data segment ${k}`);
}

function activeSegments(m: Module): number[] {
  return m.datas.flatMap((d, k) => (d.mode === "active" ? [k] : []));
}

/** Writes the table into rodata (after the segments' bytes are defined there or anywhere: entries refer to them by symbol). */
export function layoutActiveData(m: Module, rodata: SectionBuilder): void {
  const active = activeSegments(m);
  if (active.length === 0) return;
  rodata.define(TABLE, 8, ENTRY * active.length);
  for (const k of active) {
    const { offset, global } = placement(m, k);
    rodata.u64(BigInt(offset) | (BigInt(global) << 32n));
    rodata.u64(BigInt(m.datas[k]!.bytes.length) | (BigInt(k) << 32n));
    rodata.addr(S.data(k));
  }
}

/** The loop over the table, in wasm:init; uses rax, rcx, rdx, rsi, rdi and r8–r10. */
export function emitActiveData(c: Ctx): void {
  const m = c.env.m;
  const active = activeSegments(m);
  if (active.length === 0) return;
  for (const k of active) {
    try {
      placement(m, k);
    } catch (e) {
      c.fail((e as Error).message);
    }
  }
  const a: Assembler = c.a;
  const loop = a.newLabel("data segment");
  const constant = a.newLabel("constant offset");
  a.lea(r9, symMem(TABLE));
  a.mov(r10, imm(active.length));
  a.bind(loop);
  a.mov(eax, mem(r9, {}, 32));
  a.cmp(mem(r9, { disp: 4 }, 32), imm(-1));
  a.jcc("e", constant);
  a.mov(eax, mem(r9, { disp: 4 }, 32));
  a.lea(rdx, symMem(S.globals));
  a.mov(eax, mem(rdx, { index: rax, scale: 8 }, 32));
  a.bind(constant);
  a.mov(ecx, mem(r9, { disp: 8 }, 32));
  a.lea(rdx, mem(rax, { index: rcx }));
  a.mov(r8, symMem(S.memoryPages));
  a.shl(r8, imm(16));
  a.cmp(rdx, r8);
  a.jcc("a", c.trap(Trap.MemoryOutOfBounds));
  a.lea(rdi, mem(r15, { index: rax }));
  a.mov(rsi, mem(r9, { disp: 16 }, 64));
  a.repMovsb();
  a.mov(eax, mem(r9, { disp: 12 }, 32));
  a.lea(rdx, symMem(S.dataLengths));
  a.mov(mem(rdx, { index: rax, scale: 8 }, 64), imm(0));
  a.add(r9, imm(ENTRY));
  a.sub(r10, imm(1));
  a.jcc("nz", loop);
}
