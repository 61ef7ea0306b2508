// Compare-and-branch fusion: an integer compare (or a float lt/gt/le/ge) whose only use is its
// block's branch moves to the end of the block, and the code generator
// emits it as `cmp` + `jcc` at the branch instead of materializing a 0/1.

import { Op } from "../../wasm/index.ts";
import { int32s } from "./arena.ts";
import type { IrFunction } from "./ir.ts";
import { isFusableFloatCompare } from "./select-float.ts";

/** i32.eqz .. i64.ge_u: the integer tests. */
export function isIntCompare(op: number): boolean {
  return op >= Op.I32Eqz && op <= Op.I64GeU;
}

/** Returns the ids of the fused compares. */
export function fuseCompares(f: IrFunction): Set<number> {
  const uses = int32s(f.values.length);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const i of b.phis) for (const a of i.args) uses[a]!++;
    for (const i of b.insts) for (const a of i.args) uses[a]!++;
    const t = b.term;
    if (t.kind === "branch") uses[t.cond]!++;
    else if (t.kind === "switch") uses[t.index]!++;
    else if (t.kind === "return") for (const v of t.values) uses[v]!++;
  }
  const fused = new Set<number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    if (b.term.kind !== "branch") continue;
    const cond = b.term.cond;
    if (uses[cond] !== 1) continue;
    const k = b.insts.findIndex((i) => i.id === cond);
    if (k < 0 || !(isIntCompare(b.insts[k]!.op) || isFusableFloatCompare(b.insts[k]!.op))) continue;
    b.insts.push(...b.insts.splice(k, 1));
    fused.add(cond);
  }
  return fused;
}
