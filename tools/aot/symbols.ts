// Names of the symbols in an AotObject. The public ones are docs/aot.md's
// contract; the `wasm:data:`/`wasm:elem:` ones are private to this object
// (the linker resolves them like any other).

export const S = {
  func: (index: number): string => `wasm:func:${index}`,
  export: (name: string): string => `wasm:export:${name}`,
  import: (module: string, name: string): string => `import:${module}.${name}`,
  init: "wasm:init",
  memoryPages: "wasm:memory:pages",
  memoryInitial: "wasm:memory:initial",
  memoryMax: "wasm:memory:max",
  globals: "wasm:globals",
  /** Table 0 is docs/aot.md's `wasm:table`; any further tables (reference types' multi-table) follow the pattern. */
  table: (k: number): string => (k === 0 ? "wasm:table" : `wasm:table:${k}`),
  tableSize: (k: number): string => (k === 0 ? "wasm:table:size" : `wasm:table:${k}:size`),
  results: "atoll_results",
  functions: "atoll_functions",
  functionsCount: "atoll_functions:count",
  names: "wasm:names",
  /** The k-th stretch of code inlined from another function (text; private, for atoll_functions). */
  inlined: (k: number): string => `wasm:inlined:${k}`,
  /** An imported function's entry for tables when a global is pinned (text; private; ssa/pinned.ts). */
  importEntry: (index: number): string => `wasm:import-entry:${index}`,
  /** A data segment's bytes (rodata). */
  data: (index: number): string => `wasm:data:${index}`,
  /** u64 per data segment: its current length, 0 once dropped. */
  dataLengths: "wasm:data:lengths",
  /** An element segment's entries (rodata, laid out like table entries). */
  elem: (index: number): string => `wasm:elem:${index}`,
  /** u64 per element segment: its current length, 0 once dropped. */
  elemLengths: "wasm:elem:lengths",
} as const;

/** Bytes per `wasm:table` entry: code address, canonical type id. */
export const TABLE_ENTRY = 16;
/** Slots of `atoll_results`. */
export const RESULT_SLOTS = 16;
