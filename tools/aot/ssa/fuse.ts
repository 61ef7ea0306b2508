// Compare-and-branch fusion: an integer compare (or a float lt/gt/le/ge) whose only use is its
// block's branch moves to the end of the block, and the code generator
// emits it as `cmp` + `jcc` at the branch instead of materializing a 0/1.

import { Op } from "../../wasm/index.ts";
import { int32s, uint8s } from "./arena.ts";
import { countUses, type IrFunction } from "./ir.ts";
import { isFusableFloatCompare } from "./select-float.ts";

/** i32.eqz .. i64.ge_u: the integer tests. */
export function isIntCompare(op: number): boolean {
  return op >= Op.I32Eqz && op <= Op.I64GeU;
}

/**
 * A set of value ids that answers `has` from a table by id: the code
 * generator asks whether each instruction is a fused compare. It is a Set
 * in every other respect (the table follows add, delete and clear).
 */
class ValueSet extends Set<number> {
  private readonly marks: Uint8Array;

  constructor(values: number) {
    super();
    this.marks = uint8s(values);
  }

  private inTable(v: number): boolean {
    return Number.isInteger(v) && v >= 0 && v < this.marks.length;
  }

  override add(v: number): this {
    super.add(v);
    if (this.inTable(v)) this.marks[v] = 1;
    return this;
  }

  override delete(v: number): boolean {
    if (this.inTable(v)) this.marks[v] = 0;
    return super.delete(v);
  }

  override clear(): void {
    this.marks.fill(0);
    super.clear();
  }

  override has(v: number): boolean {
    return this.inTable(v) ? this.marks[v] === 1 : super.has(v);
  }
}

/** Returns the ids of the fused compares. */
export function fuseCompares(f: IrFunction): Set<number> {
  const uses = countUses(f, int32s(f.values.length));
  const fused = new ValueSet(f.values.length);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    if (b.term.kind !== "branch") continue;
    const cond = b.term.cond;
    if (uses[cond] !== 1) continue;
    const k = b.insts.findIndex((i) => i.id === cond);
    if (k < 0 || !(isIntCompare(b.insts[k]!.op) || isFusableFloatCompare(b.insts[k]!.op))) continue;
    b.insts.push(...b.insts.splice(k, 1));
    fused.add(cond);
  }
  return fused;
}
