// wasm `select`: cmov for integers, a short branch for floats. An integer
// select whose condition is a compare fused into it (fuse.ts) sets the flags
// with that compare's `cmp` and picks with the opposite condition code: no
// 0/1 in a register and no `test`.

import { Op } from "../../wasm/index.ts";
import { gpr, IntOp, negate, xmm, type Gpr } from "../../x86/index.ts";
import { isFloat, RBP, widthOf, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import { compareFlags, type Selector } from "./select-int.ts";

/** Sets the flags for `cond != 0`; returns false when cond is a constant (then nothing is emitted). */
function testCond(g: Gen, cond: number): boolean {
  if (g.isConst(cond)) return false;
  const r = g.gpr(cond, 32);
  if (r !== null) g.a.rr(IntOp.Test, 32, r.num, r.num);
  else g.a.mi(IntOp.Cmp, 32, RBP, -1, 1, g.slotDispOf(cond), 0);
  return true;
}

const choose: Selector = (g: Gen, i: Inst) => {
  const [x, y, cond] = i.args as [number, number, number];
  if (g.isConst(cond)) {
    // Known condition: a move.
    const pick = g.bits(cond) & 0xffff_ffffn ? x : y;
    if (isFloat(i.type)) {
      const d = g.fdst(i, xmm(0));
      g.floadInto(d, pick);
      g.ffinish(i, d);
    } else {
      const d = g.dst(i, gpr(0, 64));
      g.loadInto(d, pick);
      g.finish(i, d);
    }
    return;
  }
  if (isFloat(i.type)) {
    const own = g.fdst(i, xmm(0));
    const d = !g.isConst(y) && g.xmm(y)?.num === own.num ? xmm(0) : own;
    g.floadInto(d, x);
    testCond(g, cond);
    const done = g.a.newLabel();
    g.a.jcc("nz", done);
    g.floadInto(d, y);
    g.a.bind(done);
    if (d.num !== own.num) g.a.movaps(own, d);
    g.ffinish(i, own);
    return;
  }
  const w = widthOf(i.type);
  const own = g.dst(i, gpr(0, 64));
  const alias = (v: number): boolean => !g.isConst(v) && g.regOf(v) === own.num;
  const fused = g.fused[cond] === 1;
  // The flags first when the compare is fused: its scratch registers (rax, rcx) are free again after it.
  const cc = fused ? compareFlags(g, g.value(cond)) : "z";
  const d: Gpr = alias(y) || (!fused && alias(cond)) ? gpr(0, w) : gpr(own.num, w);
  let other = g.src(y, w, gpr(1, 64));
  if (other.kind === "imm") {
    g.a.mov(gpr(1, w), other);
    other = gpr(1, w);
  }
  g.loadInto(d, x, fused); // a fused compare's flags are set already
  if (!fused) testCond(g, cond);
  g.a.cmovcc(fused ? negate(cc) : "z", d, other);
  if (d.num !== own.num) g.a.rr(IntOp.Mov, w, own.num, d.num);
  g.finish(i, gpr(own.num, w));
};

export const choiceSelectors: ReadonlyMap<number, Selector> = new Map<number, Selector>([[Op.Select, choose]]);
