// Removes the blocks no path from the entry reaches (code after an inlined
// call that never returns), with their edges into reachable blocks and the
// phi operands those edges carried.

import { resetTemps, tempInt32s } from "./arena.ts";
import type { IrFunction } from "./ir.ts";

/** Removes the blocks the entry does not reach, with their edges and the phi operands those carried. */
export function removeUnreachableBlocks(f: IrFunction): void {
  resetTemps();
  const reached = tempInt32s(f.blocks.length, 0);
  let count = 0;
  const work = [f.layout[0]!];
  while (work.length > 0) {
    const b = work.pop()!;
    if (reached[b]) continue;
    reached[b] = 1;
    count++;
    const t = f.blocks[b]!.term;
    switch (t.kind) {
      case "jump":
        work.push(t.target);
        break;
      case "branch":
        work.push(t.then, t.else);
        break;
      case "switch":
        for (const s of t.targets) work.push(s);
        work.push(t.default);
        break;
    }
  }
  if (count === f.layout.length) return;
  f.layout = f.layout.filter((b) => reached[b] === 1);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    let all = true;
    for (const p of b.preds) if (reached[p] !== 1) all = false;
    if (all) continue;
    const keep = b.preds.map((p) => reached[p] === 1);
    b.preds = b.preds.filter((_, j) => keep[j]);
    for (const phi of b.phis) phi.args = phi.args.filter((_, j) => keep[j]);
  }
}
