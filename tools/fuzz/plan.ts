// What both engines do with a module: call every exported function, in
// export order, with a few argument tuples each (all zeros first, then
// values picked from a fixed list of edge cases per type), one instance for
// the whole sequence as binaryen's own fuzz harness does, so state carries
// from call to call. After each call the observed state is the memory (its
// size and a hash of its bytes) and every exported global.
//
// The arguments depend only on the module (its export names), so a saved
// module replays the same calls.

import { funcType, globalType, type Module, type NumType } from "../wasm/index.ts";

export interface PlannedCall {
  /** The export's name. */
  name: string;
  params: NumType[];
  results: NumType[];
  /** Argument bits, zero-extended (f32/f64 as their IEEE bits). */
  args: bigint[];
}

export interface ObservedGlobal {
  /** A name it is exported under. */
  name: string;
  index: number;
  type: NumType;
}

export interface Plan {
  calls: PlannedCall[];
  globals: ObservedGlobal[];
  /** A name the memory is exported under, if it is. */
  memory?: string;
}

/**
 * Calls per exported function: zeros, then this many - 1 picked tuples.
 * Calls cost little beside making a module (a fraction of a millisecond
 * each against about 100 ms), so each module is used for several.
 */
export const TUPLES = 5;

const f32 = (x: number): bigint => {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x);
  return BigInt(dv.getUint32(0));
};
const f64 = (x: number): bigint => {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  return dv.getBigUint64(0);
};

/**
 * Edge cases per type, as bits. The NaNs are the canonical ones: a NaN
 * argument reaches V8 as a JavaScript number, which keeps no payload.
 */
export const ARG_VALUES: Readonly<Record<NumType, readonly bigint[]>> = {
  i32: [1n, 0xffff_ffffn, 0x7fff_ffffn, 0x8000_0000n, 2n, 0xffn, 0x1_0000n, 0xfff0n, 42n, 0xffff_ff80n],
  i64: [1n, 0xffff_ffff_ffff_ffffn, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0x1_0000_0000n, 0xffff_ffffn, 42n, 0xffff_ffff_8000_0000n],
  f32: [f32(-0), f32(1), f32(-1.5), f32(Infinity), f32(-Infinity), 0x7fc0_0000n, f32(2 ** 31), f32(2 ** 32), 1n, f32(3.4e38), f32(0.5), f32(-(2 ** 63))],
  f64: [f64(-0), f64(1), f64(-1.5), f64(Infinity), f64(-Infinity), 0x7ff8_0000_0000_0000n, f64(2 ** 31), f64(2 ** 63), 1n, f64(1.7e308), f64(0.5), f64(-(2 ** 32) - 0.5)],
};

/** FNV-1a over a string: a stable pick that depends on names, not on positions. */
function pick(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function isNum(t: string): t is NumType {
  return t === "i32" || t === "i64" || t === "f32" || t === "f64";
}

export function makePlan(m: Module): Plan {
  const calls: PlannedCall[] = [];
  const globals: ObservedGlobal[] = [];
  const seen = new Set<number>();
  let memory: string | undefined;
  for (const e of m.exports) {
    if (e.kind === "memory") memory ??= e.name;
    if (e.kind === "global" && !seen.has(e.index)) {
      const g = globalType(m, e.index)!;
      if (!isNum(g.type)) continue;
      seen.add(e.index);
      globals.push({ name: e.name, index: e.index, type: g.type });
    }
    if (e.kind !== "func") continue;
    const t = funcType(m, e.index)!;
    if (!t.params.every(isNum) || !t.results.every(isNum)) continue;
    const params = t.params as NumType[];
    for (let k = 0; k < TUPLES; k++) {
      const args = params.map((p, i) => {
        if (k === 0) return 0n;
        const values = ARG_VALUES[p];
        return values[pick(`${e.name}/${k}/${i}`) % values.length]!;
      });
      calls.push({ name: e.name, params, results: t.results as NumType[], args });
    }
  }
  return { calls, globals, memory };
}
