// Cold code out of line: a block that ends in `unreachable` (asc's abort
// paths: a call to abort, then unreachable), and any block whose every way
// out leads only to such blocks, moves after the rest of the function. The
// hot path then falls through its checks instead of jumping around them,
// and the branch to a cold block is a forward one, predicted not taken.

import type { IrFunction, Terminator } from "./ir.ts";

/** Marks the blocks that lead only to `unreachable` cold and moves them after the others, keeping both groups' order. */
export function moveColdBlocks(f: IrFunction): void {
  const entry = f.layout[0]!;
  let cold = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of f.layout) {
      const b = f.blocks[id]!;
      if (b.cold || id === entry) continue;
      if (leadsOnlyToCold(f, b.term)) {
        b.cold = true;
        changed = true;
      }
    }
  }
  for (const id of f.layout) if (f.blocks[id]!.cold) cold++;
  if (cold === 0) return;
  const layout: number[] = [];
  for (const id of f.layout) if (!f.blocks[id]!.cold) layout.push(id);
  for (const id of f.layout) if (f.blocks[id]!.cold) layout.push(id);
  f.layout = layout;
}

/** Whether a terminator is `unreachable` or every block it can go to is cold (successors() is empty only for return and unreachable). */
function leadsOnlyToCold(f: IrFunction, t: Terminator): boolean {
  switch (t.kind) {
    case "unreachable":
      return true;
    case "jump":
      return f.blocks[t.target]!.cold;
    case "branch":
      return f.blocks[t.then]!.cold && f.blocks[t.else]!.cold;
    case "switch":
      if (!f.blocks[t.default]!.cold) return false;
      for (const s of t.targets) if (!f.blocks[s]!.cold) return false;
      return true;
    default:
      return false;
  }
}
