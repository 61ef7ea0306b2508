// The driver: machine code that runs one module's commands inside its
// image, in script order, and prints one line per command on standard
// output (write syscalls):
//
//   i ok | i trap C          instantiation (wasm:init) returned | trapped with code C
//   K ok                     command K did what it should
//   K r H H ...              command K returned results H (hex, 64 bits each) it should not have
//   K trap C                 command K trapped with code C (hex) when it should not have
//
// Traps come back through the runtime's `atoll_trap_resume`: before each
// call the driver stores {rip, rsp, rbp} of its trap handler there. The
// runtime calls `atoll_main` (its "custom" start mode) and exits with eax.

import type { ValType } from "../wasm/index.ts";
import type { LinkObject } from "../link/index.ts";
import { ObjectBuilder } from "../runtime/object-builder.ts";
import { SYMBOLS } from "../aot/index.ts";
import {
  eax,
  ecx,
  edi,
  edx,
  imm,
  imm64,
  mem,
  r8d,
  rax,
  rbp,
  rcx,
  rdi,
  rip,
  rsi,
  rsp,
  sym,
  xmm0,
  cl,
  type Label,
} from "../x86/index.ts";

/** An expected result: exact bits, or a NaN class (the spec's two, or any NaN at all). */
export type Expected = { type: ValType; bits: bigint } | { type: "f32" | "f64"; nan: "canonical" | "arithmetic" | "any" };

export interface DriverCall {
  /** Index of the command in the script, printed as K. */
  id: number;
  /** A function symbol to call, or a global to read. */
  target: { kind: "call"; symbol: string } | { kind: "global"; index: number };
  args: { type: ValType; bits: bigint }[];
  resultTypes: readonly ValType[];
  /** values: compare; trap: expect this code; none: any return is fine (an action). */
  expect: { kind: "values"; values: Expected[] } | { kind: "trap"; code: number } | { kind: "none" };
}

const P = "spec:";
const SYS_WRITE = 1;
/** Result slots the driver keeps (and prints). */
const MAX_RESULTS = 64;

export function driverObject(calls: readonly DriverCall[], instantiateOnly: boolean): LinkObject {
  const b = new ObjectBuilder("spec-driver");
  const a = b.text;
  b.bss(`${P}resume`, 24);
  b.bss(`${P}results`, 8 * MAX_RESULTS);
  b.bss(`${P}hexbuf`, 24);
  b.string(`${P}digits`, "0123456789abcdef");
  const at = (name: string, disp = 0): ReturnType<typeof mem> => mem(rip, { label: sym(name), disp });
  const strings = new Map<string, string>();
  /** A rodata string, once per distinct text. */
  const str = (s: string): { name: string; len: number } => {
    let name = strings.get(s);
    if (name === undefined) {
      name = `${P}str${strings.size}`;
      strings.set(s, name);
      b.string(name, s);
    }
    return { name, len: new TextEncoder().encode(s).length };
  };
  const print = (s: string): void => {
    const { name, len } = str(s);
    a.lea(rsi, at(name));
    a.mov(edx, imm(len));
    a.call(sym(`${P}write`));
  };
  /** Stores {handler, rsp, rbp} as the place a trap resumes. */
  const arm = (handler: Label): void => {
    a.lea(rax, mem(rip, { label: handler }));
    a.mov(at(`${P}resume`), rax);
    a.mov(at(`${P}resume`, 8), rsp);
    a.mov(at(`${P}resume`, 16), rbp);
  };

  b.func("atoll_main");
  a.push(rbp);
  a.mov(rbp, rsp);
  a.lea(rax, at(`${P}resume`));
  a.mov(at("atoll_trap_resume"), rax);

  const initTrap = a.newLabel("init.trap");
  const initDone = a.newLabel("init.done");
  const finish = a.newLabel("finish");
  arm(initTrap);
  a.call(sym(SYMBOLS.init));
  print("i ok\n");
  a.jmp(initDone, "near");
  a.bind(initTrap);
  a.mov(at(`${P}results`), rax);
  print("i trap");
  a.mov(eax, at(`${P}results`, 0));
  a.call(sym(`${P}hex`));
  print("\n");
  a.jmp(finish, "near");
  a.bind(initDone);

  if (!instantiateOnly) for (const call of calls) emitCall(call);

  a.bind(finish);
  a.mov(rax, imm(0));
  a.mov(at("atoll_trap_resume"), rax);
  a.xor(eax, eax);
  a.mov(rsp, rbp);
  a.pop(rbp);
  a.ret();

  function emitCall(call: DriverCall): void {
    const trapped = a.newLabel(`cmd${call.id}.trap`);
    const fail = a.newLabel(`cmd${call.id}.fail`);
    const next = a.newLabel(`cmd${call.id}.next`);
    arm(trapped);
    const results = call.resultTypes;
    if (call.target.kind === "global") {
      a.mov(rax, at(SYMBOLS.globals, 8 * call.target.index));
      a.mov(at(`${P}results`), rax);
    } else {
      for (const arg of call.args) {
        const v = BigInt.asIntN(64, arg.type === "i32" || arg.type === "f32" ? BigInt.asIntN(32, arg.bits) : arg.bits);
        if (v >= -(1n << 31n) && v < 1n << 31n) a.push(imm(v));
        else {
          a.mov(rax, imm64(BigInt.asUintN(64, v)));
          a.push(rax);
        }
      }
      a.call(sym(call.target.symbol));
      if (call.args.length > 0) a.add(rsp, imm(8 * call.args.length));
      if (results.length > 0) {
        if (results[0] === "f32" || results[0] === "f64") a.movq(rax, xmm0);
        a.mov(at(`${P}results`), rax);
      }
      for (let i = 1; i < results.length && i < MAX_RESULTS; i++) {
        a.mov(rax, at(SYMBOLS.results, 8 * (i - 1)));
        a.mov(at(`${P}results`, 8 * i), rax);
      }
    }
    if (call.expect.kind === "trap") a.jmp(fail, "near");
    if (call.expect.kind === "values") {
      call.expect.values.forEach((e, i) => {
        const slot = at(`${P}results`, 8 * i);
        const wide = e.type === "i64" || e.type === "f64";
        if ("bits" in e) {
          if (wide) {
            a.mov(rax, slot);
            a.mov(rcx, imm64(BigInt.asUintN(64, e.bits)));
            a.cmp(rax, rcx);
          } else {
            a.mov(eax, slot);
            a.cmp(eax, imm(Number(BigInt.asUintN(32, e.bits))));
          }
        } else if (e.nan === "any") {
          // Exponent all ones and a non-zero fraction: above the infinity's bits once the sign is gone.
          if (wide) {
            a.mov(rax, slot);
            a.shl(rax, imm(1));
            a.mov(rcx, imm64(0xffe0_0000_0000_0000n));
          } else {
            a.mov(eax, slot);
            a.shl(eax, imm(1));
            a.mov(ecx, imm(0xff00_0000));
          }
          a.cmp(wide ? rax : eax, wide ? rcx : ecx);
          a.jcc("be", fail, "near");
          return;
        } else if (!wide) {
          a.mov(eax, slot);
          a.and(eax, imm(e.nan === "canonical" ? 0x7fff_ffff : 0x7fc0_0000));
          a.cmp(eax, imm(0x7fc0_0000));
        } else {
          a.mov(rax, slot);
          a.mov(rcx, imm64(e.nan === "canonical" ? 0x7fff_ffff_ffff_ffffn : 0x7ff8_0000_0000_0000n));
          a.and(rax, rcx);
          a.mov(rcx, imm64(0x7ff8_0000_0000_0000n));
          a.cmp(rax, rcx);
        }
        a.jcc("ne", fail, "near");
      });
    }
    print(`${call.id} ok\n`);
    a.jmp(next, "near");

    a.bind(fail);
    print(`${call.id} r`);
    for (let i = 0; i < results.length && i < MAX_RESULTS; i++) {
      a.mov(rax, at(`${P}results`, 8 * i));
      a.call(sym(`${P}hex`));
    }
    print("\n");
    a.jmp(next, "near");

    a.bind(trapped);
    if (call.expect.kind === "trap") {
      const wrong = a.newLabel();
      a.cmp(eax, imm(call.expect.code));
      a.jcc("ne", wrong);
      print(`${call.id} ok\n`);
      a.jmp(next, "near");
      a.bind(wrong);
    }
    a.mov(at(`${P}results`), rax);
    print(`${call.id} trap`);
    a.mov(eax, at(`${P}results`, 0));
    a.call(sym(`${P}hex`));
    print("\n");
    a.bind(next);
  }

  // write(1, rsi, rdx); a short line to a pipe is written whole.
  b.func(`${P}write`);
  a.mov(eax, imm(SYS_WRITE));
  a.mov(edi, imm(1));
  a.syscall();
  a.ret();

  // Prints " " and rax as 16 hex digits.
  b.func(`${P}hex`);
  {
    const loop = a.newLabel();
    a.lea(rdi, at(`${P}hexbuf`));
    a.lea(rsi, at(`${P}digits`));
    a.mov(ecx, imm(0x20));
    a.mov(mem(rdi, {}, 8), cl);
    a.mov(r8d, imm(16));
    a.bind(loop);
    a.rol(rax, imm(4));
    a.mov(ecx, eax);
    a.and(ecx, imm(15));
    a.movzx(ecx, mem(rsi, { index: rcx }, 8));
    a.mov(mem(rdi, { disp: 1 }, 8), cl);
    a.add(rdi, imm(1));
    a.sub(r8d, imm(1));
    a.jcc("nz", loop);
    a.lea(rsi, at(`${P}hexbuf`));
    a.mov(edx, imm(17));
    a.jmp(sym(`${P}write`));
  }

  return b.finish();
}
