// From the PVH entry to the module's entry points.
//
// 1. The 32-bit entry (hand-encoded: tools/x86 is a 64-bit assembler, so the
//    few protected-mode instructions are emitted as bytes with emitBytes,
//    each commented with its mnemonic). The PVH state (Xen's
//    docs/misc/pvh.pandoc): 32-bit protected mode, paging off, flat segments,
//    ebx = physical address of hvm_start_info, no stack. With no stack and no
//    32-bit relocation kind, addresses come from `mov r32, imm32` whose
//    immediate is the low half of an abs64 relocation: the high half (four
//    zero bytes) then decodes as two `add [eax], al`, harmless while eax points
//    at the boot area's scratch bytes.
//    It records the entry TSC and the start info, identity-maps the first GiB
//    with 2 MiB pages, turns on PAE, long mode (EFER.LME), SSE (CR4.OSFXSR,
//    OSXMMEXCPT; CR0.MP on, EM off), write protection (CR0.WP) and paging, and
//    far-jumps to 64-bit code (SDM Vol 3A 9.8.5 "Initializing IA-32e Mode").
// 2. 64-bit set-up: the stack (with an unmapped guard page below it), NX
//    when CPUID has it, COM1, the start info (command line, memory
//    map), the final page tables (code read-only, data non-executable, page 0
//    and low memory unmapped, linear memory at its own virtual range), the
//    GDT with a TSS (IST1 for exceptions), the IDT, the local APIC timer, the
//    clocks.
// 3. The module: wasm:init, the ABI version check, _initialize, atoll_init,
//    atoll_run, then power off with status 0.
import {
  type Label, eax, ebx, ecx, edi, edx, esi, imm, imm64, mem, r12, r13, r14, r15, r8, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym, cl, al, dx, cr3, r8d, r9, r10, r11, r11b, r12d,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import {
  CMOS, COM1, CPUID, CR0_EM, CR0_MP, CR0_PE, CR0_PG, CR0_WP, CR4_OSFXSR, CR4_OSXMMEXCPT, CR4_PAE, EFER_LME, EFER_NXE, KVM, LAPIC, MEMMAP_ENTRY,
  MSR_EFER, PIC_MASTER_DATA, PIC_SLAVE_DATA, PIT, PTE, PVCLOCK, SPURIOUS_VECTOR, START_INFO, TIMER_VECTOR,
} from "./machine.ts";

/** The ABI version this runtime implements (docs/abi.md). */
export const ABI_VERSION = 1;
/** Exit status when the machine cannot start the unikernel (no start info, too little RAM). */
export const EXIT_START_FAILED = 1;

/** The boot area (bss): scratch u64, entry TSC u64, start info u64, far pointer (6 bytes); the boot page tables follow at the next page. */
const BOOT = { scratch: 0, tsc: 8, startInfo: 16, farPtr: 24, size: 32 } as const;
const KiB = 1024;
/** Bytes of the command line kept (split into NUL-terminated arguments). */
export const ARGS_CAP = 4 * KiB;
/** Memory map entries kept for `boot_info`. */
export const MEMMAP_CAP = 32;
/** The PIT calibration window: 11932 ticks of 1.193182 MHz, about 10 ms. */
const PIT_COUNT = 11932;
/** 8254 read-back command: latch channel 0's count and status (D5 = D4 = 0, D1 = channel 0). */
const PIT_READ_BACK = 0xc2;
/** The read-back status's bit 7: the OUT pin, high in mode 0 once the count reached 0. */
const PIT_STATUS_OUT = 0x80;
/** Calibrations begun before giving up (a PIT that never counts, or a host that holds the vCPU past 55 ms every time). */
const PIT_TRIES = 8;

const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** GDT entries: null, 64-bit code (0x08), data (0x10); accessed bits preset so loading them writes nothing (SDM Vol 3A 3.4.5). */
const GDT_CODE64 = 0x00af9b000000ffffn, GDT_DATA = 0x00cf93000000ffffn;
export const SEL_CODE = 0x08, SEL_DATA = 0x10, SEL_TSS = 0x18;

export function emitStart(c: Ctx): void {
  const { a, b } = c;
  const L = c.layout;
  b.bss(N.bootTables, BOOT.size + 4 * 4 * KiB, 16);
  b.bss(N.stackArea, 4 * KiB + L.guardSize + L.stackSize, 16);
  b.bss(N.stackGuard, 8);
  b.bss(N.stackTop, 8);
  b.bss(N.stackLimit, 8);
  b.bss(N.startInfo, 8);
  b.bss(N.entryTsc, 8);
  b.bss(N.nxBit, 8);
  b.bss(N.hasRdrand, 8);
  b.bss(N.pml4, 8);
  b.bss(N.lmPhys, 8);
  b.bss(N.lmNext, 8);
  b.bss(N.tableLow, 8);
  b.bss(N.ramTop, 8);
  b.bss(N.argsBuf, ARGS_CAP, 8);
  b.bss(N.argsSize, 8);
  b.bss(N.memmapBuf, MEMMAP_CAP * MEMMAP_ENTRY.bytes, 8);
  b.bss(N.memmapSize, 8);
  b.bss(N.pvclock, PVCLOCK.bytes, 32);
  b.bss(N.tsc0, 8);
  b.bss(N.nsMul, 8);
  b.bss(N.wall0, 8);

  // ---- 32-bit protected mode -------------------------------------------------
  const gdtr32 = a.newLabel("gdtr32"), gdt32 = a.newLabel("gdt32"), entry64 = a.newLabel("entry64"), fill = a.newLabel("fill");
  b.func(N.pvhEntry);
  b.textLabel(N.start); // the ELF entry: the same code (QEMU and Firecracker use the note)
  a.emitBytes([0xfa]); // cli
  a.emitBytes([0xfc]); // cld
  a.emitBytes([0x89, 0xde]); // mov esi, ebx            ; hvm_start_info
  a.emitBytes([0x0f, 0x31]); // rdtsc
  a.emitBytes([0x89, 0xc7]); // mov edi, eax            ; TSC low
  a.emitBytes([0x89, 0xd4]); // mov esp, edx            ; TSC high (no stack yet: esp is free)
  a.emitBytes([0xb8]); a.dq(sym(N.bootTables)); // mov eax, boot_area; add [eax], al x2 (scratch)
  a.emitBytes([0x89, 0xc3]); // mov ebx, eax
  a.emitBytes([0xb9]); a.dq(gdtr32); // mov ecx, gdtr32; add [eax], al x2
  a.emitBytes([0xba]); a.dq(entry64); // mov edx, entry64; add [eax], al x2
  a.emitBytes([0x89, 0x7b, BOOT.tsc]); // mov [ebx+8], edi
  a.emitBytes([0x89, 0x63, BOOT.tsc + 4]); // mov [ebx+12], esp
  a.emitBytes([0x89, 0x73, BOOT.startInfo]); // mov [ebx+16], esi
  a.emitBytes([0x89, 0x53, BOOT.farPtr]); // mov [ebx+24], edx     ; far pointer: offset
  a.emitBytes([0x66, 0xc7, 0x43, BOOT.farPtr + 4, SEL_CODE, 0]); // mov word [ebx+28], 0x08 ; selector
  a.emitBytes([0x0f, 0x01, 0x11]); // lgdt [ecx]
  // Page tables at the first page boundary after the scratch bytes: PML4, PDPT, PD.
  a.emitBytes([0x8d, 0xbb, ...u32(BOOT.size + 0xfff)]); // lea edi, [ebx + 32 + 0xfff]
  a.emitBytes([0x81, 0xe7, ...u32(0xfffff000)]); // and edi, ~0xfff
  a.emitBytes([0x89, 0xfa]); // mov edx, edi
  a.emitBytes([0x31, 0xc0]); // xor eax, eax
  a.emitBytes([0xb9, ...u32(2048)]); // mov ecx, 2048
  a.emitBytes([0xf3, 0xab]); // rep stosd               ; PML4 and PDPT zero
  a.emitBytes([0x89, 0xd7]); // mov edi, edx
  a.emitBytes([0x8d, 0x87, ...u32(0x1000 | PTE.P | PTE.RW)]); // lea eax, [edi + 0x1003]
  a.emitBytes([0x89, 0x07]); // mov [edi], eax          ; PML4[0] -> PDPT
  a.emitBytes([0x8d, 0x87, ...u32(0x2000 | PTE.P | PTE.RW)]); // lea eax, [edi + 0x2003]
  a.emitBytes([0x89, 0x87, ...u32(0x1000)]); // mov [edi + 0x1000], eax ; PDPT[0] -> PD
  a.emitBytes([0xb8, ...u32(PTE.P | PTE.RW | PTE.PS | PTE.A | PTE.D)]); // mov eax, 0xe3
  a.emitBytes([0x31, 0xc9]); // xor ecx, ecx
  a.bind(fill);
  a.emitBytes([0x89, 0x84, 0xcf, ...u32(0x2000)]); // mov [edi + ecx*8 + 0x2000], eax ; PD[i] = i * 2 MiB
  a.emitBytes([0x05, ...u32(0x200000)]); // add eax, 2 MiB
  a.emitBytes([0x41]); // inc ecx
  a.emitBytes([0x81, 0xf9, ...u32(512)]); // cmp ecx, 512
  a.emitBytes([0x75, 0x100 - (7 + 5 + 1 + 6 + 2)]); // jne fill
  a.emitBytes([0x0f, 0x22, 0xdf]); // mov cr3, edi
  a.emitBytes([0xb8, ...u32(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)]); // mov eax, CR4 bits
  a.emitBytes([0x0f, 0x22, 0xe0]); // mov cr4, eax
  a.emitBytes([0xb9, ...u32(MSR_EFER)]); // mov ecx, IA32_EFER
  a.emitBytes([0x0f, 0x32]); // rdmsr
  a.emitBytes([0x0d, ...u32(EFER_LME)]); // or eax, LME
  a.emitBytes([0x0f, 0x30]); // wrmsr
  a.emitBytes([0x0f, 0x20, 0xc0]); // mov eax, cr0
  a.emitBytes([0x25, ...u32(~CR0_EM >>> 0)]); // and eax, ~EM
  a.emitBytes([0x0d, ...u32((CR0_PG | CR0_WP | CR0_MP | CR0_PE) >>> 0)]); // or eax, PG|WP|MP|PE
  a.emitBytes([0x0f, 0x22, 0xc0]); // mov cr0, eax          ; IA-32e mode, compatibility submode
  a.emitBytes([0xff, 0x6b, BOOT.farPtr]); // jmp far [ebx+24]  ; into the 64-bit code segment
  // The boot GDT and its pseudo-descriptor (6 bytes read in 32-bit mode; 10 in 64-bit mode).
  a.align(8, 0xcc);
  a.bind(gdt32);
  a.dq(0); a.dq(GDT_CODE64); a.dq(GDT_DATA);
  a.bind(gdtr32);
  a.emitBytes([3 * 8 - 1, 0]); a.dq(gdt32);

  // ---- 64-bit mode -------------------------------------------------------------
  a.align(16, 0xcc);
  a.bind(entry64);
  a.mov(eax, imm(SEL_DATA));
  a.emitBytes([0x8e, 0xd0]); // mov ss, eax
  a.emitBytes([0x8e, 0xd8]); // mov ds, eax
  a.emitBytes([0x8e, 0xc0]); // mov es, eax
  a.mov(ebx, ebx); // the boot area (upper halves are undefined after the mode switch)
  a.mov(rax, mem(rbx, { disp: BOOT.tsc })); a.mov(c.at(N.entryTsc), rax); a.mov(c.at(N.tsc0), rax);
  a.mov(eax, mem(rbx, { disp: BOOT.startInfo }, 32)); a.mov(c.at(N.startInfo), rax);

  // The stack: [4 KiB alignment slack][guard page, never mapped][stack].
  a.lea(rax, c.at(N.stackArea));
  a.add(rax, imm(0xfff)); a.and(rax, imm(-0x1000));
  a.mov(c.at(N.stackGuard), rax);
  a.lea(rcx, mem(rax, { disp: L.guardSize + L.headroom })); a.mov(c.at(N.stackLimit), rcx);
  a.lea(rsp, mem(rax, { disp: L.guardSize + L.stackSize })); a.mov(c.at(N.stackTop), rsp);

  // NX (CPUID 0x80000001 EDX.20), then EFER.NXE; without it the bit is reserved and stays 0 in entries.
  {
    const noNx = a.newLabel("no_nx");
    a.mov(eax, imm(0x8000_0000)); a.cpuid();
    a.cmp(eax, imm(0x8000_0001)); a.jcc("b", noNx);
    a.mov(eax, imm(0x8000_0001)); a.cpuid();
    a.bt(edx, imm(CPUID.nx)); a.jcc("nc", noNx);
    a.mov(ecx, imm(MSR_EFER)); a.rdmsr(); a.or(eax, imm(EFER_NXE)); a.wrmsr();
    a.mov(rax, imm64(1n << 63n)); a.mov(c.at(N.nxBit), rax);
    a.bind(noNx);
    a.mov(eax, imm(1)); a.cpuid();
    a.bt(ecx, imm(CPUID.rdrand)); a.setcc("c", c.at(N.hasRdrand, 8));
  }

  // COM1: 115200 8N1, FIFOs on (PC16550D registers); QEMU needs none of it, real UARTs do.
  for (const [port, value] of [[1, 0], [3, 0x80], [0, 1], [1, 0], [3, 3], [2, 0xc7], [4, 3]] as const) {
    a.mov(edx, imm(COM1 + port)); a.mov(al, imm(value)); a.out(dx, al);
  }
  // The 8259s masked: interrupts come from the local APIC only.
  a.mov(al, imm(0xff)); a.out(imm(PIC_MASTER_DATA), al); a.out(imm(PIC_SLAVE_DATA), al);

  // hvm_start_info.
  const failures: { what: string; l: Label }[] = [];
  const fail = (what: string): Label => {
    const l = a.newLabel("fail");
    failures.push({ what, l });
    return l;
  };
  a.mov(r12, c.at(N.startInfo));
  a.cmp(mem(r12, { disp: START_INFO.magic }, 32), imm(START_INFO.MAGIC)); a.jcc("ne", fail("PVH start: no hvm_start_info (bad magic in ebx)"), "near");
  emitCommandLine(c);
  emitMemoryMap(c, fail("PVH start: no RAM region holding the image in the memory map"));

  // Physical memory: linear memory grows up from the end of the image, page
  // tables are taken down from the top of RAM.
  // Linear memory's frames start at the first 2 MiB boundary after the
  // image, so all RAM from there on is mapped with 2 MiB pages (the gap
  // below, under 2 MiB, stays unused): every page-table write costs
  // microseconds under nested KVM.
  a.lea(rax, c.at(N.imageEnd));
  a.add(rax, imm(0x1f_ffff)); a.and(rax, imm(-0x20_0000));
  a.mov(c.at(N.lmPhys), rax);
  a.mov(rcx, c.at(N.memoryInitial)); a.shl(rcx, imm(16)); a.add(rcx, rax);
  a.mov(c.at(N.lmNext), rcx);
  a.mov(rdx, c.at(N.ramTop)); a.and(rdx, imm(-0x1000)); a.mov(c.at(N.tableLow), rdx);
  a.add(rcx, imm(64 * KiB)); // room for at least a few tables
  a.cmp(rcx, rdx); a.jcc("a", fail("not enough RAM for the initial linear memory (raise memory in config.ts)"), "near");

  // The final page tables.
  const noMem = fail("not enough RAM for the page tables");
  a.call(sym(N.allocTable)); a.test(rax, rax); a.jcc("z", noMem, "near");
  a.mov(c.at(N.pml4), rax);
  {
    // The image: headers and rodata R, text R X, data and bss R W, guard page absent.
    const loop = a.newLabel("image"), next = a.newLabel("next"), rw = a.newLabel("rw"), go = a.newLabel("go"), done = a.newLabel("done");
    a.lea(r12, c.at(N.imageStart));
    a.bind(loop);
    a.lea(rax, c.at(N.imageEnd)); a.cmp(r12, rax); a.jcc("ae", done);
    a.cmp(r12, c.at(N.stackGuard)); a.jcc("e", next);
    a.mov(rsi, r12);
    a.lea(rax, c.at(N.dataStart)); a.cmp(r12, rax); a.jcc("ae", rw);
    a.lea(rax, c.at(N.textStart)); a.cmp(r12, rax);
    a.or(rsi, imm(PTE.P));
    a.jcc("ae", go); // text: present, read-only, executable
    a.or(rsi, c.at(N.nxBit)); // rodata
    a.jmp(go);
    a.bind(rw);
    a.or(rsi, imm(PTE.P | PTE.RW)); a.or(rsi, c.at(N.nxBit));
    a.bind(go);
    a.mov(rdi, r12); a.call(sym(N.mapPage)); a.test(rax, rax); a.jcc("nz", noMem, "near");
    a.bind(next);
    a.add(r12, imm(0x1000));
    a.jmp(loop);
    a.bind(done);
    // RAM from lm_phys up, identity-mapped read-write, not executable:
    // page tables and linear memory's frames are reached through it.
    // 2 MiB pages where a whole one fits (4 KiB pages for 32 MiB took
    // 0.7 s under nested KVM), 4 KiB pages for a tail that is not a 2 MiB
    // multiple.
    const ram = a.newLabel("ram"), small = a.newLabel("small"), ramDone = a.newLabel("ram_done");
    a.mov(r12, c.at(N.lmPhys));
    a.mov(r13, c.at(N.ramTop)); a.and(r13, imm(-0x1000));
    a.bind(ram);
    a.cmp(r12, r13); a.jcc("ae", ramDone, "near");
    a.test(r12d, imm(0x1f_ffff)); a.jcc("nz", small);
    a.lea(rax, mem(r12, { disp: 0x20_0000 })); a.cmp(rax, r13); a.jcc("a", small);
    a.mov(rdi, r12); a.mov(rsi, r12); a.or(rsi, imm(PTE.P | PTE.RW | PTE.PS)); a.or(rsi, c.at(N.nxBit));
    a.call(sym(N.mapLarge)); a.test(rax, rax); a.jcc("nz", noMem, "near");
    a.add(r12, imm(0x20_0000));
    a.jmp(ram);
    a.bind(small);
    a.mov(rdi, r12); a.mov(rsi, r12); a.or(rsi, imm(PTE.P | PTE.RW)); a.or(rsi, c.at(N.nxBit));
    a.call(sym(N.mapPage)); a.test(rax, rax); a.jcc("nz", noMem, "near");
    a.add(r12, imm(0x1000));
    a.jmp(ram);
    a.bind(ramDone);
    // The local APIC's registers, uncached.
    a.mov(edi, imm(LAPIC.base)); a.mov(rsi, rdi); a.or(rsi, imm(PTE.P | PTE.RW | PTE.PCD | PTE.PWT)); a.or(rsi, c.at(N.nxBit));
    a.call(sym(N.mapPage)); a.test(rax, rax); a.jcc("nz", noMem, "near");
    // Linear memory's initial pages.
    a.xor(edi, edi); a.mov(rsi, c.at(N.memoryInitial));
    a.call(sym(N.mapLinear)); a.test(rax, rax); a.jcc("nz", noMem, "near");
    a.mov(rax, c.at(N.memoryInitial)); a.mov(c.at(N.memoryPages), rax);
    a.mov(rax, c.at(N.pml4)); a.mov(cr3, rax);
  }

  emitDescriptorTables(c);
  // MXCSR is left at its power-on value 0x1f80, which is wasm's (all
  // exceptions masked, round to nearest; SDM Vol 3A table 9-1): on the
  // nested KVM hosts of ../shared/notes both ldmxcsr and stmxcsr stop the VM
  // with "KVM internal error: emulation failure", so neither is used.

  // The local APIC: enabled (SVR bit 8, spurious vector), timer one-shot on
  // TIMER_VECTOR, divide by 1. Both QEMU's APIC and KVM's in-kernel one count
  // the timer at 1 GHz (one tick per ns), which yield relies on.
  // SVR first: while the APIC is software-disabled, LVT mask bits cannot be cleared (SDM Vol 3A 10.4.7.2).
  a.mov(edi, imm(LAPIC.base));
  a.mov(mem(rdi, { disp: LAPIC.svr }, 32), imm(0x100 | SPURIOUS_VECTOR));
  a.mov(mem(rdi, { disp: LAPIC.divide }, 32), imm(LAPIC.divideBy1));
  a.mov(mem(rdi, { disp: LAPIC.lvtTimer }, 32), imm(TIMER_VECTOR));

  emitClockSetup(c);

  // The module.
  a.mov(r15, imm64(L.linearBase));
  const badVersion = a.newLabel("bad_version");
  a.call(sym(N.init));
  a.call(sym(N.export("atoll_abi_version")));
  a.cmp(eax, imm(ABI_VERSION)); a.jcc("ne", badVersion, "near");
  a.call(sym(N.export("_initialize")));
  a.call(sym(N.export("atoll_init")));
  a.call(sym(N.export("atoll_run")));
  a.xor(edi, edi);
  a.jmp(sym(N.poweroff));
  a.bind(badVersion);
  a.mov(ebx, eax);
  a.and(rsp, imm(-16));
  c.writeStr(2, "atoll: the module was built for ABI version ");
  a.mov(edi, imm(2)); a.mov(esi, ebx); a.call(sym(N.writeDec));
  c.writeStr(2, `, this runtime implements version ${ABI_VERSION}; rebuild it\n`);
  a.mov(edi, imm(EXIT_START_FAILED));
  a.jmp(sym(N.poweroff));

  for (const f of failures) {
    a.bind(f.l);
    const s = c.str(f.what);
    a.lea(rdi, c.at(s.name)); a.mov(esi, imm(s.length));
    a.jmp(sym(N.startFailed));
  }
  // start_failed(what, length): "atoll runtime: cannot start: WHAT", status 1.
  b.func(N.startFailed);
  a.mov(r12, rdi); a.mov(r13, rsi);
  c.writeStr(2, "atoll runtime: cannot start: ");
  a.mov(edi, imm(2)); a.mov(rsi, r12); a.mov(rdx, r13); a.call(sym(N.writeAll));
  c.writeStr(2, "\n");
  a.mov(edi, imm(EXIT_START_FAILED));
  a.jmp(sym(N.poweroff));
}

/**
 * Words the VM monitor appends to the command line for itself, never the
 * module's: QEMU's microvm (auto-kernel-cmdline, its default) and
 * Firecracker announce each virtio-mmio device as
 * `virtio_mmio.device=SIZE@BASE:IRQ`. drivers/virtio finds the devices by
 * probing instead, so `args` leaves these out.
 */
export const MONITOR_WORD = "virtio_mmio.device=";

/** The command line, split on spaces into NUL-terminated arguments in args_buf (truncated at ARGS_CAP), without MONITOR_WORD words. */
function emitCommandLine(c: Ctx): void {
  const { a } = c;
  const loop = a.newLabel("cmd"), space = a.newLabel("space"), end = a.newLabel("end"), fin = a.newLabel("fin");
  const store = a.newLabel("store"), compare = a.newLabel("compare"), skip = a.newLabel("skip");
  const word = c.str(MONITOR_WORD);
  a.lea(rdi, c.at(N.argsBuf));
  a.mov(rsi, mem(r12, { disp: START_INFO.cmdline }));
  a.test(rsi, rsi); a.jcc("z", fin);
  a.lea(r8, c.at(N.argsBuf, undefined, ARGS_CAP - 1));
  a.xor(edx, edx); // inside an argument
  a.bind(loop);
  a.movzx(eax, mem(rsi, {}, 8)); a.add(rsi, imm(1));
  a.test(eax, eax); a.jcc("z", end);
  a.cmp(eax, imm(0x20)); a.jcc("e", space);
  a.test(edx, edx); a.jcc("nz", store);
  // A word starts at rsi - 1: a monitor's word is skipped to the next space or the end.
  a.lea(r9, mem(rsi, { disp: -1 })); a.lea(r10, c.at(word.name)); a.mov(ecx, imm(word.length));
  a.bind(compare);
  a.movzx(r11, mem(r10, {}, 8)); a.cmp(r11b, mem(r9, {}, 8)); a.jcc("ne", store);
  a.add(r9, imm(1)); a.add(r10, imm(1)); a.sub(ecx, imm(1)); a.jcc("nz", compare);
  a.bind(skip);
  a.movzx(eax, mem(rsi, {}, 8));
  a.test(eax, eax); a.jcc("z", end);
  a.cmp(eax, imm(0x20)); a.jcc("e", loop);
  a.add(rsi, imm(1)); a.jmp(skip);
  a.bind(store);
  a.cmp(rdi, r8); a.jcc("ae", end);
  a.mov(mem(rdi), al); a.add(rdi, imm(1)); a.mov(edx, imm(1));
  a.jmp(loop);
  a.bind(space);
  a.test(edx, edx); a.jcc("z", loop);
  a.mov(mem(rdi, {}, 8), imm(0)); a.add(rdi, imm(1)); a.xor(edx, edx);
  a.jmp(loop);
  a.bind(end);
  a.test(edx, edx); a.jcc("z", fin);
  a.mov(mem(rdi, {}, 8), imm(0)); a.add(rdi, imm(1));
  a.bind(fin);
  a.lea(rax, c.at(N.argsBuf)); a.sub(rdi, rax); a.mov(c.at(N.argsSize), rdi);
}

/** Copies the memory map (up to MEMMAP_CAP entries) and sets ram_top: the end of the RAM entry holding the image, capped at ramLimit. */
function emitMemoryMap(c: Ctx, none: Label): void {
  const { a } = c;
  const loop = a.newLabel("entry"), skip = a.newLabel("skip"), done = a.newLabel("done"), copied = a.newLabel("copied");
  a.mov(rsi, mem(r12, { disp: START_INFO.memmap }));
  a.mov(ecx, mem(r12, { disp: START_INFO.memmapEntries }, 32));
  a.test(rsi, rsi); a.jcc("z", none, "near");
  a.lea(rdi, c.at(N.memmapBuf)); a.xor(r8d, r8d);
  a.lea(r14, c.at(N.imageStart));
  a.bind(loop);
  a.test(ecx, ecx); a.jcc("z", done);
  a.cmp(r8, imm(MEMMAP_CAP)); a.jcc("ae", copied);
  for (let q = 0; q < 3; q++) { a.mov(rax, mem(rsi, { disp: 8 * q })); a.mov(mem(rdi, { disp: 8 * q }), rax); }
  a.add(rdi, imm(MEMMAP_ENTRY.bytes)); a.add(r8, imm(1));
  a.bind(copied);
  a.cmp(mem(rsi, { disp: MEMMAP_ENTRY.type }, 32), imm(MEMMAP_ENTRY.RAM)); a.jcc("ne", skip);
  a.mov(rax, mem(rsi, { disp: MEMMAP_ENTRY.addr }));
  a.cmp(r14, rax); a.jcc("b", skip);
  a.add(rax, mem(rsi, { disp: MEMMAP_ENTRY.size }));
  a.cmp(r14, rax); a.jcc("ae", skip);
  a.mov(rdx, imm(c.layout.ramLimit)); a.cmp(rax, rdx); a.cmovcc("a", rax, rdx);
  a.mov(c.at(N.ramTop), rax);
  a.bind(skip);
  a.add(rsi, imm(MEMMAP_ENTRY.bytes)); a.sub(ecx, imm(1));
  a.jmp(loop);
  a.bind(done);
  a.imul(r8, r8, imm(MEMMAP_ENTRY.bytes)); a.mov(c.at(N.memmapSize), r8);
  a.cmp(c.at(N.ramTop, 64), imm(0)); a.jcc("e", none, "near");
}

/** The GDT with a 64-bit TSS (IST1 = the exception stack), the IDT; loaded. */
function emitDescriptorTables(c: Ctx): void {
  const { a, b } = c;
  b.bss(N.gdt, 5 * 8, 16);
  b.bss(N.gdtr, 16, 16);
  b.bss(N.tss, 104, 16);
  b.bss(N.istStack, c.layout.istSize, 16);
  a.lea(rdi, c.at(N.gdt));
  a.mov(rax, imm64(GDT_CODE64)); a.mov(mem(rdi, { disp: 8 }), rax);
  a.mov(rax, imm64(GDT_DATA)); a.mov(mem(rdi, { disp: 16 }), rax);
  // The TSS descriptor (SDM Vol 3A 7.2.3, figure 7-4): limit 103, type 9 (available 64-bit TSS), present.
  a.lea(rax, c.at(N.tss));
  a.mov(edx, eax); a.and(edx, imm(0xffffff)); a.shl(rdx, imm(16)); a.or(rdx, imm(103));
  a.mov(rcx, imm64(0x89n << 40n)); a.or(rdx, rcx);
  a.mov(rcx, rax); a.shr(rcx, imm(24)); a.and(ecx, imm(0xff)); a.shl(rcx, imm(56)); a.or(rdx, rcx);
  a.mov(mem(rdi, { disp: SEL_TSS }), rdx);
  a.mov(rcx, rax); a.shr(rcx, imm(32)); a.mov(mem(rdi, { disp: SEL_TSS + 8 }), rcx);
  // IST1 (TSS offset 36) = top of the exception stack; no I/O bitmap (offset 102 = the limit + 1).
  a.lea(rcx, c.at(N.istStack, undefined, c.layout.istSize)); a.mov(mem(rax, { disp: 36 }), rcx);
  a.mov(mem(rax, { disp: 102 }, 16), imm(104));
  a.lea(rsi, c.at(N.gdtr));
  a.mov(mem(rsi, {}, 16), imm(5 * 8 - 1)); a.mov(mem(rsi, { disp: 2 }), rdi);
  a.lgdt(mem(rsi));
  a.mov(eax, imm(SEL_TSS));
  a.emitBytes([0x0f, 0x00, 0xd8]); // ltr ax
  a.call(sym("atoll_rt:set_idt"));
}

/** Monotonic clock: TSC ticks scaled by ns_mul (ns per tick, 32.32). kvmclock gives the scale under KVM; else the PIT measures it. Wall clock: the CMOS RTC at boot plus monotonic time. */
function emitClockSetup(c: Ctx): void {
  const { a } = c;
  const pit = a.newLabel("pit"), done = a.newLabel("clock_done"), retry = a.newLabel("retry"), neg = a.newLabel("neg"), scaled = a.newLabel("scaled");
  a.mov(eax, imm(0x4000_0000)); a.cpuid();
  a.cmp(ebx, imm(KVM.signature[0])); a.jcc("ne", pit, "near");
  a.cmp(ecx, imm(KVM.signature[1])); a.jcc("ne", pit, "near");
  a.cmp(edx, imm(KVM.signature[2])); a.jcc("ne", pit, "near");
  a.mov(eax, imm(0x4000_0001)); a.cpuid();
  a.bt(eax, imm(KVM.featureClocksource2)); a.jcc("nc", pit, "near");
  a.lea(rax, c.at(N.pvclock)); a.or(rax, imm(1)); a.mov(rdx, rax); a.shr(rdx, imm(32));
  a.mov(ecx, imm(KVM.msrSystemTimeNew)); a.wrmsr();
  a.bind(retry);
  a.mov(ecx, c.at(N.pvclock, 32, PVCLOCK.version));
  a.test(ecx, imm(1)); a.jcc("nz", retry);
  a.mov(eax, c.at(N.pvclock, 32, PVCLOCK.mul));
  a.movsx(ecx, c.at(N.pvclock, 8, PVCLOCK.shift));
  a.test(eax, eax); a.jcc("z", retry);
  a.test(ecx, ecx); a.jcc("s", neg);
  a.shl(rax, cl); a.jmp(scaled);
  a.bind(neg);
  a.neg(ecx); a.shr(rax, cl);
  a.bind(scaled);
  a.mov(c.at(N.nsMul), rax);
  a.jmp(done, "near");

  // No kvmclock: the PIT (channel 0, mode 0, counting down from 0xffff at
  // 1.193182 MHz; read back with the latch command, 8254 datasheet) is the
  // reference while the TSC is read at both ends of about 10 ms. Port 0x61
  // (channel 2's gate) is not used: QEMU's microvm has no speaker port.
  // Each PIT read is bracketed by two TSC reads: under TCG on a loaded host
  // the vCPU can be held for milliseconds between the two (waiting for the
  // host CPU or QEMU's lock), which made the clock tens of percent off, and
  // a hold past the terminal count wrapped the counter unseen (guest time
  // 6.5 and 23 times too slow, measured). So the end sample is taken again
  // until both brackets together are under 1/256 of the window, and a window
  // in which the counter reached 0 (OUT high in the read-back status) starts over.
  a.bind(pit);
  {
    const again = a.newLabel("again"), wait = a.newLabel("wait"), wrapped = a.newLabel("wrapped"), ok = a.newLabel("ok"), noPit = a.newLabel("no_pit");
    const tsc = (to: typeof r13): void => {
      a.rdtsc(); a.shl(rdx, imm(32)); a.or(rax, rdx); a.mov(to, rax);
    };
    const count = (to: typeof r13): void => {
      a.in(al, imm(PIT.ch0)); a.movzx(ecx, al);
      a.in(al, imm(PIT.ch0)); a.movzx(eax, al); a.shl(eax, imm(8)); a.or(ecx, eax);
      a.mov(to, rcx);
    };
    a.mov(r8, imm(PIT_TRIES));
    a.bind(again);
    a.mov(al, imm(0x30)); a.out(imm(PIT.command), al); // channel 0, low then high byte, mode 0
    a.mov(al, imm(0xff)); a.out(imm(PIT.ch0), al); a.out(imm(PIT.ch0), al);
    tsc(r12);
    a.mov(al, imm(0)); a.out(imm(PIT.command), al); // latch channel 0's count
    count(r13);
    tsc(r9); a.sub(r9, r12); // the start bracket
    a.bind(wait);
    tsc(r10);
    a.mov(al, imm(PIT_READ_BACK)); a.out(imm(PIT.command), al);
    a.in(al, imm(PIT.ch0)); a.movzx(ebx, al); // the status comes first
    count(r14);
    tsc(rax);
    a.test(ebx, imm(PIT_STATUS_OUT)); a.jcc("nz", wrapped, "near");
    a.mov(rdx, rax); a.sub(rdx, r10); // the end bracket
    a.sub(rax, r12);
    a.mov(rcx, imm64(1n << 36n)); a.cmp(rax, rcx); a.jcc("a", noPit, "near"); // tens of seconds of TSC: no PIT
    a.mov(rcx, r13); a.sub(rcx, r14);
    a.cmp(rcx, imm(PIT_COUNT)); a.jcc("l", wait, "near");
    a.add(rdx, r9); a.shl(rdx, imm(8)); a.cmp(rdx, rax); a.jcc("a", wait, "near");
    a.mov(r12, rax); // TSC ticks
    a.imul(rax, rcx, imm(1_000_000_000)); a.xor(edx, edx); a.mov(ecx, imm(PIT.hz)); a.div(rcx); // ns
    a.shl(rax, imm(32)); a.xor(edx, edx); a.div(r12);
    a.jmp(ok);
    a.bind(wrapped);
    a.sub(r8, imm(1)); a.jcc("nz", again, "near");
    a.bind(noPit);
    a.mov(rax, imm64(1n << 32n)); // assume 1 GHz
    a.bind(ok);
    a.mov(c.at(N.nsMul), rax);
  }
  a.bind(done);
  emitRtc(c);
}

/** Reads the CMOS RTC (once no update is in progress; BCD unless status B bit 2; 24-hour mode assumed, the PC default) into wall0 = ns since the epoch at tsc0. */
function emitRtc(c: Ctx): void {
  const { a } = c;
  const uip = a.newLabel("uip"), binary = a.newLabel("binary"), none = a.newLabel("no_rtc"), out = a.newLabel("rtc_done");
  const read = (reg: number): void => {
    a.mov(al, imm(reg)); a.out(imm(CMOS.index), al); a.in(al, imm(CMOS.data)); a.movzx(eax, al);
  };
  // No RTC (QEMU's microvm without rtc=on) reads 0xff: the update never ends. Give up after 2^20 reads; wall time is then monotonic time since 1970.
  a.mov(r12, imm(1 << 20));
  a.bind(uip);
  a.sub(r12, imm(1)); a.jcc("z", none, "near");
  a.mov(al, imm(CMOS.statusA)); a.out(imm(CMOS.index), al); a.in(al, imm(CMOS.data));
  a.test(al, imm(0x80)); a.jcc("nz", uip);
  const regs = [CMOS.seconds, CMOS.minutes, CMOS.hours, CMOS.day, CMOS.month, CMOS.year] as const;
  a.sub(rsp, imm(48));
  regs.forEach((reg, i) => { read(reg); a.mov(mem(rsp, { disp: 8 * i }), rax); });
  a.mov(al, imm(CMOS.statusB)); a.out(imm(CMOS.index), al); a.in(al, imm(CMOS.data));
  a.test(al, imm(4)); a.jcc("nz", binary);
  for (let i = 0; i < regs.length; i++) {
    // bcd -> binary: (v >> 4) * 10 + (v & 15)
    a.mov(rax, mem(rsp, { disp: 8 * i })); a.mov(rcx, rax); a.shr(rax, imm(4)); a.and(ecx, imm(15));
    a.imul(rax, rax, imm(10)); a.add(rax, rcx); a.mov(mem(rsp, { disp: 8 * i }), rax);
  }
  a.bind(binary);
  // days_from_civil (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"): y, m, d -> days since 1970-01-01.
  const early = a.newLabel("early"), mdone = a.newLabel("mdone");
  a.mov(rcx, mem(rsp, { disp: 40 })); a.add(rcx, imm(2000)); // year (the century register is not standard: 20xx)
  a.mov(r8, mem(rsp, { disp: 32 })); // month
  a.cmp(r8, imm(2)); a.jcc("a", early);
  a.sub(rcx, imm(1)); a.add(r8, imm(9)); a.jmp(mdone);
  a.bind(early);
  a.sub(r8, imm(3));
  a.bind(mdone);
  // era = y / 400 (y > 0), yoe = y % 400
  a.mov(rax, rcx); a.xor(edx, edx); a.mov(r9, imm(400)); a.div(r9);
  a.mov(r10, rax); // era
  a.mov(r11, rdx); // yoe
  // doy = (153 * m' + 2) / 5 + d - 1
  a.imul(rax, r8, imm(153)); a.add(rax, imm(2)); a.xor(edx, edx); a.mov(r9, imm(5)); a.div(r9);
  a.add(rax, mem(rsp, { disp: 24 })); a.sub(rax, imm(1)); a.mov(r8, rax);
  // doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
  a.imul(rax, r11, imm(365)); a.add(rax, r8);
  a.mov(rcx, r11); a.shr(rcx, imm(2)); a.add(rax, rcx);
  a.mov(r8, rax); a.mov(rax, r11); a.xor(edx, edx); a.mov(r9, imm(100)); a.div(r9); a.sub(r8, rax);
  // days = era * 146097 + doe - 719468
  a.imul(rax, r10, imm(146097)); a.add(rax, r8); a.sub(rax, imm(719468));
  // seconds = days * 86400 + h * 3600 + min * 60 + s
  a.imul(rax, rax, imm(86400));
  a.imul(rcx, mem(rsp, { disp: 16 }), imm(3600)); a.add(rax, rcx);
  a.imul(rcx, mem(rsp, { disp: 8 }), imm(60)); a.add(rax, rcx);
  a.add(rax, mem(rsp));
  a.imul(rax, rax, imm(1_000_000_000));
  a.add(rsp, imm(48));
  // wall0 is the wall time at tsc0: subtract the time since then.
  a.mov(rbx, rax);
  a.call(sym(N.now));
  a.sub(rbx, rax);
  a.mov(c.at(N.wall0), rbx);
  a.jmp(out);
  a.bind(none);
  a.mov(c.at(N.wall0, 64), imm(0));
  a.bind(out);
}
