// The "spectest" module every spec script may import from: print functions
// that do nothing, four constant globals (666 / 666.6), a table of 10..20
// funcref and a memory of 1..2 pages. Also import matching (spec 4.5.3):
// which imports an Atoll image of the module can satisfy.

import { type FuncType, type Limits, type Module, type ValType } from "../wasm/index.ts";
import type { LinkObject, Relocation, SymbolDef } from "../link/index.ts";
import { Assembler } from "../x86/index.ts";
import { SYMBOLS } from "../aot/index.ts";

const fn = (...params: ValType[]): FuncType => ({ params, results: [] });

export const SPECTEST_FUNCS: ReadonlyMap<string, FuncType> = new Map([
  ["print", fn()],
  ["print_i32", fn("i32")],
  ["print_i64", fn("i64")],
  ["print_f32", fn("f32")],
  ["print_f64", fn("f64")],
  ["print_i32_f32", fn("i32", "f32")],
  ["print_f64_f64", fn("f64", "f64")],
]);

function f32Bits(x: number): bigint {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x, true);
  return BigInt(v.getUint32(0, true));
}
function f64Bits(x: number): bigint {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true);
}

export const SPECTEST_GLOBALS: ReadonlyMap<string, { type: ValType; bits: bigint; value: number | bigint }> = new Map([
  ["global_i32", { type: "i32", bits: 666n, value: 666 }],
  ["global_i64", { type: "i64", bits: 666n, value: 666n }],
  ["global_f32", { type: "f32", bits: f32Bits(666.6), value: Math.fround(666.6) }],
  ["global_f64", { type: "f64", bits: f64Bits(666.6), value: 666.6 }],
] as const);

export const SPECTEST_TABLE: Limits = { min: 10, max: 20 };
export const SPECTEST_MEMORY: Limits = { min: 1, max: 2 };

/** Import matching of limits: the actual ones must be within what the import asks for. */
function limitsMatch(actual: Limits, wanted: Limits): boolean {
  if (actual.min < wanted.min) return false;
  if (wanted.max === undefined) return true;
  return actual.max !== undefined && actual.max <= wanted.max;
}

function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

export type ImportVerdict =
  | { ok: true }
  | { ok: false; kind: "unlinkable"; reason: string }
  | { ok: false; kind: "needs-instance"; module: string };

/** Whether the spectest module (and nothing else) satisfies every import of `m`. */
export function checkImports(m: Module, registered: ReadonlySet<string>): ImportVerdict {
  for (const imp of m.imports) {
    const what = `${imp.module}.${imp.name}`;
    if (imp.module !== "spectest") {
      if (registered.has(imp.module)) return { ok: false, kind: "needs-instance", module: imp.module };
      return { ok: false, kind: "unlinkable", reason: `unknown import ${what}` };
    }
    switch (imp.kind) {
      case "func": {
        const want = SPECTEST_FUNCS.get(imp.name);
        if (want === undefined) return { ok: false, kind: "unlinkable", reason: `unknown import ${what}` };
        if (!sameType(want, m.types[imp.typeIndex]!)) return { ok: false, kind: "unlinkable", reason: `incompatible import type ${what}` };
        break;
      }
      case "global": {
        const g = SPECTEST_GLOBALS.get(imp.name);
        if (g === undefined) return { ok: false, kind: "unlinkable", reason: `unknown import ${what}` };
        if (g.type !== imp.global.type || imp.global.mutable) return { ok: false, kind: "unlinkable", reason: `incompatible import type ${what}` };
        break;
      }
      case "table":
        if (imp.name !== "table") return { ok: false, kind: "unlinkable", reason: `unknown import ${what}` };
        if (imp.table.elemType !== "funcref" || !limitsMatch(SPECTEST_TABLE, imp.table.limits)) {
          return { ok: false, kind: "unlinkable", reason: `incompatible import type ${what}` };
        }
        break;
      case "memory":
        if (imp.name !== "memory") return { ok: false, kind: "unlinkable", reason: `unknown import ${what}` };
        if (!limitsMatch(SPECTEST_MEMORY, imp.memory.limits)) return { ok: false, kind: "unlinkable", reason: `incompatible import type ${what}` };
        break;
    }
  }
  return { ok: true };
}

/**
 * An image holds its memory and table itself, sized from the module's
 * declaration: give an imported one spectest's actual limits, which is
 * what the module would see after linking.
 */
export function useSpectestLimits(m: Module): void {
  for (const imp of m.imports) {
    if (imp.kind === "memory") imp.memory.limits = { ...SPECTEST_MEMORY };
    if (imp.kind === "table") imp.table.limits = { ...SPECTEST_TABLE };
  }
}

/** The spectest definitions `m` imports, as a link object. */
export function spectestObject(m: Module): LinkObject {
  const a = new Assembler();
  const symbols = new Map<string, SymbolDef>();
  const relocs: Relocation[] = [];
  const labels: [string, ReturnType<Assembler["newLabel"]>][] = [];
  const data: number[] = [];
  const seen = new Set<string>();
  for (const imp of m.imports) {
    if (imp.module !== "spectest" || seen.has(imp.name)) continue;
    seen.add(imp.name);
    const name = SYMBOLS.import(imp.module, imp.name);
    if (imp.kind === "func") {
      // The caller pops the arguments: returning is all a print that prints nothing does.
      const l = a.newLabel(name);
      a.align(16);
      a.bind(l);
      a.ret();
      labels.push([name, l]);
    } else if (imp.kind === "global") {
      const g = SPECTEST_GLOBALS.get(imp.name)!;
      symbols.set(name, { section: "data", offset: data.length, size: 8 });
      for (let i = 0n; i < 8n; i++) data.push(Number((g.bits >> (8n * i)) & 0xffn));
    }
  }
  const out = a.finish();
  for (const [name, l] of labels) symbols.set(name, { section: "text", offset: out.labels.get(l)!, size: 1 });
  return { text: out.code, rodata: new Uint8Array(0), data: Uint8Array.from(data), bssSize: 0, symbols, relocs, undefined: [] };
}
