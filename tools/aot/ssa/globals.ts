// Redundant global loads: a global.get whose value is already known — read
// or written earlier in the block, or in the single predecessor chain that
// leads to it — is that value. asc reads __stack_pointer before every
// shadow-stack store; this leaves one read per function entry and call.
// Only calls change a global behind the code's back (wasm code in a callee);
// version 1's bridged emitters never touch globals.

import { Op } from "../../wasm/index.ts";
import { resetTemps, tempInt32s } from "./arena.ts";
import { replaceUsesBy, truncate, type IrFunction } from "./ir.ts";

/** The value a known-globals list (pairs: global index, value) holds for global g, or -1. */
function knownValue(known: number[], g: number): number {
  for (let k = 0; k < known.length; k += 2) if (known[k] === g) return known[k + 1]!;
  return -1;
}

function setKnown(known: number[], g: number, v: number): void {
  for (let k = 0; k < known.length; k += 2) {
    if (known[k] === g) {
      known[k + 1] = v;
      return;
    }
  }
  known.push(g, v);
}

/** Replaces each global.get whose value is already known in its block or single-predecessor chain by that value. */
export function forwardGlobals(f: IrFunction): void {
  /**
   * What is known at each block's end, by block id: pairs (global index, value), a few at most. A block that
   * changes nothing shares its predecessor's list (lists are copied before they change).
   */
  const exit: (number[] | undefined)[] = [];
  resetTemps();
  /** By value: the earlier value a removed load is replaced by (-1: none). */
  const repl = tempInt32s(f.values.length, -1);
  let replaced = false;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    let known = b.preds.length === 1 ? exit[b.preds[0]!] : undefined;
    /** Whether `known` is this block's own list yet. */
    let own = false;
    const insts = b.insts;
    let w = 0;
    for (let k = 0; k < insts.length; k++) {
      const i = insts[k]!;
      const op = i.op;
      if (op === Op.GlobalGet || op === Op.GlobalSet) {
        const g = i.ins!.index!;
        if (op === Op.GlobalGet) {
          const v = known === undefined ? -1 : knownValue(known, g);
          if (v >= 0) {
            repl[i.id] = v;
            replaced = true;
            continue; // removed: the kept instructions move down over it
          }
        }
        if (!own) {
          known = known === undefined ? [] : known.slice();
          own = true;
        }
        setKnown(known!, g, op === Op.GlobalGet ? i.id : i.args[0]!);
      } else if (op === Op.Call || op === Op.CallIndirect) {
        known = [];
        own = true;
      }
      if (w !== k) insts[w] = i;
      w++;
    }
    truncate(insts, w);
    exit[id] = known;
  }
  if (replaced) replaceUsesBy(f, repl);
}
