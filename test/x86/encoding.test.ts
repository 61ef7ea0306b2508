// The encodings that are easy to get wrong, as exact bytes (SDM Vol 2A §2.1-2.2),
// which forms the selector prefers, and the errors it throws.
import { describe, expect, it } from "vitest";
import { Assembler } from "../../tools/x86/assembler.ts";
import { AsmError } from "../../tools/x86/errors.ts";
import { imm, imm64, mem, sym } from "../../tools/x86/operands.ts";
import {
  al, ax, bx, cl, condCode, condName, cr3, cr8, eax, ebx, ecx, edi, negate, r12, r12d, r13, r8, r8b, r9, r9d,
  rax, rbp, rbx, rcx, rdi, rip, rsi, rsp, sil, spl, dil, bpl, xmm0, xmm1, xmm8, xmm15, dx,
} from "../../tools/x86/registers.ts";
import { hexBytes } from "./objdump.ts";

/** The bytes of one instruction, as a hex string. */
function bytes(build: (a: Assembler) => void): string {
  const a = new Assembler();
  build(a);
  return hexBytes(a.finish().code);
}

describe("addressing forms", () => {
  it("needs a SIB byte for rsp and r12 as base", () => {
    expect(bytes((a) => a.mov(eax, mem(rsp)))).toBe("8b 04 24");
    expect(bytes((a) => a.mov(eax, mem(r12)))).toBe("41 8b 04 24");
    expect(bytes((a) => a.mov(eax, mem(rsp, { disp: 8 })))).toBe("8b 44 24 08");
  });

  it("gives rbp and r13 as base a zero disp8 (mod=00 rm=101 would mean rip)", () => {
    expect(bytes((a) => a.mov(eax, mem(rbp)))).toBe("8b 45 00");
    expect(bytes((a) => a.mov(eax, mem(r13)))).toBe("41 8b 45 00");
    expect(bytes((a) => a.mov(eax, mem(r13, { index: rax })))).toBe("41 8b 44 05 00");
  });

  it("picks disp8 or disp32 at the signed 8-bit boundary", () => {
    expect(bytes((a) => a.mov(eax, mem(rax, { disp: 127 })))).toBe("8b 40 7f");
    expect(bytes((a) => a.mov(eax, mem(rax, { disp: -128 })))).toBe("8b 40 80");
    expect(bytes((a) => a.mov(eax, mem(rax, { disp: 128 })))).toBe("8b 80 80 00 00 00");
    expect(bytes((a) => a.mov(eax, mem(rax, { disp: -129 })))).toBe("8b 80 7f ff ff ff");
  });

  it("encodes [index*scale + disp32] with no base, and an absolute [disp32]", () => {
    expect(bytes((a) => a.mov(eax, mem(null, { index: rsi, scale: 4, disp: 16 })))).toBe("8b 04 b5 10 00 00 00");
    expect(bytes((a) => a.mov(eax, mem(null, { index: r9, scale: 8 })))).toBe("42 8b 04 cd 00 00 00 00");
    expect(bytes((a) => a.mov(eax, mem(null, { disp: 0x1000 })))).toBe("8b 04 25 00 10 00 00");
  });

  it("sets REX.X and REX.B for r8-r15 as index and base", () => {
    expect(bytes((a) => a.mov(rax, mem(r8, { index: r12, scale: 2 })))).toBe("4b 8b 04 60");
    expect(bytes((a) => a.mov(mem(rdi, { index: rsi, scale: 4, disp: 8 }, 32), eax))).toBe("89 44 b7 08");
  });

  it("measures rip-relative displacements from the end of the instruction, immediate included", () => {
    expect(bytes((a) => a.mov(eax, mem(rip, { disp: 0x10 })))).toBe("8b 05 10 00 00 00");
    const a = new Assembler();
    const data = a.newLabel("data");
    a.mov(mem(rip, { label: data }, 32), imm(0x11223344)); // 10 bytes: field at 2, ends at 10
    a.bind(data);
    expect(hexBytes(a.finish().code)).toBe("c7 05 00 00 00 00 44 33 22 11");
  });
});

describe("prefixes and REX", () => {
  it("needs an empty REX for spl, bpl, sil, dil", () => {
    expect(bytes((a) => a.mov(sil, al))).toBe("40 88 c6");
    expect(bytes((a) => a.movzx(eax, dil))).toBe("40 0f b6 c7");
    expect(bytes((a) => a.setcc("e", spl))).toBe("40 0f 94 c4");
    expect(bytes((a) => a.mov(mem(rax), bpl))).toBe("40 88 28");
    expect(bytes((a) => a.mov(al, r8b))).toBe("44 88 c0");
  });

  it("puts 66 for 16-bit operands and the mandatory prefix before REX", () => {
    expect(bytes((a) => a.mov(ax, bx))).toBe("66 89 d8");
    expect(bytes((a) => a.movss(xmm8, xmm0))).toBe("f3 44 0f 10 c0");
    expect(bytes((a) => a.cvtsi2sd(xmm15, rax))).toBe("f2 4c 0f 2a f8");
    expect(bytes((a) => a.popcnt(r9, rcx))).toBe("f3 4c 0f b8 c9");
    expect(bytes((a) => a.movq(xmm1, rax))).toBe("66 48 0f 6e c8");
    expect(bytes((a) => a.pause())).toBe("f3 90");
    expect(bytes((a) => a.repMovsb())).toBe("f3 a4");
  });

  it("encodes control registers, cr8 with REX.R", () => {
    expect(bytes((a) => a.mov(cr3, rax))).toBe("0f 22 d8");
    expect(bytes((a) => a.mov(rbx, cr3))).toBe("0f 20 db");
    expect(bytes((a) => a.mov(cr8, rax))).toBe("44 0f 22 c0");
  });
});

describe("form selection", () => {
  it("uses the shortest immediate that holds the value", () => {
    expect(bytes((a) => a.add(rax, imm(1)))).toBe("48 83 c0 01");
    expect(bytes((a) => a.add(rax, imm(-128)))).toBe("48 83 c0 80");
    expect(bytes((a) => a.add(rax, imm(128)))).toBe("48 81 c0 80 00 00 00");
    expect(bytes((a) => a.add(eax, imm(0xffffffff)))).toBe("83 c0 ff");
    expect(bytes((a) => a.add(al, imm(200)))).toBe("80 c0 c8");
    expect(bytes((a) => a.imul(eax, ecx, imm(3)))).toBe("6b c1 03");
    expect(bytes((a) => a.imul(eax, ecx, imm(300)))).toBe("69 c1 2c 01 00 00");
    expect(bytes((a) => a.push(imm(1)))).toBe("6a 01");
  });

  it("moves immediates into 64-bit registers in 7 bytes when sign-extension allows, else 10", () => {
    expect(bytes((a) => a.mov(rax, imm(5)))).toBe("48 c7 c0 05 00 00 00");
    expect(bytes((a) => a.mov(rax, imm(-1)))).toBe("48 c7 c0 ff ff ff ff");
    expect(bytes((a) => a.mov(rax, imm(0x80000000)))).toBe("48 b8 00 00 00 80 00 00 00 00");
    expect(bytes((a) => a.mov(rax, imm64(0x1122334455667788n)))).toBe("48 b8 88 77 66 55 44 33 22 11");
    expect(bytes((a) => a.mov(r9, imm64(5)))).toBe("49 b9 05 00 00 00 00 00 00 00");
    expect(bytes((a) => a.mov(eax, imm(0xffffffff)))).toBe("b8 ff ff ff ff");
    expect(bytes((a) => a.mov(r9d, imm(1)))).toBe("41 b9 01 00 00 00");
  });

  it("takes an unsized memory operand's width from a register operand or the instruction", () => {
    expect(bytes((a) => a.mov(mem(rax), ebx))).toBe("89 18");
    expect(bytes((a) => a.movsxd(rax, mem(rcx)))).toBe("48 63 01");
    expect(bytes((a) => a.setcc("ne", mem(rax)))).toBe("0f 95 00");
    expect(bytes((a) => a.movss(xmm0, mem(rax)))).toBe("f3 0f 10 00");
    expect(bytes((a) => a.movq(xmm0, mem(rax)))).toBe("f3 0f 7e 00");
    expect(bytes((a) => a.movq(mem(rax), xmm0))).toBe("66 0f d6 00");
    expect(bytes((a) => a.call(mem(rax)))).toBe("ff 10");
    expect(bytes((a) => a.mov(mem(rax, {}, 16), imm(0x1234)))).toBe("66 c7 00 34 12");
  });

  it("accepts every condition-code alias", () => {
    expect(condCode("z")).toBe(condCode("e"));
    expect(condName("nae")).toBe("b");
    expect(negate("l")).toBe("ge");
    expect(bytes((a) => a.cmovcc("nz", eax, ecx))).toBe("0f 45 c1");
    expect(bytes((a) => a.cmpss(xmm0, xmm1, "le"))).toBe("f3 0f c2 c1 02");
  });

  it("encodes port I/O with the accumulator and dx or an imm8", () => {
    expect(bytes((a) => a.out(dx, al))).toBe("ee");
    expect(bytes((a) => a.in(eax, imm(0x60)))).toBe("e5 60");
    expect(bytes((a) => a.in(ax, dx))).toBe("66 ed");
  });
});

describe("errors name the instruction and operands", () => {
  const error = (build: (a: Assembler) => void): string => {
    try {
      const a = new Assembler();
      build(a);
      a.finish();
    } catch (e) {
      expect(e).toBeInstanceOf(AsmError);
      return (e as Error).message;
    }
    throw new Error("expected an AsmError");
  };

  it("rejects operand forms that do not exist", () => {
    expect(error((a) => a.mov(mem(rax), mem(rbx)))).toMatch(/^mov \[rax\], \[rbx\]: no such form of mov; the forms are .*rm64, r64/);
    expect(error((a) => a.add(eax, rbx))).toMatch(/^add eax, rbx: no such form/);
    expect(error((a) => a.shl(eax, ebx))).toMatch(/^shl eax, ebx: no such form/);
    expect(error((a) => a.emit("lea", rax, rbx))).toMatch(/^lea rax, rbx/);
    expect(error((a) => a.emit("frobnicate", rax))).toMatch(/unknown instruction "frobnicate"/);
    expect(error((a) => a.in(ebx, dx))).toMatch(/^in ebx, dx: no such form/);
  });

  it("rejects immediates out of range", () => {
    expect(error((a) => a.add(rax, imm(0x80000000)))).toMatch(/^add rax, 0x80000000: immediate out of range/);
    expect(error((a) => a.mov(eax, imm(0x1_0000_0000)))).toMatch(/^mov eax, 0x100000000: immediate out of range/);
    expect(error((a) => a.mov(al, imm(256)))).toMatch(/^mov al, 0x100: immediate out of range/);
    expect(error((a) => a.mov(al, imm(-129)))).toMatch(/immediate out of range/);
    expect(error((a) => a.shl(eax, imm(256)))).toMatch(/^shl eax, 0x100: immediate out of range/);
    expect(error((a) => a.cmpss(xmm0, xmm1, imm(8)))).toMatch(/^cmpss xmm0, xmm1, 0x8: immediate out of range/);
    expect(error((a) => a.add(rax, imm64(1)))).toMatch(/^add rax, imm64\(0x1\): no such form/);
    expect(error((a) => a.mov(mem(rax, {}, 64), imm(0x80000000)))).toMatch(/immediate out of range/);
  });

  it("asks for a size when a memory operand's width is ambiguous", () => {
    expect(error((a) => a.add(mem(rax), imm(1)))).toMatch(/^add \[rax\], 0x1: the memory operand's size is ambiguous/);
    expect(error((a) => a.movzx(eax, mem(rax)))).toMatch(/^movzx eax, \[rax\]: .*ambiguous \(8 or 16 bits\)/);
    expect(error((a) => a.cvtsi2sd(xmm0, mem(rax)))).toMatch(/ambiguous \(32 or 64 bits\)/);
    expect(error((a) => a.shl(mem(rax), cl))).toMatch(/ambiguous/);
    expect(error((a) => a.mov(ecx, mem(rax, {}, 64)))).toMatch(/^mov ecx, QWORD PTR \[rax\]: no such form/);
  });

  it("rejects malformed memory operands where they are built", () => {
    expect(error(() => mem(rax, { index: rsp }))).toMatch(/rsp cannot be an index/);
    expect(error(() => mem(rip, { index: rax }))).toMatch(/rip-relative address cannot have an index/);
    expect(error(() => mem(eax))).toMatch(/base register eax must be 64-bit/);
    expect(error(() => mem(rax, { disp: 0x80000000 }))).toMatch(/does not fit in a signed 32-bit/);
    expect(error(() => mem(rax, { scale: 4 }))).toMatch(/scale 4 without an index/);
    expect(error(() => mem(rax, { label: sym("x") }))).toMatch(/only be addressed relative to rip/);
  });

  it("rejects unbound, rebound and foreign labels", () => {
    expect(error((a) => a.jmp(a.newLabel("exit")))).toMatch(/^jmp label exit\(L0\): label exit\(L0\) is never bound/);
    expect(error((a) => a.lea(rax, mem(rip, { label: a.newLabel() })))).toMatch(/^lea rax, \[rip\+L0\]: label L0 is never bound/);
    expect(error((a) => { const l = a.newLabel(); a.bind(l); a.bind(l); })).toMatch(/already bound/);
    const other = new Assembler().newLabel();
    expect(error((a) => a.jmp(other))).toMatch(/belongs to another assembler/);
    // An unused unbound label is fine.
    expect(bytes((a) => { a.newLabel(); a.ret(); })).toBe("c3");
  });

  it("rejects bad data directives", () => {
    expect(error((a) => a.emitBytes([256]))).toMatch(/emitBytes: byte 0 is 256/);
    expect(error((a) => a.dd(0x1_0000_0000))).toMatch(/not a 32-bit integer/);
    expect(error((a) => a.dd(a.newLabel()))).toMatch(/needs a base label/);
    expect(error((a) => a.align(3))).toMatch(/power of two/);
  });
});

it("uses registers spread over all numbers", () => {
  // A smoke check that the register tables are in order (objdump checks the rest).
  expect([rax, rcx, rbx, rsp, rbp, rsi, rdi, r8, r12, r13].map((r) => r.num)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 12, 13]);
  expect([edi, r12d, sil, xmm15].map((r) => r.name)).toEqual(["edi", "r12d", "sil", "xmm15"]);
  expect(bytes((a) => a.xor(r12d, r12d))).toBe("45 31 e4");
  expect(bytes((a) => a.mov(mem(r12, { index: r13, scale: 8, disp: -8 }), rbx))).toBe("4b 89 5c ec f8");
});
