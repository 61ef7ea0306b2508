// Instruction selection for loads, stores and globals. The address is
// r15 + the zero-extended i32 (already so in its register, gen.ts's
// invariant) + the offset; a constant address folds into the displacement.

import { Op } from "../../wasm/index.ts";
import { gpr, IntOp, mem, r15, rip, sym, xmm, type Mem, type MemSize, type Xmm } from "../../x86/index.ts";
import { ACCESSES, registerWidth, type Access } from "../accesses.ts";
import { S } from "../symbols.ts";
import { isFloat, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import type { Selector } from "./select-int.ts";
import { PINNED_REG } from "./pinned.ts";

const RAX = gpr(0, 64);
const R15 = 15;

/** The address address() found, r15 + index + disp: its index register (-1: none) and displacement. */
const at = { index: -1, disp: 0 };

/** Works out the address of i's access into `at`; uses rdx (and rcx for offsets ≥ 2 GiB) when the address is not in a register. */
function address(g: Gen, i: Inst): void {
  const offset = i.ins!.memarg!.offset;
  const v = i.args[0]!;
  if (g.isConst(v)) {
    const ea = Number(g.bits(v)) + offset;
    if (ea <= 0x7fff_ffff) {
      at.index = -1;
      at.disp = ea;
      return;
    }
    g.a.ri(IntOp.Mov, 32, 2, Number(g.bits(v)));
  } else {
    const r = g.gpr(v, 64);
    if (r !== null && offset <= 0x7fff_ffff) {
      at.index = r.num;
      at.disp = offset;
      return;
    }
    g.loadInto(gpr(2, 32), v);
  }
  at.index = 2;
  if (offset > 0x7fff_ffff) {
    g.a.ri(IntOp.Mov, 32, 1, offset);
    g.a.rr(IntOp.Add, 64, 2, 1);
    at.disp = 0;
    return;
  }
  at.disp = offset;
}

/** The address in `at` as a memory operand, for the instructions without a direct form. */
function atMem(size: MemSize): Mem {
  return mem(r15, { index: at.index < 0 ? undefined : gpr(at.index, 64), disp: at.disp }, size);
}

/** The load of each kind: the direct operation by access width (8, 16, 32, 64 as 0-3). */
const LOADS = {
  mov: [IntOp.Mov, IntOp.Mov, IntOp.Mov, IntOp.Mov],
  zx: [IntOp.Movzx8, IntOp.Movzx16, IntOp.Mov, IntOp.Mov],
  sx: [IntOp.Movsx8, IntOp.Movsx16, IntOp.Mov, IntOp.Mov],
  sxd: [IntOp.Movsxd, IntOp.Movsxd, IntOp.Movsxd, IntOp.Movsxd],
} as const;
type Kind = keyof typeof LOADS;

function load(size: 8 | 16 | 32 | 64, kind: Kind, dstWidth: 32 | 64): Selector {
  const op = LOADS[kind][size === 8 ? 0 : size === 16 ? 1 : size === 32 ? 2 : 3];
  return (g, i) => {
    address(g, i);
    const d = g.dst(i, RAX);
    g.a.rm(op, dstWidth, d.num, R15, at.index, 1, at.disp);
    g.finish(i, d);
  };
}

function floadSel(size: 32 | 64): Selector {
  return (g, i) => {
    address(g, i);
    const x = g.fdst(i, xmm(0));
    if (size === 32) g.a.movss(x, atMem(32));
    else g.a.movsd(x, atMem(64));
    g.ffinish(i, x);
  };
}

function store(size: 8 | 16 | 32 | 64): Selector {
  return (g, i) => {
    const v = i.args[1]!;
    const t = g.value(v).type;
    // The value first (in rax if it must move), then the address (rdx).
    let src = -1; // a general register number, or -1: the immediate `value` or the xmm register fx
    let value = 0;
    let fx: Xmm | null = null;
    if (g.isConst(v)) {
      const b = g.bits(v);
      const mask = size === 64 ? MASK64 : (1n << BigInt(size)) - 1n;
      const u = b & mask;
      if (size < 64 || u < LIMIT_I32 || u >= HIGH_I32) value = Number(BigInt.asIntN(size, u));
      else {
        g.constInto(RAX, u);
        src = 0;
      }
    } else if (isFloat(t)) {
      fx = g.xmm(v);
      if (fx === null) {
        g.loadInto(gpr(0, size === 64 ? 64 : 32), v);
        src = 0;
      }
    } else {
      const r = g.gpr(v, size);
      if (r !== null) src = r.num;
      else {
        g.loadInto(gpr(0, size === 64 ? 64 : 32), v);
        src = 0;
      }
    }
    address(g, i);
    if (fx !== null) {
      if (size === 32) g.a.movss(atMem(32), fx);
      else g.a.movsd(atMem(64), fx);
    } else if (src >= 0) g.a.mr(IntOp.Mov, size, R15, at.index, 1, at.disp, src);
    else g.a.mi(IntOp.Mov, size, R15, at.index, 1, at.disp, value);
  };
}

// Bounds as constants: a bigint expression is evaluated (and allocated) on every call.
const MASK64 = (1n << 64n) - 1n;
const LIMIT_I32 = 1n << 31n;
/** The 64-bit values from here up are negative imm32s. */
const HIGH_I32 = (1n << 64n) - LIMIT_I32;

function globalMem(index: number, size: MemSize): Mem {
  return mem(rip, { label: sym(S.globals), disp: 8 * index }, size);
}

const globalGet: Selector = (g, i) => {
  const t = i.type!;
  const index = i.ins!.index!;
  if (index === g.env.pinned) {
    const d = g.dst(i, RAX);
    g.a.rr(IntOp.Mov, 32, d.num, PINNED_REG);
    g.finish(i, d);
    return;
  }
  if (isFloat(t)) {
    const x = g.fdst(i, xmm(0));
    if (t === "f32") g.a.movss(x, globalMem(index, 32));
    else g.a.movsd(x, globalMem(index, 64));
    g.ffinish(i, x);
    return;
  }
  const d = g.dst(i, RAX);
  g.a.rmSym(IntOp.Mov, d.size as 32 | 64, d.num, S.globals, 8 * index);
  g.finish(i, d);
};

const globalSet: Selector = (g, i) => {
  const v = i.args[0]!;
  const index = i.ins!.index!;
  if (index === g.env.pinned) {
    g.opWith(IntOp.Mov, 32, PINNED_REG, v, 0);
    return;
  }
  const x = g.xmm(v);
  if (x !== null) {
    g.a.movsd(globalMem(index, 64), x);
    return;
  }
  g.a.mrSym(IntOp.Mov, 64, S.globals, 8 * index, g.reg(v, 64, RAX).num);
};

/** The selector for a load or store: for a narrow load, the extension and the register width that give its value (a 32-bit write zero-extends). */
function access(x: Access): Selector {
  if (x.store) return store(x.size);
  if (isFloat(x.type)) return floadSel(x.size as 32 | 64);
  const width = registerWidth(x.type);
  if (x.size === width) return load(x.size, "mov", width);
  if (!x.signed) return x.size === 32 ? load(32, "mov", 32) : load(x.size, "zx", 32);
  return x.size === 32 ? load(32, "sxd", 64) : load(x.size, "sx", width);
}

const table: [number, Selector][] = [
  ...[...ACCESSES].map(([op, x]): [number, Selector] => [op, access(x)]),
  [Op.GlobalGet, globalGet],
  [Op.GlobalSet, globalSet],
];

export const memorySelectors: ReadonlyMap<number, Selector> = new Map(table);
