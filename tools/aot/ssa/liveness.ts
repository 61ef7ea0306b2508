// Liveness and live intervals over the layout.
//
// Positions number the code in layout order: a block's phis at `from`,
// each instruction one position after the other, its terminator (and the
// moves into its successor's phis) at `to`. A value's lifetime is the list
// of ranges where it is live, with holes between them (Wimmer & Franz,
// "Linear Scan Register Allocation on SSA Form", CGO 2010): a value live
// around a call but not across it keeps a caller-saved register. A phi's
// lifetime also covers the end of each predecessor, where its moves write it.
//
// Live sets are bit sets over the values that need a location (numbered
// densely), one row of `words` per block in flat arrays, solved
// by the usual backward dataflow (its least fixpoint does not depend on the
// visiting order). The ranges are produced block by block in layout order,
// so each value's pieces come in order of their start and merge as they come.

import { float64s, int32s, resetTemps, tempInt32s } from "./arena.ts";
import type { Inst, IrFunction, Terminator } from "./ir.ts";

export interface Intervals {
  /** Position of each block's phis and of its terminator, by block id. */
  from: Int32Array;
  to: Int32Array;
  /** Position of each instruction, by value id (-1: not placed). */
  pos: Int32Array;
  /** Where each value is live: sorted, disjoint half-open ranges [s0, e0, s1, e1, ...]; undefined for a value that needs no location. Made on first use from `flat`. */
  readonly ranges: Int32Array[];
  /** Every value's ranges, one after the other: value v's are flat[rangeAt[v]] to flat[rangeAt[v + 1]] (none for a value that needs no location). */
  flat: Int32Array;
  rangeAt: Int32Array;
  /** The first range's start and the last range's end (start > end: no location). */
  start: Int32Array;
  end: Int32Array;
  /** Sum of 10^loopDepth over each value's definition and uses: what spilling it costs. */
  weight: Float64Array;
}

const COST = [1, 10, 100, 1000, 10000, 100000];

/** Scratch storage reused from one call to the next (compiles run one at a time). */
let scratch = new Uint32Array(1024);
let pieces = new Int32Array(3 * 1024);

/** Per edge, by layout index of its block (liveIntervals' succStart): the successor and which operand of its phis the edge carries; reused from call to call. */
let successorList = new Int32Array(256);
let successorArg = new Int32Array(256);

function growSuccessors(): void {
  const list = new Int32Array(2 * successorList.length), arg = new Int32Array(2 * successorList.length);
  list.set(successorList);
  arg.set(successorArg);
  successorList = list;
  successorArg = arg;
}

/** Appends the distinct successors of `t` (in `successors`' order) to `out` from `k` (room made beforehand); returns the new length. */
function pushSuccessors(t: Terminator, out: Int32Array, k: number): number {
  switch (t.kind) {
    case "jump":
      out[k++] = t.target;
      return k;
    case "branch":
      out[k++] = t.then;
      if (t.else !== t.then) out[k++] = t.else;
      return k;
    case "switch": {
      const first = k;
      const add = (s: number): void => {
        for (let j = first; j < k; j++) if (out[j] === s) return;
        out[k++] = s;
      };
      for (const s of t.targets) add(s);
      add(t.default);
      return k;
    }
    default:
      return k;
  }
}

/**
 * `needsLocation(i)`: whether value i lives in a register or slot (not a
 * constant rematerialized at each use, not a compare fused into its branch).
 */
export function liveIntervals(f: IrFunction, needsLocation: (i: Inst) => boolean): Intervals {
  const n = f.values.length;
  const layout = f.layout;
  const nl = layout.length;
  const blocks = f.blocks;
  const nb = blocks.length;
  const from = int32s(nb).fill(-1);
  const to = int32s(nb).fill(-1);
  const pos = int32s(n).fill(-1);
  resetTemps();
  const tracked = tempInt32s(n, 0);
  // Per layout index x: the successors (by layout index) and which operand of their phis this edge carries.
  const succStart = tempInt32s(nl + 1, 0);
  const xOf = tempInt32s(nb, 0);
  let p = 0;
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const b = blocks[id]!;
    xOf[id] = x;
    const lo = p++;
    from[id] = lo;
    for (const i of b.phis) {
      pos[i.id] = lo;
      if (needsLocation(i)) tracked[i.id] = 1;
    }
    for (const i of b.insts) {
      pos[i.id] = p++;
      if (i.type !== null && needsLocation(i)) tracked[i.id] = 1;
    }
    to[id] = p++;
  }
  let ns = 0;
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    succStart[x] = ns;
    const t = blocks[id]!.term;
    if (ns + (t.kind === "switch" ? t.targets.length + 1 : 2) > successorList.length) growSuccessors();
    const k = pushSuccessors(t, successorList, ns);
    for (let j = ns; j < k; j++) successorArg[j] = blocks[successorList[j]!]!.preds.indexOf(id);
    ns = k;
  }
  succStart[nl] = ns;
  // (Read after the loop: it may have grown them.)
  const succ = successorList;
  const succArg = successorArg;
  for (let j = 0; j < ns; j++) succ[j] = xOf[succ[j]!]!;

  // Tracked values get dense numbers, their bits in the sets, in order of id: `bit` by value (-1: untracked), `valueOf` by bit.
  const bit = tracked;
  let m = 0;
  const valueOf = tempInt32s(n, 0);
  for (let v = 0; v < n; v++) {
    if (bit[v] === 0) bit[v] = -1;
    else {
      valueOf[m] = v;
      bit[v] = m++;
    }
  }
  const words = (m + 31) >>> 5;

  // Rows by layout index: gen (used before defined in the block; phi operands count in the predecessor), kill (defined in it), in, out.
  const row = nl * words;
  if (scratch.length < 4 * row) scratch = new Uint32Array(Math.max(4 * row, 2 * scratch.length));
  const sets = scratch;
  sets.fill(0, 0, 4 * row);
  const GEN = 0, KILL = row, IN = 2 * row, OUT = 3 * row;
  /** Value v defined in the block whose kill row starts at k. */
  const define = (k: number, v: number): void => {
    const d = bit[v]!;
    if (d >= 0) sets[k + (d >>> 5)]! |= 1 << (d & 31);
  };
  /** Value v used in the block whose gen and kill rows start at g and k: used before defined unless killed. */
  const use = (g: number, k: number, v: number): void => {
    const d = bit[v]!;
    if (d >= 0 && (sets[k + (d >>> 5)]! & (1 << (d & 31))) === 0) sets[g + (d >>> 5)]! |= 1 << (d & 31);
  };
  for (let x = 0; x < nl; x++) {
    const b = blocks[layout[x]!]!;
    const g = GEN + x * words, k = KILL + x * words;
    for (const i of b.phis) define(k, i.id);
    for (const i of b.insts) {
      const args = i.args;
      for (let a = 0; a < args.length; a++) use(g, k, args[a]!);
      define(k, i.id);
    }
    const t = b.term;
    let tv = -1;
    if (t.kind === "branch") tv = t.cond;
    else if (t.kind === "switch") tv = t.index;
    if (tv >= 0) {
      use(g, k, tv);
    } else if (t.kind === "return") {
      for (const v of t.values) use(g, k, v);
    }
    for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
      const arg = succArg[j]!;
      for (const phi of blocks[layout[succ[j]!]!]!.phis) {
        use(g, k, phi.args[arg]!);
      }
    }
  }
  // Blocks to (re)compute: all at first, then those whose successors' live-in grew. Visiting in
  // reverse layout order reaches most predecessors later in the same round; a predecessor at or
  // after its successor (a loop's back edge) waits for another round.
  const dirty = tempInt32s(nl, 1);
  let again = true;
  while (again) {
    again = false;
    for (let x = nl - 1; x >= 0; x--) {
      if (dirty[x] === 0) continue;
      dirty[x] = 0;
      const out = OUT + x * words;
      for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
        const sin = IN + succ[j]! * words;
        for (let w = 0; w < words; w++) sets[out + w]! |= sets[sin + w]!;
      }
      const inn = IN + x * words, g = GEN + x * words, k = KILL + x * words;
      let changed = false;
      for (let w = 0; w < words; w++) {
        const v = (sets[g + w]! | (sets[out + w]! & ~sets[k + w]!)) >>> 0;
        if (v !== sets[inn + w]) {
          sets[inn + w] = v;
          changed = true;
        }
      }
      if (!changed) continue;
      for (const pred of blocks[layout[x]!]!.preds) {
        const px = xOf[pred]!;
        dirty[px] = 1;
        if (px >= x) again = true;
      }
    }
  }

  // Ranges, half-open [s, e): a value defined at p and last used at q holds
  // [p, q), so an instruction's result may take the register of an operand
  // it reads last; a value live out of a block holds through `to + 1`.
  // Pieces go to `pieces` as (value, start, end); a piece that meets the
  // value's previous one extends it.
  const weight = float64s(n);
  const lastUse = tempInt32s(n, 0);
  const useBlock = tempInt32s(n, -1);
  const defBlock = tempInt32s(n, -1);
  const lastPiece = tempInt32s(n, -1);
  const count = tempInt32s(n, 0);
  let np = 0;
  const add = (v: number, s0: number, e0: number): void => {
    const q = lastPiece[v]!;
    if (q >= 0 && s0 <= pieces[q + 2]!) {
      if (e0 > pieces[q + 2]!) pieces[q + 2] = e0;
      return;
    }
    if (np + 3 > pieces.length) {
      const grown = new Int32Array(2 * pieces.length);
      grown.set(pieces);
      pieces = grown;
    }
    pieces[np] = v;
    pieces[np + 1] = s0;
    pieces[np + 2] = e0;
    lastPiece[v] = np;
    count[v]!++;
    np += 3;
  };
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const b = blocks[id]!;
    const cost = COST[Math.min(b.loopDepth, 5)]!;
    const lo = from[id]!, hi = to[id]!;
    // Last use of each value in this block (useBlock marks which values have one).
    for (const phi of b.phis) {
      weight[phi.id]! += cost;
      defBlock[phi.id] = id;
    }
    for (const i of b.insts) {
      const at = pos[i.id]!;
      defBlock[i.id] = id;
      const args = i.args;
      for (let a = 0; a < args.length; a++) {
        const v = args[a]!;
        lastUse[v] = at;
        useBlock[v] = id;
        weight[v]! += cost;
      }
      weight[i.id]! += cost;
    }
    const t = b.term;
    if (t.kind === "branch" || t.kind === "switch") {
      const v = t.kind === "branch" ? t.cond : t.index;
      lastUse[v] = hi;
      useBlock[v] = id;
      weight[v]! += cost;
    } else if (t.kind === "return") {
      for (const v of t.values) {
        lastUse[v] = hi;
        useBlock[v] = id;
        weight[v]! += cost;
      }
    }
    for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
      const arg = succArg[j]!;
      for (const phi of blocks[layout[succ[j]!]!]!.phis) {
        const v = phi.args[arg]!;
        lastUse[v] = hi;
        useBlock[v] = id;
        weight[v]! += cost;
      }
    }
    const out = OUT + x * words, inn = IN + x * words;
    // Live out: from the definition here (or the block's start) through the end.
    for (let w = 0; w < words; w++) {
      let bits = sets[out + w]!;
      while (bits !== 0) {
        const tb = bits & -bits;
        const v = valueOf[(w << 5) + 31 - Math.clz32(tb)]!;
        bits ^= tb;
        add(v, defBlock[v] === id ? pos[v]! : lo, hi + 1);
      }
    }
    // Live in but not out: from the start to the last use.
    for (let w = 0; w < words; w++) {
      let bits = sets[inn + w]! & ~sets[out + w]!;
      while (bits !== 0) {
        const tb = bits & -bits;
        const v = valueOf[(w << 5) + 31 - Math.clz32(tb)]!;
        bits ^= tb;
        add(v, lo, useBlock[v] === id ? lastUse[v]! : lo);
      }
    }
    // Defined here and not live out: from the definition to the last use.
    for (const phi of b.phis) {
      const v = phi.id;
      const d = bit[v]!;
      if (d < 0 || (sets[out + (d >>> 5)]! & (1 << (d & 31))) !== 0) continue;
      const u = useBlock[v] === id ? lastUse[v]! : -1;
      add(v, lo, u > lo ? u : lo + 1);
    }
    for (const i of b.insts) {
      const v = i.id;
      const d = bit[v]!;
      if (d < 0 || (sets[out + (d >>> 5)]! & (1 << (d & 31))) !== 0) continue;
      const at = pos[v]!;
      const u = useBlock[v] === id ? lastUse[v]! : -1;
      add(v, at, u > at ? u : at + 1);
    }
    // The moves into the successors' phis write them here.
    for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
      for (const phi of blocks[layout[succ[j]!]!]!.phis) if (bit[phi.id]! >= 0) add(phi.id, hi, hi + 1);
    }
  }
  // Each value's pieces, in order, into one array.
  const rangeAt = int32s(n + 1);
  for (let v = 0; v < n; v++) rangeAt[v + 1] = rangeAt[v]! + 2 * count[v]!;
  const flat = int32s(rangeAt[n]!);
  const fill = tempInt32s(n, 0);
  fill.set(rangeAt.subarray(0, n));
  const start = int32s(n).fill(0x7fffffff);
  const end = int32s(n).fill(-1);
  for (let q = 0; q < np; q += 3) {
    // A value's pieces come in order: its first starts its lifetime, its last ends it.
    const v = pieces[q]!;
    const o = fill[v]!;
    const s0 = pieces[q + 1]!, e0 = pieces[q + 2]!;
    if (o === rangeAt[v]) start[v] = s0;
    end[v] = e0;
    flat[o] = s0;
    flat[o + 1] = e0;
    fill[v] = o + 2;
  }
  return new LiveIntervals(from, to, pos, start, end, weight, flat, rangeAt);
}

class LiveIntervals implements Intervals {
  private views: Int32Array[] | undefined = undefined;

  constructor(
    readonly from: Int32Array,
    readonly to: Int32Array,
    readonly pos: Int32Array,
    readonly start: Int32Array,
    readonly end: Int32Array,
    readonly weight: Float64Array,
    readonly flat: Int32Array,
    readonly rangeAt: Int32Array,
  ) {}

  get ranges(): Int32Array[] {
    if (this.views === undefined) {
      const n = this.start.length;
      const at = this.rangeAt;
      this.views = new Array<Int32Array>(n);
      for (let v = 0; v < n; v++) if (at[v] !== at[v + 1]) this.views[v] = this.flat.subarray(at[v]!, at[v + 1]!);
    }
    return this.views;
  }
}
