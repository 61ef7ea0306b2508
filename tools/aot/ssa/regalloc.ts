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
  const R = iv.ranges;
  /** The registers clobbered strictly inside one of v's ranges (operands are read, results written, at the ends). */
  const clobbered = (v: number): number => {
    const r = R[v]!;
    let m = 0;
    for (let k = 0; k < r.length; k += 2) {
      const s = r[k]!, e = r[k + 1]!;
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
    const r = R[v]!;
    for (let k = 0; k < r.length && r[k]! <= p; k += 2) if (p < r[k + 1]!) return true;
    return false;
  };
  const intersects = (x: number, y: number): boolean => {
    const a = R[x]!, b = R[y]!;
    let i = 0, j = 0;
    while (i < a.length && j < b.length) {
      if (a[i + 1]! <= b[j]!) i += 2;
      else if (b[j + 1]! <= a[i]!) j += 2;
      else return true;
    }
    return false;
  };

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
  const hints = (v: number): number[] => {
    const i = f.values[v]!;
    const out = i.op === IrOp.Phi ? [...i.args] : i.args.length > 0 ? [i.args[0]!] : [];
    return [...out, ...(phisUsing.get(v) ?? [])];
  };

  const order: number[] = [];
  for (let v = 0; v < n; v++) if (R[v] !== undefined) order.push(v);
  order.sort((x, y) => iv.start[x]! - iv.start[y]! || x - y);

  const reg = new Int16Array(n).fill(-1);
  const slot = new Int32Array(n).fill(-1);
  let slots = 0;
  const spill = (v: number): void => {
    reg[v] = -1;
    slot[v] = slots++;
  };
  // Wimmer & Franz's lists: active values cover the current position, inactive ones are in a hole.
  let active: number[] = [];
  let inactive: number[] = [];
  const used = new Set<number>();
  const bankOf = (v: number): number => (isFloatType(f.values[v]!) ? 16 : 0);

  for (const v of order) {
    const pos = iv.start[v]!;
    const stillActive: number[] = [];
    const nowInactive: number[] = [];
    for (const a of active) {
      if (iv.end[a]! <= pos) continue;
      (covers(a, pos) ? stillActive : nowInactive).push(a);
    }
    for (const i of inactive) {
      if (iv.end[i]! <= pos) continue;
      (covers(i, pos) ? stillActive : nowInactive).push(i);
    }
    active = stillActive;
    inactive = nowInactive;

    const float = isFloatType(f.values[v]!);
    const bank = bankOf(v);
    const lost = clobbered(v);
    const candidates = float ? (lost & XMM_BIT ? [] : XMM) : ALL_GPR.filter((r) => ((lost | reserved) & (1 << r)) === 0);
    /** Per register of v's bank, the values holding it that v's lifetime meets. */
    const holders = new Map<number, number[]>();
    const hold = (x: number): void => {
      if (bankOf(x) !== bank) return;
      const list = holders.get(reg[x]!) ?? [];
      list.push(x);
      holders.set(reg[x]!, list);
    };
    for (const a of active) hold(a);
    for (const i of inactive) if (intersects(i, v)) hold(i);
    const isFree = (r: number): boolean => r >= 0 && !holders.has(r) && candidates.includes(r);
    let free: number | undefined = candidates.find((r) => !holders.has(r));
    const wanted = prefer?.[v] ?? -1;
    if (wanted >= 0 && isFree(wanted)) free = wanted;
    else {
      for (const h of hints(v)) {
        if (bankOf(h) === bank && isFree(reg[h]!)) {
          free = reg[h]!;
          break;
        }
      }
    }
    if (free !== undefined) {
      reg[v] = free;
      active.push(v);
      if (!float) used.add(free);
      continue;
    }
    // No register free for v's whole lifetime: the cheapest set of holders of one candidate, or v, goes to memory.
    let best = -1, bestCost = iv.weight[v]!;
    for (const r of candidates) {
      const cost = holders.get(r)!.reduce((c, x) => c + iv.weight[x]!, 0);
      if (cost < bestCost) {
        best = r;
        bestCost = cost;
      }
    }
    if (best < 0) {
      spill(v);
      continue;
    }
    const evicted = new Set(holders.get(best)!);
    for (const x of evicted) spill(x);
    active = active.filter((x) => !evicted.has(x));
    inactive = inactive.filter((x) => !evicted.has(x));
    reg[v] = best;
    active.push(v);
    if (!float) used.add(best);
  }
  const calleeSaved = GPR_CALLEE.filter((r) => used.has(r));
  return { reg, slot, slots, calleeSaved, intervals: iv };
}
