// Dead code: instructions whose result nobody uses and that have no effect
// (no store, call, trap or global write) go, and so do unused phis.
// Instructions that may trap stay even when unused: wasm requires the trap.

import { Op } from "../../wasm/index.ts";
import { int32s, resetTemps, tempInt32s } from "./arena.ts";
import { IrOp, truncate, type Inst, type IrFunction } from "./ir.ts";

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
  const n = f.values.length;
  const uses = int32s(n);
  // One walk counts the uses and lists the pure phis and instructions (the candidates), in layout order
  // (phis before instructions in each block), with the block each is in.
  const candidates = tempInt32s(n, 0);
  let count = 0;
  const blockOf = tempInt32s(n, 0);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const i of b.phis) {
      for (const a of i.args) uses[a]!++;
      if (isPure(i)) {
        candidates[count++] = i.id;
        blockOf[i.id] = id;
      }
    }
    for (const i of b.insts) {
      for (const a of i.args) uses[a]!++;
      if (isPure(i)) {
        candidates[count++] = i.id;
        blockOf[i.id] = id;
      }
    }
    const t = b.term;
    if (t.kind === "branch") uses[t.cond]!++;
    else if (t.kind === "switch") uses[t.index]!++;
    else if (t.kind === "return") for (const v of t.values) uses[v]!++;
  }
  // The unused ones, then what only they used. Which value goes first changes nothing: the dead are the
  // pure values whose every use is dead.
  const work: number[] = [];
  for (let k = 0; k < count; k++) if (uses[candidates[k]!] === 0) work.push(candidates[k]!);
  if (work.length === 0) return uses;
  /** By value: 1 once dead. By block: 1 when it holds a dead value. */
  const dead = tempInt32s(n, 0);
  const touched = tempInt32s(f.blocks.length, 0);
  while (work.length > 0) {
    const v = work.pop()!;
    if (dead[v]) continue;
    dead[v] = 1;
    touched[blockOf[v]!] = 1;
    for (const a of f.values[v]!.args) {
      if (--uses[a]! === 0 && isPure(f.values[a]!) && !dead[a]) work.push(a);
    }
  }
  for (const id of f.layout) {
    if (touched[id] === 0) continue;
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
    if (dead[i.id] !== 0) continue;
    if (w !== k) list[w] = i;
    w++;
  }
  truncate(list, w);
}
