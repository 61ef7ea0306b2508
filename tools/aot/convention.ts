// The wasm calling convention of docs/aot.md, both sides: arguments pushed
// in order in 8-byte slots, result 0 in rax (i32, i64) or xmm0 (f32, f64),
// results 1.. at atoll_results + 8*(i-1), the caller pops the arguments.

import type { ValType } from "../wasm/index.ts";
import { imm, rax, rbp, rsp, xmm0 } from "../x86/index.ts";
import { symMem, type Ctx } from "./context.ts";
import { S } from "./symbols.ts";

export function isFloat(t: ValType): boolean {
  return t === "f32" || t === "f64";
}

/** Pushes the `n` values in slots first.. (argument 0 first). */
export function pushArgs(c: Ctx, first: number, n: number): void {
  for (let i = 0; i < n; i++) c.a.push(c.slot(first + i, 64));
}

export function popArgs(c: Ctx, n: number): void {
  if (n > 0) c.a.add(rsp, imm(8 * n));
}

/** After a call: stores its results into the slots from `first` on. */
export function storeResults(c: Ctx, results: readonly ValType[], first: number): void {
  if (results.length === 0) return;
  if (isFloat(results[0]!)) c.a.movsd(c.slot(first, 64), xmm0);
  else c.a.mov(c.slot(first, 64), rax);
  for (let i = 1; i < results.length; i++) {
    c.a.mov(rax, symMem(S.results, 8 * (i - 1)));
    c.a.mov(c.slot(first + i, 64), rax);
  }
}

/** Before returning: loads the results from the slots from `first` on. */
export function loadResults(c: Ctx, results: readonly ValType[], first: number): void {
  for (let i = 1; i < results.length; i++) {
    c.a.mov(rax, c.slot(first + i, 64));
    c.a.mov(symMem(S.results, 8 * (i - 1)), rax);
  }
  if (results.length === 0) return;
  if (isFloat(results[0]!)) c.a.movsd(xmm0, c.slot(first, 64));
  else c.a.mov(rax, c.slot(first, 64));
}

/** Returns from the function with the top values of the operand stack as its results. */
export function emitReturn(c: Ctx): void {
  const results = c.type.results;
  loadResults(c, results, c.depth - results.length);
  epilogue(c);
}

export function epilogue(c: Ctx): void {
  c.a.mov(rsp, rbp);
  c.a.pop(rbp);
  c.a.ret();
}
