// Bulk memory and table operations: memory.copy/fill/init, data.drop,
// table.copy/init, elem.drop, table.size.
//
// Each checks its whole range before writing anything (wasm 2.0: no
// partial writes; a zero-length access at exactly the end is fine, one
// past it traps). Copies are memmove: forward when the destination is
// below the source, backward (direction flag set) otherwise.

import { Op } from "../wasm/index.ts";
import { al, eax, ecx, edi, esi, gpr, imm, imm64, mem, r15, r8, rax, rcx, rdi, rdx, rsi, sil, type Gpr, type Label, type Mem } from "../x86/index.ts";
import { symMem, type Ctx, type Emitter } from "./context.ts";
import { S, TABLE_ENTRY } from "./symbols.ts";
import { Trap } from "./traps.ts";

const STD = [0xfd];
const CLD = [0xfc];

/** Traps unless start + n <= limit (start and n zero-extended u32, so the sum cannot wrap). */
function checkRange(c: Ctx, start: Gpr, n: Gpr, limit: Gpr | Mem, trap: Label): void {
  c.a.lea(rax, mem(start, { index: n }));
  c.a.cmp(rax, limit);
  c.a.jcc("a", trap);
}

/** Linear memory's size in bytes, into r8. */
function memoryBytes(c: Ctx): void {
  c.a.mov(r8, symMem(S.memoryPages));
  c.a.shl(r8, imm(16));
}

/** Loads the three i32 operands (x, y, n) into edi, esi, ecx and pops them. */
function operands(c: Ctx): void {
  c.a.mov(edi, c.top(2, 32));
  c.a.mov(esi, c.top(1, 32));
  c.a.mov(ecx, c.top(0, 32));
  c.pop(3);
}

/**
 * memmove of rcx units of `unit` bytes from [rsi] to [rdi]. Backward
 * copies start at the last unit with the direction flag set, and clear it
 * again (the System V convention the runtime relies on). A forward byte
 * copy moves quadwords, then the last rcx % 8 bytes: rep movs is defined
 * element by element in order, so a source above the destination is read
 * before it is overwritten whatever the overlap; and TCG runs rep movsb a
 * byte per step, which made memory.copy the kvm target's hottest code.
 */
function memmove(c: Ctx, unit: 1 | 8): void {
  const forward = c.a.newLabel("memmove.fwd");
  const done = c.a.newLabel("memmove.done");
  const rep = (): void => (unit === 1 ? c.a.repMovsb() : c.a.repMovsq());
  if (unit === 1) smallCopy(c, done);
  // Backward only when the destination starts inside the source (dst - src < length,
  // unsigned): a copy to a higher place that does not overlap goes forward, where rep
  // movs is fast (std; rep movsb moves a byte per step on current CPUs).
  c.a.mov(rax, rdi);
  c.a.sub(rax, rsi);
  if (unit === 1) c.a.cmp(rax, rcx);
  else {
    c.a.lea(rdx, mem(null, { index: rcx, scale: 8 }));
    c.a.cmp(rax, rdx);
  }
  c.a.jcc("ae", forward);
  c.a.test(rax, rax);
  c.a.jcc("z", done);
  c.a.lea(rdi, mem(rdi, { index: rcx, scale: unit, disp: -unit }));
  c.a.lea(rsi, mem(rsi, { index: rcx, scale: unit, disp: -unit }));
  c.a.emitBytes(STD);
  rep();
  c.a.emitBytes(CLD);
  c.a.jmp(done);
  c.a.bind(forward);
  if (unit === 1) {
    c.a.mov(rax, rcx);
    c.a.shr(rcx, imm(3));
    c.a.repMovsq();
    c.a.mov(ecx, eax);
    c.a.and(ecx, imm(7));
  }
  rep();
  c.a.bind(done);
}

/**
 * The short-length ladder shared by copy and fill: for a length in rcx of at
 * most 16, `pair(size)` handles 8..16, 4..7 and 2..3 bytes with two accesses
 * of `size` bits from both ends (overlapping in the middle), `single` one
 * byte; each then jumps to `done`. `prepare` runs first on the short path
 * only. Longer lengths fall through.
 */
function shortLengths(c: Ctx, done: Label, prepare: () => void, pair: (size: 16 | 32 | 64) => void, single: () => void): void {
  const big = c.a.newLabel("short.big");
  c.a.cmp(rcx, imm(16));
  c.a.jcc("a", big);
  prepare();
  for (const size of [64, 32, 16] as const) {
    const below = c.a.newLabel("short.below");
    c.a.cmp(ecx, imm(size / 8));
    c.a.jcc("b", below);
    pair(size);
    c.a.jmp(done);
    c.a.bind(below);
  }
  c.a.test(ecx, ecx);
  c.a.jcc("z", done);
  single();
  c.a.jmp(done);
  c.a.bind(big);
}

/** The low `size` bits of register number r. */
const part = (r: Gpr, size: 16 | 32 | 64): Gpr => gpr(r.num, size);

/**
 * Copies of at most 16 bytes (most of asc's string and array copies) as two
 * loads from both ends of the source, then two stores: every byte is read
 * before any is written, so overlap either way is fine, and no rep start-up.
 */
function smallCopy(c: Ctx, done: Label): void {
  shortLengths(
    c,
    done,
    () => {},
    (size) => {
      const bytes = size / 8;
      c.a.mov(part(rax, size), mem(rsi, {}, size));
      c.a.mov(part(rdx, size), mem(rsi, { index: rcx, disp: -bytes }, size));
      c.a.mov(mem(rdi, {}, size), part(rax, size));
      c.a.mov(mem(rdi, { index: rcx, disp: -bytes }, size), part(rdx, size));
    },
    () => {
      c.a.mov(al, mem(rsi, {}, 8));
      c.a.mov(mem(rdi, {}, 8), al);
    },
  );
}

/**
 * Fills of at most 16 bytes (asc's allocator clears every new object with
 * memory.fill) as two overlapping stores of the byte repeated, from both
 * ends; rep stosb's start-up costs more than the fill. Falls through for
 * longer ones.
 */
function smallFill(c: Ctx, done: Label): void {
  shortLengths(
    c,
    done,
    () => {
      // The byte in every byte of rax.
      c.a.movzx(eax, sil);
      c.a.mov(rdx, imm64(0x0101_0101_0101_0101n));
      c.a.imul(rax, rdx);
    },
    (size) => {
      c.a.mov(mem(rdi, {}, size), part(rax, size));
      c.a.mov(mem(rdi, { index: rcx, disp: -(size / 8) }, size), part(rax, size));
    },
    () => c.a.mov(mem(rdi, {}, 8), al),
  );
}

const emitters: [number, Emitter][] = [
  [
    Op.MemoryCopy,
    (c) => {
      operands(c);
      memoryBytes(c);
      const oob = c.trap(Trap.MemoryOutOfBounds);
      checkRange(c, rdi, rcx, r8, oob);
      checkRange(c, rsi, rcx, r8, oob);
      c.a.add(rdi, r15);
      c.a.add(rsi, r15);
      memmove(c, 1);
    },
  ],
  [
    Op.MemoryFill,
    (c) => {
      // (d, value, n): the value lands in esi.
      operands(c);
      memoryBytes(c);
      checkRange(c, rdi, rcx, r8, c.trap(Trap.MemoryOutOfBounds));
      c.a.add(rdi, r15);
      const done = c.a.newLabel("fill.done");
      smallFill(c, done);
      c.a.mov(eax, esi);
      c.a.repStosb();
      c.a.bind(done);
    },
  ],
  [
    Op.MemoryInit,
    (c, ins) => {
      operands(c);
      memoryBytes(c);
      const oob = c.trap(Trap.MemoryOutOfBounds);
      checkRange(c, rsi, rcx, symMem(S.dataLengths, 8 * ins.index!), oob);
      checkRange(c, rdi, rcx, r8, oob);
      c.a.lea(rax, symMem(S.data(ins.index!)));
      c.a.add(rsi, rax);
      c.a.add(rdi, r15);
      c.a.repMovsb();
    },
  ],
  [Op.DataDrop, (c, ins) => c.a.mov(symMem(S.dataLengths, 8 * ins.index!, 64), imm(0))],
  [
    Op.TableCopy,
    (c, ins) => {
      // index: the destination table, table: the source.
      operands(c);
      const oob = c.trap(Trap.TableOutOfBounds);
      checkRange(c, rdi, rcx, symMem(S.tableSize(ins.index!)), oob);
      checkRange(c, rsi, rcx, symMem(S.tableSize(ins.table!)), oob);
      toEntries(c, rdi, S.table(ins.index!));
      toEntries(c, rsi, S.table(ins.table!));
      c.a.shl(rcx, imm(1));
      memmove(c, 8);
    },
  ],
  [
    Op.TableInit,
    (c, ins) => {
      // index: the element segment, table: the table.
      operands(c);
      const oob = c.trap(Trap.TableOutOfBounds);
      checkRange(c, rsi, rcx, symMem(S.elemLengths, 8 * ins.index!), oob);
      checkRange(c, rdi, rcx, symMem(S.tableSize(ins.table!)), oob);
      toEntries(c, rdi, S.table(ins.table!));
      toEntries(c, rsi, S.elem(ins.index!));
      c.a.shl(rcx, imm(1));
      c.a.repMovsq();
    },
  ],
  [Op.ElemDrop, (c, ins) => c.a.mov(symMem(S.elemLengths, 8 * ins.index!, 64), imm(0))],
  [
    Op.TableSize,
    (c, ins) => {
      c.a.mov(rax, symMem(S.tableSize(ins.index!)));
      c.a.mov(c.push(32), eax);
    },
  ],
];

/** r = address of entry r of the entries at `symbol`. */
function toEntries(c: Ctx, r: Gpr, symbol: string): void {
  c.a.shl(r, imm(Math.log2(TABLE_ENTRY)));
  c.a.lea(rax, symMem(symbol));
  c.a.add(r, rax);
}

export const bulkEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
