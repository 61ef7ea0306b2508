// The spec scripts, through wabt's wast2json: each .wast becomes a JSON
// command list plus one .wasm file per module. This file runs the tool and
// gives its output types.

import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** SIMD is outside Atoll's set; reference types stay on because the 2.0 suite writes bulk memory in their syntax. */
const WAST2JSON_FLAGS = ["--disable-simd"];

export interface WastValue {
  type: string;
  /** Unsigned decimal bits for numbers, "nan:canonical"/"nan:arithmetic" for float patterns, absent for some references. */
  value?: string;
}

export interface WastAction {
  type: "invoke" | "get";
  module?: string;
  field: string;
  args?: WastValue[];
}

export type WastCommand =
  | { type: "module"; line: number; name?: string; filename: string }
  | { type: "register"; line: number; name?: string; as: string }
  | { type: "action"; line: number; action: WastAction; expected?: WastValue[] }
  | { type: "assert_return"; line: number; action: WastAction; expected: WastValue[] }
  | { type: "assert_trap" | "assert_exhaustion"; line: number; action: WastAction; text: string; expected?: WastValue[] }
  | {
      type: "assert_invalid" | "assert_malformed" | "assert_unlinkable" | "assert_uninstantiable";
      line: number;
      filename: string;
      text: string;
      module_type: "binary" | "text";
    };

export interface Script {
  /** The directory holding the .wasm files. */
  dir: string;
  commands: WastCommand[];
}

/** wast2json's version; installs wabt through tools/setup when it is missing. */
export async function wabtVersion(repoRoot: string): Promise<string> {
  const probe = async (): Promise<string> => (await run("wast2json", ["--version"])).stdout.trim();
  try {
    return await probe();
  } catch {
    try {
      await run("bash", [join(repoRoot, "tools", "setup", "install-system-packages.sh")]);
      return await probe();
    } catch {
      throw new Error("wast2json not found and could not be installed: run `bash tools/setup/install-system-packages.sh` (Debian package wabt)");
    }
  }
}

/** Converts `wastPath` into `outDir`; throws with wast2json's first error line when it cannot. */
export async function convert(wastPath: string, outDir: string, base: string): Promise<Script> {
  const json = join(outDir, `${base}.json`);
  try {
    await run("wast2json", [...WAST2JSON_FLAGS, wastPath, "-o", json], { maxBuffer: 16 << 20 });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    const first = stderr.split("\n").find((l) => l.includes("error")) ?? stderr.split("\n")[0] ?? "failed";
    throw new Error(first.replace(/^.*?\.wast:/, "line "));
  }
  const parsed: unknown = JSON.parse(await readFile(json, "utf8"));
  if (typeof parsed !== "object" || parsed === null || !("commands" in parsed) || !Array.isArray(parsed.commands)) {
    throw new Error("wast2json output has no commands array");
  }
  return { dir: outDir, commands: parsed.commands as WastCommand[] };
}
