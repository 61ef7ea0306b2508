// Compare-and-branch fusion: an integer compare (or a float lt/gt/le/ge) whose only use is its
// block's branch moves to the end of the block, and the code generator
// emits it as `cmp` + `jcc` at the branch instead of materializing a 0/1.
// Likewise an integer compare whose only use is the condition of an
// integer `select` after it in its block moves to just before the select,
// which emits it as `cmp` + `cmov` (select-choice.ts).

import { Op } from "../../wasm/index.ts";
import { int32s, uint8s } from "./arena.ts";
import { countUses, type Inst, type IrFunction } from "./ir.ts";
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

/**
 * Moves each compare used only by its block's branch to the block's end; returns the ids of those fused
 * compares. `uses`: how many times each value is read, by id, when the caller has it (removeDeadCode
 * returns it, and neither edges.ts nor cold.ts changes it); counted here otherwise.
 */
export function fuseCompares(f: IrFunction, uses: Int32Array = countUses(f, int32s(f.values.length))): Set<number> {
  const fused = new ValueSet(f.values.length);
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    fuseIntoSelects(f, b.insts, uses, fused);
    if (b.term.kind !== "branch") continue;
    const cond = b.term.cond;
    if (uses[cond] !== 1) continue;
    const insts = b.insts;
    let k = insts.length - 1;
    while (k >= 0 && insts[k]!.id !== cond) k--;
    if (k < 0 || !(isIntCompare(insts[k]!.op) || isFusableFloatCompare(insts[k]!.op))) continue;
    // Move it to the end, the others after it down one.
    const c = insts[k]!;
    for (; k < insts.length - 1; k++) insts[k] = insts[k + 1]!;
    insts[k] = c;
    fused.add(cond);
  }
  return fused;
}

/** Fuses into each integer select of `insts` the integer compare before it in the block that only it reads. */
function fuseIntoSelects(f: IrFunction, insts: Inst[], uses: Int32Array, fused: Set<number>): void {
  for (let k = 0; k < insts.length; k++) {
    const s = insts[k]!;
    if (s.op !== Op.Select || s.type === "f32" || s.type === "f64") continue;
    const cond = s.args[2]!;
    if (uses[cond] !== 1 || !isIntCompare(f.values[cond]!.op)) continue;
    let j = k - 1;
    while (j >= 0 && insts[j]!.id !== cond) j--;
    if (j < 0) continue; // computed in another block
    // Move it down to just before the select: it is pure, and nothing between reads it.
    const c = insts[j]!;
    for (; j < k - 1; j++) insts[j] = insts[j + 1]!;
    insts[k - 1] = c;
    fused.add(cond);
  }
}
