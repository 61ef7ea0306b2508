// Locals, globals, constants, drop and select: moves between slots.

import { Op, type Instr } from "../wasm/index.ts";
import { edx, imm, imm64, rax, rcx, type Mem } from "../x86/index.ts";
import { symMem, type Ctx, type Emitter } from "./context.ts";
import { S } from "./symbols.ts";

function copy(c: Ctx, to: Mem, from: Mem): void {
  c.a.mov(rax, from);
  c.a.mov(to, rax);
}

/** Stores a 64-bit pattern into a slot: one instruction when it survives sign extension from 32 bits. */
export function storeConst64(c: Ctx, to: Mem, v: bigint): void {
  const s = BigInt.asIntN(64, v);
  if (s >= -(1n << 31n) && s < 1n << 31n) {
    c.a.mov({ ...to, size: 64 }, imm(s));
  } else {
    c.a.mov(rax, imm64(BigInt.asUintN(64, v)));
    c.a.mov(to, rax);
  }
}

function globalMem(index: number): Mem {
  return symMem(S.globals, 8 * index, 64);
}

const emitters: [number, Emitter][] = [
  [Op.LocalGet, (c, ins) => copy(c, c.push(64), c.frame.local(ins.index!, 64))],
  [
    Op.LocalSet,
    (c, ins) => {
      copy(c, c.frame.local(ins.index!, 64), c.top(0, 64));
      c.pop();
    },
  ],
  [Op.LocalTee, (c, ins) => copy(c, c.frame.local(ins.index!, 64), c.top(0, 64))],
  [Op.GlobalGet, (c, ins) => copy(c, c.push(64), globalMem(ins.index!))],
  [
    Op.GlobalSet,
    (c, ins) => {
      copy(c, globalMem(ins.index!), c.top(0, 64));
      c.pop();
    },
  ],
  [Op.I32Const, (c, ins) => c.a.mov(c.push(32), imm(ins.value as number))],
  [Op.F32Const, (c, ins) => c.a.mov(c.push(32), imm(ins.value as number))],
  [Op.I64Const, (c, ins) => storeConst64(c, c.push(), ins.value as bigint)],
  [Op.F64Const, (c, ins) => storeConst64(c, c.push(), ins.value as bigint)],
  [Op.Drop, (c) => c.pop()],
  [Op.Select, select],
  [Op.SelectT, select],
];

/** select(a, b, cond): a when cond is non-zero. Any type: slots are moved whole. */
function select(c: Ctx, _ins: Instr): void {
  c.a.mov(edx, c.top(0, 32));
  c.a.mov(rax, c.top(2, 64));
  c.a.mov(rcx, c.top(1, 64));
  c.a.test(edx, edx);
  c.a.cmovcc("z", rax, rcx);
  c.a.mov(c.top(2, 64), rax);
  c.pop(2);
}

export const variableEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
