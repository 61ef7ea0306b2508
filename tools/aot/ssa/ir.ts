// The SSA IR of version 2: a function is a list of basic blocks; a block
// holds phis, then instructions, then one terminator. Values are numbered
// instructions (`Inst.id`); operands name values by id.
//
// Instruction opcodes are the wasm opcodes wherever a wasm instruction
// becomes one IR instruction (i32.add, i64.load, call, ...), so instruction
// selection is a table keyed by the same numbers as the decoder's. The few
// IR-only operations take codes above the wasm range (`IrOp`).

import type { FuncType, Instr, ValType } from "../../wasm/index.ts";
import { int32s } from "./arena.ts";

/** IR-only opcodes, outside the wasm opcode space (which ends below 0x10000). */
export const IrOp = {
  /** A constant: `bits` holds its 64-bit pattern (i32 and f32 zero-extended). */
  Const: 0x10000,
  /** Parameter `index` of the function. */
  Param: 0x10001,
  Phi: 0x10002,
  /** Result `index` (≥ 1) of the multi-value call just before it. */
  CallResult: 0x10003,
} as const;

export interface Inst {
  readonly id: number;
  op: number;
  /** The result's type; null for instructions without a result. */
  type: ValType | null;
  /** Operand value ids. For a phi, one per predecessor of its block, in the block's `preds` order. */
  args: number[];
  /** The block the instruction is in. */
  block: number;
  /** The wasm instruction it came from, for immediates (memarg, index, labels) and messages. */
  ins: Instr | null;
  /** Const: the 64-bit pattern. */
  bits: bigint;
  /** Param, CallResult: which one. */
  index: number;
  /** The function (index space) whose code this came from: the function itself, or one inlined into it. */
  origin: number;
}

export type Terminator =
  | { kind: "jump"; target: number }
  | { kind: "branch"; cond: number; then: number; else: number }
  | { kind: "switch"; index: number; targets: number[]; default: number }
  | { kind: "return"; values: number[] }
  | { kind: "unreachable" };

export interface Block {
  readonly id: number;
  phis: Inst[];
  insts: Inst[];
  term: Terminator;
  preds: number[];
  /** Loop nesting depth (0 outside every loop), for spill weights and layout. */
  loopDepth: number;
  /** An out-of-line block: laid out after the hot code (trap paths, split edges). */
  cold: boolean;
  /** The function (index space) its terminator came from (see Inst.origin). */
  origin: number;
}

export interface IrFunction {
  readonly type: FuncType;
  /** Every instruction ever created, by id; removed ones stay here but are in no block. */
  readonly values: Inst[];
  /** By id. */
  blocks: Block[];
  /**
   * The blocks in code order: wasm's textual order (each block where the
   * builder first emits into it), cold blocks last. Unreachable blocks are
   * in `blocks` but not here.
   */
  layout: number[];
  /** For messages: "function 12 ($foo)". */
  readonly where: string;
}

/** A new instruction of `block`, recorded in `f.values` under the next id; the caller puts it in a block's list. */
export function newValue(f: IrFunction, op: number, type: ValType | null, args: number[], block: number, origin: number, bits = 0n, ins: Instr | null = null): Inst {
  // The fields in Inst's order, as in every instruction: one object shape for every pass that reads them.
  const i: Inst = { id: f.values.length, op, type, args, block, ins, bits, index: 0, origin };
  f.values.push(i);
  return i;
}

/** The distinct successors of a terminator, in a fixed order. */
export function successors(t: Terminator): number[] {
  switch (t.kind) {
    case "jump":
      return [t.target];
    case "branch":
      return t.then === t.else ? [t.then] : [t.then, t.else];
    case "switch":
      return [...new Set([...t.targets, t.default])];
    default:
      return [];
  }
}

/** The values a terminator reads. */
export function termUses(t: Terminator): number[] {
  switch (t.kind) {
    case "branch":
      return [t.cond];
    case "switch":
      return [t.index];
    case "return":
      return t.values;
    default:
      return [];
  }
}

/** Replaces successor `from` by `to` in a terminator (every occurrence). */
export function retarget(t: Terminator, from: number, to: number): void {
  const f = (b: number): number => (b === from ? to : b);
  switch (t.kind) {
    case "jump":
      t.target = f(t.target);
      break;
    case "branch":
      t.then = f(t.then);
      t.else = f(t.else);
      break;
    case "switch":
      t.targets = t.targets.map(f);
      t.default = f(t.default);
      break;
  }
}

/** Rewrites every use of a value in `repl` (keys) to its replacement, following chains. */
export function replaceUses(f: IrFunction, repl: ReadonlyMap<number, number>): void {
  if (repl.size === 0) return;
  // The replacements as a table by value (-1: none), looked up for every operand.
  const to = int32s(f.values.length).fill(-1);
  for (const [v, r] of repl) to[v] = r;
  replaceUsesBy(f, to);
}

/** replaceUses() with the replacements as a table by value: `to[v]` replaces v, -1 for none. */
export function replaceUsesBy(f: IrFunction, to: Int32Array): void {
  // Plain loops, no closure: this runs over every operand of the function after most passes.
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const p of b.phis) replaceArgs(p.args, to);
    for (const i of b.insts) replaceArgs(i.args, to);
    replaceTermUses(b.term, to);
  }
}

/** Rewrites the values a terminator reads by replaceUsesBy's table. */
export function replaceTermUses(t: Terminator, to: Int32Array): void {
  if (t.kind === "branch") t.cond = replacement(to, t.cond);
  else if (t.kind === "switch") t.index = replacement(to, t.index);
  else if (t.kind === "return") replaceArgs(t.values, to);
}

/** What `v` becomes under the replacements `to` (see replaceUsesBy), following chains; v itself when none. */
export function replacement(to: Int32Array, v: number): number {
  let r = v;
  // Values made after the table (ids past its end) read as undefined: not replaced.
  for (let n = to[r]!; n >= 0; n = to[r]!) r = n;
  return r;
}

/** Rewrites each operand in `args` by replaceUsesBy's table, in place. */
export function replaceArgs(args: number[], to: Int32Array): void {
  for (let k = 0; k < args.length; k++) {
    const a = args[k]!;
    if (to[a]! >= 0) args[k] = replacement(to, a);
  }
}

/** Adds to `uses` how many times each value is read (by phis, instructions and terminators), by id; returns it. */
export function countUses(f: IrFunction, uses: Int32Array): Int32Array {
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const i of b.phis) for (const a of i.args) uses[a]!++;
    for (const i of b.insts) for (const a of i.args) uses[a]!++;
    const t = b.term;
    if (t.kind === "branch") uses[t.cond]!++;
    else if (t.kind === "switch") uses[t.index]!++;
    else if (t.kind === "return") for (const v of t.values) uses[v]!++;
  }
  return uses;
}

/** Shortens a list to its first n entries, in place (by pop: assigning `length` is a call into V8's runtime, slow even when nothing changes). */
export function truncate<T>(list: T[], n: number): void {
  while (list.length > n) list.pop();
}
