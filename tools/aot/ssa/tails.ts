// Identical abort paths merged: asc's accessors end their bounds checks in
// `abort(message, file, line, column); unreachable`, and each inlined
// accessor brings its own copy, with the same constants. Blocks that end
// in `unreachable`, hold only constants and calls to one function with
// the same operands, and came from the same functions are one block: the
// branches to the copies go to the first. (Trap reports name the origin,
// which the copies share.)

import { Op } from "../../wasm/index.ts";
import { IrOp, retarget, type Block, type Inst, type IrFunction } from "./ir.ts";

/** Whether the block is an abort path this pass merges: it ends in `unreachable` and holds only constants and calls. */
function isAbortPath(b: Block): boolean {
  if (b.term.kind !== "unreachable" || b.phis.length > 0) return false;
  for (const i of b.insts) if (i.op !== IrOp.Const && i.op !== Op.Call) return false;
  return true;
}

/** Operand `a` of instruction k of a block: -(j + 1) when it is the block's instruction j, else the value id. */
function operand(insts: readonly Inst[], k: number, a: number): number {
  for (let j = k - 1; j >= 0; j--) if (insts[j]!.id === a) return -(j + 1);
  return a;
}

/** What a call or constant refers to (a callee): its index, -1 for none. */
const indexOf = (i: Inst): number => i.ins?.index ?? -1;

/** A hash of an abort path's code: equal for blocks that same() finds equal. */
function hash(b: Block): number {
  let h = b.origin;
  const insts = b.insts;
  for (let k = 0; k < insts.length; k++) {
    const i = insts[k]!;
    h = Math.imul(h ^ i.op, 0x9e3779b1) ^ indexOf(i) ^ (i.origin << 8);
    // Number() of a pattern above 2^53 rounds, which is fine for a hash.
    if (i.op === IrOp.Const) h = Math.imul(h ^ (Number(i.bits) | 0), 0x85ebca6b);
    for (const a of i.args) h = Math.imul(h ^ operand(insts, k, a), 0xc2b2ae35);
  }
  return h;
}

/** Whether two abort paths are the same code: same origins, and instruction by instruction the same operation, type, constant, callee and operands (the block's own instructions by position). */
function same(x: Block, y: Block): boolean {
  if (x.origin !== y.origin || x.insts.length !== y.insts.length) return false;
  for (let k = 0; k < x.insts.length; k++) {
    const i = x.insts[k]!;
    const j = y.insts[k]!;
    if (i.op !== j.op || i.type !== j.type || i.bits !== j.bits || indexOf(i) !== indexOf(j) || i.origin !== j.origin) return false;
    if (i.args.length !== j.args.length) return false;
    for (let n = 0; n < i.args.length; n++) if (operand(x.insts, k, i.args[n]!) !== operand(y.insts, k, j.args[n]!)) return false;
  }
  return true;
}

/** Sends every branch to an abort path that repeats an earlier one to the earlier one, and drops the copy from the layout. */
export function mergeAbortPaths(f: IrFunction): void {
  /** By hash: the abort paths kept so far. */
  let first: Map<number, number[]> | null = null;
  let gone: Set<number> | null = null;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    if (!isAbortPath(b)) continue;
    const h = hash(b);
    first ??= new Map();
    const kept = first.get(h);
    let c = -1;
    if (kept !== undefined) for (const k of kept) if (same(f.blocks[k]!, b)) c = k;
    if (c < 0) {
      if (kept === undefined) first.set(h, [id]);
      else kept.push(id);
      continue;
    }
    const keep = f.blocks[c]!;
    for (const p of b.preds) {
      retarget(f.blocks[p]!.term, id, c);
      if (!keep.preds.includes(p)) keep.preds.push(p);
    }
    b.preds = [];
    (gone ??= new Set()).add(id);
  }
  if (gone !== null) f.layout = f.layout.filter((id) => !gone.has(id));
}
