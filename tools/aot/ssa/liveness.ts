// Liveness and live intervals over the layout.
//
// Positions number the code in layout order: a block's phis at `from`,
// each instruction one position after the other, its terminator (and the
// moves into its successor's phis) at `to`. A value's lifetime is the list
// of ranges where it is live, with holes between them (Wimmer & Franz,
// "Linear Scan Register Allocation on SSA Form", CGO 2010): a value live
// around a call but not across it keeps a caller-saved register. A phi's
// lifetime also covers the end of each predecessor, where its moves write it.

import { successors, termUses, type Inst, type IrFunction } from "./ir.ts";

export interface Intervals {
  /** Position of each block's phis and of its terminator, by block id. */
  from: Int32Array;
  to: Int32Array;
  /** Position of each instruction, by value id (-1: not placed). */
  pos: Int32Array;
  /** Where each value is live: sorted, disjoint half-open ranges [s0, e0, s1, e1, ...]; undefined for a value that needs no location. */
  ranges: Int32Array[];
  /** The first range's start and the last range's end (start > end: no location). */
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

  const weight = new Float64Array(n);
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
  // Ranges, half-open [s, e): a value defined at p and last used at q holds
  // [p, q), so an instruction's result may take the register of an operand
  // it reads last; a value live out of a block holds through `to + 1`.
  const parts: number[][] = Array.from({ length: n }, () => []);
  const add = (v: number, s0: number, e0: number): void => {
    if (tracked[v]) parts[v]!.push(s0, e0);
  };
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const cost = Math.pow(10, Math.min(b.loopDepth, 5));
    const lo = from[id]!, hi = to[id]!;
    // Last use and definition of each value in this block.
    const lastUse = new Map<number, number>();
    const defAt = new Map<number, number>();
    const use = (v: number, at: number): void => {
      lastUse.set(v, at);
      weight[v]! += cost;
    };
    for (const phi of b.phis) {
      defAt.set(phi.id, lo);
      weight[phi.id]! += cost;
    }
    for (const i of b.insts) {
      for (const a of i.args) use(a, pos[i.id]!);
      defAt.set(i.id, pos[i.id]!);
      weight[i.id]! += cost;
    }
    for (const v of termUses(b.term)) use(v, hi);
    for (const sid of successors(b.term)) {
      const sb = f.blocks[sid]!;
      const j = sb.preds.indexOf(id);
      for (const phi of sb.phis) {
        use(phi.args[j]!, hi);
        // The moves into the successor's phis write them here.
        add(phi.id, hi, hi + 1);
      }
    }
    const out = liveOut.get(id)!;
    const isOut = (v: number): boolean => (out[v >>> 5]! & (1 << (v & 31))) !== 0;
    each(out, (v) => add(v, defAt.get(v) ?? lo, hi + 1));
    each(liveIn.get(id)!, (v) => {
      if (!isOut(v)) add(v, lo, lastUse.get(v) ?? lo);
    });
    for (const [v, d] of defAt) {
      if (isOut(v)) continue;
      const u = lastUse.get(v);
      add(v, d, u !== undefined && u > d ? u : d + 1);
    }
  }
  const ranges: Int32Array[] = new Array<Int32Array>(n);
  const start = new Int32Array(n).fill(0x7fffffff);
  const end = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    const ps = parts[v]!;
    if (ps.length === 0) continue;
    const pairs: [number, number][] = [];
    for (let k = 0; k < ps.length; k += 2) pairs.push([ps[k]!, ps[k + 1]!]);
    pairs.sort((x, y) => x[0] - y[0]);
    const merged: number[] = [];
    for (const [s0, e0] of pairs) {
      const last = merged.length - 1;
      if (last > 0 && s0 <= merged[last]!) merged[last] = Math.max(merged[last]!, e0);
      else merged.push(s0, e0);
    }
    ranges[v] = Int32Array.from(merged);
    start[v] = merged[0]!;
    end[v] = merged[merged.length - 1]!;
  }
  return { from, to, pos, start, end, weight, ranges };
}
