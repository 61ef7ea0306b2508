// atoll_functions: per defined function its code range and name, so that
// the runtime can name the function a trap happened in (docs/aot.md).
// Names come from the name section, else `function N`. wasm:init gets an
// entry after the defined functions, so traps during instantiation are
// named too.

import type { Module } from "../wasm/index.ts";
import type { SectionBuilder } from "./object.ts";
import { S } from "./symbols.ts";

export interface CodeRange {
  symbol: string;
  size: number;
  name: string;
}

export function functionRanges(m: Module, numImported: number, sizes: readonly number[], initSize: number): CodeRange[] {
  const ranges: CodeRange[] = m.funcs.map((_, i) => {
    const index = numImported + i;
    return { symbol: S.func(index), size: sizes[i]!, name: m.names.funcs.get(index) ?? `function ${index}` };
  });
  ranges.push({ symbol: S.init, size: initSize, name: "wasm:init (instantiation)" });
  return ranges;
}

export function layoutFunctions(ranges: readonly CodeRange[], rodata: SectionBuilder): void {
  const enc = new TextEncoder();
  const names = ranges.map((r) => enc.encode(r.name));
  const total = names.reduce((n, b) => n + b.length, 0);
  rodata.define(S.names, 8, total);
  const at: number[] = [];
  let pos = 0;
  for (const b of names) {
    at.push(pos);
    rodata.raw(b);
    pos += b.length;
  }
  rodata.define(S.functions, 8, 32 * ranges.length);
  ranges.forEach((r, i) => {
    rodata.addr(r.symbol);
    rodata.addr(r.symbol, r.size);
    rodata.addr(S.names, at[i]!);
    rodata.u64(names[i]!.length);
  });
  rodata.define(S.functionsCount, 8, 8);
  rodata.u64(ranges.length);
}
