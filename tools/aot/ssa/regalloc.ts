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
/** The bank's registers in order of preference. */
const XMM_ALL = Int32Array.from(XMM);
const GPR_ALL = Int32Array.from(ALL_GPR);
const GPR_MASK = ALL_GPR.reduce((m, r) => m | (1 << r), 0);
const XMM_MASK = XMM.reduce((m, r) => m | (1 << r), 0);

/** Where instructions clobber registers: positions (increasing) and masks; reused from call to call (compiles run one at a time). */
let clobberAt: Int32Array = new Int32Array(256);
let clobberMask: Int32Array = new Int32Array(256);

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
  const values = f.values;
  const blocks = f.blocks;
  const layout = f.layout;
  const ipos = iv.pos;
  let nClobbers = 0;
  for (let x = 0; x < layout.length; x++) {
    const insts = blocks[layout[x]!]!.insts;
    for (let k = 0; k < insts.length; k++) {
      const i = insts[k]!;
      const m = clobbers(i);
      if (m === 0) continue;
      if (nClobbers === clobberAt.length) {
        clobberAt = grow(clobberAt);
        clobberMask = grow(clobberMask);
      }
      clobberAt[nClobbers] = ipos[i.id]!;
      clobberMask[nClobbers++] = m;
    }
  }
  const at = clobberAt, masks = clobberMask;
  // Positions increase along the layout, so `at` is sorted.
  // Value v's ranges are F[A[v]] to F[A[v + 1]] (none: v needs no location).
  const F = iv.flat;
  const A = iv.rangeAt;
  const start = iv.start;
  const end = iv.end;
  const weight = iv.weight;

  resetTemps(); // the temporaries of the passes before are dead
  // Hints, so that a move is not needed: a phi and its operands want one
  // register (the phi's moves then vanish), and a result wants its first
  // operand's register (x86's two-operand forms then need no copy).
  // The phis reading each value, in layout order: value a's are phiUses[phiUseAt[a]] to phiUses[phiUseAt[a + 1]].
  const phiUseAt = tempInt32s(n + 1, 0);
  let nPhiUses = 0;
  for (let x = 0; x < layout.length; x++) {
    for (const phi of blocks[layout[x]!]!.phis) {
      for (const a of phi.args) phiUseAt[a + 1]!++;
      nPhiUses += phi.args.length;
    }
  }
  for (let v = 0; v < n; v++) phiUseAt[v + 1]! += phiUseAt[v]!;
  const phiUses = tempInt32s(nPhiUses, 0);
  if (nPhiUses > 0) {
    const fill = tempInt32s(n, 0);
    fill.set(phiUseAt.subarray(0, n));
    for (let x = 0; x < layout.length; x++) {
      for (const phi of blocks[layout[x]!]!.phis) for (const a of phi.args) phiUses[fill[a]!++] = phi.id;
    }
  }

  let count = 0, maxStart = 0;
  for (let v = 0; v < n; v++) {
    if (A[v] === A[v + 1]) continue;
    count++;
    if (start[v]! > maxStart) maxStart = start[v]!;
  }
  const bucket = tempInt32s(maxStart + 2, 0);
  for (let v = 0; v < n; v++) if (A[v] !== A[v + 1]) bucket[start[v]! + 1]!++;
  for (let k = 1; k < bucket.length; k++) bucket[k]! += bucket[k - 1]!;
  const order = tempInt32s(count, 0);
  for (let v = 0; v < n; v++) if (A[v] !== A[v + 1]) order[bucket[start[v]!]!++] = v;

  const reg = int16s(n).fill(-1);
  const slot = int32s(n).fill(-1);
  let slots = 0;
  // Wimmer & Franz's lists, as the first nActive of `active` (values covering the current position)
  // and nInactive of `inactive` (values in a hole); each pass builds the next lists in the other two
  // buffers, and they swap.
  let active = tempInt32s(count + 1, 0);
  let inactive = tempInt32s(count + 1, 0);
  let nextActive = tempInt32s(count + 1, 0);
  let nextInactive = tempInt32s(count + 1, 0);
  let nActive = 0, nInactive = 0;
  let used = 0;
  /** By value: 1 for a float (its bank), else 0. */
  const floats = tempInt32s(n, 0);
  for (let v = 0; v < n; v++) if (A[v] !== A[v + 1] && isFloatType(values[v]!)) floats[v] = 1;
  /**
   * By value: the first of its ranges that may still cover a position. The
   * values are visited in order of their start, so the positions asked about
   * only grow, and a range that ends before one is never looked at again.
   */
  const cursor = tempInt32s(n, 0);
  cursor.set(A.subarray(0, n));
  /** evicted[x] === o + 1: x was evicted for the o-th value. */
  const evicted = tempInt32s(n, 0);

  for (let o = 0; o < count; o++) {
    const v = order[o]!;
    const pos = start[v]!;
    const stillActive = nextActive;
    const nowInactive = nextInactive;
    let na = 0, ni = 0;
    for (let pass = 0; pass < 2; pass++) {
      const list = pass === 0 ? active : inactive;
      const len = pass === 0 ? nActive : nInactive;
      for (let k = 0; k < len; k++) {
        const a = list[k]!;
        if (end[a]! <= pos) continue;
        // Whether a covers pos: its first range not ended by pos starts at or before it.
        let c = cursor[a]!;
        while (F[c + 1]! <= pos) c += 2;
        cursor[a] = c;
        if (F[c]! <= pos) stillActive[na++] = a;
        else nowInactive[ni++] = a;
      }
    }
    nextActive = active;
    nextInactive = inactive;
    active = stillActive;
    inactive = nowInactive;
    nActive = na;
    nInactive = ni;

    const bank = floats[v]!;
    const float = bank === 1;
    const lost = clobbered(v, F, A, at, masks, nClobbers) | (float ? 0 : reserved);
    // The registers v may take: the bank's, less those clobbered inside v's lifetime, in `candidates` order.
    const candidates = float ? XMM_ALL : GPR_ALL;
    const allowed = float ? (lost & XMM_BIT ? 0 : XMM_MASK) : GPR_MASK & ~lost;
    // The registers of v's bank held somewhere in v's lifetime: by an active value, or an inactive one whose ranges meet v's.
    let busy = 0;
    for (let k = 0; k < nActive; k++) {
      const x = active[k]!;
      if (floats[x] === bank) busy |= 1 << reg[x]!;
    }
    for (let k = 0; k < nInactive; k++) {
      const x = inactive[k]!;
      const bit = 1 << reg[x]!;
      if (floats[x] === bank && (busy & bit) === 0 && intersects(cursor[x]!, A[x + 1]!, A[v]!, A[v + 1]!, F)) busy |= bit;
    }
    const open = allowed & ~busy;
    let free = -1;
    for (let k = 0; k < candidates.length && open !== 0; k++) {
      if ((open & (1 << candidates[k]!)) !== 0) {
        free = candidates[k]!;
        break;
      }
    }
    const wanted = prefer === undefined ? -1 : prefer[v]!;
    if (wanted >= 0 && (open & (1 << wanted)) !== 0) free = wanted;
    else if (free >= 0) {
      // The first hint value (a phi's operands or an instruction's first operand, then the phis v feeds) whose register is free.
      const i = values[v]!;
      const args = i.args;
      const nh = i.op === IrOp.Phi ? args.length : Math.min(args.length, 1);
      let h = -1;
      for (let k = 0; k < nh && h < 0; k++) {
        const x = args[k]!;
        const r = reg[x]!;
        if (floats[x] === bank && r >= 0 && (open & (1 << r)) !== 0) h = r;
      }
      for (let k = phiUseAt[v]!; k < phiUseAt[v + 1]! && h < 0; k++) {
        const x = phiUses[k]!;
        const r = reg[x]!;
        if (floats[x] === bank && r >= 0 && (open & (1 << r)) !== 0) h = r;
      }
      if (h >= 0) free = h;
    }
    if (free >= 0) {
      reg[v] = free;
      active[nActive++] = v;
      if (!float) used |= 1 << free;
      continue;
    }
    // No register free for v's whole lifetime: the cheapest set of holders of one candidate, or v, goes to
    // memory. The holders of each register, in the order of the lists (the order they are spilled in).
    holderCount.fill(0);
    for (let k = 0; k < nActive; k++) {
      const x = active[k]!;
      if (floats[x] !== bank) continue;
      const r = reg[x]!;
      holderList[r]![holderCount[r]!++] = x;
    }
    for (let k = 0; k < nInactive; k++) {
      const x = inactive[k]!;
      if (floats[x] !== bank || !intersects(cursor[x]!, A[x + 1]!, A[v]!, A[v + 1]!, F)) continue;
      const r = reg[x]!;
      holderList[r]![holderCount[r]!++] = x;
    }
    let best = -1, bestCost = weight[v]!;
    for (let c = 0; c < candidates.length; c++) {
      const r = candidates[c]!;
      if ((allowed & (1 << r)) === 0) continue;
      const list = holderList[r]!;
      let cost = 0;
      for (let k = 0; k < holderCount[r]!; k++) cost += weight[list[k]!]!;
      if (cost < bestCost) {
        best = r;
        bestCost = cost;
      }
    }
    if (best < 0) {
      reg[v] = -1;
      slot[v] = slots++;
      continue;
    }
    // The holders are distinct values: spilled in the order they were found.
    const mark = o + 1;
    for (let k = 0; k < holderCount[best]!; k++) {
      const x = holderList[best]![k]!;
      evicted[x] = mark;
      reg[x] = -1;
      slot[x] = slots++;
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

/** The registers clobbered strictly inside one of v's ranges (operands are read, results written, at the ends). */
function clobbered(v: number, F: Int32Array, A: Int32Array, at: Int32Array, masks: Int32Array, count: number): number {
  let m = 0;
  for (let k = A[v]!; k < A[v + 1]!; k += 2) {
    const s = F[k]!, e = F[k + 1]!;
    let lo = 0, hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! <= s) lo = mid + 1;
      else hi = mid;
    }
    for (let j = lo; j < count && at[j]! < e; j++) m |= masks[j]!;
  }
  return m;
}

/** Whether the ranges F[i..ie) and F[j..je) overlap. */
function intersects(i: number, ie: number, j: number, je: number, F: Int32Array): boolean {
  while (i < ie && j < je) {
    if (F[i + 1]! <= F[j]!) i += 2;
    else if (F[j + 1]! <= F[i]!) j += 2;
    else return true;
  }
  return false;
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(2 * a.length);
  b.set(a);
  return b;
}
