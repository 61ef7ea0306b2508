// Cold code out of line: a block that ends in `unreachable` (asc's abort
// paths: a call to abort, then unreachable), and any block whose every way
// out leads only to such blocks, moves after the rest of the function. The
// hot path then falls through its checks instead of jumping around them,
// and the branch to a cold block is a forward one, predicted not taken.

import type { IrFunction } from "./ir.ts";

export function moveColdBlocks(f: IrFunction): void {
  const entry = f.layout[0]!;
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of f.layout) {
      const b = f.blocks[id]!;
      if (b.cold || id === entry) continue;
      const t = b.term;
      // successors(t) is empty only for return and unreachable; every successor cold is every target cold.
      const cold =
        t.kind === "unreachable" ||
        (t.kind === "jump" && f.blocks[t.target]!.cold) ||
        (t.kind === "branch" && f.blocks[t.then]!.cold && f.blocks[t.else]!.cold) ||
        (t.kind === "switch" && f.blocks[t.default]!.cold && t.targets.every((s) => f.blocks[s]!.cold));
      if (cold) {
        b.cold = true;
        changed = true;
      }
    }
  }
  f.layout = [...f.layout.filter((b) => !f.blocks[b]!.cold), ...f.layout.filter((b) => f.blocks[b]!.cold)];
}
