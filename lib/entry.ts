import { ABI_VERSION } from "./abi";
import { loop } from "./loop";

// The module's entry points (docs/abi.md); the generated main.ts re-exports
// them beside its own `atoll_init`.

/** The ABI version this module was built against. */
export function atoll_abi_version(): i32 { return ABI_VERSION; }

/** One turn of the event loop, for runtimes that cannot block. */
export function atoll_step(ready: u64): i64 { return loop.step(ready); }

/** The whole event loop, for runtimes that block in `yield`. */
export function atoll_run(): void { loop.run(); }
