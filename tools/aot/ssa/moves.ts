// The moves into a block's phis at the end of a predecessor, done as one
// parallel assignment: a move runs once nothing still to be read is in its
// destination; a cycle is broken through a scratch register (rax, xmm0);
// constants are written last, when no move needs a scratch register any more.

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

/** Moves the values `srcs` into the locations of `dsts` (phis), all at once. */
export function parallelMove(g: Gen, dsts: readonly number[], srcs: readonly number[]): void {
  if (dsts.length === 0) return;
  let moves: Move[] = [];
  const consts: [number, number][] = [];
  dsts.forEach((d, i) => {
    const s = srcs[i]!;
    if (g.regOf(d) < 0 && g.alloc.slot[d]! < 0) return; // a phi nobody reads
    const dl = locOf(g, d)!;
    if (g.isConst(s)) {
      consts.push([d, s]);
      return;
    }
    const sl = locOf(g, s)!;
    if (key(sl) === key(dl)) return;
    const t = g.value(d).type;
    moves.push({ dst: dl, src: sl, wide: t === "i64" || t === "f64", float: isFloat(t) });
  });
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
  for (const [d, s] of consts) {
    const t = g.value(d).type!;
    const dl = locOf(g, d)!;
    if (dl.k === "g") g.constInto(gpr(dl.n, t === "i64" ? 64 : 32), g.bits(s));
    else if (dl.k === "x") g.fconstInto(xmm(dl.n) as Xmm, t, g.bits(s));
    else {
      const b = g.bits(s);
      const r = gpr(0, 64);
      g.constInto(r, b);
      g.a.mov(mem(rbp, { disp: dl.d }, 64), r);
    }
  }
}
