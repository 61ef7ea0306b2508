// Out of memory, reported as such. AssemblyScript's allocator (TLSF, and
// the stub runtime) executes `unreachable` when memory.grow returns -1, so
// a module that has exhausted its heap would otherwise end with a bare
// "unreachable executed". Each runtime's atoll_memory_grow records the delta
// of a grow it refuses and clears the record when a grow succeeds; the trap
// report, for an `unreachable` while the record is set, prints
//   trap: out of memory: the heap is 16.0 MiB (256 pages) and could not grow by 2 pages, in FUNCTION
// instead. A refused grow the module recovered from is forgotten at its next
// successful grow; until then an unrelated `unreachable` would be reported
// as out of memory, which is the likelier cause anyway.
import { ebx, ecx, edi, edx, imm, mem, r12, rax, rcx, rdx, rsi, rsp, sym, type Label } from "../../x86/index.ts";
import { PRINT_NAMES as N, type RuntimeCtx } from "./context.ts";

/** bss u64: the delta in pages of the latest memory.grow refused, 0 after one that succeeded. */
export const GROW_REFUSED_SYMBOL = "atoll_rt:grow_refused";
/** The module's current size in pages (docs/aot.md, "Symbols tools/aot defines"). */
const MEMORY_PAGES_SYMBOL = "wasm:memory:pages";
/** Trap code 1 (docs/aot.md, "Trap codes"): what the allocator executes when a grow fails. */
const TRAP_UNREACHABLE = 1;

/** Defines the record (once per runtime, beside its atoll_memory_grow). */
export function defineGrowRecord(c: RuntimeCtx): void {
  c.b.bss(GROW_REFUSED_SYMBOL, 8);
}

/** In atoll_memory_grow, on success: forgets an earlier refusal. Keeps every register. */
export function emitGrowSucceeded(c: RuntimeCtx): void {
  c.a.mov(c.at(GROW_REFUSED_SYMBOL, 64), imm(0));
}

/**
 * In atoll_memory_grow, on refusal, with rsp as at its entry (the delta at
 * [rsp + 8], docs/aot.md's calling convention): records the delta. Clobbers ecx.
 */
export function emitGrowRefused(c: RuntimeCtx): void {
  c.a.mov(ecx, mem(rsp, { disp: 8 }, 32)); // zero-extended; a delta of 0 always succeeds, so 0 means none
  c.a.mov(c.at(GROW_REFUSED_SYMBOL), rcx);
}

/**
 * The trap report's first choice: with the trap code in ebx and the code
 * address in r12 (both kept), prints the out-of-memory line and jumps to
 * `done` when the trap is an `unreachable` after a refused grow; else falls
 * through with nothing written.
 */
export function emitOutOfMemoryLine(c: RuntimeCtx, done: Label): void {
  const { a } = c;
  const other = a.newLabel("not_oom");
  a.cmp(ebx, imm(TRAP_UNREACHABLE)); a.jcc("ne", other);
  a.cmp(c.at(GROW_REFUSED_SYMBOL, 64), imm(0)); a.jcc("e", other);
  c.writeStr(2, "trap: out of memory: the heap is ");
  // MiB to one decimal, rounded: pages / 16 = (pages * 10 + 8) / 16 tenths.
  a.mov(rax, c.at(MEMORY_PAGES_SYMBOL));
  a.imul(rax, rax, imm(10)); a.add(rax, imm(8)); a.shr(rax, imm(4));
  a.xor(edx, edx); a.mov(ecx, imm(10)); a.div(rcx);
  a.push(rdx); a.push(rdx); // the tenths, and the stack kept 16-byte aligned
  a.mov(edi, imm(2)); a.mov(rsi, rax); a.call(sym(N.writeDec));
  c.writeStr(2, ".");
  a.pop(rsi); a.pop(rsi);
  a.mov(edi, imm(2)); a.call(sym(N.writeDec));
  c.writeStr(2, " MiB (");
  writePages(c, MEMORY_PAGES_SYMBOL);
  c.writeStr(2, ") and could not grow by ");
  writePages(c, GROW_REFUSED_SYMBOL);
  c.writeStr(2, ", in ");
  a.mov(edi, imm(2)); a.mov(rsi, r12);
  a.call(sym(N.writeFunction));
  c.writeStr(2, "\n");
  a.jmp(done);
  a.bind(other);
}

/** Writes "N page" or "N pages", N the u64 at `symbol`. */
function writePages(c: RuntimeCtx, symbol: string): void {
  const { a } = c;
  const one = a.newLabel("one_page");
  a.mov(edi, imm(2)); a.mov(rsi, c.at(symbol)); a.call(sym(N.writeDec));
  c.writeStr(2, " page");
  a.cmp(c.at(symbol, 64), imm(1)); a.jcc("e", one);
  c.writeStr(2, "s");
  a.bind(one);
}
