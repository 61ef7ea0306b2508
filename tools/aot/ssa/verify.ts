// The IR verifier: run between passes by the tests (and by anyone with
// ATOLL_AOT_VERIFY=1), it checks what every pass relies on: the edges agree
// in both directions, each phi has one operand per predecessor and the
// operands have its type, every operand is defined by an instruction still
// in the function, and every definition dominates its uses (a phi's operand
// at the end of the matching predecessor).

import { resetTemps, tempInt32s } from "./arena.ts";
import { IrOp, successors, termUses, type IrFunction, type Terminator } from "./ir.ts";

/**
 * Immediate dominators over the layout's blocks (Cooper, Harvey & Kennedy, "A Simple, Fast Dominance
 * Algorithm"), by block id: the entry is its own, -1 for a block the entry does not reach. The table is a
 * temporary (arena.ts): valid until the next resetTemps().
 */
export function dominators(f: IrFunction): Int32Array {
  const n = f.blocks.length;
  const order = tempInt32s(n, 0);
  const index = tempInt32s(n, -1);
  const count = numberReversePostorder(f, order, index);
  const idom = tempInt32s(n, -1);
  idom[order[0]!] = order[0]!;
  let changed = true;
  while (changed) {
    changed = false;
    for (let k = 1; k < count; k++) {
      const b = order[k]!;
      const preds = f.blocks[b]!.preds;
      let d = -1;
      for (let j = 0; j < preds.length; j++) {
        const p = preds[j]!;
        if (idom[p]! < 0) continue; // not processed yet, or not reached
        if (d < 0) {
          d = p;
          continue;
        }
        // intersect(p, d): walk both up the tree being built until they meet.
        let x = p;
        while (x !== d) {
          while (index[x]! > index[d]!) x = idom[x]!;
          while (index[d]! > index[x]!) d = idom[d]!;
        }
      }
      if (d >= 0 && idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  return idom;
}

/** Successor k of a terminator, in successors()' order but with repeats (-1 past the last). */
function successorAt(t: Terminator, k: number): number {
  switch (t.kind) {
    case "jump":
      return k === 0 ? t.target : -1;
    case "branch":
      return k === 0 ? t.then : k === 1 ? t.else : -1;
    case "switch":
      return k < t.targets.length ? t.targets[k]! : k === t.targets.length ? t.default : -1;
    default:
      return -1;
  }
}

/**
 * Puts the blocks reachable from the entry in reverse postorder (the order the dominance algorithm needs)
 * at the start of `order`, and each one's place in that order in `index` (by block id; `index` comes
 * filled with -1, which it keeps for the blocks not reached). Returns how many there are.
 */
function numberReversePostorder(f: IrFunction, order: Int32Array, index: Int32Array): number {
  const n = f.blocks.length;
  let count = 0;
  // Iterative DFS (a long chain of blocks must not overflow the JS stack): the path in the first half of
  // `stack`, the next successor of each in the second. index[b] = 0 marks b as seen until it gets its place.
  const stack = tempInt32s(2 * n, 0);
  let depth = 0;
  stack[0] = f.layout[0]!;
  index[stack[0]!] = 0;
  while (depth >= 0) {
    const b = stack[depth]!;
    const s = successorAt(f.blocks[b]!.term, stack[n + depth]!++);
    if (s < 0) {
      order[count++] = b; // postorder
      depth--;
    } else if (index[s]! < 0) {
      // A repeated successor was seen when first pushed, so repeats change nothing.
      index[s] = 0;
      stack[++depth] = s;
      stack[n + depth] = 0;
    }
  }
  order.subarray(0, count).reverse();
  for (let k = 0; k < count; k++) index[order[k]!] = k;
  return count;
}

/** The blocks reachable from the entry, in reverse postorder. A temporary (arena.ts). */
export function reversePostorder(f: IrFunction): Int32Array {
  const order = tempInt32s(f.blocks.length, 0);
  const count = numberReversePostorder(f, order, tempInt32s(f.blocks.length, -1));
  return order.subarray(0, count);
}

/** Throws when f breaks an invariant the passes rely on (see above); `after` names the pass for the message. */
export function verify(f: IrFunction, after: string): void {
  const fail = (what: string): never => {
    throw new Error(`tools/aot: ${f.where}: IR invalid after ${after}: ${what}`);
  };
  const inLayout = new Set(f.layout);
  if (inLayout.size !== f.layout.length) fail("a block is twice in the layout");
  const defBlock = new Map<number, number>();
  const defIndex = new Map<number, number>();
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    b.phis.forEach((p) => {
      if (p.op !== IrOp.Phi) fail(`v${p.id} is among the phis of b${id} but is not one`);
      defBlock.set(p.id, id);
      defIndex.set(p.id, -1);
    });
    b.insts.forEach((i, k) => {
      if (i.op === IrOp.Phi) fail(`phi v${i.id} among the instructions of b${id}`);
      if (defBlock.has(i.id)) fail(`v${i.id} defined twice`);
      defBlock.set(i.id, id);
      defIndex.set(i.id, k);
    });
  }
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const s of successors(b.term)) {
      if (!inLayout.has(s)) fail(`b${id} branches to b${s}, which is not in the layout`);
      if (!f.blocks[s]!.preds.includes(id)) fail(`b${id} → b${s} is missing from b${s}'s predecessors`);
    }
    for (const p of b.preds) {
      if (!inLayout.has(p)) fail(`b${id} has predecessor b${p}, which is not in the layout`);
      if (!successors(f.blocks[p]!.term).includes(id)) fail(`b${p} is a predecessor of b${id} but does not branch to it`);
    }
    if (new Set(b.preds).size !== b.preds.length) fail(`b${id} lists a predecessor twice`);
  }
  resetTemps();
  const idom = dominators(f);
  const dominates = (x: number, y: number): boolean => {
    for (let b = y; ; b = idom[b]!) {
      if (b === x) return true;
      if (idom[b] === b || idom[b]! < 0) return false;
    }
  };
  /** The definition of v is available at instruction k of block `at` (k = Infinity: its end). */
  const check = (v: number, at: number, k: number, user: string): void => {
    const d = defBlock.get(v);
    if (d === undefined) fail(`${user} uses v${v}, which no instruction in the function defines`);
    if (d === at ? defIndex.get(v)! >= k : !dominates(d!, at)) fail(`${user} uses v${v} (defined in b${d}), which does not dominate it`);
  };
  for (const id of f.layout) {
    const b = f.blocks[id]!;
    for (const p of b.phis) {
      if (p.args.length !== b.preds.length) fail(`phi v${p.id} in b${id} has ${p.args.length} operands for ${b.preds.length} predecessors`);
      p.args.forEach((a, j) => {
        if (f.values[a]!.type !== p.type) fail(`phi v${p.id} (${p.type}) has operand v${a} of type ${f.values[a]!.type}`);
        check(a, b.preds[j]!, Infinity, `phi v${p.id}`);
      });
    }
    b.insts.forEach((i, k) => {
      for (const a of i.args) check(a, id, k, `v${i.id}`);
    });
    for (const v of termUses(b.term)) check(v, id, Infinity, `the terminator of b${id}`);
  }
}
