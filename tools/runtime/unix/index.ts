// The Linux runtime's public surface.
export { unixRuntime, unixLayout, type UnixRuntimeOptions } from "./runtime.ts";
export { ABI_FUNCTIONS, EXIT_ABORT } from "./abi.ts";
export { EXIT_TRAP, TRAP_KINDS } from "./trap.ts";
export { ABI_VERSION, type StartMode } from "./start.ts";
export { N as RUNTIME_SYMBOLS } from "./context.ts";
