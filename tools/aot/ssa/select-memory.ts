// Instruction selection for loads, stores and globals. The address is
// r15 + the zero-extended i32 (already so in its register, gen.ts's
// invariant) + the offset; a constant address folds into the displacement.

import { Op } from "../../wasm/index.ts";
import { gpr, imm, mem, r15, rip, sym, xmm, type Gpr, type Mem, type MemSize, type Xmm } from "../../x86/index.ts";
import { ACCESSES, registerWidth, type Access } from "../accesses.ts";
import { S } from "../symbols.ts";
import { isFloat, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import type { Selector } from "./select-int.ts";
import { PINNED_REG } from "./pinned.ts";

const RAX = gpr(0, 64);
const RDX = gpr(2, 64);

/** The memory operand of i's access; uses rdx (and rcx for offsets ≥ 2 GiB) when the address is not in a register. */
function address(g: Gen, i: Inst, size: MemSize): Mem {
  const offset = i.ins!.memarg!.offset;
  const v = i.args[0]!;
  if (g.isConst(v)) {
    const ea = Number(g.bits(v)) + offset;
    if (ea <= 0x7fff_ffff) return mem(r15, { disp: ea }, size);
    g.a.mov(gpr(2, 32), imm(Number(g.bits(v))));
  } else {
    const r = g.gpr(v, 64);
    if (r !== null && offset <= 0x7fff_ffff) return mem(r15, { index: r, disp: offset }, size);
    g.loadInto(gpr(2, 32), v);
  }
  if (offset > 0x7fff_ffff) {
    g.a.mov(gpr(1, 32), imm(offset));
    g.a.add(RDX, gpr(1, 64));
    return mem(r15, { index: RDX }, size);
  }
  return mem(r15, { index: RDX, disp: offset }, size);
}

type Kind = "mov" | "zx" | "sx" | "sxd";

function load(size: MemSize, kind: Kind, dstWidth: 32 | 64): Selector {
  return (g, i) => {
    const m = address(g, i, size);
    const d = g.dst(i, RAX);
    const r = gpr(d.num, dstWidth);
    if (kind === "mov") g.a.mov(r, m);
    else if (kind === "zx") g.a.movzx(r, m);
    else if (kind === "sx") g.a.movsx(r, m);
    else g.a.movsxd(r, m);
    g.finish(i, d);
  };
}

function floadSel(size: 32 | 64): Selector {
  return (g, i) => {
    const m = address(g, i, size);
    const x = g.fdst(i, xmm(0));
    if (size === 32) g.a.movss(x, m);
    else g.a.movsd(x, m);
    g.ffinish(i, x);
  };
}

function store(size: 8 | 16 | 32 | 64): Selector {
  return (g, i) => {
    const v = i.args[1]!;
    const t = g.value(v).type;
    // The value first (in rax if it must move), then the address (rdx).
    let src: Gpr | ReturnType<typeof imm> | null = null;
    let fx: Xmm | null = null;
    if (g.isConst(v)) {
      const b = g.bits(v);
      const mask = size === 64 ? (1n << 64n) - 1n : (1n << BigInt(size)) - 1n;
      const u = b & mask;
      if (size < 64 || u < 1n << 31n || u >= (1n << 64n) - (1n << 31n)) {
        src = imm(size === 64 ? BigInt.asIntN(64, u) : Number(BigInt.asIntN(size, u)));
      } else {
        g.constInto(RAX, u);
        src = RAX;
      }
    } else if (isFloat(t)) {
      fx = g.xmm(v);
      if (fx === null) {
        g.loadInto(gpr(0, size === 64 ? 64 : 32), v);
        src = gpr(0, size);
      }
    } else {
      const r = g.gpr(v, size);
      if (r !== null) src = r;
      else {
        g.loadInto(gpr(0, size === 64 ? 64 : 32), v);
        src = gpr(0, size);
      }
    }
    const m = address(g, i, size);
    if (fx !== null) {
      if (size === 32) g.a.movss(m, fx);
      else g.a.movsd(m, fx);
    } else g.a.mov(m, src!);
  };
}

function globalMem(index: number, size: MemSize): Mem {
  return mem(rip, { label: sym(S.globals), disp: 8 * index }, size);
}

const PINNED = gpr(PINNED_REG, 32);

const globalGet: Selector = (g, i) => {
  const t = i.type!;
  const index = i.ins!.index!;
  if (index === g.env.pinned) {
    const d = g.dst(i, RAX);
    g.a.mov(d, PINNED);
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
  g.a.mov(d, globalMem(index, d.size as 32 | 64));
  g.finish(i, d);
};

const globalSet: Selector = (g, i) => {
  const v = i.args[0]!;
  const index = i.ins!.index!;
  if (index === g.env.pinned) {
    g.a.mov(PINNED, g.src(v, 32, RAX));
    return;
  }
  const x = g.xmm(v);
  if (x !== null) {
    g.a.movsd(globalMem(index, 64), x);
    return;
  }
  const r = g.reg(v, 64, RAX);
  g.a.mov(globalMem(index, 64), r);
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
