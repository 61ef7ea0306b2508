// Dead code: instructions whose result nobody uses and that have no effect
// (no store, call, trap or global write) go, and so do unused phis.
// Instructions that may trap stay even when unused: wasm requires the trap.

import { Op } from "../../wasm/index.ts";
import { int32s, resetTemps, tempInt32s } from "./arena.ts";
import { countUses, IrOp, truncate, type Inst, type IrFunction } from "./ir.ts";

/** Wasm opcodes that can trap; everything from 0x45 (i32.eqz) to 0xc4 is otherwise pure. */
const MAY_TRAP = new Set<number>([
  Op.I32DivS, Op.I32DivU, Op.I32RemS, Op.I32RemU, Op.I64DivS, Op.I64DivU, Op.I64RemS, Op.I64RemU,
  Op.I32TruncF32S, Op.I32TruncF32U, Op.I32TruncF64S, Op.I32TruncF64U,
  Op.I64TruncF32S, Op.I64TruncF32U, Op.I64TruncF64S, Op.I64TruncF64U,
]);

/** By one-byte opcode: 1 where the instruction has no effect and cannot trap (a table: isPure runs on every instruction in several passes). */
const PURE_BYTE = new Uint8Array(0x100);
PURE_BYTE[Op.Select] = 1;
PURE_BYTE[Op.GlobalGet] = 1;
for (let op = Op.I32Eqz; op <= Op.I64Extend32S; op++) if (!MAY_TRAP.has(op)) PURE_BYTE[op] = 1;

/** An instruction that can go when its result is unused. */
export function isPure(i: Inst): boolean {
  return isPureOp(i.op);
}

/** isPure() by opcode. */
export function isPureOp(op: number): boolean {
  if (op < 0x100) return PURE_BYTE[op] === 1;
  if (op === IrOp.Const || op === IrOp.Phi || op === IrOp.Param) return true;
  return (op & 0xff00) === 0xfc00 && (op & 0xff) <= 7; // trunc_sat: never traps
}

/**
 * Removes unused phis and instructions without effects, and what only they used. Returns how many times
 * each value is read afterwards, by id (a table that outlives the next resetTemps(): fuse.ts reads it).
 */
export function removeDeadCode(f: IrFunction): Int32Array {
  resetTemps();
  const uses = countUses(f, int32s(f.values.length));
  const dead = tempInt32s(f.values.length, 0);
  // The unused pure instructions, in layout order (phis before instructions in each block).
  const work: Inst[] = [];
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const i of b.phis) if (uses[i.id] === 0 && isPure(i)) work.push(i);
    for (const i of b.insts) if (uses[i.id] === 0 && isPure(i)) work.push(i);
  }
  if (work.length === 0) return uses;
  while (work.length > 0) {
    const i = work.pop()!;
    if (dead[i.id]) continue;
    dead[i.id] = 1;
    for (const a of i.args) {
      if (--uses[a]! === 0 && isPure(f.values[a]!) && !dead[a]) work.push(f.values[a]!);
    }
  }
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    drop(b.phis, dead);
    drop(b.insts, dead);
  }
  return uses;
}

/** Removes the instructions marked dead (by id) from a list, in place. */
function drop(list: Inst[], dead: Int32Array): void {
  let w = 0;
  for (let k = 0; k < list.length; k++) {
    const i = list[k]!;
    if (dead[i.id] === 0) list[w++] = i;
  }
  truncate(list, w);
}
