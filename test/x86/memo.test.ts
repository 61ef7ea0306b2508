// The selection memo (tools/x86/shape.ts) is only right if equal keys mean
// equal choices. The part of a key that is easy to get wrong is the class of
// an immediate, which is computed with plain numbers where immFits uses
// bigints: here the two agree on every boundary a field or width has. The
// memo as a whole is exercised by table.test.ts, whose 44 000 forms go
// through Assembler.emit, mostly as memo hits, and are checked against objdump.
import { describe, expect, it } from "vitest";
import { IMM_CLASS_NUMBERS, immClass, immClassNumber, immFits } from "../../tools/x86/immediates.ts";
import type { Pattern } from "../../tools/x86/encodings.ts";
import type { GprSize } from "../../tools/x86/registers.ts";
import { Assembler } from "../../tools/x86/assembler.ts";
import { imm } from "../../tools/x86/operands.ts";
import { eax, rax, al } from "../../tools/x86/registers.ts";
import { hexBytes } from "./objdump.ts";

const patterns: Pattern[] = ["ib", "iw", "id", "iq", "ub", "pred"];
const sizes: (GprSize | null)[] = [8, 16, 32, 64, null];

/** Values around every power of two and its negation, to 2^64 (every bound of every case sits within 256 of one). */
function boundaries(): bigint[] {
  const out = new Set<bigint>([0n, 1n, -1n, 7n, 8n, 0x1234n, -0x1234n]);
  const near = [-300n, -257n, -256n, -255n, -129n, -128n, -127n, -2n, -1n, 0n, 1n, 2n, 127n, 128n, 129n, 255n, 256n, 257n, 300n];
  for (let k = 0n; k <= 64n; k++) {
    for (const d of near) {
      out.add((1n << k) + d);
      out.add(-(1n << k) + d);
    }
  }
  return [...out].filter((v) => v >= -(1n << 63n) && v <= (1n << 64n) - 1n);
}

describe("the selection memo's immediate classes", () => {
  it("puts two values in one class only when immFits treats them alike", () => {
    const byClass = new Map<number, string>();
    const byNumber = new Map<number, string>();
    for (const v of boundaries()) {
      const fits = patterns.flatMap((p) => sizes.map((s) => (immFits(p, v, s) ? "1" : "0"))).join("");
      for (const [c, seenBy] of [[immClass(v), byClass], [immClassNumber(v), byNumber]] as const) {
        const seen = seenBy.get(c);
        if (seen === undefined) seenBy.set(c, fits);
        else expect(fits, `value ${v} in class ${c}`).toBe(seen);
      }
    }
    expect(byClass.size).toBeGreaterThan(8);
    // The shape key has room for IMM_CLASS_NUMBERS classes; every one there is shows up among these values.
    expect(byNumber.size).toBe(byClass.size);
    expect(byNumber.size).toBeLessThanOrEqual(IMM_CLASS_NUMBERS);
  });

  it("picks per value, not per first value seen with the same operand kinds", () => {
    const a = new Assembler();
    a.add(eax, imm(1));
    a.add(eax, imm(1000));
    a.add(eax, imm(-1));
    a.add(eax, imm(0xffffffff));
    a.mov(rax, imm(5));
    a.mov(rax, imm(0x1_0000_0000));
    a.mov(rax, imm(-0x8000_0000));
    a.test(al, imm(0x80));
    expect(hexBytes(a.finish().code)).toBe(
      "83 c0 01 81 c0 e8 03 00 00 83 c0 ff 83 c0 ff 48 c7 c0 05 00 00 00 48 b8 00 00 00 00 01 00 00 00 48 c7 c0 00 00 00 80 f6 c0 80",
    );
  });
});
