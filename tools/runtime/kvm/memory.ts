// Page tables and linear memory.
//
// Physical memory above the image is split from both ends: linear memory's
// frames grow up from the end of the image (so linear memory is physically
// contiguous and `dma_base` is one address), page tables are taken down
// from the top of RAM. Everything above the image is identity-mapped
// read-write and non-executable, so both can be written after the switch to
// the final tables. Linear memory itself is mapped at layout.linearBase;
// beyond its live pages nothing is mapped, so a stray access page-faults.
import { eax, ecx, edx, imm, imm64, mem, r12, r13, r8, r9, rax, rbx, rcx, rdi, rdx, rsi, rsp, sym, cl, r10 } from "../../x86/index.ts";
import { N, type Ctx } from "./context.ts";
import { defineGrowRecord, emitGrowRefused, emitGrowSucceeded } from "../common/out-of-memory.ts";
import { PTE, PTE_ADDR } from "./machine.ts";

/** The most pages a 32-bit memory can have. */
export const MAX_PAGES = 65536;

export function emitMemory(c: Ctx): void {
  const { a, b } = c;

  // alloc_table() -> the physical address of a zeroed page from the top of RAM, or 0.
  b.func(N.allocTable);
  {
    const none = a.newLabel("none");
    a.mov(rax, c.at(N.tableLow)); a.sub(rax, imm(0x1000));
    a.cmp(rax, c.at(N.lmNext)); a.jcc("b", none);
    a.mov(c.at(N.tableLow), rax);
    a.push(rdi);
    a.mov(rdi, rax); a.mov(rdx, rax); a.xor(eax, eax); a.mov(ecx, imm(512)); a.repStosq(); a.mov(rax, rdx);
    a.pop(rdi);
    a.ret();
    a.bind(none);
    a.xor(eax, eax);
    a.ret();
  }

  // map_page(virtual, entry) -> 0, or -1 when a table cannot be allocated.
  // Walks PML4 -> PDPT -> PD -> PT (SDM Vol 3A 4.5), creating missing tables
  // (present, writable: the leaf entry decides the access), and writes the
  // leaf. A page that was not present needs no TLB flush.
  // map_large(virtual, entry): the same for a 2 MiB page (the entry has PS set; SDM Vol 3A table 4-17).
  const walk = a.newLabel("walk");
  b.func(N.mapLarge);
  a.mov(edx, imm(21));
  a.jmp(walk);
  b.func(N.mapPage);
  {
    const level = a.newLabel("level"), leaf = a.newLabel("leaf"), have = a.newLabel("have"), fail = a.newLabel("fail");
    a.mov(edx, imm(12));
    a.bind(walk); // edx = the shift of the leaf level
    a.mov(r8, c.at(N.pml4));
    a.mov(ecx, imm(39));
    a.bind(level);
    a.mov(rax, rdi); a.shr(rax, cl); a.and(eax, imm(511));
    a.lea(r9, mem(r8, { index: rax, scale: 8 }));
    a.cmp(ecx, edx); a.jcc("e", leaf);
    a.mov(rax, mem(r9));
    a.test(eax, imm(PTE.P)); a.jcc("nz", have);
    a.push(rdi); a.push(rsi); a.push(rcx); a.push(rdx); a.push(r9);
    a.call(sym(N.allocTable));
    a.pop(r9); a.pop(rdx); a.pop(rcx); a.pop(rsi); a.pop(rdi);
    a.test(rax, rax); a.jcc("z", fail);
    a.or(rax, imm(PTE.P | PTE.RW)); a.mov(mem(r9), rax);
    a.bind(have);
    a.mov(r10, imm64(PTE_ADDR)); a.and(rax, r10);
    a.mov(r8, rax);
    a.sub(ecx, imm(9));
    a.jmp(level);
    a.bind(leaf);
    a.mov(mem(r9), rsi);
    a.xor(eax, eax);
    a.ret();
    a.bind(fail);
    a.mov(rax, imm(-1));
    a.ret();
  }

  // map_linear(first 64 KiB page, count) -> 0 or -1: zeroes the frames
  // (through the identity map) and maps them read-write, non-executable.
  b.func(N.mapLinear);
  {
    const loop = a.newLabel("page"), ok = a.newLabel("ok"), fail = a.newLabel("fail");
    a.push(rbx); a.push(r12); a.push(r13);
    a.mov(rbx, rdi); a.shl(rbx, imm(16));
    a.mov(r12, rsi); a.shl(r12, imm(16)); a.add(r12, rbx);
    a.mov(rax, c.at(N.lmPhys)); a.add(rax, r12); a.mov(c.at(N.lmNext), rax);
    a.bind(loop);
    a.cmp(rbx, r12); a.jcc("ae", ok);
    a.mov(r13, c.at(N.lmPhys)); a.add(r13, rbx);
    a.mov(rdi, r13); a.xor(eax, eax); a.mov(ecx, imm(512)); a.repStosq();
    a.mov(rsi, r13); a.or(rsi, imm(PTE.P | PTE.RW)); a.or(rsi, c.at(N.nxBit));
    a.mov(rdi, imm64(c.layout.linearBase)); a.add(rdi, rbx);
    a.call(sym(N.mapPage));
    a.test(rax, rax); a.jcc("nz", fail);
    a.add(rbx, imm(0x1000));
    a.jmp(loop);
    a.bind(ok);
    a.xor(eax, eax);
    a.bind(fail);
    a.pop(r13); a.pop(r12); a.pop(rbx);
    a.ret();
  }

  // atoll_memory_grow(delta: i32 pages) -> old size in pages, or -1 (wasm memory.grow).
  // Fails before mapping anything when RAM cannot hold the new pages and
  // the tables they may need; a refusal is recorded for the trap report
  // (../common/out-of-memory.ts).
  defineGrowRecord(c);
  b.func(N.memoryGrow);
  {
    const fail = a.newLabel("fail"), done = a.newLabel("done");
    a.mov(ecx, mem(rsp, { disp: 8 }, 32));
    a.mov(rax, c.at(N.memoryPages));
    a.lea(rdx, mem(rax, { index: rcx }));
    a.cmp(rdx, c.at(N.memoryMax)); a.jcc("a", fail);
    a.cmp(rdx, imm(MAX_PAGES)); a.jcc("a", fail);
    a.test(rcx, rcx); a.jcc("z", done);
    a.mov(r8, rdx); a.shl(r8, imm(16)); a.add(r8, c.at(N.lmPhys));
    a.mov(r9, rcx); a.shl(r9, imm(4)); a.shr(r9, imm(9)); a.add(r9, imm(3)); a.shl(r9, imm(12));
    a.add(r8, r9);
    a.cmp(r8, c.at(N.tableLow)); a.jcc("a", fail);
    a.push(rax); a.push(rdx);
    a.mov(rdi, rax); a.mov(rsi, rcx);
    a.call(sym(N.mapLinear));
    a.mov(r8, rax);
    a.pop(rdx); a.pop(rax);
    a.test(r8, r8); a.jcc("nz", fail);
    a.mov(c.at(N.memoryPages), rdx);
    a.bind(done);
    emitGrowSucceeded(c);
    a.ret();
    a.bind(fail);
    emitGrowRefused(c);
    a.mov(rax, imm(-1));
    a.ret();
  }
}
