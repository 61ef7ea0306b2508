// Redundant global loads: a global.get whose value is already known — read
// or written earlier in the block, or in the single predecessor chain that
// leads to it — is that value. asc reads __stack_pointer before every
// shadow-stack store; this leaves one read per function entry and call.
// Only calls change a global behind the code's back (wasm code in a callee);
// version 1's bridged emitters never touch globals.

import { Op } from "../../wasm/index.ts";
import { replaceUses, type IrFunction } from "./ir.ts";

export function forwardGlobals(f: IrFunction): void {
  const exit = new Map<number, Map<number, number>>();
  const repl = new Map<number, number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const from = b.preds.length === 1 ? exit.get(b.preds[0]!) : undefined;
    const known = new Map(from ?? []);
    b.insts = b.insts.filter((i) => {
      if (i.op === Op.GlobalGet) {
        const v = known.get(i.ins!.index!);
        if (v !== undefined) {
          repl.set(i.id, v);
          return false;
        }
        known.set(i.ins!.index!, i.id);
      } else if (i.op === Op.GlobalSet) known.set(i.ins!.index!, i.args[0]!);
      else if (i.op === Op.Call || i.op === Op.CallIndirect) known.clear();
      return true;
    });
    exit.set(id, known);
  }
  replaceUses(f, repl);
}
