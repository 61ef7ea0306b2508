// Splits critical edges: an edge from a block with several successors to a
// block with phis gets a block of its own, so that the phis' moves (placed
// at the end of the predecessor by the code generator) run on that edge
// only. The new block sits right after its predecessor in the layout, where
// the branch can fall into it.

import { retarget, successors, type Block, type IrFunction } from "./ir.ts";

export function splitCriticalEdges(f: IrFunction): void {
  const layout: number[] = [];
  for (const id of f.layout) {
    layout.push(id);
    const b = f.blocks[id]!;
    const succs = successors(b.term);
    if (succs.length < 2) continue;
    for (const s of succs) {
      const target = f.blocks[s]!;
      if (target.phis.length === 0) continue;
      const mid: Block = { id: f.blocks.length, phis: [], insts: [], term: { kind: "jump", target: s }, preds: [id], loopDepth: b.loopDepth, cold: false, origin: b.origin };
      f.blocks.push(mid);
      retarget(b.term, s, mid.id);
      target.preds[target.preds.indexOf(id)] = mid.id;
      layout.push(mid.id);
    }
  }
  f.layout = layout;
}
