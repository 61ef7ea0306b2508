// The runtimes' shared output helpers (rt convention: System V registers,
// clobbers the caller-saved ones): a number in decimal or hex, a source path
// mapped through the build's roots, and a function's name looked up in
// `atoll_functions`. Each runtime emits its own write_all (unix: the write
// syscall; kvm: the serial port) and then these, which only call write_all.
import {
  dl, eax, ebx, ecx, edi, edx, esi, imm, mem, r12, r13, r14, r8, r9d, rax, rbp, rbx, rcx, rdi, rdx, rsi, rsp, sym,
} from "../../x86/index.ts";
import { PRINT_NAMES as N, type RuntimeCtx } from "./context.ts";

/** Emits write_dec, write_hex, write_path, find_function and write_function. */
export function emitWriters(c: RuntimeCtx): void {
  const { a, b } = c;

  // write_dec(fd, value): value as an unsigned decimal number.
  b.func(N.writeDec);
  {
    const loop = a.newLabel("digit");
    a.sub(rsp, imm(40));
    a.lea(r8, mem(rsp, { disp: 32 }));
    a.mov(rax, rsi); a.mov(ecx, imm(10)); a.mov(r9d, edi);
    a.bind(loop);
    a.xor(edx, edx); a.div(rcx);
    a.add(dl, imm(0x30));
    a.sub(r8, imm(1)); a.mov(mem(r8), dl);
    a.test(rax, rax); a.jcc("nz", loop);
    a.mov(edi, r9d); a.mov(rsi, r8);
    a.lea(rdx, mem(rsp, { disp: 32 })); a.sub(rdx, r8);
    a.call(sym(N.writeAll));
    a.add(rsp, imm(40));
    a.ret();
  }

  // write_hex(fd, value): "0x" and the value in lower-case hex, no leading zeros.
  c.b.string(N.hexDigits, "0123456789abcdef");
  b.func(N.writeHex);
  {
    const loop = a.newLabel("nibble");
    a.sub(rsp, imm(40));
    a.lea(r8, mem(rsp, { disp: 32 }));
    a.mov(rax, rsi); a.mov(r9d, edi);
    a.lea(rcx, c.at(N.hexDigits));
    a.bind(loop);
    a.mov(edx, eax); a.and(edx, imm(15));
    a.movzx(edx, mem(rcx, { index: rdx }, 8));
    a.sub(r8, imm(1)); a.mov(mem(r8), dl);
    a.shr(rax, imm(4)); a.jcc("nz", loop);
    a.sub(r8, imm(2));
    a.mov(mem(r8, {}, 8), imm(0x30)); // '0'
    a.mov(mem(r8, { disp: 1 }, 8), imm(0x78)); // 'x'
    a.mov(edi, r9d); a.mov(rsi, r8);
    a.lea(rdx, mem(rsp, { disp: 32 })); a.sub(rdx, r8);
    a.call(sym(N.writeAll));
    a.add(rsp, imm(40));
    a.ret();
  }

  // write_path(fd, ptr, len): a source path with the build's [prefix,
  // replacement] roots applied (the first prefix that matches), so paths read
  // as the Node host prints them: relative to where the build ran.
  const roots = c.roots.map(([prefix, replacement]) => [c.str(prefix), c.str(replacement)] as const);
  b.roLabel(N.roots);
  for (const [p, r] of roots) {
    b.rodata.dq(sym(p.name)); b.rodata.dq(p.length);
    b.rodata.dq(sym(r.name)); b.rodata.dq(r.length);
  }
  b.roLabel(N.rootsCount);
  b.rodata.dq(c.roots.length);
  b.func(N.writePath);
  {
    const loop = a.newLabel("root"), compare = a.newLabel("compare"), match = a.newLabel("match");
    const next = a.newLabel("next"), plain = a.newLabel("plain");
    a.push(rbx); a.push(r12); a.push(r13); a.push(r14); a.push(rbp);
    a.mov(ebx, edi); a.mov(r12, rsi); a.mov(r13, rdx);
    a.lea(r14, c.at(N.roots)); a.mov(rbp, c.at(N.rootsCount));
    a.bind(loop);
    a.test(rbp, rbp); a.jcc("z", plain);
    a.mov(rcx, mem(r14, { disp: 8 }));
    a.cmp(r13, rcx); a.jcc("b", next);
    a.mov(rsi, mem(r14)); a.xor(eax, eax);
    a.bind(compare);
    a.cmp(rax, rcx); a.jcc("e", match);
    a.movzx(edx, mem(rsi, { index: rax }, 8));
    a.cmp(dl, mem(r12, { index: rax }, 8)); a.jcc("ne", next);
    a.add(rax, imm(1));
    a.jmp(compare);
    a.bind(match);
    a.mov(edi, ebx); a.mov(rsi, mem(r14, { disp: 16 })); a.mov(rdx, mem(r14, { disp: 24 }));
    a.call(sym(N.writeAll));
    a.mov(rcx, mem(r14, { disp: 8 })); a.add(r12, rcx); a.sub(r13, rcx);
    a.jmp(plain);
    a.bind(next);
    a.add(r14, imm(32)); a.sub(rbp, imm(1));
    a.jmp(loop);
    a.bind(plain);
    a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, r13);
    a.call(sym(N.writeAll));
    a.pop(rbp); a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbx);
    a.ret();
  }

  // find_function(addr) -> the atoll_functions entry {start, end, name, length}
  // whose [start, end) holds addr, or 0.
  b.func(N.findFunction);
  {
    const loop = a.newLabel("entry"), next = a.newLabel("next"), none = a.newLabel("none"), found = a.newLabel("found");
    a.lea(rcx, c.at(N.functions));
    a.mov(rdx, c.at(N.functionsCount));
    a.bind(loop);
    a.test(rdx, rdx); a.jcc("z", none);
    a.cmp(rdi, mem(rcx)); a.jcc("b", next);
    a.cmp(rdi, mem(rcx, { disp: 8 })); a.jcc("b", found);
    a.bind(next);
    a.add(rcx, imm(32)); a.sub(rdx, imm(1));
    a.jmp(loop);
    a.bind(found);
    a.mov(rax, rcx);
    a.ret();
    a.bind(none);
    a.xor(eax, eax);
    a.ret();
  }

  // write_function(fd, addr): the name of the function holding addr, shown as
  // the Node host shows it: asc names a function "path/to/file/name", which
  // reads "name (path/to/file.ts)"; a name without '/' is shown as it is. An
  // address in no function is shown as "code at 0x...".
  b.func(N.writeFunction);
  {
    const unknown = a.newLabel("unknown"), scan = a.newLabel("scan"), plain = a.newLabel("plain");
    const split = a.newLabel("split"), out = a.newLabel("out");
    a.push(rbx); a.push(r12); a.push(r13); a.push(r14);
    a.mov(ebx, edi); a.mov(r14, rsi);
    a.mov(rdi, rsi); a.call(sym(N.findFunction));
    a.test(rax, rax); a.jcc("z", unknown);
    a.mov(r12, mem(rax, { disp: 16 })); // name
    a.mov(r13, mem(rax, { disp: 24 })); // length
    a.mov(r14, r13); // becomes the index of the last '/', searched from the end
    a.bind(scan);
    a.test(r14, r14); a.jcc("z", plain);
    a.sub(r14, imm(1));
    a.cmp(mem(r12, { index: r14 }, 8), imm(0x2f));
    a.jcc("e", split);
    a.jmp(scan);
    a.bind(plain);
    a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, r13);
    a.call(sym(N.writeAll));
    a.jmp(out);
    a.bind(split);
    a.mov(edi, ebx); a.lea(rsi, mem(r12, { index: r14, disp: 1 })); a.mov(rdx, r13); a.sub(rdx, r14); a.sub(rdx, imm(1));
    a.call(sym(N.writeAll));
    c.writeStr(ebx, " (");
    a.mov(edi, ebx); a.mov(rsi, r12); a.mov(rdx, r14);
    a.call(sym(N.writePath));
    c.writeStr(ebx, ".ts)");
    a.jmp(out);
    a.bind(unknown);
    c.writeStr(ebx, "code at ");
    a.mov(edi, ebx); a.mov(rsi, r14);
    a.call(sym(N.writeHex));
    a.bind(out);
    a.pop(r14); a.pop(r13); a.pop(r12); a.pop(rbx);
    a.ret();
  }
}
