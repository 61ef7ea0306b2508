// Every module the differential fuzzer saved (test/aot/fuzz-regressions/,
// written by `npm run fuzz`), natively and in V8 again. A fixed bug must
// stay fixed: no mismatch. One still marked open (a known compiler bug not
// fixed yet) must still show its mismatch, so the saved module stays a
// reproducer; once it no longer does, the bug is fixed and the flag goes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkModule } from "../../tools/fuzz/check.ts";
import { describeMismatch } from "../../tools/fuzz/compare.ts";
import { loadRegressions, REGRESSIONS_DIR } from "../../tools/fuzz/regressions.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const dir = mkdtempSync(path.join(tmpdir(), "atoll-fuzz-regressions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const saved = loadRegressions(ROOT);

describe("fuzz: saved regressions", () => {
  it(`${REGRESSIONS_DIR} holds modules with what mismatched`, () => {
    for (const r of saved) {
      expect(r.wasm.length, r.name).toBeGreaterThan(8);
      expect(r.meta.kind, r.name).toMatch(/^[a-z]+$/);
      expect(typeof r.meta.open, r.name).toBe("boolean");
    }
  });
  for (const r of saved) {
    it(`${r.name}${r.meta.open ? " (open)" : ""}: ${r.meta.kind} at ${r.meta.where}`, async () => {
      const res = await checkModule(r.wasm, path.join(dir, `${r.name}.elf`));
      expect(res.status, res.status === "skipped" ? res.why : "").toBe("ran");
      if (res.status !== "ran") return;
      const m = res.comparison.mismatch;
      if (r.meta.open) {
        expect(m?.kind, `${r.name} no longer mismatches: the bug looks fixed; set "open": false in its .json`).toBe(r.meta.kind);
      } else {
        expect(m === undefined ? [] : describeMismatch(m)).toEqual([]);
        expect(res.comparison.equal + res.comparison.skipped).toBe(res.calls);
      }
    });
  }
});
