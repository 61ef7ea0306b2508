// Value numbering: two pure computations of the same operation on the
// same values are one value. Used two ways:
//
// - Within a block, a repeated pure instruction (no trap, no effect) is the
//   earlier one. Compares are left alone (a compare is cheapest recomputed
//   next to its branch), and so are global.get (globals.ts forwards those)
//   and phis. Across blocks values are not merged: that lengthens lifetimes,
//   and without splitting the allocator pays in spills.
// - Over the dominator tree: a block entered only through one edge of a
//   branch knows the branch's condition there and in every block it
//   dominates: a compare with the same number is the constant 0 or 1, and a
//   branch on it goes its one way (the other edge is removed), as does a
//   branch on a constant. asc checks `__stack_pointer` against the end of
//   its data after each adjustment; once offsets are folded (fold.ts), the
//   inlined accessors repeat the same check on the same value.
//
// One walk does both: it numbers each block's instructions as it enters
// the block (a hash table of keys in an Int32Array), so operands, whose
// definitions dominate their users, are numbered first; what it learns
// from branches is a table by number, undone on leaving a subtree.

import { Op } from "../../wasm/index.ts";
import { resetTemps, tempInt32s } from "./arena.ts";
import { isPureOp } from "./dce.ts";
import { IrOp, newValue, replaceArgs, replaceTermUses, truncate, type Inst, type IrFunction } from "./ir.ts";
import { dominators } from "./verify.ts";

/** By one-byte opcode: 1 where the operands commute (sorted by number before lookup). */
const COMMUTATIVE = new Uint8Array(0x100);
for (const op of [Op.I32Add, Op.I32Mul, Op.I32And, Op.I32Or, Op.I32Xor, Op.I32Eq, Op.I32Ne, Op.I64Add, Op.I64Mul, Op.I64And, Op.I64Or, Op.I64Xor, Op.I64Eq, Op.I64Ne]) COMMUTATIVE[op] = 1;

/**
 * A constant's type as a small number for its key: i32, i64, f32, f64 are 0 to 3, any other type 4. By
 * characters: the builder's types come from splitting opcode signatures, strings V8 has not internalized,
 * whose `===` compares character by character in a call.
 */
function typeCode(t: Inst["type"]): number {
  if (t === null || t.length !== 3) return 4;
  const c0 = t.charCodeAt(0);
  const c12 = t.charCodeAt(1) * 256 + t.charCodeAt(2);
  const bits = c12 === 0x3332 ? 0 : c12 === 0x3634 ? 1 : -1; // "32", "64"
  return bits < 0 ? 4 : c0 === 0x69 ? bits : c0 === 0x66 ? 2 + bits : 4; // "i", "f"
}

/** Integer and float compares: their result is exactly 0 or 1. */
const isCompare = (op: number): boolean => op >= Op.I32Eqz && op <= Op.F64Ge;

/** What value numbering does with an instruction, by kind: */
const FRESH = 0; // a number of its own
const KEYED = 1; // a number by operation and operands; a repeat in the block is the earlier one
const COMPARE = 2; // keyed, but not merged in a block: a compare is cheapest recomputed next to its branch

/**
 * An instruction's kind: keyed when it is pure (dce.ts) but not a phi, parameter, global.get or call result.
 * A table by one-byte opcode (this runs on every instruction); constants are numbered by type and pattern.
 */
const KIND_BYTE = new Uint8Array(0x100);
for (let op = 0; op < 0x100; op++) {
  const pure = op !== Op.GlobalGet && isPureOp(op);
  KIND_BYTE[op] = !pure ? FRESH : isCompare(op) ? COMPARE : KEYED;
}
function kindOf(op: number): number {
  if (op < 0x100) return KIND_BYTE[op]!;
  if (op === IrOp.Const) return KEYED;
  if (op === IrOp.Phi || op === IrOp.Param || op === IrOp.CallResult) return FRESH;
  return isPureOp(op) ? KEYED : FRESH;
}

/** Pure instructions have at most this many operands (select); a key holds them inline. */
const MAX_ARGS = 3;
/** A key in the table of computations: its number, its head (the opcode; for a constant, a code past every opcode with its type), the operand count, then up to MAX_ARGS words. */
const KEY = 3 + MAX_ARGS;
/** A constant's pattern goes in here to be read as two 32-bit words (cheaper than BigInt arithmetic or Number()). */
const PATTERN = new BigUint64Array(1);
const PATTERN_WORDS = new Int32Array(PATTERN.buffer);
/** The words of the key ValueNumbers is looking up. */
const WORDS = new Int32Array(MAX_ARGS);

/**
 * Value numbers, by id: the same number for constants of one type and pattern, and for keyed computations
 * of one operation on operands with the same numbers (commutative ones in either order). Every other
 * instruction and phi gets a number of its own, as does a keyed one with more operands than a key holds
 * (none has). An operand is numbered before its users (its
 * definition dominates them) but for phis' operands, which are not read. The tables are temporaries
 * (arena.ts), sized for every value that exists when it is made.
 */
class ValueNumbers {
  /** By value: its number, -1 until numbered (and for values made later). */
  readonly vn: Int32Array;
  /** How many numbers are in use; at most one per value. */
  count = 0;
  /** Computations and constants: an open-addressing hash table (a power of two, at most half full) of indexes into `keys`. */
  private readonly slots: Int32Array;
  private readonly keys: Int32Array;
  private entries = 0;
  /** The key being looked up: its words (one table for every instance: a typed array costs an allocation). */
  private readonly words = WORDS;

  constructor(values: number) {
    this.vn = tempInt32s(values, -1);
    let cap = 16;
    while (cap < 2 * values) cap *= 2;
    this.slots = tempInt32s(cap, -1);
    this.keys = tempInt32s(KEY * values, 0);
  }

  /** Numbers a phi or instruction (operands first) and returns its number. */
  number(i: Inst): number {
    return (this.vn[i.id] = i.op === IrOp.Const ? this.constant(i) : this.computation(i));
  }

  /** A value's number; -1 for one made after the table (the constants cse makes). */
  of(v: number): number {
    return v < this.vn.length ? this.vn[v]! : -1;
  }

  private constant(i: Inst): number {
    // The pattern is 64 bits (ir.ts): its two words are the whole of it.
    PATTERN[0] = i.bits;
    this.words[0] = PATTERN_WORDS[0]!;
    this.words[1] = PATTERN_WORDS[1]!;
    return this.lookup(IrOp.Const * 8 + typeCode(i.type), 2);
  }

  private computation(i: Inst): number {
    const args = i.args;
    const argc = args.length;
    if (kindOf(i.op) === FRESH || argc > MAX_ARGS) return this.count++;
    const w = this.words;
    for (let k = 0; k < argc; k++) w[k] = this.vn[args[k]!]!;
    if (argc === 2 && COMMUTATIVE[i.op] === 1 && w[0]! > w[1]!) {
      const x = w[0]!;
      w[0] = w[1]!;
      w[1] = x;
    }
    // The operation and the operands' numbers decide the type (equal numbers are values of one type), so
    // the key leaves it out.
    return this.lookup(i.op, argc);
  }

  /** The number of the key (head, the first argc words), a new one when it is not in the table yet. */
  private lookup(head: number, argc: number): number {
    const { slots, keys, words } = this;
    const mask = slots.length - 1;
    let h = Math.imul(head, 0x9e3779b1) ^ argc;
    for (let k = 0; k < argc; k++) h = Math.imul(h ^ words[k]!, 0x85ebca6b) ^ (h >>> 13);
    let s = (h ^ (h >>> 16)) & mask;
    for (let e = slots[s]!; e >= 0; s = (s + 1) & mask, e = slots[s]!) {
      const at = e * KEY;
      if (keys[at + 1] !== head || keys[at + 2] !== argc) continue;
      let same = true;
      for (let k = 0; k < argc; k++) if (keys[at + 3 + k] !== words[k]) same = false;
      if (same) return keys[at]!;
    }
    const n = this.count++;
    const at = this.entries * KEY;
    keys[at] = n;
    keys[at + 1] = head;
    keys[at + 2] = argc;
    for (let k = 0; k < argc; k++) keys[at + 3 + k] = words[k]!;
    slots[s] = this.entries++;
    return n;
  }
}

/** Returns whether a branch was removed (then unreachable blocks and trivial phis need another pass). */
export function eliminateCommonSubexpressions(f: IrFunction): boolean {
  resetTemps();
  const nb = f.blocks.length;
  const nv = f.values.length;
  const idom = dominators(f);
  // The dominator tree as lists: first child, next sibling. Prepending in layout order lists each block's
  // children last to first, the order the walk visits them in.
  const firstChild = tempInt32s(nb, -1);
  const nextSibling = tempInt32s(nb, -1);
  for (const id of f.layout) {
    const d = idom[id]!;
    if (d < 0 || d === id) continue;
    nextSibling[id] = firstChild[d]!;
    firstChild[d] = id;
  }
  const vn = new ValueNumbers(nv);
  /** By value: what replaces it (-1: nothing). */
  const repl = tempInt32s(nv, -1);
  let replaced = false;
  /** By number: what the branches into the current block say about it: 0 nothing, 1 false, 2 true. */
  const facts = tempInt32s(nv, 0);
  /** Facts to restore on leaving a subtree: pairs (number, old fact); at most one per block on the path. */
  const undo = tempInt32s(2 * nb, 0);
  let undone = 0;
  /** By number: the block (id + 1) where `firstOf` holds its first instruction, so that no table is cleared per block. */
  const localIn = tempInt32s(nv, 0);
  const firstOf = tempInt32s(nv, 0);
  const constant = (at: Inst, bits: bigint): Inst => newValue(f, IrOp.Const, "i32", [], at.block, at.origin, bits);
  let removed = false;

  const enter = (id: number): void => {
    const b = f.blocks[id]!;
    if (b.preds.length === 1) {
      const p = f.blocks[b.preds[0]!]!.term;
      if (p.kind === "branch" && p.then !== p.else && vn.of(p.cond) >= 0) {
        const n = vn.of(p.cond);
        undo[undone++] = n;
        undo[undone++] = facts[n]!;
        facts[n] = p.then === b.id ? 2 : 1;
      }
    }
    for (const p of b.phis) vn.number(p);
    const insts = b.insts;
    let w = 0;
    for (let k = 0; k < insts.length; k++) {
      const i = insts[k]!;
      // The number comes from the operands as they were; then they become what replaces them, which is
      // final: their definitions dominate this block, so the walk has been there.
      const n = vn.number(i);
      if (replaced) replaceArgs(i.args, repl);
      const kind = kindOf(i.op);
      if (kind === COMPARE && facts[n] !== 0) {
        const c = constant(i, facts[n] === 2 ? 1n : 0n);
        insts[w++] = c;
        repl[i.id] = c.id;
        replaced = true;
        continue;
      }
      if (kind === KEYED) {
        if (localIn[n] === id + 1) {
          repl[i.id] = firstOf[n]!;
          replaced = true;
          continue;
        }
        localIn[n] = id + 1;
        firstOf[n] = i.id;
      }
      if (w !== k) insts[w] = i; // no store (and write barrier) while nothing has moved
      w++;
    }
    truncate(insts, w);
    const t = b.term;
    if (replaced) replaceTermUses(t, repl);
    if (t.kind === "branch" && t.then !== t.else) {
      const c = f.values[t.cond]!;
      const known = c.op === IrOp.Const ? ((c.bits & 0xffff_ffffn) !== 0n ? 2 : 1) : vn.of(t.cond) >= 0 ? facts[vn.of(t.cond)]! : 0;
      if (known !== 0) {
        const go = known === 2 ? t.then : t.else;
        const drop = known === 2 ? t.else : t.then;
        const other = f.blocks[drop]!;
        const j = other.preds.indexOf(b.id);
        other.preds.splice(j, 1);
        for (const phi of other.phis) phi.args.splice(j, 1);
        b.term = { kind: "jump", target: go };
        removed = true;
      }
    }
  };

  // Depth-first over the dominator tree: enter a block (its numbers, facts and values), then its children,
  // then undo. By depth: the block's undo mark and its next child to enter.
  const mark = tempInt32s(nb, 0);
  const nextChild = tempInt32s(nb, 0);
  const root = f.layout[0]!;
  let depth = 0;
  enter(root);
  nextChild[0] = firstChild[root]!;
  while (depth >= 0) {
    const c = nextChild[depth]!;
    if (c < 0) {
      for (const m = mark[depth]!; undone > m; undone -= 2) facts[undo[undone - 2]!] = undo[undone - 1]!;
      depth--;
      continue;
    }
    nextChild[depth] = nextSibling[c]!;
    mark[++depth] = undone;
    enter(c);
    nextChild[depth] = firstChild[c]!;
  }
  if (!replaced) return removed;
  // Phis' operands come from predecessors the walk may not have been through yet.
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const p of b.phis) replaceArgs(p.args, repl);
    if (idom[id]! >= 0) continue;
    // Not in the dominator tree (the entry does not reach it), so not walked.
    for (const i of b.insts) replaceArgs(i.args, repl);
    replaceTermUses(b.term, repl);
  }
  return removed;
}
