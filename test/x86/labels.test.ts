// Labels, branch relaxation, relocations and data directives.
import { describe, expect, it } from "vitest";
import { Assembler } from "../../tools/x86/assembler.ts";
import { imm, imm64, mem, sym } from "../../tools/x86/operands.ts";
import { eax, ecx, rax, rbx, rcx, rdi, rip, rsi, xmm0 } from "../../tools/x86/registers.ts";
import { disassemble, hexBytes } from "./objdump.ts";

const isLinux = process.platform === "linux";

describe("branches to labels", () => {
  it("uses rel8 for a close backward jump and rel32 for a far one", () => {
    const a = new Assembler();
    const top = a.newLabel();
    a.bind(top);
    a.sub(ecx, imm(1));
    a.jcc("ne", top); // 3 + 2 bytes
    a.emitBytes(new Array(200).fill(0x90));
    a.jmp(top);
    const out = a.finish();
    expect(hexBytes(out.code.subarray(3, 5))).toBe("75 fb"); // -5: back to 0
    // jmp at 205, 5 bytes, rel32 = 0 - 210
    expect(hexBytes(out.code.subarray(205))).toBe("e9 2e ff ff ff");
  });

  it("relaxes forward jumps: short when the target is close, near otherwise, near when forced", () => {
    const a = new Assembler();
    const close = a.newLabel();
    const far = a.newLabel();
    const forced = a.newLabel();
    a.jcc("e", close); // 0: 74 xx
    a.jmp(far); //          2: e9 rel32 (far is 130 bytes on)
    a.jmp(forced, "near"); // 7: e9 rel32
    a.bind(close);
    a.bind(forced);
    a.emitBytes(new Array(130).fill(0x90));
    a.bind(far);
    a.ret();
    const out = a.finish();
    expect(out.labels.get(close)).toBe(12);
    expect(hexBytes(out.code.subarray(0, 12))).toBe("74 0a e9 87 00 00 00 e9 00 00 00 00");
    expect(out.labels.get(far)).toBe(142);
  });

  it("widens a jump whose target moves out of reach when another jump grows", () => {
    // Jump A (first) reaches its target only while jump B, in between, is short;
    // B's target is far, so B grows and pushes A's target 3 bytes away: A must grow too.
    const a = new Assembler();
    const targetA = a.newLabel();
    const targetB = a.newLabel();
    a.jmp(targetA); // 0
    a.jmp(targetB); // 2
    a.emitBytes(new Array(124).fill(0x90)); // A short: disp = 2 + 2 + 124 - 2 = 126 (fits); B grows by 3 → 129
    a.bind(targetA);
    a.emitBytes(new Array(200).fill(0x90));
    a.bind(targetB);
    a.ret();
    const out = a.finish();
    expect(out.code[0]).toBe(0xe9);
    expect(out.code[5]).toBe(0xe9);
    expect(out.labels.get(targetA)).toBe(134);
  });

  it("keeps the targets objdump sees equal to the label offsets, through align padding", () => {
    const a = new Assembler();
    const labels = Array.from({ length: 40 }, (_, i) => a.newLabel(`l${i}`));
    // A mix of forward and backward branches over varying distances and alignments.
    labels.forEach((l, i) => {
      a.jcc(i % 2 === 0 ? "l" : "ae", labels[(i * 7 + 3) % labels.length]!);
      a.emitBytes(new Array((i * 13) % 60).fill(0x90));
      if (i % 5 === 0) a.align(16);
      a.bind(l);
      a.jmp(labels[(i * 11 + 5) % labels.length]!);
    });
    const out = a.finish();
    if (!isLinux) return;
    const text = disassemble(out.code);
    const offsets = new Set(out.labels.values());
    let branches = 0;
    for (const [, line] of text) {
      const m = /^j\w+ 0x([0-9a-f]+)$/.exec(line);
      if (m === null) continue;
      branches++;
      expect(offsets.has(parseInt(m[1]!, 16)), line).toBe(true);
    }
    expect(branches).toBe(80);
  });
});

describe("rip-relative references to labels", () => {
  it("points at the label, whatever immediate follows the displacement", () => {
    const a = new Assembler();
    const data = a.newLabel("data");
    a.lea(rax, mem(rip, { label: data }));
    a.mov(mem(rip, { label: data }, 32), imm(0x12345678));
    a.cmp(mem(rip, { label: data }, 8), imm(7));
    a.add(mem(rip, { label: data }, 16), imm(0x1234));
    a.mov(eax, mem(rip, { label: data, disp: 8 }));
    a.ret();
    a.align(8, 0);
    a.bind(data);
    a.dq(0n);
    a.dq(0n);
    const out = a.finish();
    const at = out.labels.get(data)!;
    if (!isLinux) return;
    const comments = [...disassemble(out.code).values()].flatMap((t) => /# 0x([0-9a-f]+)$/.exec(t)?.[1] ?? []);
    expect(comments.slice(0, 5).map((c) => parseInt(c, 16))).toEqual([at, at, at, at, at + 8]);
  });
});

describe("relocations", () => {
  it("makes a call, jmp or jcc to a symbol a rel32 with addend -4 at the field", () => {
    const a = new Assembler();
    a.mov(eax, imm(1)); //                      0, 5 bytes
    a.call(sym("atoll_console_write")); //      5: e8 at 6
    a.jcc("ne", sym("atoll_trap")); //         10: 0f 85 at 12
    a.jmp(sym("tail")); //                     16: e9 at 17
    const out = a.finish();
    expect(out.relocs).toEqual([
      { offset: 6, symbol: "atoll_console_write", kind: "rel32", addend: -4 },
      { offset: 12, symbol: "atoll_trap", kind: "rel32", addend: -4 },
      { offset: 17, symbol: "tail", kind: "rel32", addend: -4 },
    ]);
    expect(hexBytes(out.code.subarray(5))).toBe("e8 00 00 00 00 0f 85 00 00 00 00 e9 00 00 00 00");
  });

  it("subtracts the trailing immediate from a rip-relative symbol's addend", () => {
    const a = new Assembler();
    a.lea(rcx, mem(rip, { label: sym("table") })); //                 48 8d 0d [3..7)
    a.cmp(mem(rip, { label: sym("limit") }, 64), imm(5)); //          48 83 3d [10..14) 05
    a.mov(mem(rip, { label: sym("flag"), disp: 4 }, 32), imm(1)); // c7 05 [17..21) 01 00 00 00
    const out = a.finish();
    expect(out.relocs).toEqual([
      { offset: 3, symbol: "table", kind: "rel32", addend: -4 },
      { offset: 10, symbol: "limit", kind: "rel32", addend: -5 },
      { offset: 17, symbol: "flag", kind: "rel32", addend: 4 - 8 },
    ]);
  });

  it("makes dq(symbol) an abs64 and dq(label) an abs64 against the code itself", () => {
    const a = new Assembler();
    const here = a.newLabel();
    a.nop();
    a.bind(here);
    a.ret();
    a.dq(sym("atoll_trap"));
    a.dq(here);
    a.dq(0x1122334455667788n);
    const out = a.finish();
    expect(out.relocs).toEqual([
      { offset: 2, symbol: "atoll_trap", kind: "abs64", addend: 0 },
      { offset: 10, symbol: null, kind: "abs64", addend: 1 },
    ]);
    expect(hexBytes(out.code.subarray(18))).toBe("88 77 66 55 44 33 22 11");
  });
});

describe("data", () => {
  it("builds a position-independent jump table of label differences", () => {
    const a = new Assembler();
    const table = a.newLabel("table");
    const cases = [a.newLabel(), a.newLabel(), a.newLabel()];
    a.align(4, 0xcc);
    a.bind(table);
    for (const c of cases) a.dd(c, table);
    for (const c of cases) {
      a.bind(c);
      a.emitBytes([0x90, 0x90, 0x90]);
    }
    const out = a.finish();
    const view = new DataView(out.code.buffer);
    const t = out.labels.get(table)!;
    cases.forEach((c, i) => expect(view.getInt32(t + 4 * i, true)).toBe(out.labels.get(c)! - t));
  });

  it("aligns with fill bytes or with NOPs objdump decodes as such", () => {
    const a = new Assembler();
    a.ret();
    a.align(8, 0xcc);
    a.ret();
    a.align(32);
    a.ret();
    const out = a.finish();
    expect(hexBytes(out.code.subarray(0, 9))).toBe("c3 cc cc cc cc cc cc cc c3");
    expect(out.code.length).toBe(33);
    expect(out.alignment).toBe(32);
    if (!isLinux) return;
    const lines = [...disassemble(out.code).entries()].filter(([at]) => at > 8 && at < 32).map(([, t]) => t);
    expect(lines.every((t) => t.startsWith("nop") || t.startsWith("xchg ax,ax")), lines.join("; ")).toBe(true);
    expect(lines.length).toBe(3); // 23 bytes: 9 + 9 + 5
  });

  it("writes numbers little-endian", () => {
    const a = new Assembler();
    a.dd(-2);
    a.dd(0xdeadbeef);
    a.dq(-1);
    expect(hexBytes(a.finish().code)).toBe("fe ff ff ff ef be ad de ff ff ff ff ff ff ff ff");
  });
});

it("assembles the README's example", () => {
  const a = new Assembler();
  const loop = a.newLabel("loop");
  const table = a.newLabel("table");
  a.mov(eax, imm(5));
  a.mov(rax, imm64(0x1122334455667788n));
  a.mov(mem(rdi, { index: rsi, scale: 4, disp: 8 }, 32), eax);
  a.bind(loop);
  a.sub(eax, imm(1));
  a.jcc("ne", loop);
  a.lea(rbx, mem(rip, { label: table }));
  a.call(sym("atoll_console_write"));
  a.movsd(xmm0, mem(rip, { label: sym("wasm:globals"), disp: 8 }));
  a.ret();
  a.align(4, 0xcc);
  a.bind(table);
  a.dd(loop, table);
  const { code, labels, relocs, alignment } = a.finish();
  expect(labels.get(loop)).toBe(19);
  expect(hexBytes(code.subarray(19, 24))).toBe("83 e8 01 75 fb");
  expect(relocs).toEqual([
    { offset: 32, symbol: "atoll_console_write", kind: "rel32", addend: -4 },
    { offset: 40, symbol: "wasm:globals", kind: "rel32", addend: 4 },
  ]);
  expect(alignment).toBe(4);
  expect(new DataView(code.buffer).getInt32(labels.get(table)!, true)).toBe(19 - labels.get(table)!);
});

describe("finish()'s labels", () => {
  it("behaves as a Map of the bound labels, in binding order, also after more code", () => {
    const a = new Assembler();
    const [x, y, unbound] = [a.newLabel("x"), a.newLabel("y"), a.newLabel("unbound")];
    const other = new Assembler().newLabel("other");
    a.bind(y);
    a.nop();
    a.bind(x);
    const first = a.finish();
    a.nop();
    const z = a.newLabel("z");
    a.bind(z);
    const second = a.finish();
    for (const { labels } of [first, second]) {
      expect(labels.get(y)).toBe(0);
      expect(labels.get(x)).toBe(1);
      expect(labels.get(unbound)).toBeUndefined();
      expect(labels.has(unbound)).toBe(false);
      expect(labels.get(other)).toBeUndefined();
    }
    expect([...first.labels]).toEqual([[y, 0], [x, 1]]);
    expect(first.labels.has(z)).toBe(false);
    expect(second.labels.size).toBe(3);
    expect([...second.labels.keys()]).toEqual([y, x, z]);
    second.labels.delete(x);
    expect(second.labels.get(x)).toBeUndefined();
    expect([...second.labels.values()]).toEqual([0, 2]);
  });
});
