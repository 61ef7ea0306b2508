// The "everywhere" imports of docs/abi.md on bare metal, as
// `import:atoll.NAME`, called with the convention of docs/aot.md (arguments
// pushed in order, 8 bytes each; result in rax; rbx, rbp, r12-r15 kept).
// A (ptr, len) range outside the live linear memory is trap 5 raised in the
// calling function, as if the module had touched it itself.
import {
  type Gpr, type Label, type Mem, edi, edx, esi, imm, imm64, mem, r15, r8, r9, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym, r9b,
} from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { EXIT_ABORT } from "../unix/index.ts";

/** The functions this runtime defines, by ABI name. */
export const ABI_FUNCTIONS = ["console_write", "clock_monotonic", "clock_wall", "exit", "abort", "random_seed", "args", "yield"] as const;

/** The stack slot of argument `i` of `n` at entry. */
export const arg = (i: number, n: number, size?: 32 | 64, pushed = 0): Mem => mem(rsp, { disp: 8 + pushed + 8 * (n - 1 - i) }, size);

/** Jumps to `oob` unless [ptr, ptr + len) is inside the live linear memory; clobbers r8, r9. */
export function checkRange(c: Ctx, ptr: Gpr, len: Gpr, oob: Label): void {
  const { a } = c;
  a.lea(r8, mem(ptr, { index: len }));
  a.mov(r9, c.at(N.memoryPages));
  a.shl(r9, imm(16));
  a.cmp(r8, r9);
  a.jcc("a", oob);
}

/** trap 5 in the caller: [rsp] must still be the return address into it. */
export function bindOutOfBounds(c: Ctx, oob: Label): void {
  c.a.bind(oob);
  c.a.mov(edi, imm(5));
  c.a.jmp(sym(N.trap));
}

export function emitAbi(c: Ctx): void {
  const { a, b } = c;

  // now() -> monotonic ns: (rdtsc - tsc0) * ns_mul >> 32, the product in 128 bits. Clobbers rdx.
  b.func(N.now);
  a.rdtsc(); a.shl(rdx, imm(32)); a.or(rax, rdx);
  a.sub(rax, c.at(N.tsc0));
  a.mul(c.at(N.nsMul, 64));
  a.shr(rax, imm(32)); a.shl(rdx, imm(32)); a.or(rax, rdx);
  a.ret();

  // console_write(ptr, len): COM1.
  b.bss(N.firstWrite, 8);
  b.func(N.import("console_write"));
  {
    const oob = a.newLabel("oob");
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    checkRange(c, rsi, rdx, oob);
    if (c.layout.bootTrace) {
      // The boot bench's probe: the time from the PVH entry to the first line, once.
      const seen = a.newLabel("seen");
      a.cmp(c.at(N.firstWrite, 64), imm(0)); a.jcc("ne", seen);
      a.mov(c.at(N.firstWrite, 64), imm(1));
      a.push(rsi); a.push(rdx);
      a.call(sym(N.now));
      a.push(rax);
      c.writeStr(1, "atoll-boot-ns: ");
      a.pop(rsi); a.mov(edi, imm(1)); a.call(sym(N.writeDec));
      c.writeStr(1, "\n");
      a.pop(rdx); a.pop(rsi);
      a.bind(seen);
    }
    a.add(rsi, r15);
    a.mov(edi, imm(1));
    a.call(sym(N.writeAll));
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // clock_monotonic(): TSC-based, zero at the PVH entry. clock_wall(): the RTC's time at that entry plus it.
  b.func(N.import("clock_monotonic"));
  a.jmp(sym(N.now));
  b.func(N.import("clock_wall"));
  a.call(sym(N.now));
  a.add(rax, c.at(N.wall0));
  a.ret();

  // exit(status).
  b.func(N.import("exit"));
  a.mov(edi, arg(0, 1, 32));
  a.jmp(sym(N.poweroff));

  // abort(msg, msg_len, file, file_len, line, column): one line, status 101.
  b.func(N.import("abort"));
  {
    const oob = a.newLabel("oob");
    a.mov(esi, arg(0, 6, 32)); a.mov(edx, arg(1, 6, 32));
    checkRange(c, rsi, rdx, oob);
    a.mov(esi, arg(2, 6, 32)); a.mov(edx, arg(3, 6, 32));
    checkRange(c, rsi, rdx, oob);
    a.mov(rbx, rsp);
    a.and(rsp, imm(-16));
    c.writeStr(2, "abort: ");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 5 }, 32)); a.add(rsi, r15); a.mov(edx, mem(rbx, { disp: 8 + 8 * 4 }, 32));
    a.call(sym(N.writeAll));
    c.writeStr(2, " at ");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 3 }, 32)); a.add(rsi, r15); a.mov(edx, mem(rbx, { disp: 8 + 8 * 2 }, 32));
    a.call(sym(N.writePath));
    c.writeStr(2, ":");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 + 8 * 1 }, 32));
    a.call(sym(N.writeDec));
    c.writeStr(2, ":");
    a.mov(edi, imm(2)); a.mov(esi, mem(rbx, { disp: 8 }, 32));
    a.call(sym(N.writeDec));
    c.writeStr(2, "\n");
    a.mov(edi, imm(EXIT_ABORT));
    a.jmp(sym(N.poweroff));
    bindOutOfBounds(c, oob);
  }

  // random_seed(ptr, len): RDRAND (retried until it reports success, SDM
  // Vol 1 7.3.17) when CPUID has it; else TSC readings through the
  // splitmix64 finaliser — weak, documented so in docs/abi.md.
  b.func(N.import("random_seed"));
  {
    const oob = a.newLabel("oob"), loop = a.newLabel("loop"), refill = a.newLabel("refill"), rd = a.newLabel("rdrand"), store = a.newLabel("store"), done = a.newLabel("done");
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    checkRange(c, rsi, rdx, oob);
    a.lea(rdi, mem(r15, { index: rsi }));
    a.mov(rcx, rdx);
    a.xor(r8, r8); // bytes left in r9
    a.bind(loop);
    a.test(rcx, rcx); a.jcc("z", done);
    a.test(r8, r8); a.jcc("z", refill);
    a.bind(store);
    a.mov(mem(rdi), r9b);
    a.shr(r9, imm(8)); a.sub(r8, imm(1));
    a.add(rdi, imm(1)); a.sub(rcx, imm(1));
    a.jmp(loop);
    a.bind(refill);
    a.mov(r8, imm(8));
    a.cmp(c.at(N.hasRdrand, 8), imm(0)); a.jcc("ne", rd);
    a.push(rdx);
    a.rdtsc(); a.shl(rdx, imm(32)); a.or(rax, rdx);
    a.mov(rdx, imm64(0x9e3779b97f4a7c15n)); a.add(rax, rdx);
    a.mov(r9, rax); a.shr(r9, imm(30)); a.xor(rax, r9);
    a.mov(rdx, imm64(0xbf58476d1ce4e5b9n)); a.imul(rax, rdx);
    a.mov(r9, rax); a.shr(r9, imm(27)); a.xor(rax, r9);
    a.mov(rdx, imm64(0x94d049bb133111ebn)); a.imul(rax, rdx);
    a.mov(r9, rax); a.shr(r9, imm(31)); a.xor(r9, rax);
    a.pop(rdx);
    a.jmp(store);
    a.bind(rd);
    a.emitBytes([0x49, 0x0f, 0xc7, 0xf1]); // rdrand r9
    a.jcc("nc", rd);
    a.jmp(store);
    a.bind(done);
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // args(ptr, cap) -> size: the command line's arguments, each with a NUL (split at boot).
  b.func(N.import("args"));
  {
    const oob = a.newLabel("oob");
    a.mov(rax, c.at(N.argsSize));
    a.mov(esi, arg(0, 2, 32)); a.mov(edx, arg(1, 2, 32));
    a.cmp(rdx, rax); a.cmovcc("a", rdx, rax);
    checkRange(c, rsi, rdx, oob);
    a.lea(rdi, mem(r15, { index: rsi }));
    a.lea(rsi, c.at(N.argsBuf));
    a.mov(rcx, rdx);
    a.repMovsb();
    a.ret();
    bindOutOfBounds(c, oob);
  }

  // yield(deadline) -> the ready set: irq.ts's halt, consuming the set.
  b.func(N.import("yield"));
  a.mov(rdi, arg(0, 1));
  a.mov(esi, imm(1));
  a.jmp(sym(N.halt));
}
