// A fuzzing run: modules 0, 1, 2... of a seed, each generated, instrumented
// and checked both ways, until a module count or a time limit. A few
// modules are in flight at once so that the images (child processes) run
// while this thread generates and compiles the next module.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { WasmError } from "../wasm/index.ts";
import { checkModule, rejection, RUN_TIMEOUT_MS } from "./check.ts";
import type { Mismatch } from "./compare.ts";
import { generateModule } from "./generate.ts";
import { instrument } from "./instrument.ts";

export interface CampaignOptions {
  /** The repository (binaryen lives in its node_modules). */
  root: string;
  seed: number;
  /** The first module's number (default 0). */
  first?: number;
  /** Stop after this many modules... */
  modules?: number;
  /** ...or start no module after this many seconds. At least one of the two. */
  seconds?: number;
  /** Modules in flight (default 3). */
  inFlight?: number;
  /** Which module numbers this run takes: first + stride.mine + k * stride.of (parallel runs of one seed). */
  stride?: { of: number; mine: number };
  timeoutMs?: number;
  /** Called after each module. */
  onModule?: (totals: Totals, finding?: Finding) => void;
}

export interface Finding {
  seed: number;
  index: number;
  /** The module that mismatched: instrumented, or as generated when tools/wasm rejected it. */
  bytes: Uint8Array;
  mismatch: Mismatch;
}

export interface Totals {
  /** Modules generated. */
  modules: number;
  /** Modules not compared, by reason (a feature Atoll leaves out, an import neither engine provides). */
  skipped: Map<string, number>;
  /** Exported functions called, and calls planned (of modules that compiled). */
  exports: number;
  calls: number;
  /** Calls found equal, and calls not compared (after a stack exhaustion or a mismatch). */
  equal: number;
  notCompared: number;
  /** Modules cut short by a stack exhaustion, and modules whose instantiation trapped on both sides. */
  exhausted: number;
  initTrapped: number;
  findings: Finding[];
  seconds: number;
}

/** Runs the campaign; resolves with the totals once every started module is done. */
export async function runCampaign(opts: CampaignOptions): Promise<Totals> {
  if (opts.modules === undefined && opts.seconds === undefined) throw new Error("fuzz: give a module count or a time limit");
  const started = Date.now();
  const totals: Totals = { modules: 0, skipped: new Map(), exports: 0, calls: 0, equal: 0, notCompared: 0, exhausted: 0, initTrapped: 0, findings: [], seconds: 0 };
  const dir = await mkdtemp(path.join(tmpdir(), "atoll-fuzz-"));
  const stride = opts.stride ?? { of: 1, mine: 0 };
  let next = (opts.first ?? 0) + stride.mine;
  let taken = 0;
  /** The first module the harness itself failed on (an exception that is not a verdict), and the error. */
  let failed: { index: number; error: unknown } | undefined;
  const more = (): boolean =>
    failed === undefined &&
    (opts.modules === undefined || taken < opts.modules) &&
    (opts.seconds === undefined || Date.now() - started < opts.seconds * 1000);
  const skip = (why: string): void => {
    totals.skipped.set(why, (totals.skipped.get(why) ?? 0) + 1);
  };

  const one = async (index: number): Promise<void> => {
    let finding: Finding | undefined;
    let raw: Uint8Array | undefined;
    try {
      raw = await generateModule(opts.root, dir, opts.seed, index);
    } catch (e) {
      // binaryen's failure, not the compiler's: counted, and the run goes on.
      skip(`translate-to-fuzz failed: ${(e as Error).message.split("\n")[0]}`);
    }
    let bytes: Uint8Array | undefined;
    if (raw !== undefined) {
      try {
        bytes = instrument(raw);
      } catch (e) {
        if (!(e instanceof WasmError)) throw e;
        const r = rejection(raw, e);
        if ("skip" in r) skip(r.skip);
        else finding = { seed: opts.seed, index, bytes: raw, mismatch: r.mismatch };
      }
    }
    if (bytes !== undefined) {
      const r = await checkModule(bytes, path.join(dir, `${index}.elf`), opts.timeoutMs ?? RUN_TIMEOUT_MS);
      if (r.status === "skipped") skip(r.why);
      else {
        // Calls that never started (instantiation trapped, the module did not compile) are not counted as run.
        if (r.comparison.initTrapped !== true && r.calls > 0) totals.exports += r.exports;
        totals.calls += r.calls;
        totals.equal += r.comparison.equal;
        totals.notCompared += r.comparison.skipped;
        if (r.comparison.exhausted) totals.exhausted++;
        if (r.comparison.initTrapped === true) totals.initTrapped++;
        if (r.comparison.mismatch !== undefined) finding = { seed: opts.seed, index, bytes, mismatch: r.comparison.mismatch };
      }
    }
    await rm(path.join(dir, `${index}.elf`), { force: true });
    totals.modules++;
    if (finding !== undefined) totals.findings.push(finding);
    totals.seconds = (Date.now() - started) / 1000;
    opts.onModule?.(totals, finding);
  };

  // A lane that fails stops the others from starting modules; they finish
  // theirs before the scratch folder goes, and the error names the module.
  const lanes = Array.from({ length: opts.inFlight ?? 3 }, async () => {
    while (more()) {
      const index = next;
      next += stride.of;
      taken++;
      try {
        await one(index);
      } catch (error) {
        failed ??= { index, error };
      }
    }
  });
  await Promise.all(lanes);
  await rm(dir, { recursive: true, force: true });
  if (failed !== undefined) {
    const e = failed.error;
    throw new Error(`fuzz: the harness failed on module ${failed.index} of seed ${opts.seed}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, { cause: e });
  }
  totals.seconds = (Date.now() - started) / 1000;
  return totals;
}
