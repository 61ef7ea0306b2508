// What every part of the runtime's code shares: the object being built, the
// names of the runtime's symbols, and small emitters for the patterns that
// recur (an address of a symbol, a string written to a file descriptor, a
// system call).
//
// The runtime's internal helpers use their own register convention, "rt":
// arguments in rdi, rsi, rdx; result in rax; they may clobber rax, rcx, rdx,
// rsi, rdi, r8-r11 and preserve rbx, rbp, r12-r15 (System V, minus the
// stack arguments and the alignment rule: nothing here uses SSE).
import { type Assembler, type Gpr, edi, edx, imm, mem, rip, rsi, sym, type Mem, type MemSize } from "../../x86/index.ts";
import { ObjectBuilder } from "../object-builder.ts";

/** Symbols of docs/aot.md and docs/abi.md the runtime defines or uses, and its private ones (prefixed atoll_rt:). */
export const N = {
  start: "_start",
  trap: "atoll_trap",
  trapResume: "atoll_trap_resume",
  stackLimit: "atoll_stack_limit",
  memoryGrow: "atoll_memory_grow",
  memoryPages: "wasm:memory:pages",
  memoryInitial: "wasm:memory:initial",
  memoryMax: "wasm:memory:max",
  functions: "atoll_functions",
  functionsCount: "atoll_functions:count",
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
  trapKinds: "atoll_rt:trap_kinds",
  hexDigits: "atoll_rt:hex_digits",

  writeAll: "atoll_rt:write_all",
  writeDec: "atoll_rt:write_dec",
  writeHex: "atoll_rt:write_hex",
  writeFunction: "atoll_rt:write_function",
  writePath: "atoll_rt:write_path",
  roots: "atoll_rt:roots",
  rootsCount: "atoll_rt:roots:count",
  findFunction: "atoll_rt:find_function",
  trapAt: "atoll_rt:trap_at",
  signalHandler: "atoll_rt:signal_handler",
  restorer: "atoll_rt:restorer",
  startFailed: "atoll_rt:start_failed",
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

export class Ctx {
  readonly b: ObjectBuilder;
  readonly a: Assembler;
  private readonly strings = new Map<string, { name: string; length: number }>();

  constructor(readonly layout: Layout, readonly roots: readonly (readonly [string, string])[]) {
    this.b = new ObjectBuilder("atoll_rt");
    this.a = this.b.text;
  }

  /** A rip-relative reference to a symbol. */
  at(name: string, size?: MemSize): Mem {
    return mem(rip, { label: sym(name) }, size);
  }

  /** The symbol of a constant string (one copy per distinct text). */
  str(text: string): { name: string; length: number } {
    let s = this.strings.get(text);
    if (s === undefined) {
      const name = `atoll_rt:str:${this.strings.size}`;
      s = { name, length: this.b.string(name, text) };
      this.strings.set(text, s);
    }
    return s;
  }

  /** write_all(fd, text): clobbers what an rt call clobbers. */
  writeStr(fd: number | Gpr, text: string): void {
    const s = this.str(text);
    this.a.mov(edi, typeof fd === "number" ? imm(fd) : fd);
    this.a.lea(rsi, this.at(s.name));
    this.a.mov(edx, imm(s.length));
    this.a.call(sym(N.writeAll));
  }
}
