// The search both device calls make in the runtime options: `block_open`
// and `net_open` look for "--atoll-KIND=NAME=VALUE" with their device's
// NAME among the options the runtime kept at start-up (block.ts).
import { type Label, eax, ebx, ecx, edx, imm, mem, r12, r13, r14, rax, rbx, rcx, rdi, type Mem } from "../../x86/index.ts";
import type { Ctx } from "./context.ts";

/**
 * Emits the scan of the option table `opts` (8-byte pointers to
 * NUL-terminated strings, `count` of them), each string starting with a
 * prefix of `prefixLength` bytes, for one whose next bytes are the name at
 * r12 (length r13) followed by '='. Jumps to `found` with r14 pointing after
 * the '=', or to `notFound`. Clobbers rax, rbx, rcx, rdx, rdi.
 */
export function emitOptionScan(c: Ctx, opts: string, count: Mem, prefixLength: number, found: Label, notFound: Label): void {
  const { a } = c;
  const scan = a.newLabel("scan"), cmp = a.newLabel("cmp"), endName = a.newLabel("end_name"), next = a.newLabel("next");
  a.xor(ebx, ebx); // index into opts
  a.bind(scan);
  a.cmp(rbx, count); a.jcc("ae", notFound, "near");
  a.lea(rax, c.at(opts)); a.mov(rdi, mem(rax, { index: rbx, scale: 8 })); a.add(rdi, imm(prefixLength));
  a.xor(ecx, ecx);
  a.bind(cmp);
  a.cmp(rcx, r13); a.jcc("e", endName);
  a.movzx(eax, mem(rdi, { index: rcx }, 8));
  a.test(eax, eax); a.jcc("z", next);
  a.movzx(edx, mem(r12, { index: rcx }, 8));
  a.cmp(eax, edx); a.jcc("ne", next);
  a.add(rcx, imm(1)); a.jmp(cmp);
  a.bind(endName);
  a.cmp(mem(rdi, { index: rcx }, 8), imm(0x3d)); a.jcc("ne", next); // '='
  a.lea(r14, mem(rdi, { index: rcx, disp: 1 }));
  a.jmp(found);
  a.bind(next);
  a.add(rbx, imm(1)); a.jmp(scan);
}
