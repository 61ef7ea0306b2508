// Redundant loads: a load of the same place as an earlier load, with
// nothing in between that could change memory, is the earlier load's value;
// a load of the place a store just wrote, at the same width and type, is the
// stored value. After inlining, asc's accessors read the same field again
// and again (`dataStart`, `length`, an object's header) a few instructions
// apart.
//
// "The same place" is the same address value (after cse.ts, equal
// computations are one value), the same offset and the same opcode (for a
// store, the load of the same width and type: i32.load after i32.store,
// not i32.load8_u after it). The load that goes would have faulted only
// if the earlier access of the same bytes had faulted first, so no trap is
// lost. Anything else that may write memory (a store elsewhere: addresses
// may alias; a call; memory.grow, fill, copy, init) forgets everything;
// what only traps or writes a global (a division, global.set) does not:
// after a trap nothing reads the loaded value.
//
// The facts carry from a block into the next one in the layout when that
// block has it as its only predecessor: the continuation after a `br_if`
// (asc's bounds checks) reads the same fields as the code before it.

import { Op } from "../../wasm/index.ts";
import { touchesMemory } from "../accesses.ts";
import { replaceUses, type IrFunction } from "./ir.ts";

/** The load that reads back what each store opcode writes, at the same width and type. */
const LOAD_OF_STORE = new Map<number, number>([
  [Op.I32Store, Op.I32Load],
  [Op.I64Store, Op.I64Load],
  [Op.F32Store, Op.F32Load],
  [Op.F64Store, Op.F64Load],
]);

/** At most this many known places: the list is searched linearly, and a long one means a long block without stores. */
const MAX_KNOWN = 32;

/** Replaces redundant loads by the value already loaded or stored; returns how many went. */
export function removeRedundantLoads(f: IrFunction): number {
  // What memory is known to hold: (address value, offset, load opcode) → value, `known` entries.
  const address = new Int32Array(MAX_KNOWN);
  const offset = new Float64Array(MAX_KNOWN); // offsets are u32: past an Int32Array's range
  const opcode = new Int32Array(MAX_KNOWN);
  const value = new Int32Array(MAX_KNOWN);
  let known = 0;
  const learn = (a: number, off: number, op: number, v: number): void => {
    if (known === MAX_KNOWN) known = 0;
    address[known] = a;
    offset[known] = off;
    opcode[known] = op;
    value[known++] = v;
  };
  const repl = new Map<number, number>();
  let prev = -1;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    if (b.preds.length !== 1 || b.preds[0] !== prev) known = 0;
    prev = id;
    let removed = false;
    for (const i of b.insts) {
      const op = i.op;
      // Loads and stores are opcodes 0x28-0x3e; one compare passes over everything else.
      if (op < Op.I32Load || op > Op.I64Store32) {
        if (known > 0 && touchesMemory(op)) known = 0;
        continue;
      }
      const a = i.args[0]!;
      const off = i.ins!.memarg!.offset;
      if (op >= Op.I32Store) {
        known = 0;
        const load = LOAD_OF_STORE.get(op);
        if (load !== undefined) learn(a, off, load, i.args[1]!);
        continue;
      }
      let k = 0;
      while (k < known && !(address[k] === a && offset[k] === off && opcode[k] === op)) k++;
      if (k < known) {
        repl.set(i.id, value[k]!);
        removed = true;
      } else learn(a, off, op, i.id);
    }
    if (removed) b.insts = b.insts.filter((i) => !repl.has(i.id));
  }
  replaceUses(f, repl);
  return repl.size;
}
