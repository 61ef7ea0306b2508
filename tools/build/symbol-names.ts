// The names the linker writes into an executable's symbol table for the
// module's functions: the name section's, keyed by the AOT object's symbol
// for function N (docs/aot.md, `wasm:func:N`). With them `perf report`, gdb
// and `objdump -d` say `bench/compute/sort/unikernel/quickSort` where they
// would say `wasm:func:31`; the trap report already uses the same names.
import { SYMBOLS } from "../aot/index.ts";
import type { Module } from "../wasm/index.ts";

/**
 * `wasm:func:N` → the name section's name of function N, for every named
 * function (imports included; the linker ignores names of symbols nobody
 * defines); and each stretch of inlined code (`wasm:inlined:K`, in `inlined`)
 * → "NAME (inlined)", NAME the function it came from.
 */
export function functionSymbolNames(m: Module, inlined?: ReadonlyMap<string, number>): Map<string, string> {
  const names = new Map<string, string>();
  for (const [index, name] of m.names.funcs) names.set(SYMBOLS.func(index), name);
  for (const [symbol, origin] of inlined ?? []) names.set(symbol, `${m.names.funcs.get(origin) ?? `function ${origin}`} (inlined)`);
  return names;
}
