// Removes the blocks no path from the entry reaches (code after an inlined
// call that never returns), with their edges into reachable blocks and the
// phi operands those edges carried.

import { successors, type IrFunction } from "./ir.ts";

export function removeUnreachableBlocks(f: IrFunction): void {
  const reached = new Set<number>();
  const work = [f.layout[0]!];
  while (work.length > 0) {
    const b = work.pop()!;
    if (reached.has(b)) continue;
    reached.add(b);
    for (const s of successors(f.blocks[b]!.term)) work.push(s);
  }
  if (reached.size === f.layout.length) return;
  f.layout = f.layout.filter((b) => reached.has(b));
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const keep = b.preds.map((p) => reached.has(p));
    if (keep.every((k) => k)) continue;
    b.preds = b.preds.filter((_, j) => keep[j]);
    for (const phi of b.phis) phi.args = phi.args.filter((_, j) => keep[j]);
  }
}
