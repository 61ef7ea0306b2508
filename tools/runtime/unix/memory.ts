// atoll_memory_grow: wasm's memory.grow. The reservation never moves, so
// growing is one mprotect of the pages after the live ones; they were never
// writable before, so they are zero (anonymous memory). A refusal (past the
// module's maximum, or the host's ENOMEM) is recorded for the trap report
// (../common/out-of-memory.ts).
import { ecx, edx, eax, imm, mem, r15, r8, rax, rcx, rdi, rdx, rsi, rsp } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { defineGrowRecord, emitGrowRefused, emitGrowSucceeded } from "../common/out-of-memory.ts";
import { PROT_READ, PROT_WRITE, SYS } from "./linux.ts";

/** The most pages a 32-bit memory can have; the reservation covers them. */
export const MAX_PAGES = 65536;

export function emitMemory(c: Ctx): void {
  const { a, b } = c;
  defineGrowRecord(c);
  // (delta: i32 pages) -> old size in pages, or -1.
  b.func(N.memoryGrow);
  const fail = a.newLabel("fail"), done = a.newLabel("done");
  a.mov(ecx, mem(rsp, { disp: 8 }, 32)); // delta, unsigned
  a.mov(rax, c.at(N.memoryPages));
  a.lea(rdx, mem(rax, { index: rcx }));
  a.cmp(rdx, c.at(N.memoryMax)); a.jcc("a", fail);
  a.cmp(rdx, imm(MAX_PAGES)); a.jcc("a", fail);
  a.test(rcx, rcx); a.jcc("z", done);
  a.push(rax); a.push(rdx);
  a.mov(rdi, rax); a.shl(rdi, imm(16)); a.add(rdi, r15);
  a.mov(rsi, rcx); a.shl(rsi, imm(16));
  a.mov(edx, imm(PROT_READ | PROT_WRITE)); a.mov(eax, imm(SYS.mprotect));
  a.syscall();
  a.mov(r8, rax);
  a.pop(rdx); a.pop(rax);
  a.test(r8, r8); a.jcc("nz", fail); // ENOMEM: the host is out of memory or over a limit
  a.mov(c.at(N.memoryPages), rdx);
  a.bind(done);
  emitGrowSucceeded(c);
  a.ret();
  a.bind(fail);
  emitGrowRefused(c);
  a.mov(rax, imm(-1));
  a.ret();
}
