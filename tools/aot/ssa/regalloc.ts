// Register allocation: linear scan over lifetimes with holes (Wimmer &
// Franz, "Linear Scan Register Allocation on SSA Form", CGO 2010, without
// interval splitting), with spill choice by loop-weighted use counts. Each
// value gets one location for its whole life: a register or a frame slot;
// two values share a register when their lifetimes do not meet. Constants and fused
// compares get none (the code generator rematerializes them at each use).
//
// Registers: rax, rcx, rdx and xmm0, xmm1 are the code generator's scratch
// and never allocated; rsp, rbp and r15 (the memory base) are fixed. An
// instruction may clobber more (`clobbers`): a call every caller-saved
// register, so a value live across one can only take a callee-saved
// register (rbx, r12–r14), and a float none; memory.copy rsi, rdi and r8.

import { IrOp, type Inst, type IrFunction } from "./ir.ts";
import { int16s, int32s, resetTemps, tempInt32s } from "./arena.ts";
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

/** Per register of the bank of the value being allocated, the values holding it that its lifetime meets (holderCount[r] of holderList[r]); reused from value to value. */
const holderList: number[][] = Array.from({ length: 16 }, () => []);
const holderCount = new Int32Array(16);
/** The registers a value may take, in order of preference: all of a bank's, or those left after clobbers (filtered, reused). */
const filtered = new Int32Array(16);
const XMM_ALL = Int32Array.from(XMM);
const GPR_ALL = Int32Array.from(ALL_GPR);
const GPR_MASK = ALL_GPR.reduce((m, r) => m | (1 << r), 0);

export function allocate(
  f: IrFunction,
  needsLocation: (i: Inst) => boolean,
  /** The allocatable registers instruction i overwrites (0 for most). */
  clobbers: (i: Inst) => number,
  /** By value id: the register the value would best live in, or -1. */
  prefer?: Int16Array,
  /** General registers not to hand out (bit r for register r): the pinned global's. */
  reserved = 0,
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
  // Value v's ranges are F[A[v]] to F[A[v + 1]] (none: v needs no location).
  const F = iv.flat;
  const A = iv.rangeAt;
  /** The registers clobbered strictly inside one of v's ranges (operands are read, results written, at the ends). */
  const clobbered = (v: number): number => {
    let m = 0;
    for (let k = A[v]!; k < A[v + 1]!; k += 2) {
      const s = F[k]!, e = F[k + 1]!;
      let lo = 0, hi = at.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at[mid]! <= s) lo = mid + 1;
        else hi = mid;
      }
      for (let j = lo; j < at.length && at[j]! < e; j++) m |= masks[j]!;
    }
    return m;
  };
  const covers = (v: number, p: number): boolean => {
    for (let k = A[v]!, e = A[v + 1]!; k < e && F[k]! <= p; k += 2) if (p < F[k + 1]!) return true;
    return false;
  };
  const intersects = (x: number, y: number): boolean => {
    let i = A[x]!, j = A[y]!;
    const ie = A[x + 1]!, je = A[y + 1]!;
    while (i < ie && j < je) {
      if (F[i + 1]! <= F[j]!) i += 2;
      else if (F[j + 1]! <= F[i]!) j += 2;
      else return true;
    }
    return false;
  };
  /** Whether v has a lifetime (values that need no location have none). */
  const ranged = (v: number): boolean => A[v] !== A[v + 1];

  // Hints, so that a move is not needed: a phi and its operands want one
  // register (the phi's moves then vanish), and a result wants its first
  // operand's register (x86's two-operand forms then need no copy).
  const phisUsing = new Map<number, number[]>();
  for (const id of f.layout) {
    for (const phi of f.blocks[id]!.phis) {
      for (const a of phi.args) {
        const list = phisUsing.get(a);
        if (list === undefined) phisUsing.set(a, [phi.id]);
        else list.push(phi.id);
      }
    }
  }
  const none: readonly number[] = [];
  /** The first of v's hint values (a phi's operands or an instruction's first operand, then the phis v feeds) whose register `fits`, or -1. */
  const hinted = (v: number, fits: (h: number) => boolean): number => {
    const i = f.values[v]!;
    const n = i.op === IrOp.Phi ? i.args.length : Math.min(i.args.length, 1);
    for (let k = 0; k < n; k++) if (fits(i.args[k]!)) return reg[i.args[k]!]!;
    for (const p of phisUsing.get(v) ?? none) if (fits(p)) return reg[p]!;
    return -1;
  };

  const start = iv.start;
  let count = 0, maxStart = 0;
  for (let v = 0; v < n; v++) {
    if (!ranged(v)) continue;
    count++;
    if (start[v]! > maxStart) maxStart = start[v]!;
  }
  resetTemps(); // liveness's temporaries are dead
  const bucket = tempInt32s(maxStart + 2, 0);
  for (let v = 0; v < n; v++) if (ranged(v)) bucket[start[v]! + 1]!++;
  for (let k = 1; k < bucket.length; k++) bucket[k]! += bucket[k - 1]!;
  const order = tempInt32s(count, 0);
  for (let v = 0; v < n; v++) if (ranged(v)) order[bucket[start[v]!]!++] = v;

  const reg = int16s(n).fill(-1);
  const slot = int32s(n).fill(-1);
  let slots = 0;
  const spill = (v: number): void => {
    reg[v] = -1;
    slot[v] = slots++;
  };
  // Wimmer & Franz's lists: active values cover the current position, inactive ones are in a hole.
  // Wimmer & Franz's lists, as the first nActive of `active` and nInactive of `inactive`; each pass
  // builds the next lists in the other two buffers, and they swap.
  let active = tempInt32s(count + 1, 0);
  let inactive = tempInt32s(count + 1, 0);
  let nextActive = tempInt32s(count + 1, 0);
  let nextInactive = tempInt32s(count + 1, 0);
  let nActive = 0, nInactive = 0;
  let used = 0;
  const floats = tempInt32s(n, 0);
  for (let v = 0; v < n; v++) if (ranged(v) && isFloatType(f.values[v]!)) floats[v] = 1;
  const hold = (x: number, bank: number): void => {
    if (floats[x] !== bank) return;
    const r = reg[x]!;
    holderList[r]![holderCount[r]!++] = x;
  };
  /** evicted[x] === o + 1: x was evicted for the o-th value. */
  const evicted = tempInt32s(n, 0);

  for (let o = 0; o < count; o++) {
    const v = order[o]!;
    const pos = iv.start[v]!;
    const stillActive = nextActive;
    const nowInactive = nextInactive;
    let na = 0, ni = 0;
    for (let k = 0; k < nActive; k++) {
      const a = active[k]!;
      if (iv.end[a]! <= pos) continue;
      if (covers(a, pos)) stillActive[na++] = a;
      else nowInactive[ni++] = a;
    }
    for (let k = 0; k < nInactive; k++) {
      const i = inactive[k]!;
      if (iv.end[i]! <= pos) continue;
      if (covers(i, pos)) stillActive[na++] = i;
      else nowInactive[ni++] = i;
    }
    nextActive = active;
    nextInactive = inactive;
    active = stillActive;
    inactive = nowInactive;
    nActive = na;
    nInactive = ni;

    const float = floats[v] === 1;
    const bank = floats[v]!;
    const lost = clobbered(v) | (float ? 0 : reserved);
    // The first nc of `candidates`: the bank's registers in order, less those clobbered inside v's lifetime.
    let candidates = filtered;
    let nc = 0;
    if (float) {
      candidates = XMM_ALL;
      nc = lost & XMM_BIT ? 0 : XMM_ALL.length;
    } else if ((lost & GPR_MASK) === 0) {
      candidates = GPR_ALL;
      nc = GPR_ALL.length;
    } else {
      for (const r of ALL_GPR) if ((lost & (1 << r)) === 0) filtered[nc++] = r;
    }
    holderCount.fill(0);
    for (let k = 0; k < nActive; k++) hold(active[k]!, bank);
    for (let k = 0; k < nInactive; k++) if (intersects(inactive[k]!, v)) hold(inactive[k]!, bank);
    let free = -1;
    for (let k = 0; k < nc; k++) {
      if (holderCount[candidates[k]!] === 0) {
        free = candidates[k]!;
        break;
      }
    }
    const isFree = (r: number): boolean => {
      if (r < 0 || holderCount[r] !== 0) return false;
      for (let k = 0; k < nc; k++) if (candidates[k] === r) return true;
      return false;
    };
    const wanted = prefer?.[v] ?? -1;
    if (wanted >= 0 && isFree(wanted)) free = wanted;
    else if (free >= 0) {
      const h = hinted(v, (x) => floats[x] === bank && isFree(reg[x]!));
      if (h >= 0) free = h;
    }
    if (free >= 0) {
      reg[v] = free;
      active[nActive++] = v;
      if (!float) used |= 1 << free;
      continue;
    }
    // No register free for v's whole lifetime: the cheapest set of holders of one candidate, or v, goes to memory.
    let best = -1, bestCost = iv.weight[v]!;
    for (let c = 0; c < nc; c++) {
      const r = candidates[c]!;
      const list = holderList[r]!;
      let cost = 0;
      for (let k = 0; k < holderCount[r]!; k++) cost += iv.weight[list[k]!]!;
      if (cost < bestCost) {
        best = r;
        bestCost = cost;
      }
    }
    if (best < 0) {
      spill(v);
      continue;
    }
    // The holders are distinct values: spilled in the order they were found.
    const mark = o + 1;
    for (let k = 0; k < holderCount[best]!; k++) {
      const x = holderList[best]![k]!;
      evicted[x] = mark;
      spill(x);
    }
    let keep = 0;
    for (let k = 0; k < nActive; k++) if (evicted[active[k]!] !== mark) active[keep++] = active[k]!;
    nActive = keep;
    keep = 0;
    for (let k = 0; k < nInactive; k++) if (evicted[inactive[k]!] !== mark) inactive[keep++] = inactive[k]!;
    nInactive = keep;
    reg[v] = best;
    active[nActive++] = v;
    if (!float) used |= 1 << best;
  }
  const calleeSaved = GPR_CALLEE.filter((r) => (used & (1 << r)) !== 0);
  return { reg, slot, slots, calleeSaved, intervals: iv };
}
