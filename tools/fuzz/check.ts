// One module through both engines: decode and validate (tools/wasm),
// compile and link (tools/aot, tools/link), run the plan natively and in
// V8, compare. The module is expected instrumented already (instrument.ts);
// the same bytes go to both engines.

import { decodeModule, validateModule, WasmError, type Module } from "../wasm/index.ts";
import { compareRuns, type Comparison, type Mismatch } from "./compare.ts";
import { unsupportedImport } from "./host.ts";
import { buildImage, runNative } from "./native.ts";
import { makePlan, type Plan } from "./plan.ts";
import { runV8 } from "./v8.ts";

/** How long one image may run; a run of translate-to-fuzz's module takes milliseconds. */
export const RUN_TIMEOUT_MS = 20_000;

export type CheckResult =
  | { status: "skipped"; why: string }
  | { status: "ran"; exports: number; calls: number; comparison: Comparison };

/**
 * What tools/wasm turning a module down means: a skip when the reason is a
 * feature Atoll leaves out or V8 rejects the module too, else a mismatch
 * (a valid module the decoder or validator gets wrong).
 */
export function rejection(bytes: Uint8Array, e: WasmError): { skip: string } | { mismatch: Mismatch } {
  if (e.unsupported) return { skip: e.message.replace(/^.*?(unsupported feature: [^,(]*).*$/s, "$1") };
  if (!WebAssembly.validate(new Uint8Array(bytes))) return { skip: `V8 rejects it too: ${e.message}` };
  return { mismatch: { kind: "decode", where: "decoding", native: `tools/wasm rejects it: ${e.message}`, v8: "valid" } };
}

function decoded(bytes: Uint8Array): { m: Module } | { skip: string } | { mismatch: Mismatch } {
  try {
    const m = decodeModule(bytes);
    validateModule(m);
    return { m };
  } catch (e) {
    if (e instanceof WasmError) return rejection(bytes, e);
    throw e;
  }
}

/** Runs `bytes` both ways; `imagePath` is where the ELF is written. */
export async function checkModule(bytes: Uint8Array, imagePath: string, timeoutMs = RUN_TIMEOUT_MS): Promise<CheckResult> {
  const d = decoded(bytes);
  if ("skip" in d) return { status: "skipped", why: d.skip };
  if ("mismatch" in d) return { status: "ran", exports: 0, calls: 0, comparison: { equal: 0, skipped: 0, exhausted: false, mismatch: d.mismatch } };
  const { m } = d;
  const unsupported = unsupportedImport(m);
  if (unsupported !== undefined) return { status: "skipped", why: unsupported };
  const plan = makePlan(m);
  const exports = (p: Plan): number => new Set(p.calls.map((c) => c.name)).size;
  const v8 = runV8(bytes, plan);
  let image: Uint8Array;
  try {
    image = buildImage(m, plan);
  } catch (e) {
    const mismatch: Mismatch = { kind: "compile", where: "compiling", native: `tools/aot or tools/link failed: ${(e as Error).message}`, v8: "compiled" };
    return { status: "ran", exports: exports(plan), calls: 0, comparison: { equal: 0, skipped: plan.calls.length, exhausted: false, mismatch } };
  }
  const native = await runNative(image, imagePath, plan, timeoutMs);
  return { status: "ran", exports: exports(plan), calls: plan.calls.length, comparison: compareRuns(plan, native, v8) };
}
