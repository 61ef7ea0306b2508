// Output helpers (rt convention, see context.ts): write a buffer completely,
// a number in decimal or hex, a source path, and a function's name from
// `atoll_functions`.
import {
  dl, eax, ebx, ecx, edi, edx, esi, imm, mem, r12, r13, r14, r8, r9d, rax, rbp, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { emitWriters } from "../common/print.ts";
import { EAGAIN, EINTR, POLLOUT, SYS } from "./linux.ts";

export function emitPrint(c: Ctx): void {
  const { a, b } = c;

  // write_all(fd, buf, len) -> 0 or -errno. Retries after EINTR and, when the
  // descriptor is non-blocking (a pipe shared with a Node parent can be),
  // waits for it with poll after EAGAIN, so output is never dropped.
  b.func(N.writeAll);
  {
    const loop = a.newLabel("loop"), done = a.newLabel("done"), wait = a.newLabel("wait");
    a.push(rbx); a.push(r12); a.push(r13);
    a.mov(ebx, edi); a.mov(r12, rsi); a.mov(r13, rdx);
    a.bind(loop);
    a.xor(eax, eax);
    a.test(r13, r13); a.jcc("z", done);
    a.mov(eax, imm(SYS.write)); a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, r13);
    a.syscall();
    a.cmp(rax, imm(-EINTR)); a.jcc("e", loop);
    a.cmp(rax, imm(-EAGAIN)); a.jcc("e", wait);
    a.test(rax, rax); a.jcc("le", done); // an error, or a write of nothing: give up
    a.add(r12, rax); a.sub(r13, rax);
    a.jmp(loop);
    a.bind(wait); // poll({fd, POLLOUT}, 1, -1)
    a.sub(rsp, imm(8));
    a.mov(mem(rsp, {}, 32), ebx);
    a.mov(mem(rsp, { disp: 4 }, 32), imm(POLLOUT));
    a.mov(eax, imm(SYS.poll)); a.mov(rdi, rsp); a.mov(esi, imm(1)); a.mov(rdx, imm(-1));
    a.syscall();
    a.add(rsp, imm(8));
    a.jmp(loop);
    a.bind(done);
    a.pop(r13); a.pop(r12); a.pop(rbx);
    a.ret();
  }

  emitWriters(c);
}
