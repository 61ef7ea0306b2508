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
import { BYTE_OPS, FC_OPS, Op, UNSUPPORTED_OPCODES, type OpInfo } from "./opcodes.ts";
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

function zeroByte(r: Reader): void {
  const at = r.pos;
  const b = r.u8();
  if (b !== 0) r.fail(`zero byte expected, got ${hex(b)} (multiple memories are not part of WebAssembly 2.0)`, at);
}

function readOpcode(r: Reader, at: number): OpInfo {
  const b = r.u8();
  if (b === 0xfc) {
    const sub = r.u32();
    const info = sub < FC_OPS.length ? FC_OPS[sub] : undefined;
    if (info === undefined) r.fail(`unknown opcode 0xfc ${hex(sub)}`, at);
    return info;
  }
  const info = BYTE_OPS[b];
  if (info !== undefined) return info;
  const feature = UNSUPPORTED_OPCODES.get(b);
  if (feature !== undefined) r.fail(unsupported(feature), at);
  r.fail(`unknown opcode ${hex(b)}`, at);
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
    const info = readOpcode(r, at);
    if (info.feature !== undefined && !(constExpr && (info.code === Op.RefNull || info.code === Op.RefFunc))) {
      r.fail(unsupported(`${info.feature} (${info.name})`), at);
    }
    const ins: Instr = { op: info.code, offset: at };
    switch (info.imm) {
      case "none":
        break;
      case "block":
        ins.blockType = readBlockType(r, ctx);
        break;
      case "label":
      case "func":
      case "local":
      case "global":
      case "table":
      case "elem":
        ins.index = r.u32();
        break;
      case "data":
        ins.index = r.u32();
        if (ctx.dataCount === undefined) r.fail(`data count section required by ${info.name}`, at);
        break;
      case "data_mem0":
        ins.index = r.u32();
        zeroByte(r);
        if (ctx.dataCount === undefined) r.fail(`data count section required by ${info.name}`, at);
        break;
      case "br_table": {
        const labels: number[] = [];
        for (let n = r.u32(); n > 0; n--) labels.push(r.u32());
        ins.labels = labels;
        ins.index = r.u32();
        break;
      }
      case "call_indirect":
        ins.index = r.u32();
        ins.table = r.u32();
        break;
      case "elem_table":
        ins.index = r.u32();
        ins.table = r.u32();
        break;
      case "table_table":
        ins.index = r.u32();
        ins.table = r.u32();
        break;
      case "memarg": {
        const align = r.u32();
        ins.memarg = { align, offset: r.u32() };
        break;
      }
      case "mem0":
        zeroByte(r);
        break;
      case "mem0x2":
        zeroByte(r);
        zeroByte(r);
        break;
      case "i32":
        ins.value = r.s32();
        break;
      case "i64":
        ins.value = r.s64();
        break;
      case "f32":
        ins.value = r.f32Bits();
        break;
      case "f64":
        ins.value = r.f64Bits();
        break;
      case "select_t": {
        const n = r.u32();
        if (n !== 1) r.fail(`invalid result arity: typed select must name exactly 1 type, got ${n}`, at);
        ins.type = readValType(r);
        break;
      }
      case "heaptype":
        ins.type = readHeapType(r);
        break;
    }

    switch (info.code) {
      case Op.Block:
      case Op.Loop:
      case Op.If:
        open.push(info.code);
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
