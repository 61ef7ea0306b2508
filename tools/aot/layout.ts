// The data side of the object: memory sizes, globals, tables, the
// segments' contents and lengths, atoll_results.

import { memoryType, numImportedGlobals, numMemories, numTables, tableType, type Module } from "../wasm/index.ts";
import { layoutActiveData } from "./data-init.ts";
import type { ModuleEnv } from "./env.ts";
import { staticValue } from "./init.ts";
import type { BssBuilder, SectionBuilder } from "./object.ts";
import { RESULT_SLOTS, S, TABLE_ENTRY } from "./symbols.ts";

/** Tables bigger than this many bytes go to bss rather than into the file. */
const TABLE_IN_DATA_LIMIT = 1 << 20;
const MAX_PAGES = 65536;

export function layoutData(m: Module, env: ModuleEnv, rodata: SectionBuilder, data: SectionBuilder, bss: BssBuilder): void {
  // Memory: imported or defined, one per image; none is a memory of 0 pages that cannot grow.
  const mem = numMemories(m) > 0 ? memoryType(m, 0) : undefined;
  const initial = mem?.limits.min ?? 0;
  const max = mem === undefined ? 0 : (mem.limits.max ?? MAX_PAGES);
  rodata.define(S.memoryInitial, 8, 8);
  rodata.u64(initial);
  rodata.define(S.memoryMax, 8, 8);
  rodata.u64(max);
  data.define(S.memoryPages, 8, 8);
  data.u64(initial);

  // Globals: constant initialisers in place; the rest wasm:init fills in.
  const nImported = numImportedGlobals(m);
  const nGlobals = nImported + m.globals.length;
  data.define(S.globals, 8, 8 * nGlobals);
  data.zeros(8 * nImported);
  for (const g of m.globals) data.u64(staticValue(g.init) ?? 0n);

  // Tables: entries start null; wasm:init applies the active segments.
  for (let k = 0; k < numTables(m); k++) {
    const t = tableType(m, k)!;
    const bytes = t.limits.min * TABLE_ENTRY;
    if (bytes <= TABLE_IN_DATA_LIMIT) {
      data.define(S.table(k), 16, bytes);
      data.zeros(bytes);
    } else {
      bss.define(S.table(k), bytes);
    }
    data.define(S.tableSize(k), 8, 8);
    data.u64(t.limits.min);
  }

  // Data segments: bytes in rodata, current lengths in data (dropped ones read 0).
  m.datas.forEach((d, k) => {
    rodata.define(S.data(k), 16, d.bytes.length);
    rodata.raw(d.bytes);
  });
  data.define(S.dataLengths, 8, 8 * m.datas.length);
  for (const d of m.datas) data.u64(d.bytes.length);
  layoutActiveData(m, rodata);

  // Element segments: entries laid out like table entries, so that table.init is a copy.
  m.elems.forEach((e, k) => {
    rodata.define(S.elem(k), 16, e.funcs.length * TABLE_ENTRY);
    for (const f of e.funcs) {
      if (f === null) {
        rodata.u64(0);
        rodata.u64(0);
      } else {
        rodata.addr(env.funcSymbol(f));
        rodata.u64(env.funcTypeId(f));
      }
    }
  });
  data.define(S.elemLengths, 8, 8 * m.elems.length);
  // Declarative segments are dropped from the start; active ones by wasm:init.
  for (const e of m.elems) data.u64(e.mode === "declarative" ? 0 : e.funcs.length);

  const slots = Math.max(RESULT_SLOTS, env.maxResults - 1);
  bss.define(S.results, 8 * slots);
}
