// Runs assembled code: each program is linked by hand into a static ELF with
// the helpers it calls, executed, and reports 64-bit values on stdout (8 bytes
// each, little-endian). This proves the bytes execute as intended, not just
// that they disassemble.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Assembler, type Assembled } from "../../tools/x86/assembler.ts";
import { imm, imm64, mem, sym, type Label } from "../../tools/x86/operands.ts";
import {
  al, cl, dil, eax, ecx, edi, edx, esi, r11, r12, r13, r13d, r14, r8, r9, rax, rbp, rbx, rcx, rdi, rdx, rip, rsi, rsp,
  sil, xmm0, xmm1, xmm10, xmm2, xmm3, xmm4, xmm5, xmm8, xmm9, type Gpr,
} from "../../tools/x86/registers.ts";
import { CODE_OFFSET, LOAD_ADDRESS, staticElf } from "./elf.ts";

const canRun = process.platform === "linux" && process.arch === "x64";
const cpuFlags = canRun ? new Set(/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim().split(/\s+/)) : new Set<string>();
const dir = canRun ? mkdtempSync(path.join(tmpdir(), "atoll-x86-run-")) : "";
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

/** Writes `r` (8 bytes) to stdout; preserves every register (flags aside). */
function report(a: Assembler, r: Gpr): void {
  a.push(r);
  for (const s of [rax, rcx, rdx, rsi, rdi, r11]) a.push(s);
  a.mov(eax, imm(1)); // write
  a.mov(edi, imm(1)); // stdout
  a.lea(rsi, mem(rsp, { disp: 48 }));
  a.mov(edx, imm(8));
  a.syscall();
  for (const s of [r11, rdi, rsi, rdx, rcx, rax]) a.pop(s);
  a.add(rsp, imm(8));
}

function exit(a: Assembler): void {
  a.mov(eax, imm(60));
  a.xor(edi, edi);
  a.syscall();
}

/**
 * Links `main` (entry at its first byte) with helper functions assembled
 * separately and defined as symbols, applying the relocations as a linker
 * would: rel32 = S + A - P, abs64 = S + A (S of a null symbol: the code's own address).
 */
function link(main: Assembled, helpers: Record<string, (a: Assembler) => void>): Uint8Array {
  const blobs: { code: Assembled; at: number }[] = [{ code: main, at: 0 }];
  const symbols = new Map<string, number>();
  let size = main.code.length;
  for (const [name, build] of Object.entries(helpers)) {
    const a = new Assembler();
    build(a);
    size = (size + 15) & ~15;
    symbols.set(name, LOAD_ADDRESS + CODE_OFFSET + size);
    const code = a.finish();
    blobs.push({ code, at: size });
    size += code.code.length;
  }
  const image = new Uint8Array(size).fill(0xcc);
  const view = new DataView(image.buffer);
  for (const { code, at } of blobs) {
    image.set(code.code, at);
    const base = LOAD_ADDRESS + CODE_OFFSET + at;
    for (const r of code.relocs) {
      const s = r.symbol === null ? base : symbols.get(r.symbol);
      if (s === undefined) throw new Error(`undefined symbol ${r.symbol}`);
      if (r.kind === "rel32") view.setInt32(at + r.offset, s + r.addend - (base + r.offset), true);
      else view.setBigUint64(at + r.offset, BigInt(s + r.addend), true);
    }
  }
  return image;
}

interface Run {
  status: number | null;
  signal: string | null;
  stdout: Buffer;
  values: bigint[];
}

let programs = 0;
/** Runs a program; `build` must end the code with exit(a) and may put data after it. */
function run(build: (a: Assembler) => void, helpers: Record<string, (a: Assembler) => void> = {}): Run {
  const a = new Assembler();
  build(a);
  const file = path.join(dir, `p${programs++}`);
  writeFileSync(file, staticElf(link(a.finish(), helpers)), { mode: 0o755 });
  const r = spawnSync(file, [], { timeout: 10_000 });
  const values: bigint[] = [];
  for (let i = 0; i + 8 <= r.stdout.length; i += 8) values.push(r.stdout.readBigUint64LE(i));
  return { status: r.status, signal: r.signal, stdout: r.stdout, values };
}

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const f64bits = (x: number): bigint => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true);
};
const f32bits = (x: number): bigint => {
  const v = new DataView(new ArrayBuffer(4));
  v.setFloat32(0, x, true);
  return BigInt(v.getUint32(0, true));
};

describe.runIf(canRun)("assembled code runs", () => {
  it("exits with a computed status", () => {
    const r = run((a) => {
      a.mov(edi, imm(6));
      a.mov(eax, imm(7));
      a.imul(edi, eax);
      a.mov(eax, imm(60));
      a.syscall();
    });
    expect(r.status).toBe(42);
  });

  it("writes to stdout through a rip-relative string", () => {
    const text = "hello from atoll\n";
    const r = run((a) => {
      const msg = a.newLabel("msg");
      a.mov(eax, imm(1));
      a.mov(edi, imm(1));
      a.lea(rsi, mem(rip, { label: msg }));
      a.mov(edx, imm(text.length));
      a.syscall();
      exit(a);
      a.bind(msg);
      a.emitBytes(Buffer.from(text));
    });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(text);
  });

  it("computes integer arithmetic, divisions and shifts", () => {
    const r = run((a) => {
      a.mov(rax, imm(1000));
      a.cqo();
      a.mov(rcx, imm(7));
      a.idiv(rcx);
      report(a, rax); // 142
      report(a, rdx); // 6
      a.mov(rax, imm(-100));
      a.cqo();
      a.idiv(rcx);
      report(a, rax); // -14
      report(a, rdx); // -2
      a.mov(eax, imm(0xffffffff));
      a.xor(edx, edx);
      a.mov(ecx, imm(16));
      a.div(ecx);
      report(a, rax); // 0x0fffffff
      report(a, rdx); // 15
      a.mov(rax, imm64(0x8000_0000_0000_0000n));
      a.mov(rcx, imm(3));
      a.mul(rcx); // rdx:rax = 2^63 * 3
      report(a, rax); // 2^63
      report(a, rdx); // 1
      a.mov(r8, imm(5));
      a.lea(r9, mem(r8, { index: r8, scale: 2, disp: 5 })); // 20
      a.neg(r9);
      a.sar(r9, imm(1));
      report(a, r9); // -10
      a.mov(r9, imm(-1));
      a.mov(cl, imm(60));
      a.shr(r9, cl);
      report(a, r9); // 15
      a.mov(rax, imm64(0x0123_4567_89ab_cdefn));
      a.rol(rax, imm(8));
      report(a, rax);
      a.ror(eax, imm(4)); // a 32-bit result zero-extends
      report(a, rax);
      a.mov(eax, imm(0xffffffff));
      a.add(eax, imm(1)); // sets the carry
      a.mov(ecx, imm(10));
      a.adc(ecx, imm(0)); // 11, carry clear
      a.sbb(ecx, imm(1)); // 10
      report(a, rcx);
      a.mov(rax, imm(0x1234));
      a.not(rax);
      report(a, rax);
      a.mov(r12, imm(-3));
      a.imul(r13, r12, imm(1000));
      report(a, r13);
      exit(a);
    });
    expect(r.signal).toBe(null);
    expect(r.values).toEqual([
      142n, 6n, u64(-14n), u64(-2n), 0x0fff_ffffn, 15n, 1n << 63n, 1n, u64(-10n), 15n,
      0x2345_6789_abcd_ef01n, 0x1abc_def0n, 10n, u64(~0x1234n), u64(-3000n),
    ]);
  });

  it("addresses memory through every kind of base and index", () => {
    const r = run((a) => {
      a.sub(rsp, imm(64));
      a.mov(mem(rsp, {}, 64), imm(11)); // [rsp] needs a SIB
      a.mov(mem(rsp, { disp: 8 }, 64), imm(22));
      a.mov(r12, rsp);
      a.mov(r13d, imm(2));
      a.mov(mem(r12, { index: r13, scale: 8 }, 64), imm(33)); // r12 base, r13 index
      a.mov(rbp, rsp);
      a.mov(mem(rbp, { disp: 24 }, 64), imm(0));
      a.mov(mem(rbp, { disp: 24 }, 32), imm(-1)); // a 32-bit store leaves the high half
      a.lea(r13, mem(rsp, { disp: 32 }));
      a.mov(mem(r13, {}, 64), imm(44)); // [r13] needs a disp8 of 0
      a.mov(rax, mem(rsp));
      report(a, rax); // 11
      a.add(rax, mem(r12, { disp: 8 }));
      a.add(rax, mem(rbp, { disp: 16 }));
      a.add(rax, mem(rsp, { disp: 24 }));
      a.add(rax, mem(r13));
      a.mov(ecx, imm(1));
      a.add(rax, mem(rsp, { index: rcx, scale: 8, disp: 24 })); // slot 4 again
      report(a, rax);
      a.movzx(ecx, mem(rsp, { disp: 24 }, 8));
      report(a, rcx); // 0xff
      a.movsx(rcx, mem(rsp, { disp: 24 }, 8));
      report(a, rcx); // -1
      a.movsxd(rcx, mem(rsp, { disp: 24 }));
      report(a, rcx); // -1
      a.movzx(rcx, mem(rbp, { disp: 24 }, 16));
      report(a, rcx); // 0xffff
      a.mov(rdx, rsp);
      a.xchg(rax, mem(rdx)); // rax <-> [rsp]
      report(a, rax); // 11
      a.mov(rax, mem(rsp));
      report(a, rax); // the sum, swapped in
      a.lea(rdi, mem(rsp));
      a.mov(al, imm(0x41));
      a.mov(ecx, imm(16));
      a.repStosb();
      a.lea(rsi, mem(rsp));
      a.lea(rdi, mem(rsp, { disp: 16 }));
      a.mov(ecx, imm(16));
      a.repMovsb();
      a.mov(rax, mem(rsp, { disp: 24 }));
      report(a, rax);
      a.add(rsp, imm(64));
      exit(a);
    });
    const sum = 11n + 22n + 33n + 0xffff_ffffn + 44n + 44n;
    expect(r.signal).toBe(null);
    expect(r.values).toEqual([11n, sum, 0xffn, u64(-1n), u64(-1n), 0xffffn, 11n, sum, 0x4141_4141_4141_4141n]);
  });

  it("branches, calls and dispatches through jump tables", () => {
    const r = run(
      (a) => {
        const [top, over, ok, double, addOne, fnptr, extptr, table, c0, c1, c2, done] = Array.from({ length: 12 }, () => a.newLabel()) as [
          Label, Label, Label, Label, Label, Label, Label, Label, Label, Label, Label, Label,
        ];
        a.mov(ecx, imm(10)); // sum 10..1 with a short backward jcc
        a.xor(eax, eax);
        a.bind(top);
        a.add(eax, ecx);
        a.sub(ecx, imm(1));
        a.jcc("ne", top);
        report(a, rax); // 55
        a.jmp(over); // a near jmp over code that would fault
        for (let i = 0; i < 150; i++) a.ud2();
        a.bind(over);
        a.cmp(eax, imm(55));
        a.jcc("e", ok);
        a.ud2();
        a.bind(ok);
        a.mov(edi, imm(40));
        a.mov(esi, imm(2));
        a.call(sym("ext_add")); // an external symbol: rel32 relocation
        a.mov(r12, rax);
        a.call(double); // 84
        a.lea(rbx, mem(rip, { label: double }));
        a.call(rbx); // 168
        a.call(mem(rip, { label: fnptr })); // through an abs64 to a label: 169
        report(a, r12);
        a.mov(edi, imm(1));
        a.mov(esi, imm(2));
        a.call(mem(rip, { label: extptr })); // through an abs64 to a symbol
        report(a, rax); // 3
        a.mov(ecx, imm(2)); // jump table, case 2
        a.lea(rdx, mem(rip, { label: table }));
        a.movsxd(rax, mem(rdx, { index: rcx, scale: 4 }));
        a.add(rax, rdx);
        a.jmp(rax);
        a.bind(c0);
        a.mov(eax, imm(100));
        a.jmp(done);
        a.bind(c1);
        a.mov(eax, imm(200));
        a.jmp(done);
        a.bind(c2);
        a.mov(eax, imm(300));
        a.bind(done);
        a.push(rax);
        a.pop(r14);
        report(a, r14); // 300
        exit(a);
        a.bind(double);
        a.add(r12, r12);
        a.ret();
        a.bind(addOne);
        a.add(r12, imm(1));
        a.ret();
        a.align(8, 0);
        a.bind(fnptr);
        a.dq(addOne);
        a.bind(extptr);
        a.dq(sym("ext_add"));
        a.align(4, 0xcc);
        a.bind(table);
        for (const c of [c0, c1, c2]) a.dd(c, table);
      },
      {
        ext_add: (a) => {
          a.lea(rax, mem(rdi, { index: rsi }));
          a.ret();
        },
      },
    );
    expect(r.signal).toBe(null);
    expect(r.values).toEqual([55n, 169n, 3n, 300n]);
  });

  it("computes with SSE scalars", () => {
    const sse41 = cpuFlags.has("sse4_1");
    const r = run((a) => {
      const half = a.newLabel("half");
      const absMask = a.newLabel("absMask");
      a.mov(eax, imm(1764));
      a.cvtsi2sd(xmm0, eax);
      a.sqrtsd(xmm1, xmm0); // 42
      a.movsd(xmm2, mem(rip, { label: half }));
      a.mulsd(xmm1, xmm2); // 21
      a.addsd(xmm1, xmm1); // 42
      a.cvttsd2si(rax, xmm1);
      report(a, rax);
      a.movq(rax, xmm1);
      report(a, rax); // bits of 42.0
      a.cvtsd2ss(xmm3, xmm1);
      a.movd(eax, xmm3);
      report(a, rax); // bits of 42.0f
      a.ucomisd(xmm1, xmm0); // 42 < 1764
      a.setcc("b", cl);
      a.movzx(ecx, cl);
      report(a, rcx); // 1
      a.mov(rax, imm(-7));
      a.cvtsi2ss(xmm4, rax);
      a.cvttss2si(ecx, xmm4);
      report(a, rcx); // 0xfffffff9: a 32-bit result, zero-extended
      a.mov(rax, imm64(f64bits(-2.5)));
      a.movq(xmm8, rax);
      a.andpd(xmm8, mem(rip, { label: absMask })); // |-2.5|; m128 must be 16-byte aligned
      a.movq(rax, xmm8);
      report(a, rax);
      a.movq(xmm9, rax);
      a.movsd(xmm10, xmm9);
      a.divsd(xmm10, mem(rip, { label: half })); // 5.0
      a.maxsd(xmm10, xmm9);
      a.cvttsd2si(eax, xmm10);
      report(a, rax); // 5
      a.sub(rsp, imm(16));
      a.stmxcsr(mem(rsp));
      a.mov(eax, mem(rsp, {}, 32));
      report(a, rax); // 0x1f80, the default
      a.ldmxcsr(mem(rsp));
      a.add(rsp, imm(16));
      a.xorps(xmm5, xmm5);
      a.pxor(xmm5, xmm5);
      a.cmpsd(xmm5, xmm1, "lt"); // 0 < 42: all ones
      a.movq(rax, xmm5);
      report(a, rax);
      if (sse41) {
        a.mov(rax, imm64(f64bits(-2.5)));
        a.movq(xmm0, rax);
        a.roundsd(xmm1, xmm0, imm(1)); // floor
        a.cvttsd2si(rax, xmm1);
        report(a, rax); // -3
        a.roundsd(xmm1, xmm0, imm(0)); // nearest, ties to even
        a.cvttsd2si(rax, xmm1);
        report(a, rax); // -2
      }
      exit(a);
      a.align(16, 0);
      a.bind(absMask);
      a.dq(0x7fff_ffff_ffff_ffffn);
      a.dq(0x7fff_ffff_ffff_ffffn);
      a.bind(half);
      a.dq(f64bits(0.5));
    });
    expect(r.signal).toBe(null);
    expect(r.values).toEqual([
      42n, f64bits(42), f32bits(42), 1n, 0xffff_fff9n, f64bits(2.5), 5n, 0x1f80n, u64(-1n),
      ...(sse41 ? [u64(-3n), u64(-2n)] : []),
    ]);
  });

  it("uses byte registers that need REX, bit operations and conditional moves", () => {
    const r = run((a) => {
      a.mov(eax, imm(0x1234_5678));
      a.bswap(eax);
      report(a, rax); // 0x78563412
      a.mov(sil, imm(0x80));
      a.movsx(eax, sil);
      report(a, rax); // 0xffffff80
      a.mov(eax, imm(0));
      a.mov(dil, imm(0x7f)); // were this ah's encoding, rax would change
      a.movzx(edx, dil);
      report(a, rdx); // 0x7f
      report(a, rax); // 0
      a.mov(ecx, imm(0xf0));
      a.bsr(eax, ecx);
      report(a, rax); // 7
      a.bsf(eax, ecx);
      report(a, rax); // 4
      a.bt(ecx, imm(4));
      a.setcc("c", dil);
      a.movzx(eax, dil);
      report(a, rax); // 1
      a.test(ecx, imm(1));
      a.mov(eax, imm(1));
      a.mov(edx, imm(2));
      a.cmovcc("e", eax, edx); // zero flag set: eax = 2
      report(a, rax);
      a.mov(rax, imm(5));
      a.mov(rdx, imm(9));
      a.xchg(rax, rdx);
      report(a, rax); // 9
      if (cpuFlags.has("popcnt")) {
        a.popcnt(rax, rcx);
        report(a, rax); // 4
      }
      if (cpuFlags.has("abm")) {
        a.lzcnt(rax, rcx);
        report(a, rax); // 56
      }
      if (cpuFlags.has("bmi1")) {
        a.tzcnt(eax, ecx);
        report(a, rax); // 4
      }
      exit(a);
    });
    expect(r.signal).toBe(null);
    expect(r.values).toEqual([
      0x7856_3412n, 0xffff_ff80n, 0x7fn, 0n, 7n, 4n, 1n, 2n, 9n,
      ...(cpuFlags.has("popcnt") ? [4n] : []),
      ...(cpuFlags.has("abm") ? [56n] : []),
      ...(cpuFlags.has("bmi1") ? [4n] : []),
    ]);
  });
});
