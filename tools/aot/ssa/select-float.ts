// Instruction selection for float arithmetic that maps to one SSE
// instruction. The rest (min/max, rounding, compares, conversions) goes
// through version 1's emitters (bridge.ts) for now.

import { Op } from "../../wasm/index.ts";
import { xmm, type Assembler, type Mem, type Xmm } from "../../x86/index.ts";
import type { Gen } from "./gen.ts";
import type { Selector } from "./select-int.ts";

type FOp = (a: Assembler, d: Xmm, s: Xmm | Mem) => void;

function fbinary(op: FOp, commutative: boolean): Selector {
  return (g, i) => {
    let [x, y] = i.args as [number, number];
    let d = g.fdst(i, xmm(0));
    const own = d;
    const inD = (v: number): boolean => !g.isConst(v) && g.xmm(v)?.num === d.num;
    if (inD(y) && !inD(x)) {
      if (commutative) [x, y] = [y, x];
      else d = xmm(0);
    }
    g.floadInto(d, x);
    op(g.a, d, g.fsrc(y, xmm(1)));
    if (d.num !== own.num) g.a.movaps(own, d);
    g.ffinish(i, own);
  };
}

function funary(op: FOp): Selector {
  return (g, i) => {
    const d = g.fdst(i, xmm(0));
    op(g.a, d, g.fsrc(i.args[0]!, xmm(1)));
    g.ffinish(i, d);
  };
}

const table: [number, Selector][] = [
  [Op.F32Add, fbinary((a, d, s) => a.addss(d, s), true)],
  [Op.F64Add, fbinary((a, d, s) => a.addsd(d, s), true)],
  [Op.F32Sub, fbinary((a, d, s) => a.subss(d, s), false)],
  [Op.F64Sub, fbinary((a, d, s) => a.subsd(d, s), false)],
  [Op.F32Mul, fbinary((a, d, s) => a.mulss(d, s), true)],
  [Op.F64Mul, fbinary((a, d, s) => a.mulsd(d, s), true)],
  [Op.F32Div, fbinary((a, d, s) => a.divss(d, s), false)],
  [Op.F64Div, fbinary((a, d, s) => a.divsd(d, s), false)],
  [Op.F32Sqrt, funary((a, d, s) => a.sqrtss(d, s))],
  [Op.F64Sqrt, funary((a, d, s) => a.sqrtsd(d, s))],
];

export const floatSelectors: ReadonlyMap<number, Selector> = new Map(table);
