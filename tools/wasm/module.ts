// The decoded module: the contract between this folder and the code
// generator (tools/aot). Plain data, close to the binary format, with the
// few things resolved that a single-pass generator cannot work out locally
// (block types, and after validateModule: drop/select types, dead code and
// the operand stack depth).
//
// Index spaces follow the spec: imported entities come first, in import
// order, then the module's own definitions. `funcs`, `tables`, `memories`
// and `globals` hold the definitions only; use the helpers at the bottom to
// go from an index-space index to a type.
//
// Byte arrays (data segment contents, custom sections) are views into the
// decoder's input, not copies.

export type NumType = "i32" | "i64" | "f32" | "f64";
export type RefType = "funcref" | "externref";
export type ValType = NumType | RefType;

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

/** Sizes in pages (memories) or elements (tables). */
export interface Limits {
  min: number;
  max?: number;
}

export interface TableType {
  elemType: RefType;
  limits: Limits;
}

export interface MemoryType {
  limits: Limits;
}

export interface GlobalType {
  type: ValType;
  mutable: boolean;
}

interface ImportBase {
  module: string;
  name: string;
  offset: number;
}

export type Import =
  | (ImportBase & { kind: "func"; typeIndex: number })
  | (ImportBase & { kind: "table"; table: TableType })
  | (ImportBase & { kind: "memory"; memory: MemoryType })
  | (ImportBase & { kind: "global"; global: GlobalType });

export type ExternKind = Import["kind"];

export interface Export {
  name: string;
  kind: ExternKind;
  index: number;
  offset: number;
}

/**
 * One instruction. `op` is the opcode byte, or `0xFC00 | sub` for the
 * 0xFC-prefixed ones (see `Op` in opcodes.ts). Only the fields an
 * instruction needs are set; the decoder gives each instruction one of four
 * fixed layouts, with the other fields present but undefined (code.ts).
 */
export interface Instr {
  op: number;
  /** Byte offset of the opcode in the module. */
  offset: number;
  /** block, loop, if: the block's type, resolved from its three encodings. */
  blockType?: FuncType;
  /**
   * The first index immediate: local, global, function (call, ref.func),
   * type (call_indirect), label depth (br, br_if; br_table's default),
   * data segment (memory.init, data.drop), element segment (table.init,
   * elem.drop), table (table.size, table.get/set/grow/fill, and
   * table.copy's destination).
   */
  index?: number;
  /** The second index immediate: the table of call_indirect and table.init, the source of table.copy. */
  table?: number;
  /** br_table's targets, without the default (which is `index`). */
  labels?: number[];
  memarg?: MemArg;
  /**
   * Constants: i32 as a signed number, i64 as a signed bigint, f32 as its
   * u32 bit pattern (number), f64 as its u64 bit pattern (bigint).
   */
  value?: number | bigint;
  /**
   * The operand type of drop and select (set by validateModule on live
   * instructions), the annotated type of typed select, the type of ref.null.
   */
  type?: ValType;
  /** Set by validateModule on instructions no execution can reach; a generator may skip them. */
  dead?: true;
}

export interface MemArg {
  /** log2 of the alignment hint. */
  align: number;
  offset: number;
}

/** A constant expression, without its closing `end`. */
export type ConstExpr = Instr[];

export interface Func {
  typeIndex: number;
  /** Declared locals, expanded, excluding the parameters. */
  locals: ValType[];
  /** The body, ending with the `end` that closes the function. */
  body: Instr[];
  /** Byte offset of the body (its local declarations) in the module. */
  offset: number;
  /** Most operand-stack values live at once (set by validateModule). */
  maxStackDepth?: number;
}

export interface Table extends TableType {
  offset: number;
}

export interface Memory extends MemoryType {
  offset: number;
}

export interface Global extends GlobalType {
  init: ConstExpr;
  offset: number;
}

export interface Elem {
  mode: "active" | "passive" | "declarative";
  type: RefType;
  /** Active segments: the table and the offset expression. */
  table?: number;
  offsetExpr?: ConstExpr;
  /**
   * One entry per element: the function index, or null for `ref.null`.
   * Decoded from either encoding; when the segment used expressions they
   * are also kept in `exprs`, and validateModule checks them.
   */
  funcs: (number | null)[];
  exprs?: ConstExpr[];
  offset: number;
}

export interface Data {
  mode: "active" | "passive";
  /** Active segments: the memory and the offset expression. */
  memory?: number;
  offsetExpr?: ConstExpr;
  bytes: Uint8Array;
  offset: number;
}

export interface CustomSection {
  name: string;
  /** The payload after the name. */
  bytes: Uint8Array;
  offset: number;
}

export interface Names {
  module?: string;
  /** Function index (index space) to name, from the "name" custom section. */
  funcs: Map<number, string>;
  /** Global index (index space) to name, from the extended name section's global names (subsection 7). */
  globals: Map<number, string>;
}

export interface Module {
  types: FuncType[];
  imports: Import[];
  funcs: Func[];
  tables: Table[];
  memories: Memory[];
  globals: Global[];
  exports: Export[];
  /** The start function's index (index space). */
  start?: number;
  /** Byte offset of the start section's contents, for messages. */
  startOffset?: number;
  elems: Elem[];
  datas: Data[];
  dataCount?: number;
  names: Names;
  customs: CustomSection[];
}

// ---- index-space helpers ------------------------------------------------
//
// Counting imports on every lookup would make a generator quadratic, so the
// counts are computed once per module and cached. Treat a Module as
// immutable once decoded (validateModule only adds annotations).

interface Spaces {
  funcs: number;
  tables: TableType[];
  memories: MemoryType[];
  globals: GlobalType[];
  funcTypeIndex: number[];
}

const cache = new WeakMap<Module, Spaces>();

function spaces(m: Module): Spaces {
  let s = cache.get(m);
  if (s) return s;
  s = { funcs: 0, tables: [], memories: [], globals: [], funcTypeIndex: [] };
  for (const imp of m.imports) {
    if (imp.kind === "func") {
      s.funcs++;
      s.funcTypeIndex.push(imp.typeIndex);
    } else if (imp.kind === "table") s.tables.push(imp.table);
    else if (imp.kind === "memory") s.memories.push(imp.memory);
    else s.globals.push(imp.global);
  }
  for (const f of m.funcs) s.funcTypeIndex.push(f.typeIndex);
  cache.set(m, s);
  return s;
}

export function numImportedFuncs(m: Module): number {
  return spaces(m).funcs;
}
export function numImportedTables(m: Module): number {
  return spaces(m).tables.length;
}
export function numImportedMemories(m: Module): number {
  return spaces(m).memories.length;
}
export function numImportedGlobals(m: Module): number {
  return spaces(m).globals.length;
}

export function numFuncs(m: Module): number {
  return spaces(m).funcTypeIndex.length;
}
export function numTables(m: Module): number {
  return spaces(m).tables.length + m.tables.length;
}
export function numMemories(m: Module): number {
  return spaces(m).memories.length + m.memories.length;
}
export function numGlobals(m: Module): number {
  return spaces(m).globals.length + m.globals.length;
}

/** The type index of a function (index space); undefined when out of range. */
export function funcTypeIndex(m: Module, funcIndex: number): number | undefined {
  return spaces(m).funcTypeIndex[funcIndex];
}

/** The type of a function (index space); undefined when the index or its type index is out of range. */
export function funcType(m: Module, funcIndex: number): FuncType | undefined {
  const t = spaces(m).funcTypeIndex[funcIndex];
  return t === undefined ? undefined : m.types[t];
}

export function tableType(m: Module, tableIndex: number): TableType | undefined {
  const s = spaces(m);
  return tableIndex < s.tables.length ? s.tables[tableIndex] : m.tables[tableIndex - s.tables.length];
}

export function memoryType(m: Module, memIndex: number): MemoryType | undefined {
  const s = spaces(m);
  return memIndex < s.memories.length ? s.memories[memIndex] : m.memories[memIndex - s.memories.length];
}

export function globalType(m: Module, globalIndex: number): GlobalType | undefined {
  const s = spaces(m);
  return globalIndex < s.globals.length ? s.globals[globalIndex] : m.globals[globalIndex - s.globals.length];
}
