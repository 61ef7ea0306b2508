// The IR verifier: run between passes by the tests (and by anyone with
// ATOLL_AOT_VERIFY=1), it checks what every pass relies on: the edges agree
// in both directions, each phi has one operand per predecessor and the
// operands have its type, every operand is defined by an instruction still
// in the function, and every definition dominates its uses (a phi's operand
// at the end of the matching predecessor).

import { IrOp, successors, termUses, type IrFunction } from "./ir.ts";

/** Immediate dominators over the layout's blocks (Cooper, Harvey & Kennedy, "A Simple, Fast Dominance Algorithm"). */
export function dominators(f: IrFunction): Map<number, number> {
  const order = reversePostorder(f);
  const index = new Map(order.map((b, k) => [b, k]));
  const idom = new Map<number, number>([[order[0]!, order[0]!]]);
  const intersect = (x: number, y: number): number => {
    while (x !== y) {
      while (index.get(x)! > index.get(y)!) x = idom.get(x)!;
      while (index.get(y)! > index.get(x)!) y = idom.get(y)!;
    }
    return x;
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of order.slice(1)) {
      let d: number | undefined;
      for (const p of f.blocks[b]!.preds) {
        if (!idom.has(p)) continue;
        d = d === undefined ? p : intersect(p, d);
      }
      if (d !== undefined && idom.get(b) !== d) {
        idom.set(b, d);
        changed = true;
      }
    }
  }
  return idom;
}

/** The blocks reachable from the entry, in reverse postorder (the order the dominance algorithm needs). */
export function reversePostorder(f: IrFunction): number[] {
  const seen = new Set<number>();
  const post: number[] = [];
  // Iterative DFS: a long chain of blocks must not overflow the JS stack.
  const stack: [number, number[]][] = [];
  const push = (b: number): void => {
    seen.add(b);
    stack.push([b, successors(f.blocks[b]!.term)]);
  };
  push(f.layout[0]!);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const next = top[1].shift();
    if (next === undefined) {
      post.push(top[0]);
      stack.pop();
    } else if (!seen.has(next)) push(next);
  }
  return post.reverse();
}

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
  const idom = dominators(f);
  const dominates = (x: number, y: number): boolean => {
    for (let b = y; ; b = idom.get(b)!) {
      if (b === x) return true;
      if (idom.get(b) === b || idom.get(b) === undefined) return false;
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
