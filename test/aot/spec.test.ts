// A sample of the WebAssembly core spec scripts through tools/spec (the
// same path as `npm run spec`, which runs all of them): no failures, and
// V8 agrees with every verdict.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runScripts } from "../../tools/spec/main.ts";

const SPEC_DIR = process.env.ATOLL_WASM_SPEC ?? path.resolve(import.meta.dirname, "..", "..", "..", "shared", "wasm-spec");
const SAMPLE = ["i32", "i64", "f32", "f64", "conversions", "br_table", "call_indirect", "memory_copy", "memory_trap", "float_exprs", "left-to-right", "traps", "data", "elem", "start"];

describe("aot: spec scripts (a sample)", () => {
  it(`${SAMPLE.join(", ")}: 0 failed`, async () => {
    // The suite lives beside the repository (../shared/wasm-spec) on every
    // machine of this project; missing, it is a failure, not a silent skip.
    expect(existsSync(SPEC_DIR), `no spec scripts at ${SPEC_DIR}; set ATOLL_WASM_SPEC`).toBe(true);
    const results = await runScripts(SAMPLE.map((n) => `${n}.wast`), { specDir: SPEC_DIR });
    const failures = results.flatMap((r) => (r.failed > 0 || r.v8Disagree > 0 ? [`${r.file}: ${r.failed} failed, V8 disagrees on ${r.v8Disagree}`, ...r.lines] : []));
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.passed, 0)).toBeGreaterThan(10_000);
  });
});
