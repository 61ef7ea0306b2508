// Output helpers (rt convention, see context.ts): write a buffer to the
// serial console, a number in decimal or hex, a source path, and a
// function's name from `atoll_functions`. All but write_all are the unix
// runtime's (tools/runtime/unix/print.ts), kept in step by hand.
import {
  al, dl, dx, eax, ebx, ecx, edi, edx, imm, mem, r12, r13, r14, r8, r9d, rax, rbp, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { emitWriters } from "../common/print.ts";
import { COM1, LSR_TEMT } from "./machine.ts";

export function emitPrint(c: Ctx): void {
  const { a, b } = c;

  // write_all(fd, buf, len) -> 0: every byte to COM1, each once the
  // transmitter is empty (LSR bit 6, TEMT), and returns when the last one
  // has left. fd is ignored: the console and the error stream are the same
  // serial port. Not THR-empty (bit 5): QEMU's 16550 sets that before it
  // hands the byte to its chardev, and when the host reads slowly (a pipe
  // full: EAGAIN) it keeps the byte for a retry while the guest runs on. A
  // power-off then lost the last line, and a program that printed "done"
  // and then acted could be seen acting before the line (the kvm crash test
  // found both). TEMT stays clear until the byte is out, so the console's
  // output reaches the host in order with what the program does next.
  b.func(N.writeAll);
  {
    const wait = a.newLabel("wait"), drained = a.newLabel("drained");
    a.mov(rcx, rsi); a.lea(r8, mem(rsi, { index: rdx }));
    a.mov(edx, imm(COM1 + 5));
    a.bind(wait);
    a.in(al, dx); a.test(al, imm(LSR_TEMT)); a.jcc("z", wait);
    a.cmp(rcx, r8); a.jcc("ae", drained);
    a.mov(edx, imm(COM1));
    a.movzx(eax, mem(rcx, {}, 8)); a.out(dx, al);
    a.add(rcx, imm(1));
    a.mov(edx, imm(COM1 + 5));
    a.jmp(wait);
    a.bind(drained);
    a.xor(eax, eax);
    a.ret();
  }

  emitWriters(c);
}
