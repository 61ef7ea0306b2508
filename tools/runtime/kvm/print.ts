// Output helpers (rt convention, see context.ts): write a buffer to the
// serial console, a number in decimal or hex, a source path, and a
// function's name from `atoll_functions`. All but write_all are the unix
// runtime's (tools/runtime/unix/print.ts), kept in step by hand.
import {
  al, dl, dx, eax, ebx, ecx, edi, edx, imm, mem, r12, r13, r14, r8, r9d, rax, rbp, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { emitWriters } from "../common/print.ts";
import { COM1 } from "./machine.ts";

export function emitPrint(c: Ctx): void {
  const { a, b } = c;

  // write_all(fd, buf, len) -> 0: every byte to COM1, each after the
  // transmitter holding register is empty (LSR bit 5). fd is ignored: the
  // console and the error stream are the same serial port.
  b.func(N.writeAll);
  {
    const next = a.newLabel("next"), wait = a.newLabel("wait"), done = a.newLabel("done");
    a.mov(rcx, rsi); a.lea(r8, mem(rsi, { index: rdx }));
    a.bind(next);
    a.cmp(rcx, r8); a.jcc("ae", done);
    a.mov(edx, imm(COM1 + 5));
    a.bind(wait);
    a.in(al, dx); a.test(al, imm(0x20)); a.jcc("z", wait);
    a.mov(edx, imm(COM1));
    a.movzx(eax, mem(rcx, {}, 8)); a.out(dx, al);
    a.add(rcx, imm(1));
    a.jmp(next);
    a.bind(done);
    a.xor(eax, eax);
    a.ret();
  }

  emitWriters(c);
}
