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
// One backward walk per block finds, at once, its gen and kill sets, the
// spill weights, and each value's piece of lifetime in the block as if the
// value were not live out (definition or block start to last use there).
// Live sets are bit sets over the values that need a location (numbered
// densely), one row of `words` per block in flat arrays, solved by the usual
// backward dataflow (its least fixpoint does not depend on the visiting
// order; loops laid out apart, such as split edges among the cold blocks,
// need no special case). Then, block by block in layout order, a piece of a
// value live out runs through the block's end and a value live through the
// block untouched covers all of it, so each value's pieces come in order of
// their start and merge as they come.

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
/** Each block's pieces of lifetime before liveness is known, and the lifetimes' pieces in layout order: triples, reused from call to call. */
let facts = new Int32Array(3 * 1024);
let pieces = new Int32Array(3 * 1024);

function growFacts(): void {
  const grown = new Int32Array(2 * facts.length);
  grown.set(facts);
  facts = grown;
}

function growPieces(): void {
  const grown = new Int32Array(2 * pieces.length);
  grown.set(pieces);
  pieces = grown;
}

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
  const weight = float64s(n);
  resetTemps();
  // Tracked values get dense numbers, their bits in the sets, in layout order: `bit` by value (-1: untracked), `valueOf` by bit.
  const bit = tempInt32s(n, -1);
  const valueOf = tempInt32s(n, 0);
  const xOf = tempInt32s(nb, 0);
  let p = 0;
  let m = 0;
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const b = blocks[id]!;
    xOf[id] = x;
    const lo = p++;
    from[id] = lo;
    for (const i of b.phis) {
      pos[i.id] = lo;
      if (needsLocation(i)) {
        valueOf[m] = i.id;
        bit[i.id] = m++;
      }
    }
    for (const i of b.insts) {
      pos[i.id] = p++;
      if (i.type !== null && needsLocation(i)) {
        valueOf[m] = i.id;
        bit[i.id] = m++;
      }
    }
    to[id] = p++;
  }
  // Per layout index x: the successors (by layout index) and which operand of their phis the edge carries.
  const succStart = tempInt32s(nl + 1, 0);
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

  const words = (m + 31) >>> 5;
  // Rows by layout index: gen (used before defined in the block; phi operands count in the predecessor), kill (defined in it), in, out.
  const row = nl * words;
  if (scratch.length < 4 * row) scratch = new Uint32Array(Math.max(4 * row, 2 * scratch.length));
  const sets = scratch;
  sets.fill(0, 0, 4 * row);
  const GEN = 0, KILL = row, IN = 2 * row, OUT = 3 * row;

  // One backward walk per block finds its gen and kill sets, the spill
  // weights, and each tracked value's piece in the block as if it were not
  // live out: from its definition (or the block's start) to its last use
  // there (or one past a definition nobody reads). Those pieces are
  // `facts[factStart[x]]` to `facts[factStart[x + 1]]`, as (bit, start, end);
  // once the live-out sets are known, a piece of a value live out runs
  // through the end instead.
  const factStart = tempInt32s(nl + 1, 0);
  /** seen[d] === x + 1: bit d has its piece in block x, at factOf[d]. */
  const seen = tempInt32s(m, 0);
  const factOf = tempInt32s(m, 0);
  let nf = 0;
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const b = blocks[id]!;
    const cost = COST[Math.min(b.loopDepth, 5)]!;
    const lo = from[id]!, hi = to[id]!;
    const g = GEN + x * words, k = KILL + x * words;
    const stamp = x + 1;
    factStart[x] = nf;
    /** A use of v at `at`, the block's last unless one after it was seen. */
    const use = (v: number, at: number): void => {
      weight[v]! += cost;
      const d = bit[v]!;
      if (d < 0 || seen[d] === stamp) return;
      seen[d] = stamp;
      sets[g + (d >>> 5)]! |= 1 << (d & 31);
      if (nf + 3 > facts.length) growFacts();
      factOf[d] = nf;
      facts[nf++] = d;
      facts[nf++] = lo;
      facts[nf++] = at;
    };
    /** The definition of v at `at`: every use in the block came before it in this walk. */
    const define = (v: number, at: number): void => {
      weight[v]! += cost;
      const d = bit[v]!;
      if (d < 0) return;
      sets[k + (d >>> 5)]! |= 1 << (d & 31);
      if (seen[d] === stamp) {
        sets[g + (d >>> 5)]! &= ~(1 << (d & 31));
        facts[factOf[d]! + 1] = at;
        return;
      }
      if (nf + 3 > facts.length) growFacts();
      facts[nf++] = d;
      facts[nf++] = at;
      facts[nf++] = at + 1;
    };
    // At the terminator: the moves into the successors' phis and the terminator's operands.
    for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
      const arg = succArg[j]!;
      for (const phi of blocks[layout[succ[j]!]!]!.phis) use(phi.args[arg]!, hi);
    }
    const t = b.term;
    if (t.kind === "branch") use(t.cond, hi);
    else if (t.kind === "switch") use(t.index, hi);
    else if (t.kind === "return") for (const v of t.values) use(v, hi);
    const insts = b.insts;
    for (let q = insts.length - 1; q >= 0; q--) {
      const i = insts[q]!;
      const at = lo + 1 + q;
      define(i.id, at);
      const args = i.args;
      for (let a = 0; a < args.length; a++) use(args[a]!, at);
    }
    for (const phi of b.phis) define(phi.id, lo);
  }
  factStart[nl] = nf;

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
  // Pieces go to `pieces` as (bit, start, end) in layout order; a piece that
  // meets the value's previous one extends it.
  const lastPiece = tempInt32s(m, -1);
  const count = tempInt32s(m, 0);
  let np = 0;
  const add = (d: number, s0: number, e0: number): void => {
    const q = lastPiece[d]!;
    if (q >= 0 && s0 <= pieces[q + 2]!) {
      if (e0 > pieces[q + 2]!) pieces[q + 2] = e0;
      return;
    }
    if (np + 3 > pieces.length) growPieces();
    pieces[np] = d;
    pieces[np + 1] = s0;
    pieces[np + 2] = e0;
    lastPiece[d] = np;
    count[d]!++;
    np += 3;
  };
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const lo = from[id]!, hi = to[id]!;
    const out = OUT + x * words, g = GEN + x * words, k = KILL + x * words;
    // The block's own pieces; those of values live out run through the end.
    for (let q = factStart[x]!; q < factStart[x + 1]!; q += 3) {
      const d = facts[q]!;
      add(d, facts[q + 1]!, (sets[out + (d >>> 5)]! & (1 << (d & 31))) !== 0 ? hi + 1 : facts[q + 2]!);
    }
    // Live through the block untouched: all of it.
    for (let w = 0; w < words; w++) {
      let bits = sets[out + w]! & ~(sets[g + w]! | sets[k + w]!);
      while (bits !== 0) {
        const tb = bits & -bits;
        bits ^= tb;
        add((w << 5) + 31 - Math.clz32(tb), lo, hi + 1);
      }
    }
    // The moves into the successors' phis write them here.
    for (let j = succStart[x]!; j < succStart[x + 1]!; j++) {
      for (const phi of blocks[layout[succ[j]!]!]!.phis) {
        const d = bit[phi.id]!;
        if (d >= 0) add(d, hi, hi + 1);
      }
    }
  }
  // Each value's pieces, in order, into one array.
  const rangeAt = int32s(n + 1);
  const fill = tempInt32s(m, 0);
  for (let v = 0; v < n; v++) {
    const d = bit[v]!;
    let a = rangeAt[v]!;
    if (d >= 0) {
      fill[d] = a;
      a += 2 * count[d]!;
    }
    rangeAt[v + 1] = a;
  }
  const flat = int32s(rangeAt[n]!);
  for (let q = 0; q < np; q += 3) {
    const d = pieces[q]!;
    const o = fill[d]!;
    flat[o] = pieces[q + 1]!;
    flat[o + 1] = pieces[q + 2]!;
    fill[d] = o + 2;
  }
  // A value's first range starts its lifetime, its last ends it.
  const start = int32s(n).fill(0x7fffffff);
  const end = int32s(n).fill(-1);
  for (let d = 0; d < m; d++) {
    const v = valueOf[d]!;
    start[v] = flat[rangeAt[v]!]!;
    end[v] = flat[rangeAt[v + 1]! - 1]!;
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
