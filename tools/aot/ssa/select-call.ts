// Calls. To the module's own functions, arguments in registers
// (convention.ts); to imports and through tables, docs/aot.md's convention:
// arguments pushed in order, the caller pops. Either way result 0 comes in
// rax or xmm0, results 1.. in atoll_results, and every caller-saved
// register is clobbered (the allocator keeps nothing there across a call).

import { Op } from "../../wasm/index.ts";
import { gpr, imm, IntOp, mem, rip, rsp, sym, xmm } from "../../x86/index.ts";
import { symMem } from "../context.ts";
import { S } from "../symbols.ts";
import { Trap } from "../traps.ts";
import { fitsImm32, isFloat, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";
import { argRegisters } from "./convention.ts";
import { moveIntoRegisters } from "./moves.ts";
import type { Selector } from "./select-int.ts";

const RAX = gpr(0, 64);
const RCX = gpr(1, 64);
const RDX = gpr(2, 64);

function pushArgs(g: Gen, args: readonly number[]): void {
  for (const v of args) {
    if (g.isConst(v)) {
      const b = g.bits(v);
      if (fitsImm32(b)) g.a.push(imm(BigInt.asIntN(64, b)));
      else {
        g.constInto(RCX, b);
        g.a.push(RCX);
      }
      continue;
    }
    const r = g.gpr(v, 64);
    if (r !== null) g.a.push(r);
    else {
      const x = g.xmm(v);
      if (x !== null) {
        g.a.sub(rsp, imm(8));
        g.a.movsd(mem(rsp, {}, 64), x);
      } else g.a.push(g.slotMem(v, 64));
    }
  }
}

/** After the call: result 0 from rax/xmm0 into i's location. */
function takeResult(g: Gen, i: Inst): void {
  if (i.type === null || (g.regOf(i.id) < 0 && g.alloc.slot[i.id]! < 0)) return;
  if (isFloat(i.type)) {
    const x = g.fdst(i, xmm(0));
    if (x.num !== 0) g.a.movaps(x, xmm(0));
    g.ffinish(i, x);
    return;
  }
  const d = g.dst(i, RAX);
  if (d.num !== 0 || i.type === "i32") g.a.rr(IntOp.Mov, d.size as 32 | 64, d.num, 0); // i32 results: zero the upper half
  g.finish(i, d);
}

const call: Selector = (g, i) => {
  const k = i.ins!.index!;
  const t = g.env.funcType(k);
  const defined = k - g.env.numImportedFuncs;
  const regs = defined >= 0 ? argRegisters(t) : null;
  if (regs !== null) {
    moveIntoRegisters(g, regs, i.args);
    g.a.call(g.env.regEntries[defined]!);
  } else {
    pushArgs(g, i.args);
    // An import may read or write the pinned global (pinned.ts).
    if (defined < 0) g.env.pinnedOut();
    g.a.call(g.env.callTarget(k));
    if (defined < 0) g.env.pinnedIn();
    if (t.params.length > 0) g.a.add(rsp, imm(8 * t.params.length));
  }
  takeResult(g, i);
};

const callIndirect: Selector = (g, i) => {
  const ins = i.ins!;
  const t = g.env.m.types[ins.index!]!;
  const a = g.a;
  const index = i.args[i.args.length - 1]!;
  g.loadInto(gpr(0, 32), index);
  a.cmp(RAX, symMem(S.tableSize(ins.table!)));
  a.jcc("ae", g.bridge.trap(Trap.UndefinedElement));
  a.shl(RAX, imm(4));
  a.lea(RCX, symMem(S.table(ins.table!)));
  a.add(RAX, RCX);
  a.mov(RDX, mem(RAX, { disp: 8 }));
  a.test(RDX, RDX);
  a.jcc("z", g.bridge.trap(Trap.UninitializedElement));
  a.cmp(RDX, imm(g.env.typeIds[ins.index!]!));
  a.jcc("ne", g.bridge.trap(Trap.IndirectCallTypeMismatch));
  a.mov(RAX, mem(RAX, {}, 64));
  pushArgs(g, i.args.slice(0, -1));
  a.call(RAX); // a table's imports are entered through pinned.ts's import entries
  if (t.params.length > 0) a.add(rsp, imm(8 * t.params.length));
  takeResult(g, i);
};

/** Result k ≥ 1 of the call before it, from atoll_results. */
export const callResult: Selector = (g, i) => {
  const disp = 8 * (i.index - 1);
  if (isFloat(i.type)) {
    const x = g.fdst(i, xmm(0));
    g.a.movsd(x, mem(rip, { label: sym(S.results), disp }, 64));
    g.ffinish(i, x);
    return;
  }
  const d = g.dst(i, RAX);
  g.a.rmSym(IntOp.Mov, d.size as 32 | 64, d.num, S.results, disp);
  g.finish(i, d);
};

export const callSelectors: ReadonlyMap<number, Selector> = new Map<number, Selector>([
  [Op.Call, call],
  [Op.CallIndirect, callIndirect],
]);
