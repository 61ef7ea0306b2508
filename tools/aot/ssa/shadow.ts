// Dead stores to AssemblyScript's shadow stack. asc keeps GC roots on a
// stack in linear memory: a function (and each accessor inlined into it)
// moves `__stack_pointer` down, writes the references it holds into the
// slots, and moves it back up on the way out. The only reader of a slot is
// the collector, which runs inside a call (`__new`, `__collect`); so a slot
// written and then given back (the stack pointer moved above it) with no
// call in between was never read, and the store goes. In a hot loop that
// calls an inlined accessor this is a store per iteration.
//
// This relies on what asc guarantees, not on wasm's semantics (which is
// why it runs only for the global asc names `__stack_pointer`): nothing but
// the collector reads a slot, and a trap ends the program (the runtimes
// stop on one, so no embedder looks at the freed slots afterwards). A load
// that may read the slot keeps the store all the same.
//
// Within a block, after globals.ts and fold.ts: an address is a base value
// plus a constant (`sp - 8` after folding), and a store is a candidate when
// its base is a stack-pointer value (one read from the global or written
// to it anywhere in the function). `global.set` of the stack pointer to base + c frees
// every candidate slot of that base ending at or below c.

import { Op } from "../../wasm/index.ts";
import { ACCESSES, touchesMemory } from "../accesses.ts";
import { IrOp, type Inst, type IrFunction } from "./ir.ts";

/** x as (base value, constant): `b + c` and `b - c` with a constant c, else (x, 0). */
function decompose(f: IrFunction, x: number): [number, number] {
  const i = f.values[x]!;
  if (i.op !== Op.I32Add && i.op !== Op.I32Sub) return [x, 0];
  const [l, r] = i.args as [number, number];
  const rc = f.values[r]!;
  if (rc.op === IrOp.Const) {
    const c = Number(BigInt.asIntN(32, rc.bits));
    return [l, i.op === Op.I32Add ? c : -c];
  }
  const lc = f.values[l]!;
  if (i.op === Op.I32Add && lc.op === IrOp.Const) return [r, Number(BigInt.asIntN(32, lc.bits))];
  return [x, 0];
}

interface Candidate {
  store: Inst;
  base: number;
  /** The slot's bytes: [base + from, base + to). */
  from: number;
  to: number;
}

/** Removes stores to shadow-stack slots given back before any call; `sp` is the index of asc's `__stack_pointer`. Returns how many went. */
export function removeDeadShadowStores(f: IrFunction, sp: number): number {
  // The values that are the stack pointer somewhere: read from the global or written to it (an SSA
  // value is the same wherever it is used, so this holds in every block).
  const isSp = new Set<number>();
  for (const id of f.layout) {
    for (const i of f.blocks[id]!.insts) {
      if ((i.op === Op.GlobalGet || i.op === Op.GlobalSet) && i.ins!.index === sp) isSp.add(i.op === Op.GlobalGet ? i.id : i.args[0]!);
    }
  }
  if (isSp.size === 0) return 0;
  const dead = new Set<number>();
  const pending: Candidate[] = [];
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    pending.length = 0;
    for (const i of b.insts) {
      const op = i.op;
      if (op === Op.GlobalSet && i.ins!.index === sp) {
        const [base, top] = decompose(f, i.args[0]!);
        for (let k = pending.length - 1; k >= 0; k--) {
          const c = pending[k]!;
          if (c.base !== base || c.to > top) continue;
          dead.add(c.store.id);
          pending.splice(k, 1);
        }
        continue;
      }
      // A call may run the collector (it reads the slots) and a bulk operation may copy them.
      if (touchesMemory(op)) {
        pending.length = 0;
        continue;
      }
      const access = ACCESSES.get(op);
      if (access === undefined) continue;
      const [base, c] = decompose(f, i.args[0]!);
      const from = c + i.ins!.memarg!.offset;
      const to = from + access.size / 8;
      if (access.store) {
        if (isSp.has(base)) pending.push({ store: i, base, from, to });
        continue;
      }
      // A load of a candidate's bytes reads the slot: that store stays.
      for (let k = pending.length - 1; k >= 0; k--) {
        const p = pending[k]!;
        if (p.base === base && p.from < to && from < p.to) pending.splice(k, 1);
      }
    }
  }
  if (dead.size === 0) return 0;
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    b.insts = b.insts.filter((i) => !dead.has(i.id));
  }
  return dead.size;
}
