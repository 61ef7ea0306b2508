// validateModule: the module-level rules of spec 3.4 (index ranges, limits,
// constant expressions, exports, start), and every function body through
// typecheck.ts.

import { WasmError } from "./errors.ts";
import type { ConstExpr, FuncType, GlobalType, Limits, Module, TableType, ValType } from "./module.ts";
import { numFuncs, numImportedGlobals } from "./module.ts";
import { Op, opNameOf } from "./opcodes.ts";
import { checkFunction, type ModuleContext } from "./typecheck.ts";

/** The largest memory WebAssembly 2.0 allows: 2^16 pages of 64 KiB. */
const MAX_PAGES = 65536;

function fail(reason: string, section: string, offset: number): never {
  throw new WasmError(reason, { section, offset });
}

function checkLimits(l: Limits, max: number, what: string, section: string, offset: number): void {
  if (l.min > max || (l.max !== undefined && l.max > max)) {
    fail(`memory size must be at most ${MAX_PAGES} pages (4GiB): ${what} has ${l.min}..${l.max ?? ""}`, section, offset);
  }
  if (l.max !== undefined && l.min > l.max) {
    fail(`size minimum must not be greater than maximum: ${what} has min ${l.min}, max ${l.max}`, section, offset);
  }
}

/**
 * Constant expressions (spec 3.3.10): constants, ref.null, ref.func, and
 * global.get of an immutable imported global, leaving exactly one value of
 * type `want`.
 */
function checkConstExpr(ctx: ModuleContext, e: ConstExpr, want: ValType, section: string, offset: number): void {
  const stack: ValType[] = [];
  const importedGlobals = numImportedGlobals(ctx.m);
  for (const ins of e) {
    switch (ins.op) {
      case Op.I32Const:
        stack.push("i32");
        break;
      case Op.I64Const:
        stack.push("i64");
        break;
      case Op.F32Const:
        stack.push("f32");
        break;
      case Op.F64Const:
        stack.push("f64");
        break;
      case Op.RefNull:
        stack.push(ins.type!);
        break;
      case Op.RefFunc:
        if (ins.index! >= ctx.funcTypes.length) fail(`unknown function ${ins.index} in ref.func`, section, ins.offset);
        stack.push("funcref");
        break;
      case Op.GlobalGet: {
        const g = ctx.globals[ins.index!];
        if (g === undefined || ins.index! >= importedGlobals) {
          fail(`unknown global ${ins.index}: constant expressions may read imported globals only`, section, ins.offset);
        }
        if (g.mutable) fail(`constant expression required: global ${ins.index} is mutable`, section, ins.offset);
        stack.push(g.type);
        break;
      }
      default:
        fail(`constant expression required: ${opNameOf(ins.op)} is not constant`, section, ins.offset);
    }
  }
  if (stack.length !== 1 || stack[0] !== want) {
    fail(`type mismatch: constant expression expects [${want}], got [${stack.join(" ")}]`, section, e[0]?.offset ?? offset);
  }
}

function context(m: Module): ModuleContext {
  const funcTypes: (FuncType | undefined)[] = [];
  const globals: GlobalType[] = [];
  const tables: TableType[] = [];
  let numMemories = 0;
  for (const imp of m.imports) {
    if (imp.kind === "func") funcTypes.push(m.types[imp.typeIndex]);
    else if (imp.kind === "global") globals.push(imp.global);
    else if (imp.kind === "table") tables.push(imp.table);
    else numMemories++;
  }
  for (const f of m.funcs) funcTypes.push(m.types[f.typeIndex]);
  for (const g of m.globals) globals.push(g);
  for (const t of m.tables) tables.push(t);
  numMemories += m.memories.length;
  return { m, funcTypes, globals, tables, numMemories, funcName: (i) => m.names.funcs.get(i) };
}

/**
 * Validates a decoded module, and annotates it for the code generator:
 * `type` on live drop/select, `dead` on unreachable instructions,
 * `maxStackDepth` on every function. Throws WasmError.
 */
export function validateModule(m: Module): void {
  const ctx = context(m);

  for (const imp of m.imports) {
    const s = "import section";
    if (imp.kind === "func" && m.types[imp.typeIndex] === undefined) {
      fail(`unknown type ${imp.typeIndex} for imported function "${imp.module}" "${imp.name}"`, s, imp.offset);
    }
    if (imp.kind === "table") checkLimits(imp.table.limits, 0xffffffff, "table", s, imp.offset);
    if (imp.kind === "memory") checkLimits(imp.memory.limits, MAX_PAGES, "memory", s, imp.offset);
  }
  for (const t of m.tables) checkLimits(t.limits, 0xffffffff, "table", "table section", t.offset);
  for (const mem of m.memories) checkLimits(mem.limits, MAX_PAGES, "memory", "memory section", mem.offset);
  if (ctx.numMemories > 1) {
    fail(`multiple memories: the module has ${ctx.numMemories}, WebAssembly 2.0 allows one`, "memory section", m.memories[0]?.offset ?? 0);
  }

  for (const g of m.globals) checkConstExpr(ctx, g.init, g.type, "global section", g.offset);

  const exportNames = new Set<string>();
  for (const e of m.exports) {
    const s = "export section";
    if (exportNames.has(e.name)) fail(`duplicate export name "${e.name}"`, s, e.offset);
    exportNames.add(e.name);
    const count =
      e.kind === "func"
        ? ctx.funcTypes.length
        : e.kind === "table"
          ? ctx.tables.length
          : e.kind === "memory"
            ? ctx.numMemories
            : ctx.globals.length;
    if (e.index >= count) fail(`unknown ${e.kind === "func" ? "function" : e.kind} ${e.index} exported as "${e.name}"`, s, e.offset);
  }

  if (m.start !== undefined) {
    const t = ctx.funcTypes[m.start];
    if (m.start >= numFuncs(m)) fail(`unknown function ${m.start} as start function`, "start section", m.startOffset ?? 0);
    if (t === undefined || t.params.length !== 0 || t.results.length !== 0) {
      fail(`start function ${m.start} must have type [] -> []`, "start section", m.startOffset ?? 0);
    }
  }

  for (const e of m.elems) {
    const s = "element section";
    if (e.mode === "active") {
      const t = ctx.tables[e.table!];
      if (t === undefined) fail(`unknown table ${e.table} in an active element segment`, s, e.offset);
      if (t.elemType !== e.type) fail(`type mismatch: ${e.type} segment for a ${t.elemType} table`, s, e.offset);
      checkConstExpr(ctx, e.offsetExpr!, "i32", s, e.offset);
    }
    if (e.exprs !== undefined) {
      for (const x of e.exprs) checkConstExpr(ctx, x, e.type, s, e.offset);
    } else {
      for (const f of e.funcs) {
        if (f !== null && f >= ctx.funcTypes.length) fail(`unknown function ${f} in an element segment`, s, e.offset);
      }
    }
  }

  for (const d of m.datas) {
    const s = "data section";
    if (d.mode === "active") {
      if (d.memory! >= ctx.numMemories) fail(`unknown memory ${d.memory} in an active data segment`, s, d.offset);
      checkConstExpr(ctx, d.offsetExpr!, "i32", s, d.offset);
    }
  }

  const firstDefined = ctx.funcTypes.length - m.funcs.length;
  for (let i = 0; i < m.funcs.length; i++) {
    const fn = m.funcs[i]!;
    const type = m.types[fn.typeIndex];
    if (type === undefined) {
      throw new WasmError(`unknown type ${fn.typeIndex} for function ${firstDefined + i}`, {
        section: "function section",
        offset: fn.offset,
        funcIndex: firstDefined + i,
        funcName: ctx.funcName(firstDefined + i),
      });
    }
    checkFunction(ctx, fn, firstDefined + i, type);
  }
}
