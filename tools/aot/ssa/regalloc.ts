// Register allocation: linear scan over the live intervals' hulls
// (Poletto & Sarkar, "Linear Scan Register Allocation", TOPLAS 1999), with
// spill choice by loop-weighted use counts. Each value gets one location
// for its whole life: a register or a frame slot. Constants and fused
// compares get none (the code generator rematerializes them at each use).
//
// Registers: rax, rcx, rdx and xmm0, xmm1 are the code generator's scratch
// and never allocated; rsp, rbp and r15 (the memory base) are fixed. An
// instruction may clobber more (`clobbers`): a call every caller-saved
// register, so a value live across one can only take a callee-saved
// register (rbx, r12–r14), and a float none; memory.copy rsi, rdi and r8.

import type { Inst, IrFunction } from "./ir.ts";
import { liveIntervals, type Intervals } from "./liveness.ts";

/** Caller-saved first: they cost nothing to use. */
const GPR_CALLER = [6, 7, 8, 9, 10, 11]; // rsi rdi r8 r9 r10 r11
export const GPR_CALLEE = [3, 12, 13, 14]; // rbx r12 r13 r14
const XMM = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const ALL_GPR = [...GPR_CALLER, ...GPR_CALLEE];

/** Where a value lives: a register (number per the SDM), a slot (index from 0), or nowhere. */
export interface Allocation {
  /** By value id: register number, or -1. */
  reg: Int16Array;
  /** By value id: spill slot index, or -1 (with reg -1 too: no location). */
  slot: Int32Array;
  slots: number;
  /** Callee-saved registers the function writes (to save and restore). */
  calleeSaved: number[];
  intervals: Intervals;
}

export function isFloatType(i: Inst): boolean {
  return i.type === "f32" || i.type === "f64";
}

/** A clobber mask: bit r for general register r, XMM_BIT for every xmm register. */
export const XMM_BIT = 1 << 16;
/** What a call clobbers: every caller-saved register. */
export const CALL_CLOBBERS = XMM_BIT | GPR_CALLER.reduce((m, r) => m | (1 << r), 0);

export function allocate(
  f: IrFunction,
  needsLocation: (i: Inst) => boolean,
  /** The allocatable registers instruction i overwrites (0 for most). */
  clobbers: (i: Inst) => number,
): Allocation {
  const iv = liveIntervals(f, needsLocation);
  const n = f.values.length;
  const at: number[] = [];
  const masks: number[] = [];
  for (const id of f.layout) {
    for (const i of f.blocks[id]!.insts) {
      const m = clobbers(i);
      if (m !== 0) {
        at.push(iv.pos[i.id]!);
        masks.push(m);
      }
    }
  }
  // Positions increase along the layout, so `at` is sorted.
  /** The registers clobbered strictly inside v's interval (its operands are read, its result written, at the ends). */
  const clobbered = (v: number): number => {
    const s = iv.start[v]!, e = iv.end[v]!;
    let lo = 0, hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! <= s) lo = mid + 1;
      else hi = mid;
    }
    let m = 0;
    for (let k = lo; k < at.length && at[k]! < e; k++) m |= masks[k]!;
    return m;
  };

  const order: number[] = [];
  for (let v = 0; v < n; v++) if (iv.start[v]! <= iv.end[v]!) order.push(v);
  order.sort((x, y) => iv.start[x]! - iv.start[y]! || x - y);

  const reg = new Int16Array(n).fill(-1);
  const slot = new Int32Array(n).fill(-1);
  let slots = 0;
  const spill = (v: number): void => {
    reg[v] = -1;
    slot[v] = slots++;
  };
  /** Which value holds each register (gpr 0–15, xmm 16–31), or -1. */
  const holder = new Int32Array(32).fill(-1);
  const active: number[] = [];
  const used = new Set<number>();

  for (const v of order) {
    const start = iv.start[v]!;
    // A value whose last use is here frees its register for this one: the code generator reads operands before it writes.
    for (let k = active.length - 1; k >= 0; k--) {
      const a = active[k]!;
      if (iv.end[a]! <= start) {
        holder[reg[a]! + (isFloatType(f.values[a]!) ? 16 : 0)] = -1;
        active.splice(k, 1);
      }
    }
    const float = isFloatType(f.values[v]!);
    const lost = clobbered(v);
    const candidates = float ? (lost & XMM_BIT ? [] : XMM) : ALL_GPR.filter((r) => (lost & (1 << r)) === 0);
    const bank = float ? 16 : 0;
    const free = candidates.find((r) => holder[r + bank] === -1);
    if (free !== undefined) {
      reg[v] = free;
      holder[free + bank] = v;
      active.push(v);
      if (!float) used.add(free);
      continue;
    }
    // No free register: the cheapest of this value and the holders of its candidates goes to memory.
    let victim = v;
    for (const r of candidates) {
      const h = holder[r + bank]!;
      if (h >= 0 && iv.weight[h]! < iv.weight[victim]!) victim = h;
    }
    if (victim === v) {
      spill(v);
      continue;
    }
    const r = reg[victim]!;
    spill(victim);
    active.splice(active.indexOf(victim), 1);
    reg[v] = r;
    holder[r + bank] = v;
    active.push(v);
  }
  const calleeSaved = GPR_CALLEE.filter((r) => used.has(r));
  return { reg, slot, slots, calleeSaved, intervals: iv };
}
