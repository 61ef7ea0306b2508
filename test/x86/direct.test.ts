// The direct forms (tools/x86/direct.ts) against the general path: every
// operation, form and width over all registers, a spread of addresses (every
// base and index, scales, displacements at the disp8/disp32 boundaries) and
// immediates at every class and width boundary must give the bytes that
// emit() gives for the same operands, and the same error where emit() throws.
import { describe, expect, it } from "vitest";
import { Assembler } from "../../tools/x86/assembler.ts";
import { directPlan, Form, INT_OP_MNEMONICS, type IntOp } from "../../tools/x86/direct.ts";
import { imm, mem, sym, type MemSize, type Operand, type Scale } from "../../tools/x86/operands.ts";
import { gpr, rip, type GprSize } from "../../tools/x86/registers.ts";
import { hexBytes } from "./objdump.ts";

const SIZES: GprSize[] = [8, 16, 32, 64];
const OPS: IntOp[] = INT_OP_MNEMONICS.map((_, k) => k as IntOp);
const REGS = Array.from({ length: 16 }, (_, k) => k);
/** The source widths of the widening operations (the others: the destination's; lea: none). */
const SOURCE: Partial<Record<number, number>> = { 15: 8, 16: 16, 17: 8, 18: 16, 19: 32, 20: 0 };
const srcWidth = (op: IntOp, size: GprSize): number => SOURCE[op] ?? size;

const DISPS = [0, 1, -1, 127, 128, -128, -129, 0x7fff_ffff, -0x8000_0000];
const VALUES = [
  0, 1, 7, 8, 127, 128, 255, 256, -1, -127, -128, -129, -255, -256, 0x7fff, 0x8000, 0xffff, 0x1_0000, -0x8000, -0x8001,
  0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000, -0x8000_0000, -0x8000_0001, 2 ** 53 - 1,
];

interface Address { base: number; index: number; scale: Scale; disp: number }

/** Every base (and none) with and without an index, every index with a few bases, scales, and the displacement boundaries. */
function addresses(): Address[] {
  const out: Address[] = [];
  for (const base of [-1, ...REGS]) for (const disp of DISPS) out.push({ base, index: -1, scale: 1, disp });
  for (const index of REGS) {
    if (index === 4) continue;
    for (const base of [-1, 0, 4, 5, 12, 13, 15]) {
      for (const scale of [1, 2, 4, 8] as Scale[]) out.push({ base, index, scale, disp: scale === 1 ? 0 : 8 });
      out.push({ base, index, scale: 1, disp: -300 });
    }
  }
  return out;
}

function memOf(x: Address, size: number): Operand {
  return mem(x.base < 0 ? null : gpr(x.base, 64), { index: x.index < 0 ? undefined : gpr(x.index, 64), scale: x.scale, disp: x.disp }, size === 0 ? undefined : (size as MemSize));
}

/** One instruction both ways: the direct call, and the operands for emit(). */
interface Case { what: string; direct: (a: Assembler) => void; general: () => Operand[] }

/** The bytes (or the error) of one instruction. */
function run(build: (a: Assembler) => void): string {
  const a = new Assembler();
  try {
    build(a);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
  return hexBytes(a.finish().code);
}

/** The bytes and relocations of one instruction (or its error). */
function assembled(build: (a: Assembler) => void): string {
  const a = new Assembler();
  try {
    build(a);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
  const out = a.finish();
  return `${hexBytes(out.code)} ${JSON.stringify(out.relocs)}`;
}

/** Compares each case on its own: bytes, or the error message. */
function check(op: IntOp, cases: Case[]): void {
  const mnemonic = INT_OP_MNEMONICS[op]!;
  for (const c of cases) expect(run(c.direct), c.what).toBe(run((a) => a.emit(mnemonic, ...c.general())));
}

/** check() for the big sets of valid instructions: whole assemblies compared, then case by case only on a difference. */
function checkFast(op: IntOp, cases: Case[]): void {
  const mnemonic = INT_OP_MNEMONICS[op]!;
  const d = new Assembler(), g = new Assembler();
  for (const c of cases) {
    c.direct(d);
    g.emit(mnemonic, ...c.general());
  }
  if (hexBytes(d.finish().code) === hexBytes(g.finish().code)) return;
  for (const c of cases) expect(run(c.direct), c.what).toBe(run((a) => a.emit(mnemonic, ...c.general())));
}

/** Whether the general path takes the operands (the direct one must then give its bytes; otherwise its error). */
function valid(op: IntOp, ops: () => Operand[]): boolean {
  return !run((a) => a.emit(INT_OP_MNEMONICS[op]!, ...ops())).startsWith("error");
}

describe("direct forms", () => {
  it("register, register", () => {
    for (const op of OPS) {
      for (const size of SIZES) {
        const sw = srcWidth(op, size);
        const cases: Case[] = [];
        for (const dst of REGS) {
          for (const src of REGS) {
            const general = (): Operand[] => [gpr(dst, size), gpr(src, (sw === 0 ? size : sw) as GprSize)];
            cases.push({ what: `${INT_OP_MNEMONICS[op]} r${size}:${dst}, r${sw}:${src}`, direct: (a) => a.rr(op, size, dst, src), general });
          }
        }
        if (valid(op, cases[0]!.general) && sw !== 0) checkFast(op, cases);
        else check(op, cases.slice(0, 3));
      }
    }
  });

  it("register, immediate", () => {
    for (const op of OPS) {
      for (const size of SIZES) {
        const cases: Case[] = [];
        for (const dst of REGS) {
          for (const v of VALUES) {
            cases.push({ what: `${INT_OP_MNEMONICS[op]} r${size}:${dst}, ${v}`, direct: (a) => a.ri(op, size, dst, v), general: () => [gpr(dst, size), imm(v)] });
          }
        }
        check(op, cases.filter((c, k) => k < VALUES.length || k % 7 === 0 || c.what.includes(":4,")));
      }
    }
  });

  it("register, memory and memory, register", () => {
    const all = addresses();
    for (const op of OPS) {
      for (const size of SIZES) {
        const sw = srcWidth(op, size);
        const load: Case[] = [], store: Case[] = [];
        for (const [k, x] of all.entries()) {
          for (const r of k < 20 ? REGS : [3, 4, 9, 12]) {
            load.push({ what: `${INT_OP_MNEMONICS[op]} r${size}:${r}, ${JSON.stringify(x)}`, direct: (a) => a.rm(op, size, r, x.base, x.index, x.scale, x.disp), general: () => [gpr(r, size), memOf(x, sw)] });
            store.push({ what: `${INT_OP_MNEMONICS[op]} ${JSON.stringify(x)}, r${size}:${r}`, direct: (a) => a.mr(op, size, x.base, x.index, x.scale, x.disp, r), general: () => [memOf(x, size), gpr(r, size)] });
          }
        }
        for (const cases of [load, store]) {
          if (valid(op, cases[0]!.general)) checkFast(op, cases);
          else check(op, cases.slice(0, 3));
        }
      }
    }
  });

  it("rip-relative symbols: the bytes and the relocations", () => {
    for (const op of OPS) {
      for (const size of SIZES) {
        const sw = srcWidth(op, size);
        for (const r of REGS) {
          for (const disp of [0, 8, -8, 0x7fff_ffff, -0x8000_0000]) {
            const at = (w: number): Operand => mem(rip, { label: sym("wasm:globals"), disp }, w === 0 ? undefined : (w as MemSize));
            const what = `${INT_OP_MNEMONICS[op]} r${size}:${r} / [rip+sym+${disp}]`;
            const pairs: [(a: Assembler) => void, (a: Assembler) => void][] = [
              [(a) => a.rmSym(op, size, r, "wasm:globals", disp), (a) => a.emit(INT_OP_MNEMONICS[op]!, gpr(r, size), at(sw))],
              [(a) => a.mrSym(op, size, "wasm:globals", disp, r), (a) => a.emit(INT_OP_MNEMONICS[op]!, at(size), gpr(r, size))],
            ];
            for (const [direct, general] of pairs) expect(assembled(direct), what).toBe(assembled(general));
          }
        }
      }
    }
  });

  it("push and pop of a 64-bit register, call of a label or symbol: the typed methods' own short cuts", () => {
    for (const r of REGS) {
      expect(assembled((a) => a.push(gpr(r, 64))), `push r${r}`).toBe(assembled((a) => a.emit("push", gpr(r, 64))));
      expect(assembled((a) => a.pop(gpr(r, 64))), `pop r${r}`).toBe(assembled((a) => a.emit("pop", gpr(r, 64))));
    }
    expect(assembled((a) => a.call(sym("import:atoll.console_write")))).toBe(assembled((a) => a.emit("call", sym("import:atoll.console_write"))));
    const viaCall = new Assembler(), viaEmit = new Assembler();
    for (const a of [viaCall, viaEmit]) {
      const l = a.newLabel("f");
      a.nop();
      a.bind(l);
      if (a === viaCall) a.call(l);
      else a.emit("call", l);
    }
    expect(hexBytes(viaCall.finish().code)).toBe(hexBytes(viaEmit.finish().code));
  });

  it("memory, immediate", () => {
    const all = addresses().filter((_, k) => k % 5 === 0);
    for (const op of OPS) {
      for (const size of SIZES) {
        const cases: Case[] = [];
        for (const x of all) {
          for (const v of VALUES) {
            cases.push({ what: `${INT_OP_MNEMONICS[op]} ${JSON.stringify(x)}, ${v}`, direct: (a) => a.mi(op, size, x.base, x.index, x.scale, x.disp, v), general: () => [memOf(x, size), imm(v)] });
          }
        }
        check(op, cases.filter((_, k) => k < 3 * VALUES.length || k % 11 === 0));
      }
    }
  });

  it("sends what it cannot encode to the general path, errors included", () => {
    const bad = (build: (a: Assembler) => void): string => run(build);
    expect(bad((a) => a.rr(0 as IntOp, 32, 16, 0))).toMatch(/no general-purpose register number 16/);
    expect(bad((a) => a.rm(0 as IntOp, 32, 0, 0, 4, 1, 0))).toMatch(/rsp cannot be an index register/);
    expect(bad((a) => a.rm(0 as IntOp, 32, 0, 0, -1, 2, 0))).toMatch(/scale 2 without an index register/);
    expect(bad((a) => a.rm(0 as IntOp, 32, 0, 0, -1, 1, 2 ** 31))).toMatch(/does not fit in a signed 32-bit field/);
    // A 64-bit immediate that is not a sign-extended imm32: movabs, as mov(rax, imm(...)) makes it.
    expect(bad((a) => a.ri(0 as IntOp, 64, 0, 0x1_0000_0000))).toBe(run((a) => a.mov(gpr(0, 64), imm(0x1_0000_0000))));
  });

  it("has a row for what code generators emit most (else every case above would only test the fallback)", () => {
    const mov = 0 as IntOp, add = 1 as IntOp, cmp = 8 as IntOp, movzx8 = 15 as IntOp;
    for (const size of [32, 64] as const) {
      const sc = size === 32 ? 2 : 3;
      for (const op of [mov, add, cmp]) {
        expect(directPlan(op, Form.RR, size, sc, 0)).not.toBeNull();
        expect(directPlan(op, Form.RM, size, sc, 0)).not.toBeNull();
        expect(directPlan(op, Form.MR, size, sc, 0)).not.toBeNull();
        for (const cls of [0, 1, 2]) {
          expect(directPlan(op, Form.RI, size, sc, cls)).not.toBeNull();
          expect(directPlan(op, Form.MI, size, sc, cls)).not.toBeNull();
        }
      }
      expect(directPlan(movzx8, Form.RM, size, sc, 0)).not.toBeNull();
    }
  });
});
