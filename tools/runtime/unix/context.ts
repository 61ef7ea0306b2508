// What every part of the runtime's code shares: the object being built, the
// names of the runtime's symbols, and small emitters for the patterns that
// recur (an address of a symbol, a string written to a file descriptor, a
// system call).
//
// The runtime's internal helpers use their own register convention, "rt":
// arguments in rdi, rsi, rdx; result in rax; they may clobber rax, rcx, rdx,
// rsi, rdi, r8-r11 and preserve rbx, rbp, r12-r15 (System V, minus the
// stack arguments and the alignment rule: nothing here uses SSE).
import { PRINT_NAMES, RuntimeCtx } from "../common/context.ts";
import { imm, rax, rcx, type Label } from "../../x86/index.ts";

/** Symbols of docs/aot.md and docs/abi.md the runtime defines or uses, and its private ones (prefixed atoll_rt:). */
export const N = {
  ...PRINT_NAMES,
  start: "_start",
  trap: "atoll_trap",
  trapResume: "atoll_trap_resume",
  stackLimit: "atoll_stack_limit",
  memoryGrow: "atoll_memory_grow",
  memoryPages: "wasm:memory:pages",
  memoryInitial: "wasm:memory:initial",
  memoryMax: "wasm:memory:max",
  init: "wasm:init",
  export: (name: string): string => `wasm:export:${name}`,
  import: (name: string): string => `import:atoll.${name}`,
  /** A custom driver instead of the ABI's start-up sequence (spec harness): no args, exit status in eax. */
  main: "atoll_main",

  argc: "atoll_rt:argc",
  argv: "atoll_rt:argv",
  memoryBase: "atoll_rt:memory_base",
  stackGuard: "atoll_rt:stack_guard",
  stackTop: "atoll_rt:stack_top",
  sigstack: "atoll_rt:sigstack",
  sigaction: "atoll_rt:sigaction",

  trapAt: "atoll_rt:trap_at",
  signalHandler: "atoll_rt:signal_handler",
  restorer: "atoll_rt:restorer",
  startFailed: "atoll_rt:start_failed",
  errnoTable: "atoll_rt:errno_table",
  writeErrno: "atoll_rt:write_errno",
} as const;

/** The runtime's build-time settings. */
export interface Layout {
  /** Usable bytes of the wasm call stack. */
  stackSize: number;
  /** PROT_NONE bytes below it. */
  guardSize: number;
  /** Bytes between the guard and `atoll_stack_limit`, for the runtime's own calls after wasm code reached the limit. */
  headroom: number;
  /** The alternate signal stack (bss). */
  sigstackSize: number;
  /** Address space reserved for linear memory: 8 GiB (u32 index + u32 offset) + 64 KiB. */
  reservation: number;
}

/** The runtime's emission context: the shared one plus its layout. */
export class Ctx extends RuntimeCtx {
  constructor(readonly layout: Layout, roots: readonly (readonly [string, string])[]) {
    super(roots);
  }
}

/** rcx = the 16-byte entry of handle rax in the device table `table` of `count` entries (block and net devices), or a jump to `bad`. */
export function deviceEntry(c: Ctx, count: string, table: string, bad: Label): void {
  const { a } = c;
  a.cmp(rax, c.at(count)); a.jcc("ae", bad, "near");
  a.shl(rax, imm(4));
  a.lea(rcx, c.at(table)); a.add(rcx, rax);
}
