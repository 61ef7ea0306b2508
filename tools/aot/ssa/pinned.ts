// asc's shadow-stack pointer in a register. AssemblyScript keeps its GC
// roots on a shadow stack in linear memory; every function that holds a
// reference moves `__stack_pointer` down on entry and back on exit, and
// each inlined accessor does the same. Version 2 keeps that global in r14
// for the whole module instead of in `wasm:globals`:
//
// - `global.get`/`global.set` of it are register moves; no allocation uses
//   r14, and calls between the module's functions pass it along (it is the
//   global itself, not a callee-saved register, inside the module).
// - Where code outside the module could read or write the global, it is
//   written back before and read again after: around calls to imports (a
//   table holds, for an import, an entry that does this around it, so that
//   `call_indirect` needs nothing), in the trap entries before atoll_trap,
//   and in the thunks through which the runtime enters:
//   each `wasm:export:NAME` and `wasm:init` save the runtime's r14, load the
//   global, call the function and store the global back before restoring
//   r14 (docs/aot.md's callee-saved r14 holds at the ABI).
// - A memory fault (a signal on unix, #PF on kvm) does not write it back:
//   the global in memory is then as of the last call to an import or from
//   the runtime. The runtimes end the program on a trap; only a test
//   harness that resumes after a fault could see the difference, and the
//   spec and fuzz modules have no such global.
//
// The global is found by name (the name section's global names, which asc
// writes): a defined, mutable, unexported i32 named `__stack_pointer`.

import { numImportedGlobals, type FuncType, type Module } from "../../wasm/index.ts";
import { imm, mem, r14, rsp, sym, type Assembler, type Label } from "../../x86/index.ts";
import type { ModuleEnv } from "../env.ts";
import { argRegisters, loadArgs } from "./convention.ts";

/** The register that holds the pinned global. */
export const PINNED_REG = 14;

/** The global to keep in PINNED_REG, given the module's shadowStackGlobal(), or null. $ATOLL_AOT_PIN=0 turns it off. */
export function pinnedGlobal(shadowStack: number | null): number | null {
  return process.env.ATOLL_AOT_PIN === "0" ? null : shadowStack;
}

/** The index of asc's shadow-stack pointer, or null when the module has none by that name. */
export function shadowStackGlobal(m: Module): number | null {
  const imported = numImportedGlobals(m);
  for (const [index, name] of m.names.globals) {
    if (!/(^|\/)__stack_pointer$/.test(name) || index < imported) continue;
    const g = m.globals[index - imported];
    if (g === undefined || !g.mutable || g.type !== "i32") continue;
    if (m.exports.some((e) => e.kind === "global" && e.index === index)) continue;
    return index;
  }
  return null;
}

/**
 * The runtime's way in when a global is pinned: saves the runtime's r14,
 * loads the global, calls the function (its register entry, or its stack
 * entry with the arguments pushed again), stores the global back and
 * restores r14. Results stay in rax/xmm0 and atoll_results.
 */
export function emitEntryThunk(a: Assembler, env: ModuleEnv, type: FuncType, stackEntry: Label, regEntry: Label): void {
  a.push(r14);
  env.pinnedIn();
  const regs = argRegisters(type);
  const n = type.params.length;
  if (regs !== null) {
    loadArgs(a, type, regs, 16);
    a.call(regEntry);
  } else {
    // Each push moves rsp down by the distance to the next argument: the same displacement every time.
    for (let i = 0; i < n; i++) a.push(mem(rsp, { disp: 16 + 8 * (n - 1) }, 64));
    a.call(stackEntry);
    if (n > 0) a.add(rsp, imm(8 * n));
  }
  env.pinnedOut();
  a.pop(r14);
  a.ret();
}

/** A table's entry for an imported function: the global written back, the arguments pushed again, the call, the global read again. */
export function emitImportEntry(a: Assembler, env: ModuleEnv, type: FuncType, target: string): void {
  env.pinnedOut();
  const n = type.params.length;
  for (let i = 0; i < n; i++) a.push(mem(rsp, { disp: 8 + 8 * (n - 1) }, 64));
  a.call(sym(target));
  if (n > 0) a.add(rsp, imm(8 * n));
  env.pinnedIn();
  a.ret();
}
