// Values of the spec scripts: wast2json writes numbers as unsigned decimal
// bit patterns and float results that may be any NaN of a class as
// "nan:canonical" / "nan:arithmetic".

import type { ValType } from "../wasm/index.ts";
import type { Expected } from "./driver.ts";
import type { WastValue } from "./wast.ts";

const NUM: ReadonlySet<string> = new Set(["i32", "i64", "f32", "f64"]);

export function isNumType(t: string): t is "i32" | "i64" | "f32" | "f64" {
  return NUM.has(t);
}

/** The value's bits, zero-extended; undefined for references and NaN classes. */
export function bitsOf(v: WastValue): bigint | undefined {
  if (!isNumType(v.type) || v.value === undefined || v.value.startsWith("nan:")) return undefined;
  const width = v.type === "i32" || v.type === "f32" ? 32 : 64;
  return BigInt.asUintN(width, BigInt(v.value));
}

export function expectedOf(v: WastValue): Expected | undefined {
  if (!isNumType(v.type)) return undefined;
  if (v.value === "nan:canonical" || v.value === "nan:arithmetic") {
    if (v.type !== "f32" && v.type !== "f64") return undefined;
    return { type: v.type, nan: v.value === "nan:canonical" ? "canonical" : "arithmetic" };
  }
  const bits = bitsOf(v);
  return bits === undefined ? undefined : { type: v.type as ValType, bits };
}

/** Text for messages: the bits in hex and, for floats, the number. */
export function showBits(type: string, bits: bigint): string {
  const width = type === "i32" || type === "f32" ? 32 : 64;
  const b = BigInt.asUintN(width, bits);
  const hex = `0x${b.toString(16).padStart(width / 4, "0")}`;
  const dv = new DataView(new ArrayBuffer(8));
  if (type === "f32") {
    dv.setUint32(0, Number(b));
    return `${hex} (${dv.getFloat32(0)})`;
  }
  if (type === "f64") {
    dv.setBigUint64(0, b);
    return `${hex} (${dv.getFloat64(0)})`;
  }
  if (type === "i32") return `${hex} (${BigInt.asIntN(32, b)})`;
  return `${hex} (${BigInt.asIntN(64, b)})`;
}

export function showExpected(e: Expected): string {
  return "bits" in e ? showBits(e.type, e.bits) : `nan:${e.nan}`;
}

/** Does a value match an expectation? (The same rule as the driver's machine code.) */
export function matches(e: Expected, bits: bigint): boolean {
  const wide = e.type === "i64" || e.type === "f64";
  const b = BigInt.asUintN(wide ? 64 : 32, bits);
  if ("bits" in e) return b === e.bits;
  if (e.nan === "any") return wide ? (b << 1n) % (1n << 64n) > 0xffe0_0000_0000_0000n : (b << 1n) % (1n << 32n) > 0xff00_0000n;
  if (!wide) return (b & (e.nan === "canonical" ? 0x7fff_ffffn : 0x7fc0_0000n)) === 0x7fc0_0000n;
  const mask = e.nan === "canonical" ? 0x7fff_ffff_ffff_ffffn : 0x7ff8_0000_0000_0000n;
  return (b & mask) === 0x7ff8_0000_0000_0000n;
}
