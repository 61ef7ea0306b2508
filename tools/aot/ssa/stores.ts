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
import { resetTemps, tempInt32s } from "./arena.ts";
import { isPure } from "./dce.ts";
import { truncate, type IrFunction } from "./ir.ts";

/** By one-byte opcode: a store's width in bits, 0 for every other instruction. */
const STORE_SIZE = new Uint8Array(0x100);
for (const [op, a] of ACCESSES) if (a.store) STORE_SIZE[op] = a.size;

/** Removes the stores (global.set, memory) within a block that a later one overwrites before anything could see them. */
export function removeDeadStores(f: IrFunction): void {
  resetTemps();
  /** By value: 1 for a dead store. */
  const dead = tempInt32s(f.values.length, 0);
  /**
   * The last global.set of each global since anything could see it: pairs (global index, instruction id) in
   * the first `open` entries (a count, not the array's length: shortening an array is slow in V8).
   */
  const globals: number[] = [];
  let open = 0;
  /** The pair of global g among the open ones: its index, or -1. */
  const find = (g: number): number => {
    for (let k = 0; k < open; k += 2) if (globals[k] === g) return k;
    return -1;
  };
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    let found = false;
    open = 0;
    // The last memory store since anything could see it (-1: none), and the place it writes. One at most:
    // a store anywhere else may fault, and what came before must be visible then.
    let store = -1;
    let address = 0;
    let offset = 0;
    let size = 0;
    for (const i of b.insts) {
      const op = i.op;
      if (op === Op.GlobalSet) {
        const g = i.ins!.index!;
        const k = find(g);
        if (k >= 0) {
          dead[globals[k + 1]!] = 1;
          found = true;
          globals[k + 1] = i.id;
        } else {
          globals[open++] = g;
          globals[open++] = i.id;
        }
        continue;
      }
      const width = op < 0x100 ? STORE_SIZE[op]! : 0;
      if (width !== 0) {
        const at = i.ins!.memarg!.offset;
        if (store >= 0 && address === i.args[0] && offset === at && size === width) {
          dead[store] = 1; // the store just before, to the same place
          found = true;
        }
        open = 0;
        store = i.id;
        address = i.args[0]!;
        offset = at;
        size = width;
        continue;
      }
      if (op === Op.GlobalGet) {
        const k = find(i.ins!.index!);
        if (k >= 0) {
          // The last open pair takes its place.
          globals[k] = globals[open - 2]!;
          globals[k + 1] = globals[open - 1]!;
          open -= 2;
        }
        continue;
      }
      if (isPure(i)) continue;
      open = 0;
      store = -1;
    }
    if (!found) continue;
    const insts = b.insts;
    let w = 0;
    for (let k = 0; k < insts.length; k++) if (dead[insts[k]!.id] === 0) insts[w++] = insts[k]!;
    truncate(insts, w);
  }
}
