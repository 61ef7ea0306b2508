// Dead stores within a block: a `global.set` or a memory store whose value
// is overwritten by a later store to the same place before anything could
// see it goes. asc's shadow stack makes many: `__stack_pointer` written on
// leaving one inlined accessor and again on entering the next, a slot
// cleared with 0 and then written.
//
// "Before anything could see it": nothing in between may read the place (a
// load, a call, a global.get that was not forwarded), trap (a trap leaves
// memory and globals for the embedder to read: a load or store elsewhere
// may fault, a division may trap) or leave the block. The later memory
// store must have the same address value, offset and width: then it
// faults exactly when the earlier one would have.

import { Op } from "../../wasm/index.ts";
import { ACCESSES } from "../accesses.ts";
import { isPure } from "./dce.ts";
import type { Inst, IrFunction } from "./ir.ts";


export function removeDeadStores(f: IrFunction): void {
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const dead = new Set<number>();
    /** The last global.set of each global since anything could see it. */
    const globals = new Map<number, Inst>();
    /** The last memory store to each (address, offset, width) since anything could see it. */
    const stores = new Map<string, Inst>();
    for (const i of b.insts) {
      if (i.op === Op.GlobalSet) {
        const g = i.ins!.index!;
        const prev = globals.get(g);
        if (prev !== undefined) dead.add(prev.id);
        globals.set(g, i);
        continue;
      }
      const access = ACCESSES.get(i.op);
      if (access?.store) {
        const key = `${i.args[0]}+${i.ins!.memarg!.offset}:${access.size}`;
        const prev = stores.get(key);
        // A store to another place may fault: what came before must be visible then.
        globals.clear();
        if (prev !== undefined) dead.add(prev.id); // the store just before, to the same place
        stores.clear();
        stores.set(key, i);
        continue;
      }
      if (i.op === Op.GlobalGet) {
        globals.delete(i.ins!.index!);
        continue;
      }
      if (isPure(i)) continue;
      globals.clear();
      stores.clear();
    }
    if (dead.size > 0) b.insts = b.insts.filter((i) => !dead.has(i.id));
  }
}
