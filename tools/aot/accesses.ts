// What each load and store opcode accesses: its size in bits, whether a
// narrow load sign-extends, and the type of the value loaded or stored.
// Both code generators' memory tables and version 2's dead-store pass read
// it, so the facts of the wasm spec's memory instructions (§4.4.7) are
// written once.

import { Op, type ValType } from "../wasm/index.ts";

export interface Access {
  store: boolean;
  size: 8 | 16 | 32 | 64;
  /** Narrow loads: sign-extend rather than zero-extend. */
  signed: boolean;
  /** The value's type: what a load pushes, what a store pops. */
  type: ValType;
}

const rows: [number, boolean, Access["size"], boolean, ValType][] = [
  [Op.I32Load, false, 32, false, "i32"],
  [Op.I64Load, false, 64, false, "i64"],
  [Op.F32Load, false, 32, false, "f32"],
  [Op.F64Load, false, 64, false, "f64"],
  [Op.I32Load8S, false, 8, true, "i32"],
  [Op.I32Load8U, false, 8, false, "i32"],
  [Op.I32Load16S, false, 16, true, "i32"],
  [Op.I32Load16U, false, 16, false, "i32"],
  [Op.I64Load8S, false, 8, true, "i64"],
  [Op.I64Load8U, false, 8, false, "i64"],
  [Op.I64Load16S, false, 16, true, "i64"],
  [Op.I64Load16U, false, 16, false, "i64"],
  [Op.I64Load32S, false, 32, true, "i64"],
  [Op.I64Load32U, false, 32, false, "i64"],
  [Op.I32Store, true, 32, false, "i32"],
  [Op.I64Store, true, 64, false, "i64"],
  [Op.F32Store, true, 32, false, "f32"],
  [Op.F64Store, true, 64, false, "f64"],
  [Op.I32Store8, true, 8, false, "i32"],
  [Op.I32Store16, true, 16, false, "i32"],
  [Op.I64Store8, true, 8, false, "i64"],
  [Op.I64Store16, true, 16, false, "i64"],
  [Op.I64Store32, true, 32, false, "i64"],
];

/** By opcode: every load and store. */
export const ACCESSES: ReadonlyMap<number, Access> = new Map(rows.map(([op, store, size, signed, type]) => [op, { store, size, signed, type }]));

/**
 * Instructions other than loads and stores that may read or write linear
 * memory: calls (the callee may), memory.grow, and the 0xFC bulk operations
 * from memory.init on (the table ones among them, conservatively).
 */
export function touchesMemory(op: number): boolean {
  return op === Op.Call || op === Op.CallIndirect || op === Op.MemoryGrow || ((op & 0xff00) === 0xfc00 && (op & 0xff) >= 8);
}

/** The width of a register holding a value of type t. */
export function registerWidth(t: ValType): 32 | 64 {
  return t === "i64" || t === "f64" ? 64 : 32;
}
