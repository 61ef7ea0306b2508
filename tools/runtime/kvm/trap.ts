// Traps and interrupts: `atoll_trap` (called by generated code), the
// exception handlers, the report they share — "trap: KIND in FUNCTION" on
// the serial console, then power-off with status 102 — and the two
// interrupt handlers (the APIC timer that ends a halt, the spurious vector).
//
// Every exception runs on IST1 (its own stack in the TSS), so a fault on an
// exhausted call stack is still reported. Exceptions with an error code
// (SDM Vol 3A 6.13, table 6-1: 8, 10-14, 17, 21, 29, 30) get none pushed by
// their stub; the others push a 0, so the handler sees one frame shape:
// [rsp] vector, +8 error code, +16 rip, +24 cs, +32 rflags, +40 rsp, +48 ss.
import { eax, ebx, edi, esi, imm, imm64, mem, r12, r13, r14, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym, cr2, rip, al, type Label } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { LAPIC, SPURIOUS_VECTOR, TIMER_VECTOR, DEBUG_EXIT_PORT, I8042_COMMAND, I8042_RESET } from "./machine.ts";
import { SEL_CODE } from "./start.ts";
import { EXIT_TRAP, emitTrapKinds, emitTrapLine } from "../common/trap-report.ts";

const WITH_ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17, 21, 29, 30]);
const EXCEPTIONS = 32;

export function emitTrap(c: Ctx): void {
  const { a, b } = c;
  emitTrapKinds(c);
  b.bss(N.idt, 256 * 16, 16);
  b.bss(N.idtr, 16, 16);

  // atoll_trap: entered by `call` from the trapping function, code in edi.
  b.func(N.trap);
  a.mov(rsi, mem(rsp));
  a.sub(rsi, imm(1));
  // trap_at(code, address inside the trapping function): the report.
  b.textLabel(N.trapAt);
  {
    a.and(rsp, imm(-16));
    a.mov(ebx, edi); a.mov(r12, rsi);
    emitTrapLine(c);
    a.mov(edi, imm(EXIT_TRAP));
    a.jmp(sym(N.poweroff));
  }

  // The stubs, and a table of their addresses for the IDT set-up.
  const stubs: Label[] = [];
  for (let v = 0; v < EXCEPTIONS; v++) {
    a.align(16, 0xcc);
    const l = a.newLabel(`exception_${v}`);
    a.bind(l);
    stubs.push(l);
    if (!WITH_ERROR_CODE.has(v)) a.push(imm(0));
    a.push(imm(v));
    a.jmp(sym(N.exception));
  }
  // exception: decides whether the fault is a wasm trap.
  b.func(N.exception);
  {
    const pf = a.newLabel("pf"), notGuard = a.newLabel("not_guard"), divert = a.newLabel("divert"), fault = a.newLabel("fault");
    const { guardSize, reservation, linearBase } = c.layout;
    a.mov(rbx, mem(rsp)); // vector
    a.mov(r12, mem(rsp, { disp: 16 })); // rip
    a.mov(r13, cr2);
    a.mov(r14, mem(rsp, { disp: 8 })); // error code
    a.cmp(ebx, imm(14)); a.jcc("e", pf);
    a.test(ebx, ebx); a.jcc("nz", fault);
    // #DE in wasm code: a division by zero (generated code tests INT_MIN / -1 itself).
    a.mov(rdi, r12); a.call(sym(N.findFunction));
    a.test(rax, rax); a.jcc("z", fault);
    a.mov(edi, imm(2));
    a.jmp(divert);
    a.bind(pf);
    a.mov(rax, c.at(N.stackGuard));
    a.cmp(r13, rax); a.jcc("b", notGuard);
    a.add(rax, imm(guardSize));
    a.cmp(r13, rax); a.jcc("ae", notGuard);
    a.mov(edi, imm(9)); // the guard page under the stack: call stack exhausted
    a.jmp(divert);
    a.bind(notGuard);
    a.mov(rdi, r12); a.call(sym(N.findFunction));
    a.test(rax, rax); a.jcc("z", fault);
    a.mov(rax, imm64(linearBase));
    a.cmp(r13, rax); a.jcc("b", fault);
    a.mov(rcx, imm64(BigInt(reservation))); a.add(rax, rcx);
    a.cmp(r13, rax); a.jcc("ae", fault);
    a.mov(edi, imm(5)); // wasm code, inside the reservation: out of bounds memory access
    a.bind(divert);
    a.mov(rsi, r12);
    a.jmp(sym(N.trapAt));
    // Not a trap: a bug in the runtime or the code generator.
    a.bind(fault);
    a.and(rsp, imm(-16));
    c.writeStr(2, "atoll runtime fault: exception ");
    a.mov(edi, imm(2)); a.mov(rsi, rbx); a.call(sym(N.writeDec));
    c.writeStr(2, " (error code ");
    a.mov(edi, imm(2)); a.mov(rsi, r14); a.call(sym(N.writeHex));
    c.writeStr(2, ") at rip ");
    a.mov(edi, imm(2)); a.mov(rsi, r12); a.call(sym(N.writeHex));
    c.writeStr(2, ", address ");
    a.mov(edi, imm(2)); a.mov(rsi, r13); a.call(sym(N.writeHex));
    c.writeStr(2, "\n");
    a.mov(edi, imm(EXIT_TRAP));
    a.jmp(sym(N.poweroff));
  }

  // The timer ends a halt: acknowledge it (EOI) and return to yield's loop.
  b.func(N.timerIrq);
  a.push(rax);
  a.mov(eax, imm(LAPIC.base + LAPIC.eoi)); a.mov(mem(rax, {}, 32), imm(0));
  a.pop(rax);
  a.iretq();
  // A spurious interrupt needs no EOI (SDM Vol 3A 10.9).
  b.func(N.spuriousIrq);
  a.iretq();

  // set_idt(): exception gates on IST1, the timer, spurious and device gates (irq.ts) on the current stack.
  const setGate = (vector: number, handler: () => void, ist: number): void => {
    handler(); // rsi = handler address
    a.lea(rdi, c.at(N.idt, undefined, vector * 16));
    a.mov(eax, esi); a.and(eax, imm(0xffff)); a.or(eax, imm(SEL_CODE << 16)); a.mov(mem(rdi), eax);
    a.mov(eax, esi); a.and(eax, imm(0xffff0000)); a.or(eax, imm(0x8e00 | ist)); a.mov(mem(rdi, { disp: 4 }), eax); // interrupt gate, present, DPL 0
    a.mov(rax, rsi); a.shr(rax, imm(32)); a.mov(mem(rdi, { disp: 8 }), eax);
    a.mov(mem(rdi, { disp: 12 }, 32), imm(0));
  };
  b.func("atoll_rt:set_idt");
  for (let v = 0; v < EXCEPTIONS; v++) setGate(v, () => a.lea(rsi, mem(rip, { label: stubs[v]! })), 1);
  setGate(TIMER_VECTOR, () => a.lea(rsi, c.at(N.timerIrq)), 0);
  setGate(SPURIOUS_VECTOR, () => a.lea(rsi, c.at(N.spuriousIrq)), 0);
  a.call(sym(N.setDeviceGates));
  a.lea(rsi, c.at(N.idtr));
  a.mov(mem(rsi, {}, 16), imm(256 * 16 - 1));
  a.lea(rax, c.at(N.idt)); a.mov(mem(rsi, { disp: 2 }), rax);
  a.lidt(mem(rsi));
  a.ret();

  // poweroff(status): never returns. Status 0: the i8042 reset line
  // (Firecracker exits on it), then a triple fault (an empty IDT and an
  // exception), which QEMU with -no-reboot turns into exit status 0. Other
  // statuses: QEMU's isa-debug-exit, which exits with (status << 1) | 1;
  // without that device the status is printed and the machine resets.
  b.roLabel("atoll_rt:no_idt");
  b.rodata.dq(0); b.rodata.dq(0);
  b.func(N.poweroff);
  {
    const reset = a.newLabel("reset");
    a.mov(ebx, edi);
    a.test(edi, edi); a.jcc("z", reset);
    a.mov(eax, edi); a.out(imm(DEBUG_EXIT_PORT), eax);
    a.and(rsp, imm(-16));
    c.writeStr(2, "atoll: exit status ");
    a.mov(edi, imm(2)); a.mov(esi, ebx); a.call(sym(N.writeDec));
    c.writeStr(2, " (no isa-debug-exit device: resetting)\n");
    a.bind(reset);
    a.mov(al, imm(I8042_RESET)); a.out(imm(I8042_COMMAND), al);
    a.lidt(c.at("atoll_rt:no_idt"));
    // A #GP (a non-canonical address) with no IDT: #GP, #DF, then a triple fault (SDM Vol 3A 6.15, interrupt 8).
    a.mov(rax, imm64(0x8000_0000_0000_0000n));
    a.mov(rax, mem(rax));
    a.hlt();
  }
}
