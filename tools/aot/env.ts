// Module-wide facts the instruction emitters need: where each function's
// code is, canonical type ids for call_indirect, and the one table.

import { funcType, numImportedFuncs, type FuncType, type Module } from "../wasm/index.ts";
import { edi, imm, r14, r14d, sym, type Assembler, type Label, type Sym } from "../x86/index.ts";
import { symMem } from "./context.ts";
import { RUNTIME } from "./traps.ts";
import { S } from "./symbols.ts";

/**
 * Canonical type ids: equal function types get equal ids whatever their
 * index (call_indirect compares structure, not indices). 0 means a null
 * table entry, so ids start at 1.
 */
export function canonicalTypeIds(types: readonly FuncType[]): number[] {
  const ids = new Map<string, number>();
  return types.map((t) => {
    const key = `${t.params.join(",")}>${t.results.join(",")}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = ids.size + 1;
      ids.set(key, id);
    }
    return id;
  });
}

export class ModuleEnv {
  readonly numImportedFuncs: number;
  readonly typeIds: number[];
  /** Labels of the defined functions, by index-space index minus the imports. */
  readonly funcLabels: Label[];
  /** Version 2's register entries of the defined functions (tools/aot/ssa/convention.ts), indexed like funcLabels. */
  readonly regEntries: Label[];
  /** The symbol of each imported function. */
  readonly importSyms: string[];
  /** Largest number of results of any function or block type, for atoll_results. */
  readonly maxResults: number;

  constructor(
    readonly m: Module,
    private readonly a: Assembler,
  ) {
    this.numImportedFuncs = numImportedFuncs(m);
    this.typeIds = canonicalTypeIds(m.types);
    this.funcLabels = m.funcs.map((_, i) => a.newLabel(S.func(i + this.numImportedFuncs)));
    this.regEntries = m.funcs.map((_, i) => a.newLabel(`${S.func(i + this.numImportedFuncs)} registers`));
    this.importSyms = [];
    for (const imp of m.imports) if (imp.kind === "func") this.importSyms.push(S.import(imp.module, imp.name));
    this.maxResults = Math.max(1, ...m.types.map((t) => t.results.length));
  }

  /** Version 2's global kept in r14 for the whole module (ssa/pinned.ts), or null. */
  pinned: number | null = null;
  /** asc's `__stack_pointer` (ssa/shadow.ts removes dead stores to its slots), or null. */
  shadowStack: number | null = null;

  /** Writes the pinned global back to wasm:globals, before code outside the module may read it. */
  pinnedOut(): void {
    if (this.pinned !== null) this.a.mov(symMem(S.globals, 8 * this.pinned, 64), r14);
  }

  /** Reads the pinned global into r14 again, after code outside the module may have written it. */
  pinnedIn(): void {
    if (this.pinned !== null) this.a.mov(r14d, symMem(S.globals, 8 * this.pinned, 32));
  }

  /** The module's entry into atoll_trap for each trap code, by code (see trapEntry). */
  private readonly trapEntries = new Map<number, Label>();

  /**
   * Where a trap stub calls for trap `code`: a shared `mov edi, code; jmp
   * atoll_trap`, so that each stub is one 5-byte call and `[rsp]` in
   * atoll_trap is still an address inside the trapping function.
   */
  trapEntry(code: number): Label {
    let l = this.trapEntries.get(code);
    if (l === undefined) {
      l = this.a.newLabel(`trap entry ${code}`);
      this.trapEntries.set(code, l);
    }
    return l;
  }

  /** Emits the trap entries the stubs used; after the last function. */
  emitTrapEntries(): void {
    for (const [code, l] of [...this.trapEntries].sort((x, y) => x[0] - y[0])) {
      this.a.bind(l);
      this.pinnedOut();
      this.a.mov(edi, imm(code));
      this.a.jmp(sym(RUNTIME.trap));
    }
  }

  /** What `call` targets for function `index` of the index space. */
  callTarget(index: number): Label | Sym {
    return index < this.numImportedFuncs ? sym(this.importSyms[index]!) : this.funcLabels[index - this.numImportedFuncs]!;
  }

  /** The symbol naming function `index`'s code (for tables and the function list). */
  funcSymbol(index: number): string {
    if (index < this.numImportedFuncs && this.pinned !== null) return S.importEntry(index);
    return index < this.numImportedFuncs ? this.importSyms[index]! : S.func(index);
  }

  funcType(index: number): FuncType {
    const t = funcType(this.m, index);
    if (t === undefined) throw new Error(`tools/aot: function ${index} has no type`);
    return t;
  }

  /** Canonical type id of function `index`. */
  funcTypeId(index: number): number {
    const ti = index < this.numImportedFuncs ? this.importTypeIndex(index) : this.m.funcs[index - this.numImportedFuncs]!.typeIndex;
    return this.typeIds[ti]!;
  }

  private importTypeIndex(index: number): number {
    let k = 0;
    for (const imp of this.m.imports) {
      if (imp.kind !== "func") continue;
      if (k === index) return imp.typeIndex;
      k++;
    }
    throw new Error(`tools/aot: no imported function ${index}`);
  }
}
