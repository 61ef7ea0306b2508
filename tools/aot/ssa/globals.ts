// Redundant global loads: a global.get whose value is already known — read
// or written earlier in the block, or in the single predecessor chain that
// leads to it — is that value. asc reads __stack_pointer before every
// shadow-stack store; this leaves one read per function entry and call.
// Only calls change a global behind the code's back (wasm code in a callee);
// version 1's bridged emitters never touch globals.

import { Op } from "../../wasm/index.ts";
import { int32s } from "./arena.ts";
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

export function forwardGlobals(f: IrFunction): void {
  /**
   * What is known at each block's end, by block id: pairs (global index, value), a few at most. A block that
   * touches no global and calls nothing shares its predecessor's list (lists are copied before they change).
   */
  const exit: (number[] | undefined)[] = [];
  /** By value: the earlier value a removed load is replaced by (-1: none); how many. */
  let repl: Int32Array | null = null;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    const from = b.preds.length === 1 ? exit[b.preds[0]!] : undefined;
    let touches = false;
    for (const i of b.insts) {
      const op = i.op;
      if (op === Op.GlobalGet || op === Op.GlobalSet || op === Op.Call || op === Op.CallIndirect) {
        touches = true;
        break;
      }
    }
    if (!touches) {
      exit[id] = from;
      continue;
    }
    let known = from === undefined ? [] : from.slice();
    let removed = false;
    for (const i of b.insts) {
      if (i.op === Op.GlobalGet) {
        const v = knownValue(known, i.ins!.index!);
        if (v >= 0) {
          repl ??= int32s(f.values.length).fill(-1);
          repl[i.id] = v;
          removed = true;
          continue;
        }
        setKnown(known, i.ins!.index!, i.id);
      } else if (i.op === Op.GlobalSet) setKnown(known, i.ins!.index!, i.args[0]!);
      else if (i.op === Op.Call || i.op === Op.CallIndirect) known = [];
    }
    if (removed) {
      const insts = b.insts;
      let w = 0;
      for (let k = 0; k < insts.length; k++) if (repl![insts[k]!.id]! < 0) insts[w++] = insts[k]!;
      truncate(insts, w);
    }
    exit[id] = known;
  }
  if (repl !== null) replaceUsesBy(f, repl);
}
