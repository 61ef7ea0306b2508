// Which calls version 2 inlines: calls to small defined functions (smaller
// still outside loops, where inlining buys little time and costs code), at
// most a few levels deep and never recursively. "Small" counts the instructions
// that become code; local.get/set/tee, constants and block markers are
// free in SSA, and an `if` arm that ends in `unreachable` (asc's abort
// path: a call to abort with constant arguments, then unreachable) counts
// as one instruction, since it is cold and out of the way.

import { Op, type Func, type Module } from "../../wasm/index.ts";

/** Inline callees up to this cost at a call inside a loop. */
export const INLINE_COST = Number(process.env.ATOLL_AOT_INLINE ?? 24);
/** Inline callees up to this cost anywhere (about what the call itself costs). */
export const INLINE_ANYWHERE = Math.min(INLINE_COST, Number(process.env.ATOLL_AOT_INLINE_ANYWHERE ?? 8));
/** Inlined bodies inside inlined bodies, at most this deep. */
export const INLINE_DEPTH = 3;

/** The free opcodes (all one-byte ones), as a table by opcode. */
const FREE = new Uint8Array(256);
for (const op of [Op.Nop, Op.Block, Op.Loop, Op.End, Op.Else, Op.LocalGet, Op.LocalSet, Op.LocalTee, Op.Drop, Op.I32Const, Op.I64Const, Op.F32Const, Op.F64Const]) FREE[op] = 1;

/** The cost of inlining `fn` (see the top of this file). */
export function inlineCost(fn: Func): number {
  return costUpTo(fn, Infinity);
}

/**
 * inlineCost(fn), or some cost above `limit` once the count is sure to end
 * above it: past `limit` with no `if` open, since only closing an `if` (whose
 * arm ends in `unreachable`) takes the count back, and never below where it
 * was when that `if` opened.
 */
function costUpTo(fn: Func, limit: number): number {
  let cost = 0;
  // Open blocks, loops and ifs: the opcode and the cost when each opened.
  const openOp: number[] = [];
  const openAt: number[] = [];
  let ifs = 0;
  let prev = -1;
  for (const ins of fn.body) {
    if (ins.dead) continue;
    const op = ins.op;
    if (op === Op.Block || op === Op.Loop || op === Op.If) {
      openOp.push(op);
      openAt.push(cost);
      if (op === Op.If) ifs++;
    }
    if (op === Op.End && openOp.length > 0) {
      const o = openOp.pop()!;
      const at = openAt.pop()!;
      if (o === Op.If) {
        ifs--;
        if (prev === Op.Unreachable) cost = at + 1;
      }
    }
    if (op > 0xff || FREE[op] === 0) cost++;
    prev = op;
    if (cost > limit && ifs === 0) return cost;
  }
  return cost;
}

/** The inlining decision for module `m`, with each function's cost computed once. */
export function inlinePolicy(m: Module, numImported: number): (callee: number, depth: number, inLoop: boolean) => Func | null {
  const costs = new Map<number, number>();
  return (callee, depth, inLoop) => {
    if (depth > INLINE_DEPTH || callee < numImported) return null;
    const fn = m.funcs[callee - numImported];
    if (fn === undefined || fn.maxStackDepth === undefined) return null;
    let c = costs.get(callee);
    if (c === undefined) {
      c = costUpTo(fn, INLINE_COST);
      costs.set(callee, c);
    }
    return c <= (inLoop ? INLINE_COST : INLINE_ANYWHERE) ? fn : null;
  };
}
