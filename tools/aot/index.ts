// The public face of tools/aot.
export { compileModule, EMITTERS, type CompileOptions } from "./compile.ts";
export type { AotObject, AotReloc, AotSymbol, SectionName } from "./object.ts";
export { Trap, TRAP_TEXT, RUNTIME, type TrapCode } from "./traps.ts";
export { S as SYMBOLS, TABLE_ENTRY, RESULT_SLOTS } from "./symbols.ts";
export { canonicalTypeIds } from "./env.ts";
