// The native side's driver: machine code linked into the image beside the
// module and the unix runtime ("custom" start), which runs the plan and
// writes what happened to standard output, one line per event, numbers in
// hex (16 digits, 64 bits):
//
//   l T X          a fuzzing-support log call: T = 0 i32, 1 i64, 2 f32, 3 f64
//   i ok | i t C   instantiation (wasm:init) returned | trapped with code C
//   x              the call that returned next broke the calling convention:
//                  rsp, or a callee-saved register (rbx, rbp, r12-r14: set to
//                  canaries before the call) is not what it was (docs/aot.md)
//   c X X ...      a call returned these results
//   t C            a call trapped with code C (9: call stack exhausted)
//   s P H G ...    the state after the call: memory pages, memory hash
//                  (record.ts's memoryHash; both only with an exported
//                  memory), then each observed global
//
// Output goes through a buffer flushed after instantiation and after every
// call, so a crash loses at most the logs of the call that crashed. Traps
// come back through the runtime's `atoll_trap_resume`, as in tools/spec.
//
// Also here: the fuzzing-support imports (host.ts says what they do).
//
// Like tools/spec's driver it relies on docs/aot.md's symbols: wasm:init,
// wasm:export:NAME (the runtimes' calling convention), atoll_results,
// wasm:globals (8 bytes per global), wasm:memory:pages, r15 as the memory
// base, and the runtime's atoll_trap_resume. A compiler that changes them
// changes this file with tools/spec/driver.ts.

import type { Module } from "../wasm/index.ts";
import type { LinkObject } from "../link/index.ts";
import { ObjectBuilder } from "../runtime/object-builder.ts";
import { SYMBOLS } from "../aot/index.ts";
import { eax, ecx, edi, edx, esi, imm, imm64, mem, r12, r13, r14, r15, r8, r8d, rax, rbp, rbx, rcx, rdi, rdx, rip, rsi, rsp, sym, xmm0, cl, type Label } from "../x86/index.ts";
import type { Plan } from "./plan.ts";
import { HOST_MODULE } from "./host.ts";
import { FNV_OFFSET, FNV_PRIME } from "./record.ts";

const P = "fuzz:";
const SYS_WRITE = 1;
const BUFFER = 64 * 1024;
const LOG_TYPE: Readonly<Record<string, number>> = { "log-i32": 0, "log-i64": 1, "log-f32": 2, "log-f64": 3 };
/** Values the callee-saved registers hold across each call (r15, the memory base, is checked by every access). */
const CANARIES = [
  [rbx, 0x5b5b_0000_1111_0001n],
  [r12, 0x5b5b_0000_1212_0002n],
  [r13, 0x5b5b_0000_1313_0003n],
  [r14, 0x5b5b_0000_1414_0004n],
] as const;

export function driverObject(m: Module, plan: Plan): LinkObject {
  const b = new ObjectBuilder("fuzz-driver");
  const a = b.text;
  b.bss(`${P}resume`, 24);
  b.bss(`${P}saved`, 8);
  b.bss(`${P}sp`, 8);
  b.bss(`${P}hexbuf`, 17);
  b.bss(`${P}len`, 8);
  b.bss(`${P}buf`, BUFFER, 16);
  b.string(`${P}digits`, "0123456789abcdef");
  const at = (name: string, disp = 0): ReturnType<typeof mem> => mem(rip, { label: sym(name), disp });
  const strings = new Map<string, string>();
  /** Appends the text `s` to the buffer. */
  const put = (s: string): void => {
    let name = strings.get(s);
    if (name === undefined) {
      name = `${P}str${strings.size}`;
      strings.set(s, name);
      b.string(name, s);
    }
    a.lea(rsi, at(name));
    a.mov(edx, imm(new TextEncoder().encode(s).length));
    a.call(sym(`${P}put`));
  };
  /** Appends " " and rax in hex. */
  const hex = (): void => a.call(sym(`${P}hex`));
  const flush = (): void => a.call(sym(`${P}flush`));
  /** Stores {handler, rsp, rbp} as the place a trap resumes. */
  const arm = (handler: Label): void => {
    a.lea(rax, mem(rip, { label: handler }));
    a.mov(at(`${P}resume`), rax);
    a.mov(at(`${P}resume`, 8), rsp);
    a.mov(at(`${P}resume`, 16), rbp);
  };
  /** After a trap (code in eax): "<prefix> C\n". */
  const trapLine = (prefix: string): void => {
    a.mov(at(`${P}saved`), rax);
    put(prefix);
    a.mov(eax, at(`${P}saved`));
    hex();
    put("\n");
  };
  const hasMemory = plan.memory !== undefined;

  // The imports, with the wasm calling convention: argument i of n at [rsp + 8 + 8 * (n - 1 - i)].
  const defined = new Set<string>();
  for (const imp of m.imports) {
    if (imp.kind !== "func" || imp.module !== HOST_MODULE || defined.has(imp.name)) continue;
    defined.add(imp.name);
    b.func(SYMBOLS.import(imp.module, imp.name));
    const type = LOG_TYPE[imp.name];
    if (type !== undefined) {
      put(`l ${type}`);
      a.mov(rax, mem(rsp, { disp: 8 }));
      hex();
      put("\n");
    } else if (imp.name === "sleep") {
      a.mov(eax, mem(rsp, { disp: 8 }, 32));
    } else if (imp.name === "call-export-catch") {
      a.xor(eax, eax);
    }
    a.ret();
  }

  b.func("atoll_main");
  a.push(rbp);
  a.mov(rbp, rsp);
  a.lea(rax, at(`${P}resume`));
  a.mov(at("atoll_trap_resume"), rax);

  const initTrap = a.newLabel("init.trap");
  const finish = a.newLabel("finish");
  arm(initTrap);
  a.call(sym(SYMBOLS.init));
  put("i ok\n");
  flush();
  plan.calls.forEach((call, k) => {
    const trapped = a.newLabel(`call${k}.trap`);
    const state = a.newLabel(`call${k}.state`);
    arm(trapped);
    for (const [reg, value] of CANARIES) a.mov(reg, imm64(value));
    a.mov(at(`${P}sp`), rsp);
    for (let i = 0; i < call.args.length; i++) {
      const bits = call.args[i]!;
      const narrow = call.params[i] === "i32" || call.params[i] === "f32";
      const v = BigInt.asIntN(64, narrow ? BigInt.asIntN(32, bits) : bits);
      if (v >= -(1n << 31n) && v < 1n << 31n) a.push(imm(v));
      else {
        a.mov(rax, imm64(BigInt.asUintN(64, v)));
        a.push(rax);
      }
    }
    a.call(sym(SYMBOLS.export(call.name)));
    if (call.args.length > 0) a.add(rsp, imm(8 * call.args.length));
    if (call.results[0] === "f32" || call.results[0] === "f64") a.movq(rax, xmm0);
    a.mov(at(`${P}saved`), rax);
    a.call(sym(`${P}abi`));
    put("c");
    call.results.forEach((_, i) => {
      a.mov(rax, i === 0 ? at(`${P}saved`) : at(SYMBOLS.results, 8 * (i - 1)));
      hex();
    });
    put("\n");
    a.jmp(state, "near");
    a.bind(trapped);
    trapLine("t");
    a.bind(state);
    a.call(sym(`${P}state`));
  });
  a.jmp(finish, "near");

  a.bind(initTrap);
  trapLine("i t");
  flush();

  a.bind(finish);
  a.mov(rax, imm(0));
  a.mov(at("atoll_trap_resume"), rax);
  a.xor(eax, eax);
  a.mov(rsp, rbp);
  a.pop(rbp);
  a.ret();

  // put(rsi = bytes, rdx = length): appends to the buffer, flushing it first when full.
  b.func(`${P}put`);
  {
    const room = a.newLabel("room");
    a.mov(rcx, at(`${P}len`));
    a.lea(r8, mem(rcx, { index: rdx }));
    a.cmp(r8, imm(BUFFER));
    a.jcc("be", room);
    a.push(rsi);
    a.push(rdx);
    flush();
    a.pop(rdx);
    a.pop(rsi);
    a.xor(ecx, ecx);
    a.bind(room);
    a.lea(rdi, at(`${P}buf`));
    a.add(rdi, rcx);
    a.add(rcx, rdx);
    a.mov(at(`${P}len`), rcx);
    a.mov(rcx, rdx);
    a.repMovsb();
    a.ret();
  }

  // flush(): write(1, buffer, len) until all of it is written (or write fails: the reader is gone).
  b.func(`${P}flush`);
  {
    const loop = a.newLabel("loop");
    const done = a.newLabel("done");
    a.lea(rsi, at(`${P}buf`));
    a.mov(rdx, at(`${P}len`));
    a.bind(loop);
    a.test(rdx, rdx);
    a.jcc("z", done);
    a.mov(edi, imm(1));
    a.mov(eax, imm(SYS_WRITE));
    a.syscall();
    a.test(rax, rax);
    a.jcc("le", done);
    a.add(rsi, rax);
    a.sub(rdx, rax);
    a.jmp(loop);
    a.bind(done);
    a.mov(rax, imm(0));
    a.mov(at(`${P}len`), rax);
    a.ret();
  }

  // hex(rax): appends " " and rax as 16 hex digits.
  b.func(`${P}hex`);
  {
    const loop = a.newLabel("loop");
    a.lea(rdi, at(`${P}hexbuf`));
    a.lea(rsi, at(`${P}digits`));
    a.mov(ecx, imm(0x20));
    a.mov(mem(rdi, {}, 8), cl);
    a.mov(r8, imm(16));
    a.bind(loop);
    a.rol(rax, imm(4));
    a.mov(ecx, eax);
    a.and(ecx, imm(15));
    a.movzx(ecx, mem(rsi, { index: rcx }, 8));
    a.mov(mem(rdi, { disp: 1 }, 8), cl);
    a.add(rdi, imm(1));
    a.sub(r8, imm(1));
    a.jcc("nz", loop);
    a.lea(rsi, at(`${P}hexbuf`));
    a.mov(edx, imm(17));
    a.jmp(sym(`${P}put`));
  }

  // abi(): an "x" line unless rsp, rbp and the canaried registers are what they were before the call.
  b.func(`${P}abi`);
  {
    const broken = a.newLabel("broken");
    a.lea(rax, mem(rsp, { disp: 8 }));
    a.cmp(rax, at(`${P}sp`));
    a.jcc("ne", broken);
    a.cmp(rbp, at(`${P}resume`, 16));
    a.jcc("ne", broken);
    for (const [reg, value] of CANARIES) {
      a.mov(rax, imm64(value));
      a.cmp(reg, rax);
      a.jcc("ne", broken);
    }
    a.ret();
    a.bind(broken);
    put("x\n");
    a.ret();
  }

  // state(): the "s" line, flushed.
  b.func(`${P}state`);
  put("s");
  if (hasMemory) {
    a.mov(rax, at(SYMBOLS.memoryPages));
    hex();
    a.call(sym(`${P}hash`));
    hex();
  }
  for (const g of plan.globals) {
    a.mov(rax, at(SYMBOLS.globals, 8 * g.index));
    hex();
  }
  put("\n");
  flush();
  a.ret();

  // hash() -> eax: record.ts's memoryHash of linear memory (r15 is its
  // base): four FNV-1a lanes over 16-byte groups, then FNV-1a over the lanes.
  if (hasMemory) {
    b.func(`${P}hash`);
    const loop = a.newLabel("loop");
    const done = a.newLabel("done");
    const lanes = [eax, edi, esi, r8d] as const;
    a.mov(rcx, at(SYMBOLS.memoryPages));
    a.shl(rcx, imm(16));
    a.add(rcx, r15);
    a.mov(rdx, r15);
    for (const l of lanes) a.mov(l, imm(FNV_OFFSET));
    a.bind(loop);
    a.cmp(rdx, rcx);
    a.jcc("ae", done);
    lanes.forEach((l, i) => {
      a.xor(l, mem(rdx, { disp: 4 * i }));
      a.imul(l, l, imm(FNV_PRIME));
    });
    a.add(rdx, imm(16));
    a.jmp(loop);
    a.bind(done);
    a.mov(ecx, imm(FNV_OFFSET));
    for (const l of lanes) {
      a.xor(ecx, l);
      a.imul(ecx, ecx, imm(FNV_PRIME));
    }
    a.mov(eax, ecx);
    a.ret();
  }

  return b.finish();
}
