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
// One walk over the code in layout order numbers the positions and the
// values that need a location (densely, for bit sets), adds up the spill
// weights, and notes each value's piece of lifetime in each block that
// touches it as if the value were not live out there: from its definition
// (or the block's start) to its last use in the block. Those pieces give
// each block's gen and kill sets; live sets are bit sets, one row of
// `words` per block in flat arrays, solved by the usual backward dataflow
// (its least fixpoint does not depend on the visiting order; loops laid out
// apart need no special case). Then, block by block in layout order, a
// piece of a value live out runs through the block's end and a value live
// through the block untouched covers all of it, so each value's pieces come
// in order of their start and merge as they come.

import { float64s, int32s } from "./arena.ts";
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

/** Buffers reused from one call to the next (compiles run one at a time): the bit sets' rows. */
let scratch = new Uint32Array(1024);
/** The blocks' pieces of lifetime found by the walk, as triples (see `walk`). */
let facts: Int32Array = new Int32Array(3 * 1024);
/** The lifetimes' pieces, as triples (see `addPiece`). */
let pieces: Int32Array = new Int32Array(3 * 1024);
/** The successors of each block, by layout index (see liveIntervals' succStart); reused from call to call. */
let successorList: Int32Array = new Int32Array(256);
/** The values one block's terminator reads, with the operands of its successors' phis; reused from block to block. */
let endUses: Int32Array = new Int32Array(256);

function growEndUses(): Int32Array {
  const grown = new Int32Array(2 * endUses.length);
  grown.set(endUses);
  endUses = grown;
  return grown;
}

/** Makes room for at least `least` entries in `facts`; returns it. */
function growFacts(least: number): Int32Array {
  const grown = new Int32Array(Math.max(2 * facts.length, least));
  grown.set(facts);
  facts = grown;
  return grown;
}

function growPieces(least: number): void {
  const grown = new Int32Array(Math.max(2 * pieces.length, least));
  grown.set(pieces);
  pieces = grown;
}

function growSuccessors(): Int32Array {
  const list = new Int32Array(2 * successorList.length);
  list.set(successorList);
  successorList = list;
  return list;
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

/** bit[v] before v's definition is walked (a value without one stays so). */
const UNSEEN = -2;

/** Output tables the walk fills in, by value id or block id. */
interface WalkOutput {
  from: Int32Array;
  to: Int32Array;
  pos: Int32Array;
  weight: Float64Array;
}

/**
 * Working tables, reused from call to call (compiles run one at a time) and
 * grown when a function needs more; each call writes what it reads.
 */
interface Tables {
  /** By value: its bit (dense number), -1 if it needs no location (UNSEEN before the walk reaches it). */
  bit: Int32Array;
  /** By bit: where the value's latest piece is in `facts` (-1: none yet); it is in the block being walked if at or after the block's factStart. */
  factOf: Int32Array;
  /** By bit, while the lifetimes are put together: the value's last piece in `pieces` (-1: none yet) and its first. */
  lastPiece: Int32Array;
  firstPiece: Int32Array;
  /** By block id: its layout index. */
  xOf: Int32Array;
  /** By layout index: where the block's own pieces, its moves and its successors start (one more entry, the ends); whether the dataflow must visit it; whether a predecessor is at or after it. */
  factStart: Int32Array;
  moveStart: Int32Array;
  succStart: Int32Array;
  dirty: Int32Array;
  looped: Int32Array;
}

const tables: Tables = {
  bit: new Int32Array(0),
  factOf: new Int32Array(0),
  lastPiece: new Int32Array(0),
  firstPiece: new Int32Array(0),
  xOf: new Int32Array(0),
  factStart: new Int32Array(0),
  moveStart: new Int32Array(0),
  succStart: new Int32Array(0),
  dirty: new Int32Array(0),
  looped: new Int32Array(0),
};

/** The working tables, with room for n values, nb block ids and nl blocks in the layout. */
function tablesFor(n: number, nb: number, nl: number): Tables {
  const t = tables;
  if (t.bit.length < n) {
    const size = Math.max(n, 2 * t.bit.length);
    t.bit = new Int32Array(size);
    t.factOf = new Int32Array(size);
    t.lastPiece = new Int32Array(size);
    t.firstPiece = new Int32Array(size);
  }
  if (t.xOf.length < nb) t.xOf = new Int32Array(Math.max(nb, 2 * t.xOf.length));
  if (t.factStart.length < nl + 1) {
    const size = Math.max(nl + 1, 2 * t.factStart.length);
    t.factStart = new Int32Array(size);
    t.moveStart = new Int32Array(size);
    t.succStart = new Int32Array(size);
    t.dirty = new Int32Array(size);
    t.looped = new Int32Array(size);
  }
  return t;
}

/**
 * One walk over the code in layout order numbers the positions and, per
 * block, finds the spill weights and each tracked value's piece of
 * lifetime there as if it were not live out: from its definition (or, the
 * value used before any definition here, the block's start, which puts it in
 * the block's gen set) to its last use there, or one past a definition
 * nobody reads. Pieces go to `facts` as (bit, start, end), with ~bit for
 * the gen set's; then the values the block's moves write into its
 * successors' phis, as (value, to, to + 1). Numbers the tracked values as
 * their definitions come unless `numbered`. Returns how many are tracked,
 * or -1 (unless numbered) if a value is used before its definition.
 */
function walk(f: IrFunction, needsLocation: (i: Inst) => boolean, numbered: boolean, o: WalkOutput, t: Tables): number {
  const { layout, blocks } = f;
  const { from, to, pos, weight } = o;
  const { bit, xOf, factStart, moveStart, succStart, factOf } = t;
  let p = 0, m = 0, nf = 0, ns = 0;
  // (Local views of the shared buffers, renewed when they grow.)
  let fs = facts, ends = endUses, succ = successorList;
  for (let x = 0; x < layout.length; x++) {
    const id = layout[x]!;
    const b = blocks[id]!;
    const cost = COST[Math.min(b.loopDepth, 5)]!;
    const lo = p++;
    from[id] = lo;
    const first = nf;
    factStart[x] = first;
    for (const phi of b.phis) {
      const v = phi.id;
      pos[v] = lo;
      weight[v]! += cost;
      let d: number;
      if (numbered) d = bit[v]!;
      else {
        d = needsLocation(phi) ? m++ : -1;
        bit[v] = d;
      }
      if (d < 0) continue;
      if (nf + 3 > fs.length) fs = growFacts(nf + 3);
      factOf[d] = nf;
      fs[nf++] = d;
      fs[nf++] = lo;
      fs[nf++] = lo + 1;
    }
    const insts = b.insts;
    for (let q = 0; q < insts.length; q++) {
      const i = insts[q]!;
      const at = p++;
      const args = i.args;
      for (let a = 0; a < args.length; a++) {
        const v = args[a]!;
        weight[v]! += cost;
        const d = bit[v]!;
        if (d < 0) {
          if (d === UNSEEN) return -1;
          continue;
        }
        if (factOf[d]! >= first) {
          fs[factOf[d]! + 2] = at;
          continue;
        }
        if (nf + 3 > fs.length) fs = growFacts(nf + 3);
        factOf[d] = nf;
        fs[nf++] = ~d;
        fs[nf++] = lo;
        fs[nf++] = at;
      }
      const v = i.id;
      pos[v] = at;
      weight[v]! += cost;
      let d: number;
      if (numbered) d = bit[v]!;
      else {
        d = i.type !== null && needsLocation(i) ? m++ : -1;
        bit[v] = d;
      }
      if (d < 0) continue;
      if (nf + 3 > fs.length) fs = growFacts(nf + 3);
      factOf[d] = nf;
      fs[nf++] = d;
      fs[nf++] = at;
      fs[nf++] = at + 1;
    }
    const hi = p++;
    to[id] = hi;
    // Read at the terminator: its operands and the operands of the successors' phis for this edge.
    const term = b.term;
    if (ns + (term.kind === "switch" ? term.targets.length + 1 : 2) > succ.length) succ = growSuccessors();
    succStart[x] = ns;
    const k = pushSuccessors(term, succ, ns);
    let ne = 0;
    if (term.kind === "branch") ends[ne++] = term.cond;
    else if (term.kind === "switch") ends[ne++] = term.index;
    else if (term.kind === "return") {
      for (const v of term.values) {
        if (ne === ends.length) ends = growEndUses();
        ends[ne++] = v;
      }
    }
    let moves = 0;
    for (let j = ns; j < k; j++) {
      const s = blocks[succ[j]!]!;
      const phis = s.phis;
      if (phis.length === 0) continue;
      const arg = s.preds.indexOf(id);
      moves += phis.length;
      for (let h = 0; h < phis.length; h++) {
        if (ne === ends.length) ends = growEndUses();
        ends[ne++] = phis[h]!.args[arg]!;
      }
    }
    if (nf + 3 * (ne + moves) > fs.length) fs = growFacts(nf + 3 * (ne + moves));
    for (let e = 0; e < ne; e++) {
      const v = ends[e]!;
      weight[v]! += cost;
      const d = bit[v]!;
      if (d < 0) {
        if (d === UNSEEN) return -1;
        continue;
      }
      if (factOf[d]! >= first) fs[factOf[d]! + 2] = hi;
      else {
        factOf[d] = nf;
        fs[nf++] = ~d;
        fs[nf++] = lo;
        fs[nf++] = hi;
      }
    }
    moveStart[x] = nf;
    for (let j = ns; j < k; j++) {
      const phis = blocks[succ[j]!]!.phis;
      for (let h = 0; h < phis.length; h++) {
        fs[nf++] = phis[h]!.id;
        fs[nf++] = hi;
        fs[nf++] = hi + 1;
      }
      succ[j] = xOf[succ[j]!]!;
    }
    ns = k;
  }
  factStart[layout.length] = nf;
  succStart[layout.length] = ns;
  return m;
}

/**
 * Adds the piece [s0, e0) to the lifetime of bit d, whose pieces so far
 * all start at or before s0: a piece meeting the last one (`lastPiece[d]`)
 * extends it, another is linked after it (the first: `firstPiece[d]`).
 * Pieces are (start, end, next) in `ps` (the `pieces` buffer), which has
 * room; returns its new length.
 */
function addPiece(ps: Int32Array, lastPiece: Int32Array, firstPiece: Int32Array, np: number, d: number, s0: number, e0: number): number {
  const q = lastPiece[d]!;
  if (q >= 0 && s0 <= ps[q + 1]!) {
    if (e0 > ps[q + 1]!) ps[q + 1] = e0;
    return np;
  }
  ps[np] = s0;
  ps[np + 1] = e0;
  ps[np + 2] = -1;
  if (q >= 0) ps[q + 2] = np;
  else firstPiece[d] = np;
  lastPiece[d] = np;
  return np + 3;
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
  const t = tablesFor(n, nb, nl);
  const { bit, xOf, factStart, moveStart, succStart } = t;
  xOf.fill(0, 0, nb);
  for (let x = 0; x < nl; x++) xOf[layout[x]!] = x;
  bit.fill(UNSEEN, 0, n);
  // (factOf needs no clearing here: a value gets its bit at its definition, which sets it.)
  const o: WalkOutput = { from, to, pos, weight };
  let m = walk(f, needsLocation, false, o, t);
  if (m < 0) {
    // A use comes before its definition in the layout: number the tracked values first, then walk again.
    bit.fill(-1, 0, n);
    m = 0;
    for (let x = 0; x < nl; x++) {
      const b = blocks[layout[x]!]!;
      for (const i of b.phis) {
        if (!needsLocation(i)) continue;
        bit[i.id] = m++;
      }
      for (const i of b.insts) {
        if (i.type === null || !needsLocation(i)) continue;
        bit[i.id] = m++;
      }
    }
    weight.fill(0);
    t.factOf.fill(-1, 0, n);
    walk(f, needsLocation, true, o, t);
  }
  const succ = successorList;

  const words = (m + 31) >>> 5;
  // Rows by layout index: gen (used before defined in the block; phi operands count in the predecessor), kill (defined in it), in, out.
  const row = nl * words;
  if (scratch.length < 4 * row) scratch = new Uint32Array(Math.max(4 * row, 2 * scratch.length));
  const sets = scratch;
  sets.fill(0, 0, 4 * row);
  const GEN = 0, KILL = row, IN = 2 * row, OUT = 3 * row;
  for (let x = 0; x < nl; x++) {
    const g = GEN + x * words, k = KILL + x * words;
    for (let q = factStart[x]!; q < moveStart[x]!; q += 3) {
      const d = facts[q]!;
      if (d < 0) sets[g + (~d >>> 5)]! |= 1 << (~d & 31);
      else sets[k + (d >>> 5)]! |= 1 << (d & 31);
    }
  }

  // Blocks to (re)compute: all at first, then those whose successors' live-in grew. Visiting in
  // reverse layout order reaches most predecessors later in the same round; a predecessor at or
  // after its successor (a loop's back edge) waits for another round.
  // The first round visits every block anyway: a change there needs to mark
  // only predecessors at or after the block, which `looped` blocks have.
  const dirty = t.dirty;
  dirty.fill(1, 0, nl);
  const looped = t.looped;
  looped.fill(0, 0, nl);
  for (let x = 0; x < nl; x++) for (let j = succStart[x]!; j < succStart[x + 1]!; j++) if (succ[j]! <= x) looped[succ[j]!] = 1;
  let firstRound = true;
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
      if (!changed || (firstRound && looped[x] === 0)) continue;
      for (const pred of blocks[layout[x]!]!.preds) {
        const px = xOf[pred]!;
        dirty[px] = 1;
        if (px >= x) again = true;
      }
    }
    firstRound = false;
  }

  // Ranges, half-open [s, e): a value defined at p and last used at q holds
  // [p, q), so an instruction's result may take the register of an operand
  // it reads last; a value live out of a block holds through `to + 1`.
  // Pieces go to `pieces` in layout order, each value's linked in a list
  // (addPiece); a piece that meets the value's previous one extends it.
  const { lastPiece, firstPiece } = t;
  lastPiece.fill(-1, 0, m);
  let np = 0;
  for (let x = 0; x < nl; x++) {
    const id = layout[x]!;
    const lo = from[id]!, hi = to[id]!;
    const out = OUT + x * words, g = GEN + x * words, k = KILL + x * words;
    // Room for this block's pieces: one per fact at most, and one per value live through.
    const f0 = factStart[x]!, f1 = factStart[x + 1]!;
    if (np + (f1 - f0) + 3 * m > pieces.length) growPieces(np + (f1 - f0) + 3 * m);
    const ps = pieces;
    // The block's own pieces; those of values live out run through the end.
    for (let q = f0; q < moveStart[x]!; q += 3) {
      let d = facts[q]!;
      if (d < 0) d = ~d;
      np = addPiece(ps, lastPiece, firstPiece, np, d, facts[q + 1]!, (sets[out + (d >>> 5)]! & (1 << (d & 31))) !== 0 ? hi + 1 : facts[q + 2]!);
    }
    // Live through the block untouched: all of it.
    for (let w = 0; w < words; w++) {
      let bits = sets[out + w]! & ~(sets[g + w]! | sets[k + w]!);
      while (bits !== 0) {
        const tb = bits & -bits;
        bits ^= tb;
        np = addPiece(ps, lastPiece, firstPiece, np, (w << 5) + 31 - Math.clz32(tb), lo, hi + 1);
      }
    }
    // The moves into the successors' phis write them here.
    for (let q = moveStart[x]!; q < f1; q += 3) {
      const d = bit[facts[q]!]!;
      if (d >= 0) np = addPiece(ps, lastPiece, firstPiece, np, d, hi, hi + 1);
    }
  }
  // Each value's pieces, in order, into one array; its first range starts its lifetime, its last ends it.
  const rangeAt = int32s(n + 1);
  const flat = int32s((2 * np) / 3);
  const start = int32s(n).fill(0x7fffffff);
  const end = int32s(n).fill(-1);
  const ps = pieces;
  let k = 0;
  for (let v = 0; v < n; v++) {
    const d = bit[v]!;
    if (d >= 0) {
      let q = firstPiece[d]!;
      start[v] = ps[q]!;
      while (q >= 0) {
        flat[k++] = ps[q]!;
        flat[k++] = ps[q + 1]!;
        q = ps[q + 2]!;
      }
      end[v] = flat[k - 1]!;
    }
    rangeAt[v + 1] = k;
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
