// Liveness and live intervals over the layout.
//
// Positions number the code in layout order: a block's phis at `from`,
// each instruction one position after the other, its terminator (and the
// moves into its successor's phis) at `to`. A value's interval is the hull
// [start, end] of every position where it is live: simple, and exact
// enough for code that wasm's structure keeps in textual order. A phi's
// interval also covers the end of each predecessor, where its moves write it.

import { successors, termUses, type Inst, type IrFunction } from "./ir.ts";

export interface Intervals {
  /** Position of each block's phis and of its terminator, by block id. */
  from: Int32Array;
  to: Int32Array;
  /** Position of each instruction, by value id (-1: not placed). */
  pos: Int32Array;
  /** The hull of each value's live range; start > end for a value that needs no location. */
  start: Int32Array;
  end: Int32Array;
  /** Sum of 10^loopDepth over each value's definition and uses: what spilling it costs. */
  weight: Float64Array;
}

/**
 * `needsLocation(i)`: whether value i lives in a register or slot (not a
 * constant rematerialized at each use, not a compare fused into its branch).
 */
export function liveIntervals(f: IrFunction, needsLocation: (i: Inst) => boolean): Intervals {
  const n = f.values.length;
  const words = (n + 31) >>> 5;
  const nb = f.blocks.length;
  const from = new Int32Array(nb).fill(-1);
  const to = new Int32Array(nb).fill(-1);
  const pos = new Int32Array(n).fill(-1);
  let p = 0;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    from[id] = p++;
    for (const i of b.phis) pos[i.id] = from[id]!;
    for (const i of b.insts) pos[i.id] = p++;
    to[id] = p++;
  }
  const tracked = new Uint8Array(n);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const i of b.phis) if (needsLocation(i)) tracked[i.id] = 1;
    for (const i of b.insts) if (i.type !== null && needsLocation(i)) tracked[i.id] = 1;
  }

  // gen: used before defined in the block (phi operands count in the predecessor); kill: defined in it.
  const gen = new Map<number, Uint32Array>();
  const kill = new Map<number, Uint32Array>();
  const set = (s: Uint32Array, v: number): void => {
    if (tracked[v]) s[v >>> 5]! |= 1 << (v & 31);
  };
  const has = (s: Uint32Array, v: number): boolean => (s[v >>> 5]! & (1 << (v & 31))) !== 0;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const g = new Uint32Array(words);
    const k = new Uint32Array(words);
    for (const i of b.phis) set(k, i.id);
    const use = (v: number): void => {
      if (!has(k, v)) set(g, v);
    };
    for (const i of b.insts) {
      for (const a of i.args) use(a);
      set(k, i.id);
    }
    for (const v of termUses(b.term)) use(v);
    for (const s of successors(b.term)) {
      const sb = f.blocks[s]!;
      const j = sb.preds.indexOf(id);
      for (const phi of sb.phis) use(phi.args[j]!);
    }
    gen.set(id, g);
    kill.set(id, k);
  }
  const liveIn = new Map<number, Uint32Array>();
  const liveOut = new Map<number, Uint32Array>();
  for (const id of f.layout) {
    liveIn.set(id, new Uint32Array(words));
    liveOut.set(id, new Uint32Array(words));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let x = f.layout.length - 1; x >= 0; x--) {
      const id = f.layout[x]!;
      const out = liveOut.get(id)!;
      for (const s of successors(f.blocks[id]!.term)) {
        const sin = liveIn.get(s)!;
        for (let w = 0; w < words; w++) out[w]! |= sin[w]!;
      }
      const inn = liveIn.get(id)!;
      const g = gen.get(id)!;
      const k = kill.get(id)!;
      for (let w = 0; w < words; w++) {
        const v = (g[w]! | (out[w]! & ~k[w]!)) >>> 0;
        if (v !== inn[w]) {
          inn[w] = v;
          changed = true;
        }
      }
    }
  }

  const start = new Int32Array(n).fill(0x7fffffff);
  const end = new Int32Array(n).fill(-1);
  const weight = new Float64Array(n);
  const extend = (v: number, at: number): void => {
    if (!tracked[v]) return;
    if (at < start[v]!) start[v] = at;
    if (at > end[v]!) end[v] = at;
  };
  const each = (s: Uint32Array, fn: (v: number) => void): void => {
    for (let w = 0; w < words; w++) {
      let bits = s[w]!;
      while (bits !== 0) {
        const t = bits & -bits;
        fn((w << 5) + 31 - Math.clz32(t));
        bits ^= t;
      }
    }
  };
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const cost = Math.pow(10, Math.min(b.loopDepth, 5));
    each(liveIn.get(id)!, (v) => extend(v, from[id]!));
    each(liveOut.get(id)!, (v) => extend(v, to[id]!));
    for (const phi of b.phis) {
      extend(phi.id, from[id]!);
      weight[phi.id]! += cost;
      b.preds.forEach((pred, j) => {
        extend(phi.id, to[pred]!);
        extend(phi.args[j]!, to[pred]!);
        weight[phi.args[j]!]! += cost;
      });
    }
    for (const i of b.insts) {
      if (i.type !== null) extend(i.id, pos[i.id]!);
      weight[i.id]! += cost;
      for (const a of i.args) {
        extend(a, pos[i.id]!);
        weight[a]! += cost;
      }
    }
    for (const v of termUses(b.term)) {
      extend(v, to[id]!);
      weight[v]! += cost;
    }
  }
  return { from, to, pos, start, end, weight };
}
