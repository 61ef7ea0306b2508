// Loads, stores, memory.size and memory.grow.
//
// The effective address is r15 + zero-extended i32 index + u32 offset; the
// runtime's reservation (8 GiB + 64 KiB, docs/aot.md) makes every such
// address either live memory or a fault that becomes trap 5, so there is
// no bounds check here. Values move through the integer registers, so
// float loads and stores keep their bits exactly (signalling NaNs too).

import { Op, type Instr } from "../wasm/index.ts";
import {
  cl,
  cx,
  eax,
  ecx,
  edx,
  imm,
  mem,
  r15,
  rax,
  rcx,
  rdx,
  rsp,
  sym,
  type Gpr,
  type Mem,
  type MemSize,
} from "../x86/index.ts";
import { ACCESSES, registerWidth } from "./accesses.ts";
import { symMem, type Ctx, type Emitter } from "./context.ts";
import { S } from "./symbols.ts";
import { RUNTIME } from "./traps.ts";

/** Loads the address operand `k` below the top into rax and returns the memory operand for `ins`'s offset. */
function address(c: Ctx, ins: Instr, k: number, size: MemSize): Mem {
  c.a.mov(eax, c.top(k, 32));
  const offset = ins.memarg!.offset;
  if (offset <= 0x7fff_ffff) return mem(r15, { index: rax, disp: offset }, size);
  // disp32 is signed: add offsets of 2 GiB and more in a register.
  c.a.mov(edx, imm(offset));
  c.a.add(rax, rdx);
  return mem(r15, { index: rax }, size);
}

type Extend = "zx" | "sx" | "none";

function load(resultWidth: 32 | 64, size: MemSize, extend: Extend): Emitter {
  return (c, ins) => {
    const src = address(c, ins, 0, size);
    const dst: Gpr = resultWidth === 64 ? rcx : ecx;
    if (extend === "none") c.a.mov(size === 64 ? rcx : ecx, src);
    else if (extend === "zx") {
      // movzx for 8/16 bits; a 32-bit mov already zero-extends.
      if (size === 32) c.a.mov(ecx, src);
      else c.a.movzx(ecx, src);
    } else if (size === 32) c.a.movsxd(rcx, src);
    else c.a.movsx(dst, src);
    c.a.mov(c.top(0, 64), rcx);
  };
}

function store(size: MemSize): Emitter {
  return (c, ins) => {
    c.a.mov(rcx, c.top(0, 64));
    const dst = address(c, ins, 1, size);
    const src: Gpr = size === 8 ? cl : size === 16 ? cx : size === 32 ? ecx : rcx;
    c.a.mov(dst, src);
    c.pop(2);
  };
}

const emitters: [number, Emitter][] = [
  ...[...ACCESSES].map(([op, x]): [number, Emitter] => {
    if (x.store) return [op, store(x.size)];
    const width = registerWidth(x.type);
    return [op, load(width, x.size, x.size === width ? "none" : x.signed ? "sx" : "zx")];
  }),
  [
    Op.MemorySize,
    (c) => {
      c.a.mov(rax, symMem(S.memoryPages));
      c.a.mov(c.push(32), eax);
    },
  ],
  [
    // The runtime's atoll_memory_grow is called like a wasm function.
    Op.MemoryGrow,
    (c) => {
      c.a.push(c.top(0, 64));
      c.a.call(sym(RUNTIME.memoryGrow));
      c.a.add(rsp, imm(8));
      c.a.mov(c.top(0, 32), eax);
    },
  ],
];

export const memoryEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
