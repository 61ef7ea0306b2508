// Identical abort paths merged: asc's accessors end their bounds checks in
// `abort(message, file, line, column); unreachable`, and each inlined
// accessor brings its own copy, with the same constants. Blocks that end
// in `unreachable`, hold only constants and calls to one function with
// the same operands, and came from the same functions are one block: the
// branches to the copies go to the first. (Trap reports name the origin,
// which the copies share.)

import { Op } from "../../wasm/index.ts";
import { IrOp, retarget, type Block, type IrFunction } from "./ir.ts";

/** The block's code as text, or null when it is not an abort path this pass merges. */
function shape(b: Block): string | null {
  if (b.term.kind !== "unreachable" || b.phis.length > 0) return null;
  const local = new Map<number, number>();
  const parts: string[] = [`o${b.origin}`];
  for (const i of b.insts) {
    if (i.op !== IrOp.Const && i.op !== Op.Call) return null;
    const args = i.args.map((a) => (local.has(a) ? `l${local.get(a)}` : `v${a}`));
    parts.push(`${i.op}:${i.type}:${i.bits}:${i.ins?.index ?? ""}:${i.origin}(${args.join(",")})`);
    local.set(i.id, local.size);
  }
  return parts.join(";");
}

export function mergeAbortPaths(f: IrFunction): void {
  const first = new Map<string, number>();
  const gone = new Set<number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const key = shape(b);
    if (key === null) continue;
    const c = first.get(key);
    if (c === undefined) {
      first.set(key, id);
      continue;
    }
    const keep = f.blocks[c]!;
    for (const p of b.preds) {
      retarget(f.blocks[p]!.term, id, c);
      if (!keep.preds.includes(p)) keep.preds.push(p);
    }
    b.preds = [];
    gone.add(id);
  }
  if (gone.size > 0) f.layout = f.layout.filter((id) => !gone.has(id));
}
