// Runs binutils' objdump over a buffer of x86-64 code and returns the Intel
// syntax text of each instruction by offset, whitespace normalised.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export function haveObjdump(): boolean {
  try {
    execFileSync("objdump", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Offset → `mnemonic operands[ # comment]` with single spaces, as objdump -M intel prints it. */
export function disassemble(code: Uint8Array): Map<number, string> {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-x86-"));
  try {
    const file = path.join(dir, "code.bin");
    writeFileSync(file, code);
    const out = execFileSync(
      "objdump",
      ["-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", "--no-show-raw-insn", "-w", file],
      { encoding: "utf8", maxBuffer: 1 << 30 },
    );
    const result = new Map<number, string>();
    for (const line of out.split("\n")) {
      const m = /^\s*([0-9a-f]+):\t(.*)$/.exec(line);
      if (m === null) continue;
      result.set(parseInt(m[1]!, 16), normalise(m[2]!));
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function normalise(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export function hexBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
