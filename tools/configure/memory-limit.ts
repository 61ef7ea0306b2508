// config.ts's `memory`, when it is given, bounds linear memory on every
// target: the module declares it as its maximum (asc --maximumMemory), which
// V8 and both native runtimes enforce, so an application that outgrows it
// gets the runtime's out-of-memory report instead of taking the host's RAM.
// On kvm it is also the guest's RAM, the tighter bound there. Without it,
// unix and node keep wasm32's own limit (4 GiB) and kvm boots with 32 MiB.
import { parseSize } from "../config/validate.ts";
import { UserError } from "../errors.ts";

/** The unikernel's memory when config.ts gives none (kvm's guest RAM; what the stack's limits are derived from). */
export const DEFAULT_MEMORY = "32M";

/** A wasm page: 64 KiB (the WebAssembly core spec's unit of memory sizes). */
export const WASM_PAGE = 65536;
/** The most pages a wasm32 memory can have. */
export const WASM32_MAX_PAGES = 65536;

/** The maximum, in pages, that `memory` gives linear memory; undefined when config.ts sets none. */
export function maxMemoryPages(memory: string | undefined): number | undefined {
  if (memory === undefined) return undefined;
  const bytes = parseSize(memory);
  // validate.ts has checked it is a size of at least one page.
  if (bytes === null || bytes < WASM_PAGE) throw new UserError(`memory '${memory}' is not a size of at least 64K`);
  return Math.min(Math.floor(bytes / WASM_PAGE), WASM32_MAX_PAGES);
}
