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

import { Op } from "../../wasm/index.ts";
import { isPure } from "./dce.ts";
import { IrOp, mapTermUses, replaceUses, type Inst, type IrFunction } from "./ir.ts";
import { dominators } from "./verify.ts";

const COMMUTATIVE = new Set<number>([Op.I32Add, Op.I32Mul, Op.I32And, Op.I32Or, Op.I32Xor, Op.I32Eq, Op.I32Ne, Op.I64Add, Op.I64Mul, Op.I64And, Op.I64Or, Op.I64Xor, Op.I64Eq, Op.I64Ne]);

/** One level of the value-number trie: the number of the computation so far, and the next operand's levels. */
interface Trie {
  n: number;
  next: Map<number, Trie>;
}

const TYPE_CODE: Readonly<Record<string, number>> = { i32: 0, i64: 1, f32: 2, f64: 3 };

/** Integer and float compares: their result is exactly 0 or 1. */
const isCompare = (op: number): boolean => op >= Op.I32Eqz && op <= Op.F64Ge;

/** Returns whether a branch was removed (then unreachable blocks and trivial phis need another pass). */
export function eliminateCommonSubexpressions(f: IrFunction): boolean {
  const idom = dominators(f);
  const children = new Map<number, number[]>();
  for (const id of f.layout) {
    const d = idom.get(id);
    if (d === undefined || d === id) continue;
    const list = children.get(d);
    if (list === undefined) children.set(d, [id]);
    else list.push(id);
  }
  const repl = new Map<number, number>();
  const find = (v: number): number => {
    let r = v;
    for (let n = repl.get(r); n !== undefined; n = repl.get(r)) r = n;
    return r;
  };
  const pureKey = (i: Inst): boolean => i.op !== IrOp.Phi && i.op !== IrOp.Param && i.op !== Op.GlobalGet && i.op !== IrOp.CallResult && isPure(i);
  // Value numbers, in layout order (operands come before their users but for phis, which get their own).
  const vn = new Int32Array(f.values.length).fill(-1);
  /** A value's number; -1 for the constants this pass makes. */
  const vnOf = (v: number): number => (v < vn.length ? vn[v]! : -1);
  // Numbers by computation, as a trie keyed by opcode and type, then each operand's number (no strings to build).
  const consts = new Map<string, Map<bigint, number>>();
  const computations = new Map<number, Trie>();
  let next = 0;
  const number = (i: Inst): number => {
    if (i.op === IrOp.Const) {
      let byBits = consts.get(i.type!);
      if (byBits === undefined) consts.set(i.type!, (byBits = new Map()));
      let n = byBits.get(i.bits);
      if (n === undefined) byBits.set(i.bits, (n = next++));
      return n;
    }
    if (!pureKey(i)) return next++;
    const args = i.args.map((a) => vn[a]!);
    if (COMMUTATIVE.has(i.op)) args.sort((x, y) => x - y);
    const head = i.op * 4 + TYPE_CODE[i.type!]!;
    let node: Trie | undefined = computations.get(head);
    if (node === undefined) computations.set(head, (node = { n: -1, next: new Map() }));
    for (const a of args) {
      let child: Trie | undefined = node.next.get(a);
      if (child === undefined) node.next.set(a, (child = { n: -1, next: new Map() }));
      node = child;
    }
    if (node.n < 0) node.n = next++;
    return node.n;
  };
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const p of b.phis) vn[p.id] = next++;
    for (const i of b.insts) vn[i.id] = number(i);
  }

  const facts = new Map<number, boolean>();
  const undo: (() => void)[] = [];
  const known = (n: number, v: boolean): void => {
    const had = facts.has(n);
    const old = facts.get(n);
    facts.set(n, v);
    undo.push(() => (had ? facts.set(n, old!) : facts.delete(n)));
  };
  const constant = (at: Inst, bits: bigint): Inst => {
    const c: Inst = { id: f.values.length, op: IrOp.Const, type: "i32", args: [], block: at.block, ins: null, bits, index: 0, origin: at.origin };
    f.values.push(c);
    return c;
  };
  let removed = false;

  // Iterative walk of the dominator tree: enter a block (its facts and values), then its children, then undo.
  const stack: { id: number; mark: number; entered: boolean }[] = [{ id: f.layout[0]!, mark: 0, entered: false }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.entered) {
      while (undo.length > top.mark) undo.pop()!();
      stack.pop();
      continue;
    }
    top.entered = true;
    top.mark = undo.length;
    const b = f.blocks[top.id]!;
    if (b.preds.length === 1) {
      const p = f.blocks[b.preds[0]!]!.term;
      if (p.kind === "branch" && p.then !== p.else && vnOf(p.cond) >= 0) known(vnOf(p.cond), p.then === b.id);
    }
    const out: Inst[] = [];
    const local = new Map<number, number>();
    for (const i of b.insts) {
      i.args = i.args.map(find);
      const n = vn[i.id]!;
      if (isCompare(i.op) && facts.has(n)) {
        const c = constant(i, facts.get(n) ? 1n : 0n);
        out.push(c);
        repl.set(i.id, c.id);
        continue;
      }
      if (pureKey(i) && !isCompare(i.op)) {
        const v = local.get(n);
        if (v !== undefined) {
          repl.set(i.id, v);
          continue;
        }
        local.set(n, i.id);
      }
      out.push(i);
    }
    b.insts = out;
    mapTermUses(b.term, find);
    const t = b.term;
    if (t.kind === "branch" && t.then !== t.else) {
      const c = f.values[t.cond]!;
      const way = c.op === IrOp.Const ? (c.bits & 0xffff_ffffn) !== 0n : facts.get(vnOf(t.cond));
      if (way !== undefined) {
        const [go, drop] = way ? [t.then, t.else] : [t.else, t.then];
        const other = f.blocks[drop]!;
        const j = other.preds.indexOf(b.id);
        other.preds.splice(j, 1);
        for (const phi of other.phis) phi.args.splice(j, 1);
        b.term = { kind: "jump", target: go };
        removed = true;
      }
    }
    for (const c of children.get(top.id) ?? []) stack.push({ id: c, mark: 0, entered: false });
  }
  replaceUses(f, repl);
  return removed;
}

