// Parallel moves: the moves into a block's phis at the end of a
// predecessor, a call's arguments into their registers, the parameters out
// of theirs at a function's entry. Each is one parallel assignment: a move
// runs once nothing still to be read is in its destination; a cycle is
// broken through a scratch register (rax, xmm0); constants are written
// last, when no move needs a scratch register any more.
//
// A location is one number (`Loc`), and an assignment is a few numbers per
// move in arrays reused from one assignment to the next: the code generator
// makes one at the end of nearly every block and at every call.

import type { ValType } from "../../wasm/index.ts";
import { gpr, IntOp, mem, rbp, xmm } from "../../x86/index.ts";
import type { Gen } from "./gen.ts";
import { isFloat, RBP } from "./gen.ts";

const RAX = gpr(0, 64);
import type { Inst } from "./ir.ts";

/**
 * A location as a number, distinct for distinct locations: 4n for general
 * register n, 4n + 1 for xmm register n, 4d + 3 for the frame slot at rbp
 * displacement d. `loc >> 2` gives n or d back, `loc & 3` the kind.
 */
type Loc = number;
const GPR = 0, XMM = 1, SLOT = 3;

/** Where v lives (v is not a constant and has a location). */
function locOf(g: Gen, v: number): Loc {
  const r = g.regOf(v);
  if (r >= 0) return isFloat(g.value(v).type) ? 4 * r + XMM : 4 * r;
  return 4 * g.slotDispOf(v) + SLOT;
}

/** Register r holding a value of type t. */
function regLoc(r: number, t: ValType | null): Loc {
  return isFloat(t) ? 4 * r + XMM : 4 * r;
}

/** Whether v has no location (a phi or parameter nobody reads). */
function unused(g: Gen, v: number): boolean {
  return g.regOf(v) < 0 && g.alloc.slot[v]! < 0;
}

/** The pending moves of the assignment being made: destination, source, and whether it moves 64 bits / a float. */
let moveDst = new Int32Array(16);
let moveSrc = new Int32Array(16);
let moveWide = new Uint8Array(16);
let moveFloat = new Uint8Array(16);
let moveCount = 0;
/** Its constants, in order: destination, the constant's value id, and the type to write it as (the first constCount). */
const constDst: number[] = [];
const constValue: number[] = [];
const constType: ValType[] = [];
let constCount = 0;

function start(): void {
  moveCount = 0;
  constCount = 0;
}

function addMove(dst: Loc, src: Loc, t: ValType | null): void {
  if (moveCount === moveDst.length) {
    const n = 2 * moveCount;
    const d = new Int32Array(n), s = new Int32Array(n), w = new Uint8Array(n), fl = new Uint8Array(n);
    d.set(moveDst);
    s.set(moveSrc);
    w.set(moveWide);
    fl.set(moveFloat);
    moveDst = d;
    moveSrc = s;
    moveWide = w;
    moveFloat = fl;
  }
  moveDst[moveCount] = dst;
  moveSrc[moveCount] = src;
  moveWide[moveCount] = t === "i64" || t === "f64" ? 1 : 0;
  moveFloat[moveCount] = isFloat(t) ? 1 : 0;
  moveCount++;
}

/** Adds "value `src` (of type t) into `dst`" to the assignment. */
function assign(g: Gen, dst: Loc, src: number, t: ValType | null): void {
  if (g.isConst(src)) {
    constDst[constCount] = dst;
    constValue[constCount] = src;
    constType[constCount++] = t!;
    return;
  }
  const sl = locOf(g, src);
  if (sl !== dst) addMove(dst, sl, t);
}

function emitMove(g: Gen, dst: Loc, src: Loc, wide: boolean): void {
  const a = g.a;
  const size = wide ? 64 : 32;
  const dn = dst >> 2, sn = src >> 2;
  const sk = src & 3;
  if ((dst & 3) === GPR) {
    if (sk === GPR) a.rr(IntOp.Mov, size, dn, sn);
    else if (sk === XMM) (wide ? a.movq(gpr(dn, 64), xmm(sn)) : a.movd(gpr(dn, 32), xmm(sn)));
    else a.rm(IntOp.Mov, size, dn, RBP, -1, 1, sn);
  } else if ((dst & 3) === XMM) {
    const d = xmm(dn);
    if (sk === XMM) a.movaps(d, xmm(sn));
    else if (sk === GPR) (wide ? a.movq(d, gpr(sn, 64)) : a.movd(d, gpr(sn, 32)));
    else a.movsd(d, mem(rbp, { disp: sn }, 64));
  } else {
    if (sk === GPR) a.mr(IntOp.Mov, 64, RBP, -1, 1, dn, sn);
    else if (sk === XMM) a.movsd(mem(rbp, { disp: dn }, 64), xmm(sn));
    else {
      // Memory to memory: through rcx, which no pending move uses.
      a.rm(IntOp.Mov, 64, 1, RBP, -1, 1, sn);
      a.mr(IntOp.Mov, 64, RBP, -1, 1, dn, 1);
    }
  }
}

/** Whether the moves into `phis` along their block's `j`-th incoming edge need no code: each operand already sits where its phi lives, or the phi has no location. */
export function phiMovesAreNoOps(g: Gen, phis: readonly Inst[], j: number): boolean {
  for (let k = 0; k < phis.length; k++) {
    const d = phis[k]!.id;
    if (unused(g, d)) continue;
    const s = phis[k]!.args[j]!;
    if (g.isConst(s) || locOf(g, s) !== locOf(g, d)) return false;
  }
  return true;
}

/** Moves the operands of `phis` along their block's `j`-th incoming edge into the phis' locations, all at once. */
export function moveIntoPhis(g: Gen, phis: readonly Inst[], j: number): void {
  if (phis.length === 0) return;
  start();
  for (let k = 0; k < phis.length; k++) {
    const p = phis[k]!;
    if (unused(g, p.id)) continue; // a phi nobody reads
    assign(g, locOf(g, p.id), p.args[j]!, p.type);
  }
  run(g);
}

/** Moves the values `srcs` into registers `regs` (a call's arguments), all at once. */
export function moveIntoRegisters(g: Gen, regs: readonly number[], srcs: readonly number[]): void {
  start();
  for (let k = 0; k < srcs.length; k++) {
    const v = srcs[k]!;
    const t = g.value(v).type;
    assign(g, regLoc(regs[k]!, t), v, t);
  }
  run(g);
}

/** Moves registers `regs` into the locations of the values `dsts` (parameters at the entry), all at once. */
export function moveOutOfRegisters(g: Gen, dsts: readonly number[], regs: readonly number[]): void {
  start();
  for (let k = 0; k < dsts.length; k++) {
    const d = dsts[k]!;
    if (unused(g, d)) continue; // a parameter nobody reads
    const t = g.value(d).type;
    const dl = locOf(g, d);
    const sl = regLoc(regs[k]!, t);
    if (sl !== dl) addMove(dl, sl, t);
  }
  run(g);
}

function run(g: Gen): void {
  let n = moveCount;
  while (n > 0) {
    // The first move whose destination no pending move reads.
    let k = -1;
    for (let x = 0; x < n && k < 0; x++) {
      const d = moveDst[x]!;
      let read = false;
      for (let y = 0; y < n && !read; y++) read = moveSrc[y] === d;
      if (!read) k = x;
    }
    if (k >= 0) {
      emitMove(g, moveDst[k]!, moveSrc[k]!, moveWide[k] === 1);
      n--;
      // The rest keep their order (it decides the code); a handful of moves: a loop, not four copyWithin calls.
      for (let x = k; x < n; x++) {
        moveDst[x] = moveDst[x + 1]!;
        moveSrc[x] = moveSrc[x + 1]!;
        moveWide[x] = moveWide[x + 1]!;
        moveFloat[x] = moveFloat[x + 1]!;
      }
      continue;
    }
    // Every destination is still to be read: a cycle. Park one source in scratch.
    const scratch = moveFloat[0] === 1 ? 4 * 0 + XMM : 4 * 0 + GPR;
    const from = moveSrc[0]!;
    emitMove(g, scratch, from, true);
    for (let x = 0; x < n; x++) if (moveSrc[x] === from) moveSrc[x] = scratch;
  }
  for (let k = 0; k < constCount; k++) {
    const dl = constDst[k]!, t = constType[k]!, b = g.bits(constValue[k]!);
    if ((dl & 3) === GPR) g.constInto(gpr(dl >> 2, t === "i64" ? 64 : 32), b);
    else if ((dl & 3) === XMM) g.fconstInto(xmm(dl >> 2), t, b);
    else {
      g.constInto(RAX, b);
      g.a.mr(IntOp.Mov, 64, RBP, -1, 1, dl >> 2, 0);
    }
  }
}
