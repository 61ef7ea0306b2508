// Decoding of instruction sequences: function bodies and constant
// expressions, into the flat Instr arrays of module.ts.
//
// The decoder checks the binary grammar only: opcodes, immediates, block
// nesting and where the sequence ends. Typing is validate.ts's job, with
// two exceptions that the IR cannot represent otherwise: a block type's
// type index must exist (it is resolved here), and a typed select must name
// exactly one type.

import { hex, unsupported } from "./errors.ts";
import type { FuncType, Instr, ValType } from "./module.ts";
import { BYTE_OPS, FC_OPS, Op, UNSUPPORTED_OPCODES, type Imm, type OpInfo } from "./opcodes.ts";
import type { Reader } from "./reader.ts";
import { readHeapType, readValType } from "./types.ts";

export interface CodeContext {
  types: readonly FuncType[];
  /** The data count section's value; memory.init and data.drop require the section. */
  dataCount: number | undefined;
}

const EMPTY_BLOCK: FuncType = { params: [], results: [] };
const SINGLE_RESULT: ReadonlyMap<ValType, FuncType> = new Map(
  (["i32", "i64", "f32", "f64"] as const).map((t) => [t, { params: [], results: [t] }]),
);

/**
 * Block types share their FuncType objects (with the type section and with
 * each other): never mutate `blockType`.
 */
function readBlockType(r: Reader, ctx: CodeContext): FuncType {
  const at = r.pos;
  const b = r.peek();
  if (b === 0x40) {
    r.pos++;
    return EMPTY_BLOCK;
  }
  if (b >= 0x40 && b < 0x80) {
    // A one-byte negative s33: a value type code.
    return SINGLE_RESULT.get(readValType(r))!;
  }
  const x = r.s33();
  if (x < 0) r.fail(`malformed block type ${x}`, at);
  const t = ctx.types[x];
  if (t === undefined) r.fail(`unknown type ${x}: block type index out of range (${ctx.types.length} types)`, at);
  return t;
}

/** Immediate layouts: OpInfo.imm as a small number, for a switch of integer cases. */
const enum K {
  None,
  Block,
  Index,
  Data,
  DataMem0,
  BrTable,
  TwoIndex,
  MemArg,
  Mem0,
  Mem0x2,
  I32,
  I64,
  F32,
  F64,
  SelectT,
  HeapType,
}

const KIND_OF_IMM: Readonly<Record<Imm, K>> = {
  none: K.None,
  block: K.Block,
  label: K.Index,
  func: K.Index,
  local: K.Index,
  global: K.Index,
  table: K.Index,
  elem: K.Index,
  data: K.Data,
  data_mem0: K.DataMem0,
  br_table: K.BrTable,
  call_indirect: K.TwoIndex,
  elem_table: K.TwoIndex,
  table_table: K.TwoIndex,
  memarg: K.MemArg,
  mem0: K.Mem0,
  mem0x2: K.Mem0x2,
  i32: K.I32,
  i64: K.I64,
  f32: K.F32,
  f64: K.F64,
  select_t: K.SelectT,
  heaptype: K.HeapType,
};

const kindsOf = (ops: readonly (OpInfo | undefined)[]): Uint8Array => Uint8Array.from(ops, (info) => (info === undefined ? 0 : KIND_OF_IMM[info.imm]));
const BYTE_KINDS = kindsOf(BYTE_OPS);
const FC_KINDS = kindsOf(FC_OPS);

function zeroByte(r: Reader): void {
  const at = r.pos;
  const b = r.u8();
  if (b !== 0) r.fail(`zero byte expected, got ${hex(b)} (multiple memories are not part of WebAssembly 2.0)`, at);
}

// The four instruction layouts (see readInstrs).

/** No immediate, an index, or a type (drop and select get theirs from the validator). */
function plain(op: number, offset: number, index: number | undefined, type: ValType | undefined): Instr {
  return { op, offset, index, type, dead: undefined };
}

/** A constant. */
function constant(op: number, offset: number, value: number | bigint): Instr {
  return { op, offset, value, dead: undefined };
}

/** block, loop, if, br_table, and the instructions with two indices (`table` set after). */
function structured(op: number, offset: number, index: number | undefined, labels: number[] | undefined, blockType: FuncType | undefined): Instr {
  return { op, offset, index, table: undefined, labels, blockType, dead: undefined };
}

/**
 * Decodes instructions up to the `end` that closes the sequence.
 *
 * A function body (`constExpr` false) keeps that `end` as its last
 * instruction and must stop exactly at the reader's limit. A constant
 * expression drops it, and may use ref.null and ref.func, which Atoll
 * otherwise leaves out.
 */
export function readInstrs(r: Reader, ctx: CodeContext, constExpr: boolean): Instr[] {
  const out: Instr[] = [];
  // Opcodes of the open blocks, so that `else` can be checked against its `if`.
  const open: number[] = [];
  for (;;) {
    const at = r.pos;
    if (!constExpr && at >= r.limit) {
      r.fail(`END opcode expected: the function body ends with ${open.length + 1} block(s) still open`, at);
    }
    const b = r.u8();
    let info: OpInfo | undefined;
    let kind: K;
    if (b === 0xfc) {
      const sub = r.u32();
      info = sub < FC_OPS.length ? FC_OPS[sub] : undefined;
      if (info === undefined) r.fail(`unknown opcode 0xfc ${hex(sub)}`, at);
      kind = FC_KINDS[sub]!;
    } else {
      info = BYTE_OPS[b];
      if (info === undefined) {
        const feature = UNSUPPORTED_OPCODES.get(b);
        if (feature !== undefined) r.fail(unsupported(feature), at);
        r.fail(`unknown opcode ${hex(b)}`, at);
      }
      kind = BYTE_KINDS[b]!;
    }
    const op = info.code;
    if (info.feature !== undefined && !(constExpr && (op === Op.RefNull || op === Op.RefFunc))) {
      r.fail(unsupported(`${info.feature} (${info.name})`), at);
    }
    // Four object layouts (hidden classes), each a fixed list of fields,
    // those an instruction does not use set to undefined. Every consumer
    // reads `op` and `dead` of every instruction; with one layout per
    // immediate kind (eight) those reads were megamorphic property lookups,
    // with four they are a map check. All fields exist from the start, so
    // the validator's `type` and `dead` change no layout either.
    let ins: Instr;
    switch (kind) {
      case K.None:
        ins = plain(op, at, undefined, undefined);
        break;
      case K.Block:
        ins = structured(op, at, undefined, undefined, readBlockType(r, ctx));
        break;
      case K.Index:
        ins = plain(op, at, r.u32(), undefined);
        break;
      case K.Data:
        ins = plain(op, at, r.u32(), undefined);
        if (ctx.dataCount === undefined) r.fail(`data count section required by ${info.name}`, at);
        break;
      case K.DataMem0:
        ins = plain(op, at, r.u32(), undefined);
        zeroByte(r);
        if (ctx.dataCount === undefined) r.fail(`data count section required by ${info.name}`, at);
        break;
      case K.BrTable: {
        const labels: number[] = [];
        for (let n = r.u32(); n > 0; n--) labels.push(r.u32());
        ins = structured(op, at, r.u32(), labels, undefined);
        break;
      }
      case K.TwoIndex: {
        const index = r.u32();
        ins = structured(op, at, index, undefined, undefined);
        ins.table = r.u32();
        break;
      }
      case K.MemArg: {
        const align = r.u32();
        ins = { op, offset: at, memarg: { align, offset: r.u32() }, dead: undefined };
        break;
      }
      case K.Mem0:
        zeroByte(r);
        ins = plain(op, at, undefined, undefined);
        break;
      case K.Mem0x2:
        zeroByte(r);
        zeroByte(r);
        ins = plain(op, at, undefined, undefined);
        break;
      case K.I32:
        ins = constant(op, at, r.s32());
        break;
      case K.I64:
        ins = constant(op, at, r.s64());
        break;
      case K.F32:
        ins = constant(op, at, r.f32Bits());
        break;
      case K.F64:
        ins = constant(op, at, r.f64Bits());
        break;
      case K.SelectT: {
        const n = r.u32();
        if (n !== 1) r.fail(`invalid result arity: typed select must name exactly 1 type, got ${n}`, at);
        ins = plain(op, at, undefined, readValType(r));
        break;
      }
      case K.HeapType:
        ins = plain(op, at, undefined, readHeapType(r));
        break;
    }

    switch (op) {
      case Op.Block:
      case Op.Loop:
      case Op.If:
        open.push(op);
        break;
      case Op.Else:
        if (open.length === 0 || open[open.length - 1] !== Op.If) {
          r.fail("else without a matching if", at);
        }
        open[open.length - 1] = Op.Else;
        break;
      case Op.End:
        if (open.length === 0) {
          if (!constExpr) out.push(ins);
          return out;
        }
        open.pop();
        break;
    }
    out.push(ins);
  }
}
