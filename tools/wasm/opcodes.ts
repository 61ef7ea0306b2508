// Every instruction the decoder knows, as data: code, text-format name,
// immediate kind, and the operand/result types where they are fixed. The
// decoder reads immediates by `imm`; the validator type-checks every row
// with a `sig` generically and handles the rest (control, variables, calls,
// drop/select) by hand.
//
// Codes: single-byte opcodes as themselves, 0xFC-prefixed ones as
// 0xFC00 | sub-opcode.

import type { ValType } from "./module.ts";

/** How an instruction's immediates are encoded. */
export type Imm =
  | "none"
  | "block" // block type (s33)
  | "label" // label depth
  | "br_table" // vec(label) + default label
  | "func" // function index
  | "call_indirect" // type index, table index
  | "local"
  | "global"
  | "table" // table index
  | "memarg" // align, offset
  | "mem0" // reserved memory index byte, must be 0x00
  | "mem0x2" // two reserved memory index bytes (memory.copy)
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "select_t" // vec(valtype)
  | "heaptype" // ref.null's heap type
  | "data" // data segment index
  | "data_mem0" // data segment index, then a reserved 0x00 (memory.init)
  | "elem" // element segment index
  | "elem_table" // element segment index, table index (table.init)
  | "table_table"; // destination table, source table (table.copy)

interface RowOpts {
  /** log2 of the natural alignment of a load or store. */
  readonly align?: number;
  /** A feature outside Atoll's set: decoding such an instruction in a function body is "unsupported feature: ...". */
  readonly feature?: string;
}

type Row = readonly [code: number, name: string, imm: Imm, sig?: string, opts?: RowOpts];

const REF = { feature: "reference types" } as const;

// `sig` is "params -> results" with space-separated value types.
export const OPCODES = [
  // control
  [0x00, "unreachable", "none"],
  [0x01, "nop", "none", " -> "],
  [0x02, "block", "block"],
  [0x03, "loop", "block"],
  [0x04, "if", "block"],
  [0x05, "else", "none"],
  [0x0b, "end", "none"],
  [0x0c, "br", "label"],
  [0x0d, "br_if", "label"],
  [0x0e, "br_table", "br_table"],
  [0x0f, "return", "none"],
  [0x10, "call", "func"],
  [0x11, "call_indirect", "call_indirect"],
  // parametric
  [0x1a, "drop", "none"],
  [0x1b, "select", "none"],
  [0x1c, "select_t", "select_t"],
  // variables
  [0x20, "local.get", "local"],
  [0x21, "local.set", "local"],
  [0x22, "local.tee", "local"],
  [0x23, "global.get", "global"],
  [0x24, "global.set", "global"],
  [0x25, "table.get", "table", undefined, REF],
  [0x26, "table.set", "table", undefined, REF],
  // memory
  [0x28, "i32.load", "memarg", "i32 -> i32", { align: 2 }],
  [0x29, "i64.load", "memarg", "i32 -> i64", { align: 3 }],
  [0x2a, "f32.load", "memarg", "i32 -> f32", { align: 2 }],
  [0x2b, "f64.load", "memarg", "i32 -> f64", { align: 3 }],
  [0x2c, "i32.load8_s", "memarg", "i32 -> i32", { align: 0 }],
  [0x2d, "i32.load8_u", "memarg", "i32 -> i32", { align: 0 }],
  [0x2e, "i32.load16_s", "memarg", "i32 -> i32", { align: 1 }],
  [0x2f, "i32.load16_u", "memarg", "i32 -> i32", { align: 1 }],
  [0x30, "i64.load8_s", "memarg", "i32 -> i64", { align: 0 }],
  [0x31, "i64.load8_u", "memarg", "i32 -> i64", { align: 0 }],
  [0x32, "i64.load16_s", "memarg", "i32 -> i64", { align: 1 }],
  [0x33, "i64.load16_u", "memarg", "i32 -> i64", { align: 1 }],
  [0x34, "i64.load32_s", "memarg", "i32 -> i64", { align: 2 }],
  [0x35, "i64.load32_u", "memarg", "i32 -> i64", { align: 2 }],
  [0x36, "i32.store", "memarg", "i32 i32 -> ", { align: 2 }],
  [0x37, "i64.store", "memarg", "i32 i64 -> ", { align: 3 }],
  [0x38, "f32.store", "memarg", "i32 f32 -> ", { align: 2 }],
  [0x39, "f64.store", "memarg", "i32 f64 -> ", { align: 3 }],
  [0x3a, "i32.store8", "memarg", "i32 i32 -> ", { align: 0 }],
  [0x3b, "i32.store16", "memarg", "i32 i32 -> ", { align: 1 }],
  [0x3c, "i64.store8", "memarg", "i32 i64 -> ", { align: 0 }],
  [0x3d, "i64.store16", "memarg", "i32 i64 -> ", { align: 1 }],
  [0x3e, "i64.store32", "memarg", "i32 i64 -> ", { align: 2 }],
  [0x3f, "memory.size", "mem0", " -> i32"],
  [0x40, "memory.grow", "mem0", "i32 -> i32"],
  // constants
  [0x41, "i32.const", "i32", " -> i32"],
  [0x42, "i64.const", "i64", " -> i64"],
  [0x43, "f32.const", "f32", " -> f32"],
  [0x44, "f64.const", "f64", " -> f64"],
  // i32 comparisons
  [0x45, "i32.eqz", "none", "i32 -> i32"],
  [0x46, "i32.eq", "none", "i32 i32 -> i32"],
  [0x47, "i32.ne", "none", "i32 i32 -> i32"],
  [0x48, "i32.lt_s", "none", "i32 i32 -> i32"],
  [0x49, "i32.lt_u", "none", "i32 i32 -> i32"],
  [0x4a, "i32.gt_s", "none", "i32 i32 -> i32"],
  [0x4b, "i32.gt_u", "none", "i32 i32 -> i32"],
  [0x4c, "i32.le_s", "none", "i32 i32 -> i32"],
  [0x4d, "i32.le_u", "none", "i32 i32 -> i32"],
  [0x4e, "i32.ge_s", "none", "i32 i32 -> i32"],
  [0x4f, "i32.ge_u", "none", "i32 i32 -> i32"],
  // i64 comparisons
  [0x50, "i64.eqz", "none", "i64 -> i32"],
  [0x51, "i64.eq", "none", "i64 i64 -> i32"],
  [0x52, "i64.ne", "none", "i64 i64 -> i32"],
  [0x53, "i64.lt_s", "none", "i64 i64 -> i32"],
  [0x54, "i64.lt_u", "none", "i64 i64 -> i32"],
  [0x55, "i64.gt_s", "none", "i64 i64 -> i32"],
  [0x56, "i64.gt_u", "none", "i64 i64 -> i32"],
  [0x57, "i64.le_s", "none", "i64 i64 -> i32"],
  [0x58, "i64.le_u", "none", "i64 i64 -> i32"],
  [0x59, "i64.ge_s", "none", "i64 i64 -> i32"],
  [0x5a, "i64.ge_u", "none", "i64 i64 -> i32"],
  // f32 comparisons
  [0x5b, "f32.eq", "none", "f32 f32 -> i32"],
  [0x5c, "f32.ne", "none", "f32 f32 -> i32"],
  [0x5d, "f32.lt", "none", "f32 f32 -> i32"],
  [0x5e, "f32.gt", "none", "f32 f32 -> i32"],
  [0x5f, "f32.le", "none", "f32 f32 -> i32"],
  [0x60, "f32.ge", "none", "f32 f32 -> i32"],
  // f64 comparisons
  [0x61, "f64.eq", "none", "f64 f64 -> i32"],
  [0x62, "f64.ne", "none", "f64 f64 -> i32"],
  [0x63, "f64.lt", "none", "f64 f64 -> i32"],
  [0x64, "f64.gt", "none", "f64 f64 -> i32"],
  [0x65, "f64.le", "none", "f64 f64 -> i32"],
  [0x66, "f64.ge", "none", "f64 f64 -> i32"],
  // i32 arithmetic
  [0x67, "i32.clz", "none", "i32 -> i32"],
  [0x68, "i32.ctz", "none", "i32 -> i32"],
  [0x69, "i32.popcnt", "none", "i32 -> i32"],
  [0x6a, "i32.add", "none", "i32 i32 -> i32"],
  [0x6b, "i32.sub", "none", "i32 i32 -> i32"],
  [0x6c, "i32.mul", "none", "i32 i32 -> i32"],
  [0x6d, "i32.div_s", "none", "i32 i32 -> i32"],
  [0x6e, "i32.div_u", "none", "i32 i32 -> i32"],
  [0x6f, "i32.rem_s", "none", "i32 i32 -> i32"],
  [0x70, "i32.rem_u", "none", "i32 i32 -> i32"],
  [0x71, "i32.and", "none", "i32 i32 -> i32"],
  [0x72, "i32.or", "none", "i32 i32 -> i32"],
  [0x73, "i32.xor", "none", "i32 i32 -> i32"],
  [0x74, "i32.shl", "none", "i32 i32 -> i32"],
  [0x75, "i32.shr_s", "none", "i32 i32 -> i32"],
  [0x76, "i32.shr_u", "none", "i32 i32 -> i32"],
  [0x77, "i32.rotl", "none", "i32 i32 -> i32"],
  [0x78, "i32.rotr", "none", "i32 i32 -> i32"],
  // i64 arithmetic
  [0x79, "i64.clz", "none", "i64 -> i64"],
  [0x7a, "i64.ctz", "none", "i64 -> i64"],
  [0x7b, "i64.popcnt", "none", "i64 -> i64"],
  [0x7c, "i64.add", "none", "i64 i64 -> i64"],
  [0x7d, "i64.sub", "none", "i64 i64 -> i64"],
  [0x7e, "i64.mul", "none", "i64 i64 -> i64"],
  [0x7f, "i64.div_s", "none", "i64 i64 -> i64"],
  [0x80, "i64.div_u", "none", "i64 i64 -> i64"],
  [0x81, "i64.rem_s", "none", "i64 i64 -> i64"],
  [0x82, "i64.rem_u", "none", "i64 i64 -> i64"],
  [0x83, "i64.and", "none", "i64 i64 -> i64"],
  [0x84, "i64.or", "none", "i64 i64 -> i64"],
  [0x85, "i64.xor", "none", "i64 i64 -> i64"],
  [0x86, "i64.shl", "none", "i64 i64 -> i64"],
  [0x87, "i64.shr_s", "none", "i64 i64 -> i64"],
  [0x88, "i64.shr_u", "none", "i64 i64 -> i64"],
  [0x89, "i64.rotl", "none", "i64 i64 -> i64"],
  [0x8a, "i64.rotr", "none", "i64 i64 -> i64"],
  // f32 arithmetic
  [0x8b, "f32.abs", "none", "f32 -> f32"],
  [0x8c, "f32.neg", "none", "f32 -> f32"],
  [0x8d, "f32.ceil", "none", "f32 -> f32"],
  [0x8e, "f32.floor", "none", "f32 -> f32"],
  [0x8f, "f32.trunc", "none", "f32 -> f32"],
  [0x90, "f32.nearest", "none", "f32 -> f32"],
  [0x91, "f32.sqrt", "none", "f32 -> f32"],
  [0x92, "f32.add", "none", "f32 f32 -> f32"],
  [0x93, "f32.sub", "none", "f32 f32 -> f32"],
  [0x94, "f32.mul", "none", "f32 f32 -> f32"],
  [0x95, "f32.div", "none", "f32 f32 -> f32"],
  [0x96, "f32.min", "none", "f32 f32 -> f32"],
  [0x97, "f32.max", "none", "f32 f32 -> f32"],
  [0x98, "f32.copysign", "none", "f32 f32 -> f32"],
  // f64 arithmetic
  [0x99, "f64.abs", "none", "f64 -> f64"],
  [0x9a, "f64.neg", "none", "f64 -> f64"],
  [0x9b, "f64.ceil", "none", "f64 -> f64"],
  [0x9c, "f64.floor", "none", "f64 -> f64"],
  [0x9d, "f64.trunc", "none", "f64 -> f64"],
  [0x9e, "f64.nearest", "none", "f64 -> f64"],
  [0x9f, "f64.sqrt", "none", "f64 -> f64"],
  [0xa0, "f64.add", "none", "f64 f64 -> f64"],
  [0xa1, "f64.sub", "none", "f64 f64 -> f64"],
  [0xa2, "f64.mul", "none", "f64 f64 -> f64"],
  [0xa3, "f64.div", "none", "f64 f64 -> f64"],
  [0xa4, "f64.min", "none", "f64 f64 -> f64"],
  [0xa5, "f64.max", "none", "f64 f64 -> f64"],
  [0xa6, "f64.copysign", "none", "f64 f64 -> f64"],
  // conversions
  [0xa7, "i32.wrap_i64", "none", "i64 -> i32"],
  [0xa8, "i32.trunc_f32_s", "none", "f32 -> i32"],
  [0xa9, "i32.trunc_f32_u", "none", "f32 -> i32"],
  [0xaa, "i32.trunc_f64_s", "none", "f64 -> i32"],
  [0xab, "i32.trunc_f64_u", "none", "f64 -> i32"],
  [0xac, "i64.extend_i32_s", "none", "i32 -> i64"],
  [0xad, "i64.extend_i32_u", "none", "i32 -> i64"],
  [0xae, "i64.trunc_f32_s", "none", "f32 -> i64"],
  [0xaf, "i64.trunc_f32_u", "none", "f32 -> i64"],
  [0xb0, "i64.trunc_f64_s", "none", "f64 -> i64"],
  [0xb1, "i64.trunc_f64_u", "none", "f64 -> i64"],
  [0xb2, "f32.convert_i32_s", "none", "i32 -> f32"],
  [0xb3, "f32.convert_i32_u", "none", "i32 -> f32"],
  [0xb4, "f32.convert_i64_s", "none", "i64 -> f32"],
  [0xb5, "f32.convert_i64_u", "none", "i64 -> f32"],
  [0xb6, "f32.demote_f64", "none", "f64 -> f32"],
  [0xb7, "f64.convert_i32_s", "none", "i32 -> f64"],
  [0xb8, "f64.convert_i32_u", "none", "i32 -> f64"],
  [0xb9, "f64.convert_i64_s", "none", "i64 -> f64"],
  [0xba, "f64.convert_i64_u", "none", "i64 -> f64"],
  [0xbb, "f64.promote_f32", "none", "f32 -> f64"],
  [0xbc, "i32.reinterpret_f32", "none", "f32 -> i32"],
  [0xbd, "i64.reinterpret_f64", "none", "f64 -> i64"],
  [0xbe, "f32.reinterpret_i32", "none", "i32 -> f32"],
  [0xbf, "f64.reinterpret_i64", "none", "i64 -> f64"],
  // sign extension
  [0xc0, "i32.extend8_s", "none", "i32 -> i32"],
  [0xc1, "i32.extend16_s", "none", "i32 -> i32"],
  [0xc2, "i64.extend8_s", "none", "i64 -> i64"],
  [0xc3, "i64.extend16_s", "none", "i64 -> i64"],
  [0xc4, "i64.extend32_s", "none", "i64 -> i64"],
  // references: only ref.null and ref.func, and only in constant expressions
  [0xd0, "ref.null", "heaptype", undefined, REF],
  [0xd1, "ref.is_null", "none", undefined, REF],
  [0xd2, "ref.func", "func", undefined, REF],
  // saturating float-to-int
  [0xfc00, "i32.trunc_sat_f32_s", "none", "f32 -> i32"],
  [0xfc01, "i32.trunc_sat_f32_u", "none", "f32 -> i32"],
  [0xfc02, "i32.trunc_sat_f64_s", "none", "f64 -> i32"],
  [0xfc03, "i32.trunc_sat_f64_u", "none", "f64 -> i32"],
  [0xfc04, "i64.trunc_sat_f32_s", "none", "f32 -> i64"],
  [0xfc05, "i64.trunc_sat_f32_u", "none", "f32 -> i64"],
  [0xfc06, "i64.trunc_sat_f64_s", "none", "f64 -> i64"],
  [0xfc07, "i64.trunc_sat_f64_u", "none", "f64 -> i64"],
  // bulk memory and table
  [0xfc08, "memory.init", "data_mem0", "i32 i32 i32 -> "],
  [0xfc09, "data.drop", "data", " -> "],
  [0xfc0a, "memory.copy", "mem0x2", "i32 i32 i32 -> "],
  [0xfc0b, "memory.fill", "mem0", "i32 i32 i32 -> "],
  [0xfc0c, "table.init", "elem_table", "i32 i32 i32 -> "],
  [0xfc0d, "elem.drop", "elem", " -> "],
  [0xfc0e, "table.copy", "table_table", "i32 i32 i32 -> "],
  [0xfc0f, "table.grow", "table", undefined, REF],
  [0xfc10, "table.size", "table", " -> i32"],
  [0xfc11, "table.fill", "table", undefined, REF],
] as const satisfies readonly Row[];

/**
 * Opcodes and prefixes of proposals outside Atoll's set, so that a module
 * using them is reported as unsupported rather than malformed.
 */
export const UNSUPPORTED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x06, "exception handling (try)"],
  [0x07, "exception handling (catch)"],
  [0x08, "exception handling (throw)"],
  [0x09, "exception handling (rethrow)"],
  [0x0a, "exception handling (throw_ref)"],
  [0x18, "exception handling (delegate)"],
  [0x19, "exception handling (catch_all)"],
  [0x1f, "exception handling (try_table)"],
  [0x12, "tail calls (return_call)"],
  [0x13, "tail calls (return_call_indirect)"],
  [0x14, "typed function references (call_ref)"],
  [0x15, "typed function references (return_call_ref)"],
  [0xd3, "garbage collection (ref.eq)"],
  [0xd4, "typed function references (ref.as_non_null)"],
  [0xd5, "typed function references (br_on_null)"],
  [0xd6, "typed function references (br_on_non_null)"],
  [0xfb, "garbage collection (0xfb prefix)"],
  [0xfd, "SIMD (0xfd prefix)"],
  [0xfe, "threads (0xfe prefix)"],
]);

// ---- derived tables -------------------------------------------------------

type Rows = (typeof OPCODES)[number];
type DotToUnderscore<S extends string> = S extends `${infer A}.${infer B}` ? `${A}_${DotToUnderscore<B>}` : S;
type Pascal<S extends string> = S extends `${infer A}_${infer B}` ? `${Capitalize<A>}${Pascal<B>}` : Capitalize<S>;
type OpNameOf<S extends string> = Pascal<DotToUnderscore<S>>;

/** Readable names for opcodes: `Op.I32Add`, `Op.I32TruncSatF32S`, `Op.MemoryCopy`, `Op.SelectT`. */
export type OpTable = { readonly [R in Rows as OpNameOf<R[1]>]: R[0] };

function opName(name: string): string {
  return name
    .split(/[._]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("");
}

export const Op: OpTable = Object.freeze(Object.fromEntries(OPCODES.map((r) => [opName(r[1]), r[0]]))) as OpTable;

/** Metadata for one opcode, derived from its row. */
export interface OpInfo {
  readonly code: number;
  readonly name: string;
  readonly imm: Imm;
  /** Fixed operand and result types, or undefined when the validator types the instruction by hand. */
  readonly params: readonly ValType[] | undefined;
  readonly results: readonly ValType[] | undefined;
  readonly align: number | undefined;
  readonly feature: string | undefined;
}

/**
 * The signature words, mapped to string literals: the words split() makes are
 * fresh strings that V8 does not intern, and every `type === "i32"` on them in
 * the validator and the code generators would compare characters.
 */
const SIG_TYPES: ReadonlyMap<string, ValType> = new Map<string, ValType>([["i32", "i32"], ["i64", "i64"], ["f32", "f32"], ["f64", "f64"]]);

function parseSig(sig: string | undefined): [ValType[], ValType[]] | undefined {
  if (sig === undefined) return undefined;
  const [p, r] = sig.split("->");
  const words = (s: string | undefined): ValType[] =>
    (s ?? "")
      .split(" ")
      .filter((w) => w !== "")
      .map((w) => {
        const t = SIG_TYPES.get(w);
        if (t === undefined) throw new Error(`opcode table: bad type ${w} in "${sig}"`);
        return t;
      });
  return [words(p), words(r)];
}

/** Single-byte opcodes, indexed by byte. */
export const BYTE_OPS: readonly (OpInfo | undefined)[] = new Array<OpInfo | undefined>(256).fill(undefined);
/** 0xFC-prefixed opcodes, indexed by sub-opcode. */
export const FC_OPS: readonly (OpInfo | undefined)[] = new Array<OpInfo | undefined>(0x20).fill(undefined);

const byCode = new Map<number, OpInfo>();

for (const row of OPCODES as readonly Row[]) {
  const [code, name, imm, sig, opts] = row;
  const s = parseSig(sig);
  const info: OpInfo = {
    code,
    name,
    imm,
    params: s?.[0],
    results: s?.[1],
    align: opts?.align,
    feature: opts?.feature,
  };
  if (byCode.has(code)) throw new Error(`opcode table: duplicate code ${code.toString(16)}`);
  byCode.set(code, info);
  if (code < 0x100) (BYTE_OPS as (OpInfo | undefined)[])[code] = info;
  else (FC_OPS as (OpInfo | undefined)[])[code & 0xff] = info;
}

/** Metadata for an `Instr.op` value. */
export function opInfo(op: number): OpInfo | undefined {
  return op < 0x100 ? BYTE_OPS[op] : byCode.get(op);
}

/** The text-format name of an `Instr.op` value, for messages. */
export function opNameOf(op: number): string {
  return byCode.get(op)?.name ?? `opcode 0x${op.toString(16)}`;
}
