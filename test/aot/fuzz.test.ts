// A bounded slice of `npm run fuzz`: a few hundred translate-to-fuzz
// modules of fixed seeds, natively and in V8, with no mismatch. The long
// runs are `npm run fuzz -- --seconds N`.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCampaign } from "../../tools/fuzz/campaign.ts";
import { describeMismatch } from "../../tools/fuzz/compare.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SEED = 20_251_207;
const MODULES = 300;

describe("fuzz: a slice", () => {
  it(`modules 0..${MODULES - 1} of seed ${SEED}: native and V8 agree`, async () => {
    const t = await runCampaign({ root: ROOT, seed: SEED, modules: MODULES });
    const found = t.findings.map((f) => [`module ${f.index} (npm run fuzz -- --seed ${f.seed} --first ${f.index} --modules 1):`, ...describeMismatch(f.mismatch)].join("\n"));
    expect(found).toEqual([]);
    expect(t.modules).toBe(MODULES);
    // The slice compares something: most modules run, with thousands of calls.
    const skipped = [...t.skipped.values()].reduce((a, b) => a + b, 0);
    expect(skipped, JSON.stringify([...t.skipped])).toBeLessThan(MODULES / 10);
    expect(t.exports).toBeGreaterThan(MODULES * 5);
    expect(t.equal).toBeGreaterThan(MODULES * 15);
  }, 300_000);
});
