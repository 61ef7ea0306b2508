// The bridge to version 1: an instruction with no selector of its own runs
// version 1's emitter over the bridge slots. Its operands are stored there
// (slot 0 first, as version 1's operand stack), the emitter runs, and the
// result is loaded from slot 0. The emitters use any caller-saved register,
// so the allocator treats a bridged instruction like a call. This keeps
// every instruction working while the selectors of version 2 grow; the
// rare ones (memory.grow, bulk memory, table operations) stay here.

import { gpr, IntOp, mem, rbp, xmm } from "../../x86/index.ts";
import type { EmitterTable } from "../context.ts";
import { opNameOf } from "../../wasm/index.ts";
import { isFloat, RBP, type Gen } from "./gen.ts";
import type { Inst } from "./ir.ts";

const RAX = gpr(0, 64);

export function bridge(g: Gen, i: Inst, v1: EmitterTable): void {
  const emit = v1.get(i.op);
  if (emit === undefined) g.fail(`${opNameOf(i.op)} has no code generator`);
  const c = g.bridge;
  i.args.forEach((v, j) => {
    const slot = c.slot(j, 64);
    const x = g.xmm(v);
    if (x !== null) g.a.movsd(slot, x);
    else g.a.mr(IntOp.Mov, 64, RBP, -1, 1, slot.disp, g.reg(v, 64, RAX).num);
  });
  c.depth = i.args.length;
  c.reachable = true;
  emit(c, i.ins!);
  if (i.type === null) return;
  if (c.depth !== 1) g.fail(`${opNameOf(i.op)}: version 1 left ${c.depth} values`);
  if (g.regOf(i.id) < 0 && g.alloc.slot[i.id]! < 0) return;
  const from = c.slot(0, 64);
  if (isFloat(i.type)) {
    const x = g.fdst(i, xmm(0));
    g.a.movsd(x, mem(rbp, { disp: from.disp }, 64));
    g.ffinish(i, x);
  } else {
    const d = g.dst(i, RAX);
    g.a.rm(IntOp.Mov, d.size as 32 | 64, d.num, RBP, -1, 1, from.disp);
    g.finish(i, d);
  }
}
