// Device interrupts: the vectors of device handles, their handler, the halt
// that `yield` and `irq_wait` share, and the privileged calls that attach an
// interrupt line (an I/O APIC input, or an MSI a PCI driver programs) to a
// device handle, the event loop's bit.
//
// Device handle h fires vector DEVICE_VECTOR + h. Its handler records bit h
// and returns with interrupts still off (it clears IF in the frame), so the
// halt that was waiting returns the bit to the module at once. The EOI is
// deferred to the next halt, after the module's driver has run: an I/O APIC
// input is level-triggered (a virtio-mmio device holds its line until the
// driver acknowledges the interrupt), and an EOI sent while the line is
// still asserted would deliver the vector again at once, forever. Sent
// later, it redelivers only what the driver left pending — the "still
// ready" answer yield owes it — and costs no masking writes to the I/O APIC
// (each MMIO access is a VM exit, slow under nested KVM). While the vector
// is in service and the EOI owed, interrupts stay off: the module only ever
// runs with IF clear.
import { cl, eax, ecx, edi, edx, esi, imm, imm64, mem, r15, r8, r9, rax, rcx, rdi, rdx, rsi, rsp, sym, type Label } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { DEVICE_HANDLES, DEVICE_VECTOR, IOAPIC, LAPIC, MSI_ADDRESS, PTE } from "./machine.ts";
import { SEL_CODE } from "./start.ts";
import { arg, bindOutOfBounds, checkRange } from "./abi.ts";

/** The privileged calls this file defines, by ABI name. */
export const IRQ_FUNCTIONS = ["irq_attach", "irq_attach_msi"] as const;

/** Bytes per device stub (`push imm8; jmp rel32` is 7), so gate h's handler is stubs + h * STUB_BYTES. */
const STUB_BYTES = 8;
/** RFLAGS.IF (SDM Vol 1 3.4.3.3). */
const RFLAGS_IF = 0x200;
/** irq_attach's and irq_attach_msi's errors (docs/abi.md). */
export const IRQ_NO_HANDLE = -1, IRQ_NO_LINE = -2, IRQ_NO_MEMORY = -3;

export function emitIrq(c: Ctx): void {
  const { a, b } = c;
  b.bss(N.irqPending, 8);
  b.bss(N.irqEoiOwed, 8);
  b.bss(N.irqHandles, 8);

  // One stub per handle: pushes the handle, then the shared handler.
  a.align(STUB_BYTES, 0xcc);
  b.textLabel(N.deviceStubs);
  for (let h = 0; h < DEVICE_HANDLES; h++) {
    a.align(STUB_BYTES, 0xcc);
    a.push(imm(h));
    a.jmp(sym(N.deviceIrq), "near");
  }
  // device_irq: [rsp] handle, then the interrupt frame (rip, cs, rflags, rsp, ss).
  b.func(N.deviceIrq);
  a.push(rax); a.push(rcx);
  a.mov(ecx, mem(rsp, { disp: 16 }, 32));
  a.mov(eax, imm(1)); a.shl(rax, cl);
  a.or(c.at(N.irqPending), rax);
  a.mov(c.at(N.irqEoiOwed, 64), imm(1));
  a.and(mem(rsp, { disp: 16 + 8 + 16 }, 64), imm(~RFLAGS_IF));
  a.pop(rcx); a.pop(rax);
  a.add(rsp, imm(8));
  a.iretq();

  // set_device_gates(): interrupt gates (present, DPL 0, the current stack) for the DEVICE_HANDLES vectors.
  b.func(N.setDeviceGates);
  {
    const loop = a.newLabel("gate");
    a.lea(rsi, c.at(N.deviceStubs));
    a.lea(rdi, c.at(N.idt, undefined, DEVICE_VECTOR * 16));
    a.mov(ecx, imm(DEVICE_HANDLES));
    a.bind(loop);
    a.mov(eax, esi); a.and(eax, imm(0xffff)); a.or(eax, imm(SEL_CODE << 16)); a.mov(mem(rdi), eax);
    a.mov(eax, esi); a.and(eax, imm(0xffff0000)); a.or(eax, imm(0x8e00)); a.mov(mem(rdi, { disp: 4 }), eax);
    a.mov(rax, rsi); a.shr(rax, imm(32)); a.mov(mem(rdi, { disp: 8 }), eax);
    a.mov(mem(rdi, { disp: 12 }, 32), imm(0));
    a.add(rsi, imm(STUB_BYTES)); a.add(rdi, imm(16));
    a.sub(ecx, imm(1)); a.jcc("nz", loop);
    a.ret();
  }

  // halt(deadline, consume) -> the pending device set. Sends the EOI owed
  // for the last device interrupt, then halts until a device interrupt or
  // the deadline: the local APIC timer, one-shot, armed for the time left
  // (1 tick = 1 ns, at most 2^32 - 1, then again); `sti; hlt` waits (sti's
  // one-instruction shadow keeps an interrupt from arriving before hlt).
  // A past deadline opens one instruction's window for an interrupt already
  // pending, and returns. i64.MAX waits for a device only: with no handle
  // attached nothing could end it, so it returns 0 at once. `consume`
  // clears the set it returns (yield); irq_wait leaves it for yield.
  b.func(N.halt);
  {
    const loop = a.newLabel("loop"), timed = a.newLabel("timed"), poll = a.newLabel("poll"), done = a.newLabel("done"), keep = a.newLabel("keep"), noEoi = a.newLabel("no_eoi");
    a.mov(r8, rdi); a.mov(r9, rsi);
    a.cmp(c.at(N.irqEoiOwed, 64), imm(0)); a.jcc("e", noEoi);
    a.mov(c.at(N.irqEoiOwed, 64), imm(0));
    a.mov(eax, imm(LAPIC.base + LAPIC.eoi)); a.mov(mem(rax, {}, 32), imm(0));
    a.bind(noEoi);
    a.bind(loop);
    a.cmp(c.at(N.irqPending, 64), imm(0)); a.jcc("ne", done);
    a.mov(rcx, imm64(0x7fff_ffff_ffff_ffffn));
    a.cmp(r8, rcx); a.jcc("ne", timed);
    a.cmp(c.at(N.irqHandles, 64), imm(0)); a.jcc("e", done);
    a.sti(); a.hlt(); a.cli();
    a.jmp(loop);
    a.bind(timed);
    a.call(sym(N.now));
    a.mov(rcx, r8); a.sub(rcx, rax); a.jcc("le", poll);
    a.mov(eax, imm(0xffffffff)); a.cmp(rcx, rax); a.cmovcc("a", rcx, rax);
    a.mov(eax, imm(LAPIC.base + LAPIC.initialCount)); a.mov(mem(rax), ecx);
    a.sti(); a.hlt(); a.cli();
    a.jmp(loop);
    a.bind(poll);
    a.sti(); a.nop(); a.cli();
    a.bind(done);
    a.mov(rax, c.at(N.irqPending));
    a.test(r9, r9); a.jcc("z", keep);
    a.mov(c.at(N.irqPending, 64), imm(0));
    a.bind(keep);
    a.ret();
  }

  // irq_attach(gsi) -> handle: routes I/O APIC input `gsi` to the next
  // handle's vector, level-triggered, active high (how QEMU's virtio-mmio
  // and PCI INTx lines behave), fixed delivery to this CPU. The high half
  // goes first: the entry stays masked (its reset state) until the low
  // half's write clears the mask.
  b.func(N.import("irq_attach"));
  {
    const full = a.newLabel("full"), noLine = a.newLabel("no_line"), noMem = a.newLabel("no_mem");
    a.mov(edi, arg(0, 1, 32));
    a.cmp(c.at(N.irqHandles, 64), imm(DEVICE_HANDLES)); a.jcc("ae", full);
    a.push(rdi);
    a.mov(edi, imm(IOAPIC.base)); a.mov(rsi, rdi); a.or(rsi, imm(PTE.P | PTE.RW | PTE.PCD | PTE.PWT)); a.or(rsi, c.at(N.nxBit));
    a.call(sym(N.mapPage));
    a.pop(rdi);
    a.test(rax, rax); a.jcc("nz", noMem);
    a.mov(edx, imm(IOAPIC.base));
    a.mov(mem(rdx, { disp: IOAPIC.select }, 32), imm(IOAPIC.version));
    a.mov(eax, mem(rdx, { disp: IOAPIC.window }, 32)); a.shr(eax, imm(16)); a.and(eax, imm(0xff));
    a.cmp(edi, eax); a.jcc("a", noLine); // unsigned: a negative gsi is out of range too
    a.mov(rcx, c.at(N.irqHandles));
    a.lea(eax, mem(rdi, { index: rdi, disp: IOAPIC.redirection + 1 })); a.mov(mem(rdx, { disp: IOAPIC.select }), eax);
    a.mov(eax, imm(LAPIC.base + LAPIC.id)); a.mov(eax, mem(rax, {}, 32)); a.and(eax, imm(0xff00_0000));
    a.mov(mem(rdx, { disp: IOAPIC.window }), eax);
    a.lea(eax, mem(rdi, { index: rdi, disp: IOAPIC.redirection })); a.mov(mem(rdx, { disp: IOAPIC.select }), eax);
    a.lea(eax, mem(rcx, { disp: DEVICE_VECTOR })); a.or(eax, imm(IOAPIC.level));
    a.mov(mem(rdx, { disp: IOAPIC.window }), eax);
    a.lea(rax, mem(rcx, { disp: 1 })); a.mov(c.at(N.irqHandles), rax);
    a.mov(rax, rcx);
    a.ret();
    errorReturn(c, full, IRQ_NO_HANDLE);
    errorReturn(c, noLine, IRQ_NO_LINE);
    errorReturn(c, noMem, IRQ_NO_MEMORY);
  }

  // irq_attach_msi(out) -> handle: the MSI message that raises the next
  // handle's vector on this CPU, written at `out` (address u64, data u32)
  // for the driver to program into its device's MSI or MSI-X table.
  b.func(N.import("irq_attach_msi"));
  {
    const full = a.newLabel("full"), oob = a.newLabel("oob");
    a.mov(esi, arg(0, 1, 32)); a.mov(edx, imm(12));
    checkRange(c, rsi, rdx, oob);
    a.mov(rcx, c.at(N.irqHandles));
    a.cmp(rcx, imm(DEVICE_HANDLES)); a.jcc("ae", full);
    a.mov(eax, imm(LAPIC.base + LAPIC.id)); a.mov(eax, mem(rax, {}, 32));
    a.shr(eax, imm(24)); a.shl(eax, imm(12)); a.or(eax, imm(MSI_ADDRESS));
    a.mov(mem(r15, { index: rsi }), rax);
    a.lea(eax, mem(rcx, { disp: DEVICE_VECTOR })); a.mov(mem(r15, { index: rsi, disp: 8 }), eax);
    a.lea(rax, mem(rcx, { disp: 1 })); a.mov(c.at(N.irqHandles), rax);
    a.mov(rax, rcx);
    a.ret();
    errorReturn(c, full, IRQ_NO_HANDLE);
    bindOutOfBounds(c, oob);
  }
}

function errorReturn(c: Ctx, l: Label, code: number): void {
  c.a.bind(l);
  c.a.mov(rax, imm(code));
  c.a.ret();
}
