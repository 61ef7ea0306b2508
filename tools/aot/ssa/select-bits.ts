// Leading and trailing zero counts (i32/i64 clz and ctz). asc's allocator
// (tlsf) computes a size class with clz and finds a free list with ctz on
// every allocation; bridged through version 1 they went through a frame
// slot both ways.
//
// bsr/bsf leave the destination undefined and set ZF for a zero source
// (lzcnt/tzcnt are not in the x86-64-v2 baseline), so the zero case is
// patched in with cmov from rdx: for clz, bsr gives the top set bit's
// index, w-1 - index = index ^ (w-1), and a zero source takes 2w-1, which
// the xor turns into w; for ctz a zero source takes w.

import { Op } from "../../wasm/index.ts";
import { gpr, imm } from "../../x86/index.ts";
import type { Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import type { Selector } from "./select-int.ts";

const RAX = gpr(0, 64);
const RCX = gpr(1, 64);

/** clz (leading) or ctz (trailing) at width w. */
function count(w: 32 | 64, leading: boolean): Selector {
  return (g: Gen, i: Inst): void => {
    const a = g.a;
    const s = g.src(i.args[0]!, w, RCX);
    const src = s.kind === "imm" ? (a.mov(gpr(1, w), s), gpr(1, w)) : s;
    const d = g.dst(i, RAX);
    a.mov(gpr(2, 32), imm(leading ? 2 * w - 1 : w));
    if (leading) a.bsr(d, src);
    else a.bsf(d, src);
    a.cmovcc("z", d, gpr(2, w));
    if (leading) a.xor(d, imm(w - 1));
    g.finish(i, d);
  };
}

export const bitSelectors: ReadonlyMap<number, Selector> = new Map<number, Selector>([
  [Op.I32Clz, count(32, true)],
  [Op.I64Clz, count(64, true)],
  [Op.I32Ctz, count(32, false)],
  [Op.I64Ctz, count(64, false)],
]);
