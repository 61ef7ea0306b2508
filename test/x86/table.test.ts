// Every row of the encoding table, with a spread of operands, assembled and
// disassembled by binutils' objdump: the text objdump prints must be the text
// the row stands for. Two passes: each row encoded directly (so every row is
// exercised, even ones the selector would not pick for these operands), then
// the same operands through Assembler.emit (so selection is checked too).
import { describe, expect, it } from "vitest";
import { Assembler } from "../../tools/x86/assembler.ts";
import { encode } from "../../tools/x86/encoder.ts";
import { encodings, formatEncoding, type Encoding } from "../../tools/x86/encodings.ts";
import { formatInstruction, type Label, type Operand } from "../../tools/x86/operands.ts";
import { select } from "../../tools/x86/select.ts";
import { expectedText, nextInstruction, rowsOf } from "./forms.ts";
import { disassemble, haveObjdump, hexBytes } from "./objdump.ts";

interface Row {
  e: Encoding;
  ops: Operand[];
}

const rows: Row[] = encodings.flatMap((e) => rowsOf(e).map((ops) => ({ e, ops })));

function report(failures: string[], total: number): string {
  return `${failures.length} of ${total} forms differ from objdump:\n${failures.slice(0, 25).join("\n")}`;
}

describe.runIf(process.platform === "linux")("encodings checked against objdump", () => {
  it("has objdump (bash tools/setup/install-system-packages.sh installs binutils)", () => {
    expect(haveObjdump()).toBe(true);
  });

  it("encodes every table row as objdump decodes it", () => {
    expect(rows.length).toBeGreaterThan(10_000);
    const chunks: number[][] = [];
    const offsets: number[] = [];
    let pos = 0;
    for (const r of rows) {
      const { bytes } = encode(r.e, r.ops);
      offsets.push(pos);
      chunks.push(bytes);
      pos += bytes.length;
    }
    const code = new Uint8Array(pos);
    chunks.forEach((c, i) => code.set(c, offsets[i]!));
    const text = disassemble(code);
    const failures: string[] = [];
    rows.forEach((r, i) => {
      const at = offsets[i]!;
      const bytes = chunks[i]!;
      const want = expectedText(r.e, r.ops, at + bytes.length);
      const got = text.get(at) ?? "<no instruction starts here>";
      if (got !== want) {
        failures.push(`row ${formatEncoding(r.e)} | ${formatInstruction(r.e.mnemonic, r.ops)} | bytes ${hexBytes(bytes)} | expected "${want}" | objdump "${got}"`);
      }
    });
    console.info(`x86 encodings: ${rows.length} forms from ${encodings.length} table rows checked against objdump`);
    expect(failures, report(failures, rows.length)).toEqual([]);
  });

  it("selects an encoding objdump agrees with for the same operands, through Assembler.emit", () => {
    const a = new Assembler();
    const starts: Label[] = [];
    const chosen: (Encoding | null)[] = [];
    for (const r of rows) {
      const start = a.newLabel();
      a.bind(start);
      starts.push(start);
      if (r.ops[0] === nextInstruction) {
        const next = a.newLabel();
        a.emit(r.e.mnemonic, next);
        a.bind(next);
        chosen.push(null);
      } else {
        a.emit(r.e.mnemonic, ...r.ops);
        chosen.push(select(r.e.mnemonic, r.ops));
      }
    }
    const out = a.finish();
    const text = disassemble(out.code);
    const failures: string[] = [];
    rows.forEach((r, i) => {
      const at = out.labels.get(starts[i]!)!;
      const end = i + 1 < rows.length ? out.labels.get(starts[i + 1]!)! : out.code.length;
      const e = chosen[i];
      const want = e === null || e === undefined ? `${r.e.mnemonic} 0x${end.toString(16)}` : expectedText(e, r.ops, end);
      const got = text.get(at) ?? "<no instruction starts here>";
      if (got !== want) {
        failures.push(`emit ${formatInstruction(r.e.mnemonic, r.ops)} | bytes ${hexBytes(out.code.subarray(at, end))} | expected "${want}" | objdump "${got}"`);
      }
    });
    expect(failures, report(failures, rows.length)).toEqual([]);
  });
});
