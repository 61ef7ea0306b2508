// call and call_indirect (docs/aot.md, "Calling convention").
//
// call_indirect checks, in the spec's order: the index against the table
// size ("undefined element"), a null entry ("uninitialized element"), then
// the canonical type id ("indirect call type mismatch").

import { Op } from "../wasm/index.ts";
import { eax, imm, mem, rax, rcx, rdx } from "../x86/index.ts";
import { symMem, type Emitter } from "./context.ts";
import { popArgs, pushArgs, storeResults } from "./convention.ts";
import { S } from "./symbols.ts";
import { Trap } from "./traps.ts";

const emitters: [number, Emitter][] = [
  [
    Op.Call,
    (c, ins) => {
      const t = c.env.funcType(ins.index!);
      const first = c.depth - t.params.length;
      pushArgs(c, first, t.params.length);
      c.a.call(c.env.callTarget(ins.index!));
      popArgs(c, t.params.length);
      c.depth = first + t.results.length;
      storeResults(c, t.results, first);
    },
  ],
  [
    Op.CallIndirect,
    (c, ins) => {
      const t = c.env.m.types[ins.index!]!;
      c.a.mov(eax, c.top(0, 32));
      c.pop();
      c.a.cmp(rax, symMem(S.tableSize(ins.table!)));
      c.a.jcc("ae", c.trap(Trap.UndefinedElement));
      c.a.shl(rax, imm(4));
      c.a.lea(rcx, symMem(S.table(ins.table!)));
      c.a.add(rax, rcx);
      c.a.mov(rdx, mem(rax, { disp: 8 }));
      c.a.test(rdx, rdx);
      c.a.jcc("z", c.trap(Trap.UninitializedElement));
      c.a.cmp(rdx, imm(c.env.typeIds[ins.index!]!));
      c.a.jcc("ne", c.trap(Trap.IndirectCallTypeMismatch));
      const first = c.depth - t.params.length;
      pushArgs(c, first, t.params.length);
      c.a.call(mem(rax, {}, 64));
      popArgs(c, t.params.length);
      c.depth = first + t.results.length;
      storeResults(c, t.results, first);
    },
  ],
];

export const callEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
