// One function body: prologue (frame, stack check, zeroed locals), every
// live instruction through the emitter tables, the trap stubs.

import { opNameOf, type Func, type FuncType } from "../wasm/index.ts";
import { eax, ecx, imm, mem, rax, rbp, rdi, rsp, type Assembler, type Label } from "../x86/index.ts";
import { Ctx, symMem, type EmitterTable } from "./context.ts";
import type { ModuleEnv } from "./env.ts";
import { Frame } from "./frame.ts";
import { RUNTIME, Trap } from "./traps.ts";

/** Locals zeroed with one store each up to this many; rep stosq beyond. */
const UNROLLED_ZEROING = 8;

/**
 * Frames up to this size are checked after `sub rsp` (docs/aot.md): rsp is
 * then at most this far below the limit, well inside the runtime's headroom,
 * when the trap stub calls atoll_trap.
 */
const CHECK_AFTER_SUB = 4096;

/** push rbp; mov rbp, rsp; sub rsp, FRAME; the stack check. */
export function prologue(c: Ctx): void {
  c.a.push(rbp);
  c.a.mov(rbp, rsp);
  const size = c.frame.size;
  if (size <= CHECK_AFTER_SUB) {
    if (size > 0) c.a.sub(rsp, imm(size));
    c.a.cmp(rsp, symMem(RUNTIME.stackLimit));
    c.a.jcc("b", c.trap(Trap.StackExhausted));
    return;
  }
  // A big frame could reach past the guard: check where rsp would go before moving it.
  c.a.lea(rax, mem(rsp, { disp: -size }));
  c.a.cmp(rax, symMem(RUNTIME.stackLimit));
  c.a.jcc("b", c.trap(Trap.StackExhausted));
  c.a.mov(rsp, rax);
}

function zeroLocals(c: Ctx): void {
  const n = c.frame.numLocals;
  if (n === 0) return;
  c.a.xor(eax, eax);
  if (n <= UNROLLED_ZEROING) {
    for (let i = 0; i < n; i++) c.a.mov(c.frame.local(c.frame.numParams + i, 64), rax);
    return;
  }
  c.a.lea(rdi, mem(rbp, { disp: -8 * n }));
  c.a.mov(ecx, imm(n));
  c.a.repStosq();
}

export function compileFunction(
  a: Assembler,
  env: ModuleEnv,
  table: EmitterTable,
  fn: Func,
  type: FuncType,
  where: string,
  start: Label,
): void {
  if (fn.maxStackDepth === undefined) throw new Error(`tools/aot: ${where}: not validated (run validateModule first)`);
  const frame = new Frame(type.params.length, fn.locals.length, fn.maxStackDepth);
  const c: Ctx = new Ctx(a, env, frame, type, where);
  a.bind(start);
  prologue(c);
  zeroLocals(c);
  c.control.push({ kind: "func", height: 0, params: 0, results: type.results.length, label: a.newLabel("return") });
  for (const ins of fn.body) {
    if (ins.dead) continue;
    const emit = table.get(ins.op);
    if (emit === undefined) c.fail(`${opNameOf(ins.op)} at offset 0x${ins.offset.toString(16)} is not supported by the code generator`);
    emit(c, ins);
    if (c.depth > frame.maxStack) c.fail(`operand stack deeper than the validator's ${frame.maxStack} after ${opNameOf(ins.op)}`);
  }
  c.finishTraps();
}
