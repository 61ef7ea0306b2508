// Values between the two engines: bits to JavaScript arguments and back,
// and the comparison rule (floats: any NaN equals any NaN, see instrument.ts).

import type { NumType } from "../wasm/index.ts";
import { fromJs } from "../spec/reference.ts";
import { showBits } from "../spec/values.ts";

export { fromJs, showBits };

const dv = new DataView(new ArrayBuffer(8));

/** The JavaScript value V8 takes for a wasm value with these bits. */
export function toJs(type: NumType, bits: bigint): number | bigint {
  switch (type) {
    case "i32":
      return Number(BigInt.asIntN(32, bits));
    case "i64":
      return BigInt.asIntN(64, bits);
    case "f32":
      dv.setUint32(0, Number(BigInt.asUintN(32, bits)));
      return dv.getFloat32(0);
    case "f64":
      dv.setBigUint64(0, BigInt.asUintN(64, bits));
      return dv.getFloat64(0);
  }
}

export function isNan(type: NumType, bits: bigint): boolean {
  if (type === "f32") return (bits & 0x7fff_ffffn) > 0x7f80_0000n;
  if (type === "f64") return (bits & 0x7fff_ffff_ffff_ffffn) > 0x7ff0_0000_0000_0000n;
  return false;
}

/** Bits of a `type` value, the unused upper half of an i32/f32 slot cleared. */
export function clean(type: NumType, bits: bigint): bigint {
  return BigInt.asUintN(type === "i32" || type === "f32" ? 32 : 64, bits);
}

/** Equal as the comparison sees them: bit for bit, or both NaN. */
export function sameValue(type: NumType, a: bigint, b: bigint): boolean {
  const x = clean(type, a);
  const y = clean(type, b);
  return x === y || (isNan(type, x) && isNan(type, y));
}
