// The public face of tools/wasm: decode, validate, the IR and its helpers.

export { decodeModule, MAX_LOCALS } from "./decode.ts";
export { validateModule } from "./validate.ts";
export { WasmError, UNSUPPORTED } from "./errors.ts";
export { Op, OPCODES, opInfo, opNameOf, type OpInfo, type Imm, type OpTable } from "./opcodes.ts";
export * from "./module.ts";
