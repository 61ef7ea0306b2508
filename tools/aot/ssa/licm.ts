// Loop-invariant code motion: a pure computation inside a loop whose
// operands are all defined outside it (or are themselves hoisted) moves to
// the loop's preheader, so it runs once per entry instead of once per
// iteration: `scale * 1_000_000` in a loop's exit test, an address
// `base + i * n` whose row does not change in an inner loop.
//
// Only instructions that cannot trap and have no effect move (isPure), so
// running one on an entry where the loop would not have reached it changes
// nothing but time; loads stay (a store or call in the loop may change what
// they read, and their trap must stay where wasm puts it). global.get stays
// for the same reason as loads, and compares stay next to their branch
// (fuse.ts turns the pair into cmp + jcc). Constants move with the
// instructions that use them: they cost nothing (they become immediates)
// but must dominate their uses.
//
// Loops are found from the IR's layout, which is still wasm's textual order
// when this runs (before tails.ts merges blocks and edges.ts and cold.ts
// add and move them): an edge to a block at or before its source is a
// branch back to a loop's header. The loop is every block that reaches such
// an edge's source without passing the header; its preheader is the one
// other predecessor, which must end in a jump to the header (the builder
// makes one for every wasm `loop`). Inner loops go first (their headers
// come later in the layout), so an invariant of two nested loops moves out
// of both.

import { Op } from "../../wasm/index.ts";
import { isPure } from "./dce.ts";
import { IrOp, type Inst, type IrFunction } from "./ir.ts";

/** Integer and float compares: they stay next to the branch that reads them. */
const isCompare = (op: number): boolean => op >= Op.I32Eqz && op <= Op.F64Ge;

/** An instruction that may move out of a loop when its operands allow it. */
function movable(i: Inst): boolean {
  const op = i.op;
  return op !== IrOp.Phi && op !== IrOp.Param && op !== Op.GlobalGet && !isCompare(op) && isPure(i);
}

/** Moves loop invariants to preheaders; returns how many instructions moved. */
export function hoistLoopInvariants(f: IrFunction): number {
  if (!f.layout.some((id) => f.blocks[id]!.loopDepth > 0)) return 0;
  const position = new Int32Array(f.blocks.length).fill(-1);
  f.layout.forEach((id, k) => (position[id] = k));
  // By block: the header of the loop being looked at when the block is in it (a mark that needs no clearing).
  const inLoop = new Int32Array(f.blocks.length).fill(-1);
  let moved = 0;
  for (let k = f.layout.length - 1; k >= 0; k--) {
    const h = f.layout[k]!;
    const header = f.blocks[h]!;
    let pre = -1;
    let back = 0;
    for (const p of header.preds) {
      if (position[p]! >= k) back++;
      else if (pre < 0) pre = p;
      else pre = -2;
    }
    if (back === 0 || pre < 0) continue;
    const preBlock = f.blocks[pre]!;
    if (preBlock.term.kind !== "jump" || preBlock.term.target !== h) continue;

    // The loop's blocks: backwards from the sources of the back edges to the header.
    inLoop[h] = h;
    const work: number[] = [];
    for (const p of header.preds) if (position[p]! >= k && inLoop[p] !== h) (inLoop[p] = h), work.push(p);
    let proper = true;
    while (work.length > 0) {
      const b = work.pop()!;
      for (const p of f.blocks[b]!.preds) {
        if (inLoop[p] === h) continue;
        if (p === pre || position[p]! < 0 || position[p]! < k) {
          proper = false; // something enters the loop other than through its header
          break;
        }
        inLoop[p] = h;
        work.push(p);
      }
    }
    if (!proper) continue;

    // Layout order visits a value's definition before its uses (phis aside, and phis do not move).
    const hoisted: Inst[] = [];
    for (let j = k; j < f.layout.length; j++) {
      const id = f.layout[j]!;
      if (inLoop[id] !== h) continue;
      const b = f.blocks[id]!;
      let w = 0;
      for (const i of b.insts) {
        if (movable(i) && i.args.every((a) => inLoop[f.values[a]!.block] !== h)) {
          i.block = pre;
          hoisted.push(i);
        } else b.insts[w++] = i;
      }
      b.insts.length = w;
    }
    if (hoisted.length === 0) continue;
    // Constants are not counted: they cost nothing where they were.
    for (const i of hoisted) if (i.op !== IrOp.Const) moved++;
    preBlock.insts.push(...hoisted);
  }
  return moved;
}
