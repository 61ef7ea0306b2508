// Traps: `atoll_trap` (called by generated code), the fault signal handler,
// and the report both share: "trap: KIND in FUNCTION" on standard error and
// exit status 102 — or, when `atoll_trap_resume` points to a {rip, rsp, rbp}
// record (the spec harness), a jump there with the trap code in eax.
//
// The handler runs on the alternate signal stack with the fault signals
// blocked. It does not report from there: it rewrites the interrupted
// context (rip = trap_at, rdi = code, rsi = faulting rip, rsp = the top of
// the wasm stack, whose frames are dead) and returns, so rt_sigreturn
// restores the signal mask and the report or the resume runs as ordinary
// code on the ordinary stack. A spec harness can then trap again and again.
import {
  eax, ebx, ecx, edi, esi, imm, imm64, mem, r12, r13, r14, rax, rbp, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { EXIT_TRAP, emitTrapKinds, emitTrapLine } from "../common/trap-report.ts";
import { FPE_INTDIV, SIGBUS, SIGFPE, SIGINFO, SIGSEGV, SYS, UCONTEXT } from "./linux.ts";

export { EXIT_TRAP, TRAP_KINDS } from "../common/trap-report.ts";

export function emitTrap(c: Ctx): void {
  const { a, b } = c;
  emitTrapKinds(c);
  b.bss(N.trapResume, 8);

  // atoll_trap: entered by `call` from the trapping function with the code in
  // edi. The return address minus one is inside that call instruction, so
  // inside the function even when the call is its last instruction.
  b.func(N.trap);
  a.mov(rsi, mem(rsp));
  a.sub(rsi, imm(1));
  // Falls through.

  // trap_at(code, address inside the trapping function).
  b.textLabel(N.trapAt);
  {
    const report = a.newLabel("report");
    a.mov(rax, c.at(N.trapResume));
    a.test(rax, rax); a.jcc("z", report);
    a.mov(rsp, mem(rax, { disp: 8 }));
    a.mov(rbp, mem(rax, { disp: 16 }));
    a.mov(rcx, mem(rax));
    a.mov(eax, edi);
    a.jmp(rcx);
    a.bind(report);
    a.and(rsp, imm(-16));
    a.mov(ebx, edi); a.mov(r12, rsi);
    emitTrapLine(c);
    a.mov(edi, imm(EXIT_TRAP)); a.mov(eax, imm(SYS.exit_group));
    a.syscall();
  }

  // signal_handler(signo, siginfo, ucontext), SA_SIGINFO style.
  b.func(N.signalHandler);
  {
    const memFault = a.newLabel("memory"), notGuard = a.newLabel("not_guard"), divert = a.newLabel("divert"), fault = a.newLabel("fault");
    const { guardSize, reservation } = c.layout;
    a.push(rbx); a.push(r12); a.push(r13); a.push(r14);
    a.mov(ebx, edi); a.mov(r12, rsi); a.mov(r13, rdx);
    a.mov(r14, mem(r13, { disp: UCONTEXT.rip }));
    a.cmp(ebx, imm(SIGSEGV)); a.jcc("e", memFault);
    a.cmp(ebx, imm(SIGBUS)); a.jcc("e", memFault);
    a.cmp(ebx, imm(SIGFPE)); a.jcc("ne", fault);
    // #DE in wasm code: a division by zero (generated code must test
    // INT_MIN / -1 itself: x86 raises the same fault for it).
    a.cmp(mem(r12, { disp: SIGINFO.code }, 32), imm(FPE_INTDIV)); a.jcc("ne", fault);
    a.mov(rdi, r14); a.call(sym(N.findFunction));
    a.test(rax, rax); a.jcc("z", fault);
    a.mov(ecx, imm(2));
    a.jmp(divert);

    a.bind(memFault);
    a.mov(rax, mem(r12, { disp: SIGINFO.addr }));
    a.mov(rcx, c.at(N.stackGuard));
    a.cmp(rax, rcx); a.jcc("b", notGuard);
    a.add(rcx, imm(guardSize));
    a.cmp(rax, rcx); a.jcc("ae", notGuard);
    a.mov(ecx, imm(9)); // the guard page below the wasm stack: call stack exhausted
    a.jmp(divert);
    a.bind(notGuard);
    a.mov(rdi, r14); a.call(sym(N.findFunction));
    a.test(rax, rax); a.jcc("z", fault);
    a.mov(rax, mem(r12, { disp: SIGINFO.addr }));
    a.mov(rcx, c.at(N.memoryBase));
    a.cmp(rax, rcx); a.jcc("b", fault);
    a.mov(rdx, imm64(reservation));
    a.add(rcx, rdx);
    a.cmp(rax, rcx); a.jcc("ae", fault);
    a.mov(ecx, imm(5)); // wasm code, inside the reservation: out of bounds memory access

    a.bind(divert); // ecx = trap code
    a.mov(mem(r13, { disp: UCONTEXT.rdi }), rcx);
    a.mov(mem(r13, { disp: UCONTEXT.rsi }), r14);
    a.lea(rax, c.at(N.trapAt));
    a.mov(mem(r13, { disp: UCONTEXT.rip }), rax);
    a.mov(rax, c.at(N.stackTop));
    a.mov(mem(r13, { disp: UCONTEXT.rsp }), rax);
    a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbx);
    a.ret();

    // Not a trap: a bug in the runtime or the code generator. Report it from
    // here (the alternate stack is large enough) and exit.
    a.bind(fault);
    c.writeStr(2, "atoll runtime fault: signal ");
    a.mov(edi, imm(2)); a.mov(esi, ebx); a.call(sym(N.writeDec));
    c.writeStr(2, " at rip ");
    a.mov(edi, imm(2)); a.mov(rsi, r14); a.call(sym(N.writeHex));
    c.writeStr(2, ", address ");
    a.mov(edi, imm(2)); a.mov(rsi, mem(r12, { disp: SIGINFO.addr })); a.call(sym(N.writeHex));
    c.writeStr(2, "\n");
    a.mov(edi, imm(EXIT_TRAP)); a.mov(eax, imm(SYS.exit_group));
    a.syscall();
  }

  // The sa_restorer: where the handler returns to; rt_sigreturn restores the (rewritten) context.
  b.func(N.restorer);
  a.mov(eax, imm(SYS.rt_sigreturn));
  a.syscall();
}
