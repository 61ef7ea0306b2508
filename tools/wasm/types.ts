// Decoding of the type encodings: value, reference, function, table, memory
// and global types, and limits.
//
// Atoll's scope for references: funcref exists only as the element type of
// tables and element segments. A reference as a value (a param, result,
// local, global or block type) and externref anywhere are "unsupported
// feature: reference types"; the proposals that add more type codes are
// reported by name.

import { hex, unsupported } from "./errors.ts";
import type { FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType } from "./module.ts";
import type { Reader } from "./reader.ts";

/** Type codes of proposals outside Atoll's set. */
const OTHER_TYPE_CODES: ReadonlyMap<number, string> = new Map([
  [0x7b, "SIMD (v128)"],
  [0x64, "typed function references (ref)"],
  [0x63, "typed function references (ref null)"],
  [0x69, "exception handling (exnref)"],
  [0x6e, "garbage collection (anyref)"],
  [0x6d, "garbage collection (eqref)"],
  [0x6c, "garbage collection (i31ref)"],
  [0x6b, "garbage collection (structref)"],
  [0x6a, "garbage collection (arrayref)"],
  [0x71, "garbage collection (nullref)"],
  [0x72, "garbage collection (nullexternref)"],
  [0x73, "garbage collection (nullfuncref)"],
]);

const NUM_TYPES: readonly (ValType | undefined)[] = (() => {
  const t = new Array<ValType | undefined>(0x80).fill(undefined);
  t[0x7f] = "i32";
  t[0x7e] = "i64";
  t[0x7d] = "f32";
  t[0x7c] = "f64";
  return t;
})();

/** The value type for a one-byte code, or undefined. Numeric types only. */
export function numTypeOf(code: number): ValType | undefined {
  return code < 0x80 ? NUM_TYPES[code] : undefined;
}

/** A value type where Atoll allows only numbers: params, results, locals, globals, block types. */
export function readValType(r: Reader): ValType {
  const at = r.pos;
  const b = r.u8();
  const t = b < 0x80 ? NUM_TYPES[b] : undefined;
  if (t !== undefined) return t;
  if (b === 0x70) r.fail(unsupported("reference types (funcref as a value type)"), at);
  if (b === 0x6f) r.fail(unsupported("reference types (externref)"), at);
  const other = OTHER_TYPE_CODES.get(b);
  if (other !== undefined) r.fail(unsupported(other), at);
  r.fail(`malformed value type ${hex(b)}`, at);
}

/** A reference type where Atoll allows funcref only: tables and element segments. */
export function readRefType(r: Reader): RefType {
  const at = r.pos;
  const b = r.u8();
  if (b === 0x70) return "funcref";
  if (b === 0x6f) r.fail(unsupported("reference types (externref)"), at);
  const other = OTHER_TYPE_CODES.get(b);
  if (other !== undefined && b !== 0x7b) r.fail(unsupported(other), at);
  r.fail(`malformed reference type ${hex(b)}`, at);
}

/** ref.null's operand: any reference type, since constant expressions may use either. */
export function readHeapType(r: Reader): RefType {
  const at = r.pos;
  const b = r.u8();
  if (b === 0x70) return "funcref";
  if (b === 0x6f) return "externref";
  const other = OTHER_TYPE_CODES.get(b);
  if (other !== undefined && b !== 0x7b) r.fail(unsupported(other), at);
  r.fail(`malformed reference type ${hex(b)}`, at);
}

const FORM_FUNC = 0x60;
const OTHER_FORMS: ReadonlyMap<number, string> = new Map([
  [0x5e, "garbage collection (array type)"],
  [0x5f, "garbage collection (struct type)"],
  [0x50, "garbage collection (sub type)"],
  [0x4f, "garbage collection (final sub type)"],
  [0x4e, "garbage collection (recursive type group)"],
]);

export function readFuncType(r: Reader): FuncType {
  const at = r.pos;
  const form = r.u8();
  if (form !== FORM_FUNC) {
    const other = OTHER_FORMS.get(form);
    if (other !== undefined) r.fail(unsupported(other), at);
    if (form & 0x80) r.fail(`integer representation too long: function type form ${hex(form)}`, at);
    r.fail(`malformed function type form ${hex(form)}, expected 0x60`, at);
  }
  const params: ValType[] = [];
  for (let n = r.u32(); n > 0; n--) params.push(readValType(r));
  const results: ValType[] = [];
  for (let n = r.u32(); n > 0; n--) results.push(readValType(r));
  return { params, results };
}

/**
 * The limits flag is a one-bit LEB128 in the 2.0 binary format: a set
 * continuation bit is "too long", any value above 1 "too large". The
 * values other proposals give meaning to are reported by name.
 */
function readLimits(r: Reader, what: "table" | "memory"): Limits {
  const at = r.pos;
  const flag = r.u8();
  if (flag & 0x80) r.fail(`integer representation too long: ${what} limits flag`, at);
  if (flag > 1) {
    if (what === "memory" && flag === 0x03) r.fail(unsupported("threads (shared memory)"), at);
    if (flag >= 0x04 && flag <= 0x07) r.fail(unsupported(`memory64 (64-bit ${what} limits)`), at);
    r.fail(`integer too large: ${what} limits flag ${hex(flag)}`, at);
  }
  const min = r.u32();
  return flag === 1 ? { min, max: r.u32() } : { min };
}

export function readTableType(r: Reader): TableType {
  const elemType = readRefType(r);
  return { elemType, limits: readLimits(r, "table") };
}

export function readMemoryType(r: Reader): MemoryType {
  return { limits: readLimits(r, "memory") };
}

export function readGlobalType(r: Reader): GlobalType {
  const type = readValType(r);
  const at = r.pos;
  const mut = r.u8();
  if (mut > 1) r.fail(`malformed mutability ${hex(mut)}`, at);
  return { type, mutable: mut === 1 };
}
