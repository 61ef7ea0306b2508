// Instantiation (`wasm:init`, docs/aot.md): imported globals copied in,
// globals initialised from other globals, active element segments then
// active data segments (bounds-checked, trapping, applied in order and
// then dropped; data-init.ts), then the start function. Everything constant is already
// in the data section; this is the part that needs the runtime's values.

import { Op, numImportedGlobals, type ConstExpr, type Module } from "../wasm/index.ts";
import { eax, ecx, imm, mem, rax, rcx, rdi, rdx, rsi, type Assembler, type Label } from "../x86/index.ts";
import { Ctx, symMem } from "./context.ts";
import { epilogue } from "./convention.ts";
import type { ModuleEnv } from "./env.ts";
import { Frame } from "./frame.ts";
import { prologue } from "./function.ts";
import { S, TABLE_ENTRY } from "./symbols.ts";
import { Trap } from "./traps.ts";
import { emitActiveData, NO_GLOBAL, segmentOffset } from "./data-init.ts";

/** The value of a constant expression that needs no other global: its 64-bit pattern. */
export function staticValue(e: ConstExpr): bigint | undefined {
  if (e.length !== 1) return undefined;
  const ins = e[0]!;
  switch (ins.op) {
    case Op.I32Const:
      return BigInt.asUintN(32, BigInt(ins.value as number));
    case Op.F32Const:
      return BigInt(ins.value as number);
    case Op.I64Const:
    case Op.F64Const:
      return BigInt.asUintN(64, ins.value as bigint);
    default:
      return undefined;
  }
}

/** A segment's offset (data-init.ts's segmentOffset) into eax. */
function offsetInto(c: Ctx, e: ConstExpr | undefined, what: string): void {
  let at: { offset: number; global: number };
  try {
    at = segmentOffset(e, what);
  } catch (err) {
    c.fail((err as Error).message);
  }
  if (at.global === NO_GLOBAL) c.a.mov(eax, imm(at.offset | 0));
  else c.a.mov(eax, symMem(S.globals, 8 * at.global, 32));
}

function dropStore(c: Ctx, lengths: string, index: number): void {
  c.a.mov(symMem(lengths, 8 * index, 64), imm(0));
}

export function compileInit(a: Assembler, env: ModuleEnv, start: Label): void {
  const m: Module = env.m;
  const c: Ctx = new Ctx(a, env, new Frame(0, 0, 0), { params: [], results: [] }, "wasm:init");
  a.bind(start);
  prologue(c);

  let g = 0;
  for (const imp of m.imports) {
    if (imp.kind !== "global") continue;
    a.mov(rax, symMem(S.import(imp.module, imp.name)));
    a.mov(symMem(S.globals, 8 * g), rax);
    g++;
  }
  const nImported = numImportedGlobals(m);
  m.globals.forEach((glob, i) => {
    if (staticValue(glob.init) !== undefined) return;
    const ins = glob.init[0];
    if (glob.init.length !== 1 || ins === undefined || ins.op !== Op.GlobalGet) {
      c.fail(`global ${nImported + i}: unsupported initialiser`);
    }
    a.mov(rax, symMem(S.globals, 8 * ins.index!));
    a.mov(symMem(S.globals, 8 * (nImported + i)), rax);
  });
  // The initialisers may have set the pinned global (ssa/pinned.ts): read it again before anything can trap or call.
  env.pinnedIn();

  m.elems.forEach((seg, k) => {
    if (seg.mode !== "active") return;
    const t = seg.table ?? 0;
    offsetInto(c, seg.offsetExpr, `element segment ${k}`);
    a.mov(ecx, imm(seg.funcs.length));
    a.lea(rdx, mem(rax, { index: rcx }));
    a.cmp(rdx, symMem(S.tableSize(t)));
    a.jcc("a", c.trap(Trap.TableOutOfBounds));
    if (seg.funcs.length > 0) {
      a.shl(rax, imm(Math.log2(TABLE_ENTRY)));
      a.lea(rdi, symMem(S.table(t)));
      a.add(rdi, rax);
      a.lea(rsi, symMem(S.elem(k)));
      a.mov(ecx, imm((seg.funcs.length * TABLE_ENTRY) / 8));
      a.repMovsq();
    }
    dropStore(c, S.elemLengths, k);
  });

  emitActiveData(c);

  if (m.start !== undefined) a.call(env.callTarget(m.start));
  epilogue(c);
  c.finishTraps();
}
