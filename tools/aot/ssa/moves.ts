// Parallel moves: the moves into a block's phis at the end of a
// predecessor, a call's arguments into their registers, the parameters out
// of theirs at a function's entry. Each is one parallel assignment: a move
// runs once nothing still to be read is in its destination; a cycle is
// broken through a scratch register (rax, xmm0); constants are written
// last, when no move needs a scratch register any more.

import type { ValType } from "../../wasm/index.ts";
import { gpr, mem, rbp, xmm, type Gpr, type Mem, type Xmm } from "../../x86/index.ts";
import type { Gen } from "./gen.ts";
import { isFloat } from "./gen.ts";

/** A location: general register, xmm register, or frame slot (rbp displacement). */
type Loc = { k: "g"; n: number } | { k: "x"; n: number } | { k: "m"; d: number };

/** A number per location, distinct for distinct locations: 4n for a general register, 4n + 1 for an xmm register, 4d + 3 for a slot. */
const key = (l: Loc): number => (l.k === "m" ? 4 * l.d + 3 : l.k === "x" ? 4 * l.n + 1 : 4 * l.n);

function locOf(g: Gen, v: number): Loc | null {
  if (g.isConst(v)) return null;
  const r = g.regOf(v);
  if (r >= 0) return isFloat(g.value(v).type) ? { k: "x", n: r } : { k: "g", n: r };
  return { k: "m", d: g.slotMem(v).disp };
}

interface Move {
  dst: Loc;
  src: Loc;
  wide: boolean;
  float: boolean;
}

function emitMove(g: Gen, m: Move): void {
  const a = g.a;
  const size = m.wide ? 64 : 32;
  const { dst, src } = m;
  if (dst.k === "g") {
    const d = gpr(dst.n, size);
    if (src.k === "g") a.mov(d, gpr(src.n, size));
    else if (src.k === "x") (m.wide ? a.movq(d, xmm(src.n)) : a.movd(d, xmm(src.n)));
    else a.mov(d, mem(rbp, { disp: src.d }, size));
  } else if (dst.k === "x") {
    const d = xmm(dst.n);
    if (src.k === "x") a.movaps(d, xmm(src.n));
    else if (src.k === "g") (m.wide ? a.movq(d, gpr(src.n, 64)) : a.movd(d, gpr(src.n, 32)));
    else a.movsd(d, mem(rbp, { disp: src.d }, 64));
  } else {
    const d: Mem = mem(rbp, { disp: dst.d }, 64);
    if (src.k === "g") a.mov(d, gpr(src.n, 64));
    else if (src.k === "x") a.movsd(d, xmm(src.n));
    else {
      // Memory to memory: through rcx, which no pending move uses.
      const t: Gpr = gpr(1, 64);
      a.mov(t, mem(rbp, { disp: src.d }, 64));
      a.mov(d, t);
    }
  }
}

/** Whether moving `srcs` into `dsts` (phis) needs no code: each source already sits where its phi lives, or the phi has no location. */
export function movesAreNoOps(g: Gen, dsts: readonly number[], srcs: readonly number[]): boolean {
  return dsts.every((d, i) => {
    if (g.regOf(d) < 0 && g.alloc.slot[d]! < 0) return true;
    const s = srcs[i]!;
    return !g.isConst(s) && key(locOf(g, s)!) === key(locOf(g, d)!);
  });
}

/** A register of a value of type t as a location. */
function regLoc(r: number, t: ValType): Loc {
  return isFloat(t) ? { k: "x", n: r } : { k: "g", n: r };
}

/** What one parallel assignment does: copies between locations, then constants. */
interface Assignment {
  moves: Move[];
  consts: { dst: Loc; type: ValType; bits: bigint }[];
}

/** Adds "value `src` (of type t) into `dst`" to an assignment. */
function assign(g: Gen, as: Assignment, dst: Loc, src: number, t: ValType): void {
  if (g.isConst(src)) {
    as.consts.push({ dst, type: t, bits: g.bits(src) });
    return;
  }
  const sl = locOf(g, src)!;
  if (key(sl) === key(dst)) return;
  as.moves.push({ dst, src: sl, wide: t === "i64" || t === "f64", float: isFloat(t) });
}

/** Moves the values `srcs` into the locations of `dsts` (phis), all at once. */
export function parallelMove(g: Gen, dsts: readonly number[], srcs: readonly number[]): void {
  if (dsts.length === 0) return;
  const as: Assignment = { moves: [], consts: [] };
  dsts.forEach((d, i) => {
    if (g.regOf(d) < 0 && g.alloc.slot[d]! < 0) return; // a phi nobody reads
    assign(g, as, locOf(g, d)!, srcs[i]!, g.value(d).type!);
  });
  run(g, as);
}

/** Moves the values `srcs` into registers `regs` (a call's arguments), all at once. */
export function moveIntoRegisters(g: Gen, regs: readonly number[], srcs: readonly number[]): void {
  const as: Assignment = { moves: [], consts: [] };
  srcs.forEach((v, i) => {
    const t = g.value(v).type!;
    assign(g, as, regLoc(regs[i]!, t), v, t);
  });
  run(g, as);
}

/** Moves registers `regs` into the locations of the values `dsts` (parameters at the entry), all at once. */
export function moveOutOfRegisters(g: Gen, dsts: readonly number[], regs: readonly number[]): void {
  const as: Assignment = { moves: [], consts: [] };
  dsts.forEach((d, i) => {
    if (g.regOf(d) < 0 && g.alloc.slot[d]! < 0) return; // a parameter nobody reads
    const t = g.value(d).type!;
    const dl = locOf(g, d)!;
    const sl = regLoc(regs[i]!, t);
    if (key(sl) !== key(dl)) as.moves.push({ dst: dl, src: sl, wide: t === "i64" || t === "f64", float: isFloat(t) });
  });
  run(g, as);
}

function run(g: Gen, as: Assignment): void {
  let moves = as.moves;
  while (moves.length > 0) {
    const reading = new Set(moves.map((m) => key(m.src)));
    const k = moves.findIndex((m) => !reading.has(key(m.dst)));
    if (k >= 0) {
      emitMove(g, moves[k]!);
      moves.splice(k, 1);
      continue;
    }
    // Every destination is still to be read: a cycle. Park one source in scratch.
    const m = moves[0]!;
    const scratch: Loc = m.float ? { k: "x", n: 0 } : { k: "g", n: 0 };
    const from = m.src;
    emitMove(g, { dst: scratch, src: from, wide: true, float: m.float });
    moves = moves.map((x) => (key(x.src) === key(from) ? { ...x, src: scratch } : x));
  }
  for (const { dst: dl, type: t, bits: b } of as.consts) {
    if (dl.k === "g") g.constInto(gpr(dl.n, t === "i64" ? 64 : 32), b);
    else if (dl.k === "x") g.fconstInto(xmm(dl.n) as Xmm, t, b);
    else {
      const r = gpr(0, 64);
      g.constInto(r, b);
      g.a.mov(mem(rbp, { disp: dl.d }, 64), r);
    }
  }
}
