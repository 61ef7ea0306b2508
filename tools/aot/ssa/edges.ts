// Splits critical edges: an edge from a block with several successors to a
// block with phis gets a block of its own, so that the phis' moves (placed
// at the end of the predecessor by the code generator) run on that edge
// only. The new block sits right after its predecessor in the layout, where
// the branch can fall into it.

import { retarget, successors, type Block, type IrFunction } from "./ir.ts";

/** Gives each edge from a block with several successors into a block with phis a block of its own. */
export function splitCriticalEdges(f: IrFunction): void {
  /** The new layout, once a block has been split off (null while the layout is unchanged). */
  let layout: number[] | null = null;
  for (let n = 0; n < f.layout.length; n++) {
    const id = f.layout[n]!;
    const b = f.blocks[id]!;
    const t = b.term;
    // Only a branch two ways or a switch has several successors; most blocks have one or none, and most
    // branches go to blocks without phis.
    let succs: number[] | null = null;
    if (t.kind === "branch" && t.then !== t.else && (f.blocks[t.then]!.phis.length > 0 || f.blocks[t.else]!.phis.length > 0)) succs = [t.then, t.else];
    else if (t.kind === "switch") succs = successors(t);
    layout?.push(id);
    if (succs === null || succs.length < 2) continue;
    for (const s of succs) {
      const target = f.blocks[s]!;
      if (target.phis.length === 0) continue;
      layout ??= f.layout.slice(0, n + 1);
      const mid: Block = { id: f.blocks.length, phis: [], insts: [], term: { kind: "jump", target: s }, preds: [id], loopDepth: b.loopDepth, cold: false, origin: b.origin };
      f.blocks.push(mid);
      retarget(t, s, mid.id);
      target.preds[target.preds.indexOf(id)] = mid.id;
      layout.push(mid.id);
    }
  }
  if (layout !== null) f.layout = layout;
}
