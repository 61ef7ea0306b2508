// compileModule: one validated module to an AotObject (docs/aot.md).

import { opNameOf, type Module } from "../wasm/index.ts";
import { Assembler, sym, type Label } from "../x86/index.ts";
import { bulkEmitters } from "./bulk.ts";
import { callEmitters } from "./calls.ts";
import type { Emitter } from "./context.ts";
import { controlEmitters } from "./control.ts";
import { convertEmitters } from "./convert.ts";
import { ModuleEnv } from "./env.ts";
import { floatEmitters } from "./float-ops.ts";
import { compileFunction } from "./function.ts";
import { emitFunction, planFunction, type Planned } from "./ssa/function.ts";
import { inlinePolicy } from "./ssa/inline-policy.ts";
import { emitEntryThunk, emitImportEntry, pinnedGlobal, shadowStackGlobal } from "./ssa/pinned.ts";
import type { OriginRange } from "./ssa/origins.ts";
import { functionRanges, layoutFunctions, type CodeRange } from "./functions.ts";
import { compileInit } from "./init.ts";
import { intEmitters } from "./int-ops.ts";
import { layoutData } from "./layout.ts";
import { memoryEmitters } from "./memory.ts";
import { BssBuilder, SectionBuilder, type AotObject, type AotReloc, type AotSymbol } from "./object.ts";
import { S } from "./symbols.ts";
import { RUNTIME } from "./traps.ts";
import { variableEmitters } from "./variables.ts";

export interface CompileOptions {
  /** Named in error messages (e.g. the .wasm file). */
  name?: string;
  /** The code generator: "v2" (SSA, registers; the default) or "v1" (every value in a slot). Default: $ATOLL_AOT, else v2. */
  version?: "v1" | "v2";
  /** Run the IR verifier between version 2's passes (default: $ATOLL_AOT_VERIFY === "1"). */
  verify?: boolean;
}

/** The code generator a compile uses: the option, else $ATOLL_AOT, else v2. */
export function aotVersion(opts: CompileOptions): "v1" | "v2" {
  const v = opts.version ?? process.env.ATOLL_AOT ?? "v2";
  if (v !== "v1" && v !== "v2") throw new Error(`tools/aot: ATOLL_AOT=${v}: expected v1 or v2`);
  return v;
}

/** Every instruction the generator handles, by opcode. */
export const EMITTERS: ReadonlyMap<number, Emitter> = (() => {
  const all = new Map<number, Emitter>();
  for (const t of [controlEmitters, variableEmitters, intEmitters, floatEmitters, convertEmitters, memoryEmitters, callEmitters, bulkEmitters]) {
    for (const [op, e] of t) {
      if (all.has(op)) throw new Error(`tools/aot: two emitters for ${opNameOf(op)}`);
      all.set(op, e);
    }
  }
  return all;
})();

function functionName(m: Module, index: number): string {
  const n = m.names.funcs.get(index);
  return n === undefined ? `function ${index}` : `function ${index} ($${n})`;
}

export function compileModule(m: Module, opts: CompileOptions = {}): AotObject {
  const a = new Assembler();
  const env = new ModuleEnv(m, a);
  const prefix = opts.name === undefined ? "" : `${opts.name}: `;

  const v2 = aotVersion(opts) === "v2";
  if (v2) {
    env.shadowStack = shadowStackGlobal(m);
    env.pinned = pinnedGlobal(env.shadowStack);
  }
  const check = opts.verify ?? process.env.ATOLL_AOT_VERIFY === "1";
  const inlinable = inlinePolicy(m, env.numImportedFuncs);
  const ends: Label[] = [];
  const inlined: OriginRange[] = [];
  m.funcs.forEach((fn, i) => {
    const index = env.numImportedFuncs + i;
    const type = m.types[fn.typeIndex]!;
    const where = prefix + functionName(m, index);
    a.align(16);
    let plan: Planned | null = null;
    if (v2) {
      if (fn.maxStackDepth === undefined) throw new Error(`tools/aot: ${where}: not validated (run validateModule first)`);
      plan = planFunction(env, fn, type, where, index, inlinable, check);
    }
    if (plan !== null) inlined.push(...emitFunction(a, env, EMITTERS, plan, env.funcLabels[i]!));
    else compileFunction(a, env, EMITTERS, fn, type, where, env.funcLabels[i]!);
    const end = a.newLabel();
    a.bind(end);
    ends.push(end);
  });

  // An exported import gets a thunk: the alias must be a place in this object's code.
  const thunks = new Map<number, Label>();
  for (const e of m.exports) {
    if (e.kind !== "func" || e.index >= env.numImportedFuncs || thunks.has(e.index)) continue;
    const l = a.newLabel(`thunk ${e.index}`);
    a.align(16);
    a.bind(l);
    a.jmp(sym(env.importSyms[e.index]!));
    thunks.set(e.index, l);
  }

  // With a pinned global the runtime enters through thunks that load and store it (ssa/pinned.ts).
  const entryThunks = new Map<number, [Label, Label]>();
  if (env.pinned !== null) {
    for (const e of m.exports) {
      const i = e.index - env.numImportedFuncs;
      if (e.kind !== "func" || i < 0 || entryThunks.has(i)) continue;
      const start = a.newLabel(`entry ${e.index}`), end = a.newLabel();
      a.align(16);
      a.bind(start);
      emitEntryThunk(a, env, m.types[m.funcs[i]!.typeIndex]!, env.funcLabels[i]!, env.regEntries[i]!);
      a.bind(end);
      entryThunks.set(i, [start, end]);
    }
  }

  const importEntries: [number, Label][] = [];
  if (env.pinned !== null) {
    for (let k = 0; k < env.numImportedFuncs; k++) {
      const l = a.newLabel(`import entry ${k}`);
      a.align(16);
      a.bind(l);
      emitImportEntry(a, env, env.funcType(k), env.importSyms[k]!);
      importEntries.push([k, l]);
    }
  }

  a.align(16);
  const init = a.newLabel("init");
  let initBody = init;
  if (env.pinned !== null) {
    a.bind(init);
    initBody = a.newLabel("init body");
    emitEntryThunk(a, env, { params: [], results: [] }, initBody, initBody);
  }
  compileInit(a, env, initBody);
  const initEnd = a.newLabel();
  a.bind(initEnd);
  env.emitTrapEntries();

  const out = a.finish();
  const symbols = new Map<string, AotSymbol>();
  const relocs: AotReloc[] = [];
  const define = (name: string, offset: number, size?: number): void => {
    if (symbols.has(name)) throw new Error(`tools/aot: ${prefix}symbol ${name} defined twice`);
    symbols.set(name, size === undefined ? { section: "text", offset } : { section: "text", offset, size });
  };
  const at = (l: Label): number => out.labels.get(l)!;

  const sizes: number[] = [];
  m.funcs.forEach((_, i) => {
    const start = at(env.funcLabels[i]!);
    sizes.push(at(ends[i]!) - start);
    define(S.func(env.numImportedFuncs + i), start, sizes[i]);
  });
  for (const [k, l] of importEntries) define(S.importEntry(k), at(l));
  const initStart = at(init);
  define(S.init, initStart, at(initEnd) - initStart);
  for (const e of m.exports) {
    if (e.kind !== "func") continue;
    const i = e.index - env.numImportedFuncs;
    const entry = entryThunks.get(i);
    if (entry !== undefined) {
      define(S.export(e.name), at(entry[0]), at(entry[1]) - at(entry[0]));
      continue;
    }
    const offset = i >= 0 ? at(env.funcLabels[i]!) : at(thunks.get(e.index)!);
    define(S.export(e.name), offset, i >= 0 ? sizes[i] : undefined);
  }
  for (const r of out.relocs) {
    if (r.symbol === null) throw new Error(`tools/aot: ${prefix}an absolute reference into the code itself at 0x${r.offset.toString(16)}`);
    relocs.push({ section: "text", offset: r.offset, symbol: r.symbol, kind: r.kind, addend: r.addend });
  }

  const rodata = new SectionBuilder("rodata", symbols, relocs);
  const data = new SectionBuilder("data", symbols, relocs);
  const bss = new BssBuilder(symbols);
  layoutData(m, env, rodata, data, bss);
  // Inlined code first: the runtime takes the first range that holds an address.
  const inlinedOrigin = new Map<string, number>();
  const inlinedRanges: CodeRange[] = inlined.map((r, k) => {
    const name = S.inlined(k);
    inlinedOrigin.set(name, r.origin);
    const start = at(r.start);
    define(name, start, at(r.end) - start);
    return { symbol: name, size: at(r.end) - start, name: m.names.funcs.get(r.origin) ?? `function ${r.origin}` };
  });
  layoutFunctions([...inlinedRanges, ...functionRanges(m, env.numImportedFuncs, sizes, at(initEnd) - initStart)], rodata);

  const undef = new Set<string>([RUNTIME.trap, RUNTIME.stackLimit, RUNTIME.memoryGrow]);
  for (const imp of m.imports) {
    if (imp.kind === "func" || imp.kind === "global") undef.add(S.import(imp.module, imp.name));
  }
  for (const r of relocs) if (!symbols.has(r.symbol)) undef.add(r.symbol);

  return {
    text: out.code,
    rodata: rodata.finish(),
    data: data.finish(),
    bssSize: bss.length,
    symbols,
    relocs,
    undefined: [...undef].sort(),
    inlined: inlinedOrigin,
  };
}
