// What every part of the kvm runtime's code shares: the object being built,
// the names of its symbols, the memory layout, and small emitters.
//
// Internal helpers use the unix runtime's "rt" convention: arguments in rdi,
// rsi, rdx; result in rax; they may clobber rax, rcx, rdx, rsi, rdi, r8-r11
// and preserve rbx, rbp, r12-r15.
import { PRINT_NAMES, RuntimeCtx } from "../common/context.ts";

/** Symbols of docs/aot.md and docs/abi.md the runtime defines or uses, and its private ones (prefixed atoll_rt:). */
export const N = {
  ...PRINT_NAMES,
  /** The 32-bit PVH entry (the note points here) and the ELF entry (the same code). */
  pvhEntry: "atoll_rt:pvh_entry",
  start: "_start",
  trap: "atoll_trap",
  stackLimit: "atoll_stack_limit",
  memoryGrow: "atoll_memory_grow",
  memoryPages: "wasm:memory:pages",
  memoryInitial: "wasm:memory:initial",
  memoryMax: "wasm:memory:max",
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

  trapAt: "atoll_rt:trap_at",
  exception: "atoll_rt:exception",
  timerIrq: "atoll_rt:timer_irq",
  spuriousIrq: "atoll_rt:spurious_irq",
  deviceIrq: "atoll_rt:device_irq",
  deviceStubs: "atoll_rt:device_stubs",
  setDeviceGates: "atoll_rt:set_device_gates",
  irqPending: "atoll_rt:irq_pending",
  irqEoiOwed: "atoll_rt:irq_eoi_owed",
  irqHandles: "atoll_rt:irq_handles",
  halt: "atoll_rt:halt",
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

/** The runtime's emission context: the shared one plus its layout. */
export class Ctx extends RuntimeCtx {
  constructor(readonly layout: Layout, roots: readonly (readonly [string, string])[]) {
    super(roots);
  }
}
