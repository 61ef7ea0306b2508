// What every part of the kvm runtime's code shares: the object being built,
// the names of its symbols, the memory layout, and small emitters.
//
// Internal helpers use the unix runtime's "rt" convention: arguments in rdi,
// rsi, rdx; result in rax; they may clobber rax, rcx, rdx, rsi, rdi, r8-r11
// and preserve rbx, rbp, r12-r15.
import { type Assembler, type Gpr, edi, edx, imm, mem, rip, rsi, sym, type Mem, type MemSize } from "../../x86/index.ts";
import { ObjectBuilder } from "../object-builder.ts";

/** Symbols of docs/aot.md and docs/abi.md the runtime defines or uses, and its private ones (prefixed atoll_rt:). */
export const N = {
  /** The 32-bit PVH entry (the note points here) and the ELF entry (the same code). */
  pvhEntry: "atoll_rt:pvh_entry",
  start: "_start",
  trap: "atoll_trap",
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

  imageStart: "atoll_link:image_start",
  textStart: "atoll_link:text_start",
  dataStart: "atoll_link:data_start",
  imageEnd: "atoll_link:image_end",

  bootTables: "atoll_rt:boot_tables",
  startInfo: "atoll_rt:start_info",
  entryTsc: "atoll_rt:entry_tsc",
  stackArea: "atoll_rt:stack_area",
  stackGuard: "atoll_rt:stack_guard",
  stackTop: "atoll_rt:stack_top",
  istStack: "atoll_rt:ist_stack",
  gdt: "atoll_rt:gdt",
  gdtr: "atoll_rt:gdtr",
  idt: "atoll_rt:idt",
  idtr: "atoll_rt:idtr",
  tss: "atoll_rt:tss",
  pml4: "atoll_rt:pml4",
  nxBit: "atoll_rt:nx_bit",
  hasRdrand: "atoll_rt:has_rdrand",
  lmNext: "atoll_rt:lm_next",
  tableLow: "atoll_rt:table_low",
  ramTop: "atoll_rt:ram_top",
  lmPhys: "atoll_rt:lm_phys",
  argsBuf: "atoll_rt:args_buf",
  argsSize: "atoll_rt:args_size",
  memmapBuf: "atoll_rt:memmap_buf",
  memmapSize: "atoll_rt:memmap_size",
  pvclock: "atoll_rt:pvclock",
  tsc0: "atoll_rt:tsc0",
  nsMul: "atoll_rt:ns_mul",
  wall0: "atoll_rt:wall0",
  firstWrite: "atoll_rt:first_write",
  trapKinds: "atoll_rt:trap_kinds",
  hexDigits: "atoll_rt:hex_digits",
  roots: "atoll_rt:roots",
  rootsCount: "atoll_rt:roots:count",

  writeAll: "atoll_rt:write_all",
  writeDec: "atoll_rt:write_dec",
  writeHex: "atoll_rt:write_hex",
  writeFunction: "atoll_rt:write_function",
  writePath: "atoll_rt:write_path",
  findFunction: "atoll_rt:find_function",
  trapAt: "atoll_rt:trap_at",
  exception: "atoll_rt:exception",
  timerIrq: "atoll_rt:timer_irq",
  spuriousIrq: "atoll_rt:spurious_irq",
  poweroff: "atoll_rt:poweroff",
  allocTable: "atoll_rt:alloc_table",
  mapPage: "atoll_rt:map_page",
  mapLarge: "atoll_rt:map_large",
  mapLinear: "atoll_rt:map_linear",
  now: "atoll_rt:now",
  startFailed: "atoll_rt:start_failed",
} as const;

/** The runtime's build-time settings. */
export interface Layout {
  /** Usable bytes of the call stack (bss). */
  stackSize: number;
  /** Unmapped bytes below it (one page). */
  guardSize: number;
  /** Bytes between the guard and `atoll_stack_limit`, for the runtime's own calls after wasm code reached the limit. */
  headroom: number;
  /** The stack exceptions run on (IST1), so a fault on an exhausted stack can still be reported. */
  istSize: number;
  /** Virtual address of linear memory offset 0 (PML4 slot 1: nothing else lives there). */
  linearBase: bigint;
  /** Virtual address space reserved for linear memory: 8 GiB (u32 index + u32 offset) + 64 KiB; unmapped beyond the live pages. */
  reservation: number;
  /** Highest physical address the runtime uses: the boot page tables map the first GiB with 2 MiB pages. */
  ramLimit: number;
  /** Print the TSC time from the PVH entry to the first console write (the boot bench). */
  bootTrace: boolean;
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
  at(name: string, size?: MemSize, disp = 0): Mem {
    return mem(rip, { label: sym(name), disp }, size);
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

  /** write_all(fd, text) on the serial console (fd is kept for the shape of the unix helpers; both 1 and 2 are COM1). */
  writeStr(fd: number | Gpr, text: string): void {
    const s = this.str(text);
    this.a.mov(edi, typeof fd === "number" ? imm(fd) : fd);
    this.a.lea(rsi, this.at(s.name));
    this.a.mov(edx, imm(s.length));
    this.a.call(sym(N.writeAll));
  }
}
