// Version 2's calling convention between the module's own functions:
// arguments in registers. Integer arguments take rsi, rdi, r8–r11 in order,
// float arguments xmm2–xmm7 (the caller-saved registers the allocator hands
// out, so an argument that dies at the call needs no copy, and a parameter
// the callee does not keep across a call stays where it arrived). Results,
// the registers a call clobbers and everything else are docs/aot.md's
// convention. A function with more than six arguments of one kind takes
// them all on the stack as before.
//
// Every function keeps the stack-convention entry docs/aot.md describes
// (`wasm:func:N`, what exports, tables, call_indirect and version 1 code
// call): a few loads of the arguments into their registers, which fall
// into the register entry right after them.

import type { FuncType } from "../../wasm/index.ts";
import { IntOp, mem, rsp, xmm, type Assembler } from "../../x86/index.ts";

const INT_ARGS = [6, 7, 8, 9, 10, 11]; // rsi rdi r8 r9 r10 r11
const FLOAT_ARGS = [2, 3, 4, 5, 6, 7]; // xmm2..xmm7

const cache = new WeakMap<FuncType, number[] | null>();

/** The register each parameter of a function of type t arrives in (general or xmm number by its type), or null: all on the stack. */
export function argRegisters(t: FuncType): number[] | null {
  const known = cache.get(t);
  if (known !== undefined) return known;
  let ints = 0, floats = 0;
  const regs: number[] | null = t.params.map((p) => (p === "f32" || p === "f64" ? (FLOAT_ARGS[floats++] ?? -1) : (INT_ARGS[ints++] ?? -1)));
  const out = regs.includes(-1) ? null : regs;
  cache.set(t, out);
  return out;
}

/**
 * Loads each argument from its stack slot into its register: argument i
 * of n at [rsp + above + 8 * (n - 1 - i)] (`above` = 8 at a function's
 * entry: the return address).
 */
const RSP = 4;

export function loadArgs(a: Assembler, type: FuncType, regs: readonly number[], above: number): void {
  const params = type.params;
  const n = params.length;
  for (let i = 0; i < n; i++) {
    const t = params[i]!;
    const disp = above + 8 * (n - 1 - i);
    if (t === "f32") a.movss(xmm(regs[i]!), mem(rsp, { disp }, 32));
    else if (t === "f64") a.movsd(xmm(regs[i]!), mem(rsp, { disp }, 64));
    else a.rm(IntOp.Mov, t === "i64" ? 64 : 32, regs[i]!, RSP, -1, 1, disp);
  }
}
