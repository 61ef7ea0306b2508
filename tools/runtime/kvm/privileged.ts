// The privileged imports of docs/abi.md for kvm: hardware primitives for
// drivers (drivers/virtio, later), never for application code (the build
// rejects an application that imports them).
import { type Gpr, ax, eax, ecx, edi, edx, esi, imm, mem, r15, r8, rax, rbx, rcx, rdi, rdx, rsi, sym, dx, al } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { PTE } from "./machine.ts";
import { arg, bindOutOfBounds, checkRange } from "./abi.ts";
import { IRQ_FUNCTIONS } from "./irq.ts";

/** The privileged functions this runtime defines, by ABI name. */
export const PRIVILEGED_FUNCTIONS = [
  "io_in8", "io_in16", "io_in32", "io_out8", "io_out16", "io_out32",
  "mmio_read8", "mmio_read16", "mmio_read32", "mmio_read64", "mmio_write8", "mmio_write16", "mmio_write32", "mmio_write64",
  "dma_base", "cpuid", "rdtsc", "irq_wait", "boot_info", ...IRQ_FUNCTIONS,
] as const;

/** MMIO must lie in [MMIO_LOW, 4 GiB): the PCI hole where QEMU, Firecracker and cloud-hypervisor put devices, never RAM or the image. */
export const MMIO_LOW = 0xc000_0000;

export function emitPrivileged(c: Ctx): void {
  const { a, b } = c;

  // io_inN(port) -> value; io_outN(port, value).
  const widths: [string, Gpr][] = [["8", al], ["16", ax], ["32", eax]];
  for (const [w, reg] of widths) {
    b.func(N.import(`io_in${w}`));
    a.mov(edx, arg(0, 1, 32));
    a.xor(eax, eax);
    a.in(reg, dx);
    a.ret();
    b.func(N.import(`io_out${w}`));
    a.mov(edx, arg(0, 2, 32));
    a.mov(eax, arg(1, 2, 32));
    a.out(dx, reg);
    a.ret();
  }

  // map_mmio(rdi = physical address): checks it is in the device hole and maps its page uncached (again: cheap, idempotent).
  b.func("atoll_rt:map_mmio");
  {
    const bad = a.newLabel("bad");
    a.mov(eax, imm(MMIO_LOW)); a.cmp(rdi, rax); a.jcc("b", bad);
    a.mov(eax, imm(0xffff_fff8)); // the last 8 bytes below 4 GiB
    a.cmp(rdi, rax); a.jcc("a", bad);
    a.push(rdi);
    a.and(rdi, imm(-0x1000));
    a.mov(rsi, rdi); a.or(rsi, imm(PTE.P | PTE.RW | PTE.PCD | PTE.PWT)); a.or(rsi, c.at(N.nxBit));
    a.call(sym(N.mapPage));
    a.pop(rdi);
    a.ret();
    a.bind(bad);
    c.writeStr(2, "atoll runtime: MMIO outside the device range 0xc0000000-0xffffffff\n");
    a.mov(edi, imm(101));
    a.jmp(sym(N.poweroff));
  }
  // mmio_readN(addr: i64) -> value; mmio_writeN(addr: i64, value). One access of
  // exactly N bits: virtio's PCI common configuration and device configuration
  // need 8- and 16-bit accesses for their 8- and 16-bit fields (virtio 1.2 §4.1.3.1, §4.2.2.2).
  const mmioWidths: [8 | 16 | 32 | 64, Gpr][] = [[8, al], [16, ax], [32, eax], [64, rax]];
  for (const [w, r] of mmioWidths) {
    b.func(N.import(`mmio_read${w}`));
    a.mov(rdi, arg(0, 1)); a.call(sym("atoll_rt:map_mmio"));
    if (w < 32) a.movzx(eax, mem(rdi, {}, w));
    else a.mov(r, mem(rdi, {}, w));
    a.ret();
    b.func(N.import(`mmio_write${w}`));
    a.mov(rdi, arg(0, 2)); a.call(sym("atoll_rt:map_mmio"));
    a.mov(w === 64 ? rax : eax, arg(1, 2, w === 64 ? 64 : 32)); a.mov(mem(rdi, {}, w), r);
    a.ret();
  }

  // dma_base() -> the physical address of linear memory offset 0 (it is physically contiguous).
  b.func(N.import("dma_base"));
  a.mov(rax, c.at(N.lmPhys));
  a.ret();

  // cpuid(leaf, subleaf, out): eax, ebx, ecx, edx as four u32 at out.
  b.func(N.import("cpuid"));
  {
    const oob = a.newLabel("oob");
    a.mov(esi, arg(2, 3, 32)); a.mov(edx, imm(16));
    checkRange(c, rsi, rdx, oob);
    a.push(rbx);
    a.mov(eax, arg(0, 3, 32, 8)); a.mov(ecx, arg(1, 3, 32, 8)); a.mov(r8, rsi);
    a.cpuid();
    a.mov(mem(r15, { index: r8 }), eax); a.mov(mem(r15, { index: r8, disp: 4 }), rbx);
    a.mov(mem(r15, { index: r8, disp: 8 }), ecx); a.mov(mem(r15, { index: r8, disp: 12 }), edx);
    a.pop(rbx);
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // rdtsc() -> the time-stamp counter.
  b.func(N.import("rdtsc"));
  a.rdtsc(); a.shl(rdx, imm(32)); a.or(rax, rdx);
  a.ret();

  // irq_wait(deadline) -> the pending device set, left for yield to report (irq.ts's halt).
  b.func(N.import("irq_wait"));
  a.mov(rdi, arg(0, 1));
  a.xor(esi, esi);
  a.jmp(sym(N.halt));

  // boot_info(ptr, cap) -> size: the memory map, hvm_memmap_table_entry format (24 bytes each); copies min(cap, size).
  b.func(N.import("boot_info"));
  {
    const oob = a.newLabel("oob");
    a.mov(rax, c.at(N.memmapSize));
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    a.cmp(rdx, rax); a.cmovcc("a", rdx, rax);
    checkRange(c, rsi, rdx, oob);
    a.lea(rdi, mem(r15, { index: rsi }));
    a.lea(rsi, c.at(N.memmapBuf));
    a.mov(rcx, rdx);
    a.repMovsb();
    a.ret();
    bindOutOfBounds(c, oob);
  }
}
