// Redundant global loads: a global.get whose value is already known — read
// or written earlier in the block, or in the single predecessor chain that
// leads to it — is that value. asc reads __stack_pointer before every
// shadow-stack store; this leaves one read per function entry and call.
// Only calls change a global behind the code's back (wasm code in a callee);
// version 1's bridged emitters never touch globals.

import { Op } from "../../wasm/index.ts";
import { replaceUses, type IrFunction } from "./ir.ts";

export function forwardGlobals(f: IrFunction): void {
  /** What is known at each block's end; a block that touches no global and calls nothing shares its predecessor's map (maps are copied before they change). */
  const exit = new Map<number, Map<number, number> | undefined>();
  const repl = new Map<number, number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const from = b.preds.length === 1 ? exit.get(b.preds[0]!) : undefined;
    let touches = false;
    for (const i of b.insts) {
      const op = i.op;
      if (op === Op.GlobalGet || op === Op.GlobalSet || op === Op.Call || op === Op.CallIndirect) {
        touches = true;
        break;
      }
    }
    if (!touches) {
      exit.set(id, from);
      continue;
    }
    const known = new Map(from ?? []);
    let removed = false;
    for (const i of b.insts) {
      if (i.op === Op.GlobalGet) {
        const v = known.get(i.ins!.index!);
        if (v !== undefined) {
          repl.set(i.id, v);
          removed = true;
          continue;
        }
        known.set(i.ins!.index!, i.id);
      } else if (i.op === Op.GlobalSet) known.set(i.ins!.index!, i.args[0]!);
      else if (i.op === Op.Call || i.op === Op.CallIndirect) known.clear();
    }
    if (removed) b.insts = b.insts.filter((i) => !repl.has(i.id));
    exit.set(id, known);
  }
  replaceUses(f, repl);
}
