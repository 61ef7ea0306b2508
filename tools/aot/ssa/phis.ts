// Removes trivial phis (Braun et al. §3.2): a phi whose operands are all
// one value v, or itself, is v. The builder leaves them in place (every
// local read through a merge or a loop header makes one); this pass
// replaces them until none is left and rewrites every use.

import { resetTemps, tempInt32s } from "./arena.ts";
import { replaceUsesBy, truncate, type IrFunction } from "./ir.ts";

/** Replaces every trivial phi by its one operand, until none is left, and rewrites the uses. */
export function removeTrivialPhis(f: IrFunction): void {
  resetTemps();
  /** By value: the value it was replaced by, or -1. */
  const repl = tempInt32s(f.values.length, -1);
  let replaced = 0;
  const find = (v: number): number => {
    let r = v;
    while (repl[r]! >= 0) r = repl[r]!;
    // Path compression keeps long chains of replaced phis cheap.
    while (repl[v]! >= 0) {
      const n = repl[v]!;
      repl[v] = r;
      v = n;
    }
    return r;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const id of f.layout) {
      const phis = f.blocks[id]!.phis;
      if (phis.length === 0) continue;
      // Kept phis move down over removed ones, in place.
      let w = 0;
      for (let k = 0; k < phis.length; k++) {
        const p = phis[k]!;
        const args = p.args;
        let same = -1;
        let trivial = true;
        for (let j = 0; j < args.length; j++) {
          const a = find(args[j]!);
          if (a === p.id || a === same) continue;
          if (same !== -1) {
            trivial = false;
            break;
          }
          same = a;
        }
        if (!trivial) {
          if (w !== k) phis[w] = p;
          w++;
          continue;
        }
        // A phi with no other operand is in unreachable code or reads an undefined local: it is never used.
        if (same !== -1) {
          repl[p.id] = same;
          replaced++;
        }
        changed = true;
      }
      truncate(phis, w);
    }
  }
  if (replaced > 0) replaceUsesBy(f, repl);
}
