// The trap report both native runtimes print: "trap: KIND in FUNCTION" on the
// error stream, KIND from the trap code (docs/aot.md) and FUNCTION from the
// code address (atoll_functions) — or, for an `unreachable` that follows a
// refused memory.grow, the out-of-memory line of out-of-memory.ts. What
// follows it (exit, power-off, or a resume in the spec harness) is each
// runtime's own.
import { eax, ebx, edi, imm, mem, r12, rax, rcx, rdx, rsi, sym } from "../../x86/index.ts";
import { PRINT_NAMES as N, type RuntimeCtx } from "./context.ts";
import { emitOutOfMemoryLine } from "./out-of-memory.ts";

/** The exit status of a trap (docs/abi.md). */
export const EXIT_TRAP = 102;

/** The symbol of the table of trap names: per code, string address and length. */
export const TRAP_KINDS_SYMBOL = "atoll_rt:trap_kinds";

/**
 * What the report calls each trap code (docs/aot.md, "Trap codes"). Code 1
 * reads "unreachable executed" as on the node target (V8's words, which the
 * spec's "unreachable" prefixes), so every target prints the same line.
 */
export const TRAP_KINDS: readonly string[] = [
  "unknown trap",
  "unreachable executed",
  "integer divide by zero",
  "integer overflow",
  "invalid conversion to integer",
  "out of bounds memory access",
  "undefined element",
  "uninitialized element",
  "indirect call type mismatch",
  "call stack exhausted",
  "out of bounds table access",
];

/** Emits the table of trap names into rodata. */
export function emitTrapKinds(c: RuntimeCtx): void {
  const kinds = TRAP_KINDS.map((k) => c.str(k));
  c.b.roLabel(TRAP_KINDS_SYMBOL);
  for (const k of kinds) {
    c.b.rodata.dq(sym(k.name));
    c.b.rodata.dq(k.length);
  }
}

/** Emits the report line, with the trap code in ebx and the code address in r12 (both kept). */
export function emitTrapLine(c: RuntimeCtx): void {
  const { a } = c;
  const known = a.newLabel("known"), done = a.newLabel("reported");
  emitOutOfMemoryLine(c, done);
  c.writeStr(2, "trap: ");
  a.mov(eax, ebx);
  a.cmp(eax, imm(TRAP_KINDS.length - 1)); a.jcc("be", known);
  a.xor(eax, eax);
  a.bind(known);
  a.shl(eax, imm(4));
  a.lea(rcx, c.at(TRAP_KINDS_SYMBOL));
  a.mov(rsi, mem(rcx, { index: rax }));
  a.mov(rdx, mem(rcx, { index: rax, disp: 8 }));
  a.mov(edi, imm(2));
  a.call(sym(N.writeAll));
  c.writeStr(2, " in ");
  a.mov(edi, imm(2)); a.mov(rsi, r12);
  a.call(sym(N.writeFunction));
  c.writeStr(2, "\n");
  a.bind(done);
}
