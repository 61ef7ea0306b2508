// The "fuzzing-support" imports translate-to-fuzz modules call, and what
// both engines make them do (V8: v8.ts, natively: driver.ts):
//
//   log-i32/i64/f32/f64 (x)    record x; the logs of a call are compared in order
//   sleep (ms, id) -> id       returns id at once (binaryen's fuzz shell does
//                              the same without JSPI)
//   call-export (i, flags)     does nothing
//   call-export-catch (i) -> 0 does nothing, "did not throw"
//
// call-export and call-export-catch ask the host to call the module's
// export number i from inside the module. Doing it natively means a driver
// that re-enters wasm from an import and nests trap recovery, which is the
// runtime's business (and its tests'), not the compiler's: what the calls
// would exercise in the compiler is a call to an import that returns, and
// the no-op still does that. Both engines doing nothing keeps them equal.
//
// A module that imports anything else is skipped (counted, never compared).

import type { FuncType, Module } from "../wasm/index.ts";

export const HOST_MODULE = "fuzzing-support";

const sig = (params: string, results = ""): string => `${params}->${results}`;

/** Name → signature ("params->results"). */
export const HOST_FUNCS: ReadonlyMap<string, string> = new Map([
  ["log-i32", sig("i32")],
  ["log-i64", sig("i64")],
  ["log-f32", sig("f32")],
  ["log-f64", sig("f64")],
  ["sleep", sig("i32,i32", "i32")],
  ["call-export", sig("i32,i32")],
  ["call-export-catch", sig("i32", "i32")],
]);

function signature(t: FuncType): string {
  return sig(t.params.join(","), t.results.join(","));
}

/** Why the module cannot run here (an import neither engine provides), or undefined when it can. */
export function unsupportedImport(m: Module): string | undefined {
  for (const imp of m.imports) {
    const what = `${imp.module}.${imp.name}`;
    if (imp.kind !== "func" || imp.module !== HOST_MODULE) return `imports ${imp.kind} ${what}`;
    const want = HOST_FUNCS.get(imp.name);
    if (want === undefined) return `imports ${what}`;
    if (want !== signature(m.types[imp.typeIndex]!)) return `imports ${what} with type ${signature(m.types[imp.typeIndex]!)}`;
  }
  return undefined;
}
