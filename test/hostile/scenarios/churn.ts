// Connection churn (issue 11, defects 1-3): connections with one GET each,
// closed by the client with a FIN or a RST, in rounds. Every request must
// succeed, the memory after the run must stay within a tolerance of its size
// after a warm-up (a closed connection's memory is free at once), and, where
// asked, the resident set stays under a limit and the rate of the last round
// of each closing kind within a tolerance of the first (no slowdown as
// connections pile up: O(1) bookkeeping).
import { CLIENT_SOURCES, UNIKERNEL, type Lab } from "../lab.ts";
import { describeSample, growth, mb, sample } from "../memory.ts";
import { WEB, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import type { Scenario } from "./scenario.ts";

export interface ChurnParams {
  /** Connections (closed with FIN) before the baseline is measured. */
  warmup: number;
  /** The rounds after it. */
  rounds: { count: number; close: "fin" | "rst" }[];
  /** Connections open at once (1: one after another). */
  concurrency: number;
  /** Allowed growth of the live heap over the baseline (0.10 is 10%); undefined: measured, not checked. */
  tolerance?: number;
  /** Allowed growth of linear memory (stats heap_bytes) over the baseline; undefined: not checked. */
  sizeTolerance?: number;
  /** Largest resident set allowed after the run (unix), bytes. */
  rssLimit?: number;
  /** Allowed drop in connections per second from the first round to the last of each closing kind. */
  rateTolerance?: number;
}

/** One run of churn.mjs; throws when the tool itself failed. */
async function churn(lab: Lab, target: Target, count: number, close: "fin" | "rst", concurrency: number): Promise<Record<string, unknown>> {
  const r = await target.during(lab.tool("churn", [
    `--host=${UNIKERNEL}`, `--count=${count}`, `--concurrency=${concurrency}`, `--close=${close}`, `--sources=${CLIENT_SOURCES}`,
    // A livelocked server must end the run, not hang it: 10 s for each connection that fails, at worst.
    `--deadline=${120 + Math.ceil((count / concurrency) * 10)}`,
  ]));
  if (r.error !== undefined && r["completed"] === undefined) throw new Error(`churn.mjs: ${r.error}`);
  return r;
}

export const churnScenario: Scenario<ChurnParams> = {
  name: "churn",
  summary: "connections with one GET each, closed with FIN or RST: every request served, memory flat, no slowdown",
  app: WEB,
  async run(lab: Lab, target: Target, p: ChurnParams, report: ScenarioReport): Promise<void> {
    const total = p.warmup + p.rounds.reduce((n, r) => n + r.count, 0);
    report.figure("connections", `${total} (${p.warmup} warm-up, then ${roundsText(p.rounds)}), ${p.concurrency} at once`);
    let failures = 0;
    if (p.warmup > 0) {
      const w = await churn(lab, target, p.warmup, "fin", p.concurrency);
      const failed = p.warmup - Number(w["completed"] ?? 0);
      failures += failed;
      report.check(failed === 0 && w.error === undefined, `warm-up: ${failed} of ${p.warmup} connections failed${w.error ? ` (${w.error})` : ""}: ${JSON.stringify(w["outcomes"])}, first: ${JSON.stringify(w["firstFailures"])}`);
    }
    const baseline = sample(lab, target);
    report.figure(p.warmup > 0 ? "memory after the warm-up (the baseline)" : "memory before the first connection (the baseline)", describeSample(baseline));
    const rates: { close: string; perSecond: number }[] = [];
    for (const [i, round] of p.rounds.entries()) {
      if (target.ended() !== null) break;
      const r = await churn(lab, target, round.count, round.close, p.concurrency);
      // Without "failed" the tool was stopped: what it did not complete failed.
      const failed = round.count - Number(r["completed"] ?? 0);
      failures += failed;
      const perSecond = Number(r["perSecond"] ?? 0);
      rates.push({ close: round.close, perSecond });
      const after = target.ended() === null ? sample(lab, target) : {};
      report.figure(`round ${i + 1} (${round.count} ${round.close.toUpperCase()})`, `${round.count - failed} ok, ${perSecond.toFixed(0)} conn/s, ${describeSample(after)}`);
      report.check(failed === 0 && r.error === undefined, `round ${i + 1}: ${failed} of ${round.count} connections failed${r.error ? ` (${r.error})` : ""}: ${JSON.stringify(r["outcomes"])}, first: ${JSON.stringify(r["firstFailures"])}`);
      // A server that answered less than half a round (livelocked) would fail the rest at a timeout each.
      if (failed > round.count / 2 && i + 1 < p.rounds.length) {
        report.figure("rounds left", `${p.rounds.length - i - 1}, not run: the server failed most of round ${i + 1}`);
        break;
      }
    }
    report.figure("failed connections", failures);
    if (target.ended() !== null) return;
    const end = sample(lab, target);
    const g = growth("memory after the run", baseline, end, p.tolerance ?? Infinity);
    report.figure("memory after the run", `${g.note}${p.tolerance === undefined ? " (not checked)" : ""}`);
    if (p.tolerance !== undefined && g.problem !== undefined) report.problem(g.problem);
    if (p.sizeTolerance !== undefined) {
      const s = growth("linear memory after the run", baseline, end, p.sizeTolerance, "size");
      report.figure("linear memory after the run", s.note);
      if (s.problem !== undefined) report.problem(s.problem);
    }
    if (p.rssLimit !== undefined && end.rss !== undefined) {
      report.figure("RSS after the run", `${mb(end.rss)} (at most ${mb(p.rssLimit)})`);
      report.check(end.rss <= p.rssLimit, `RSS after the run is ${mb(end.rss)}; at most ${mb(p.rssLimit)} allowed`);
    }
    if (p.rateTolerance !== undefined) {
      for (const close of ["fin", "rst"]) {
        const of = rates.filter((r) => r.close === close);
        if (of.length < 2) continue;
        const first = of[0]!.perSecond, last = of[of.length - 1]!.perSecond;
        report.figure(`${close.toUpperCase()} rounds: conn/s first, last`, `${first.toFixed(0)}, ${last.toFixed(0)} (${(((last - first) / first) * 100).toFixed(1)}%)`);
        report.check(last >= first * (1 - p.rateTolerance), `the last ${close.toUpperCase()} round made ${last.toFixed(0)} conn/s, the first ${first.toFixed(0)}: more than ${(p.rateTolerance * 100).toFixed(0)}% slower`);
      }
    }
  },
};

/** "10 x 10500 FIN, 10 x 10500 RST": runs of equal rounds together. */
function roundsText(rounds: ChurnParams["rounds"]): string {
  const runs: { n: number; count: number; close: string }[] = [];
  for (const r of rounds) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.count === r.count && last.close === r.close) last.n++;
    else runs.push({ n: 1, count: r.count, close: r.close });
  }
  return runs.map((r) => `${r.n > 1 ? `${r.n} x ` : ""}${r.count} ${r.close.toUpperCase()}`).join(", ");
}
