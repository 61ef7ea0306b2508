// A spoofed SYN flood (issue 11, defect 4): SYNs from random off-link
// addresses (RFC 2544's 198.18.0.0/15, reached through the unikernel's
// gateway) at a given rate, never completing a handshake, while curl -m 2
// fetches the home page in a loop. Enough of curl's fetches must succeed
// (SYN cookies, RFC 4987, when the backlog is full) and the memory must stay
// flat: after the flood, within a tolerance of its size after the flood's
// first second.
import { CLIENT_SOURCES, UNIKERNEL, type Lab } from "../lab.ts";
import { describeSample, growth, sample } from "../memory.ts";
import { WEB, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import { besideCurl, checkLegit, type Scenario } from "./scenario.ts";

export interface SynFloodParams {
  /** SYNs a second. */
  rate: number;
  seconds: number;
  /** Least share of curl's fetches that must succeed (0.95). */
  minRatio: number;
  /** Allowed growth of memory over its size before the flood (0.10 is 10%). */
  tolerance: number;
}

/**
 * Before the baseline: connections, and a second of the flood itself, so
 * that the heap has grown to what a full backlog of half-open connections
 * holds; "flat" is then no growth while the flood goes on.
 */
const WARMUP_CONNECTIONS = 200;
const WARMUP_FLOOD_S = 1;

/** raw-flood.py's syn arguments for `seconds` at `rate`. */
const flood = (lab: Lab, rate: number, seconds: number): string[] =>
  ["syn", "--iface", lab.tap, "--dst", UNIKERNEL, "--dport", "80", "--rate", String(rate), "--seconds", String(seconds)];

export const synFloodScenario: Scenario<SynFloodParams> = {
  name: "syn-flood",
  summary: "spoofed SYNs from off-link addresses beside a curl -m 2 loop: curl keeps succeeding, memory flat",
  app: WEB,
  async run(lab: Lab, target: Target, p: SynFloodParams, report: ScenarioReport): Promise<void> {
    const w = await target.during(lab.tool("churn", [`--host=${UNIKERNEL}`, `--count=${WARMUP_CONNECTIONS}`, "--concurrency=10", `--sources=${CLIENT_SOURCES}`]));
    report.check(w["completed"] === WARMUP_CONNECTIONS, `warm-up: ${String(w["completed"])} of ${WARMUP_CONNECTIONS} connections completed: ${JSON.stringify(w["outcomes"])}`);
    report.figure("memory after the warm-up connections", describeSample(sample(lab, target)));
    const wf = await target.during(lab.tool("raw-flood", flood(lab, p.rate, WARMUP_FLOOD_S)));
    report.check(wf.error === undefined, `raw-flood.py (warm-up) failed: ${String(wf.error)}`);
    if (target.ended() !== null) return;
    const before = sample(lab, target);
    report.figure(`memory after ${WARMUP_FLOOD_S} s of the flood (the baseline)`, describeSample(before));
    const { attack, legit } = await besideCurl(lab, () => target.during(lab.tool("raw-flood", flood(lab, p.rate, p.seconds))));
    if (target.ended() !== null) return;
    const rate = Number(attack["rate"] ?? 0);
    report.figure("SYNs sent", `${String(attack["sent"])} in ${Number(attack["seconds"] ?? 0).toFixed(1)} s (${rate.toFixed(0)}/s; ${String(attack["dropped"])} the tap refused), from ${String(attack["sources"])}, seed ${String(attack["seed"])}`);
    report.check(attack.error === undefined, `raw-flood.py failed: ${String(attack.error)}`);
    // A flood that did not reach its rate (a starved sender) tested less than it claims.
    report.check(rate >= p.rate * 0.9, `the flood reached ${rate.toFixed(0)} SYN/s of the ${p.rate} asked`);
    checkLegit(report, legit, p.minRatio);
    const after = sample(lab, target);
    const g = growth("memory after the flood", before, after, p.tolerance);
    report.figure("memory after the flood", g.note);
    if (g.problem !== undefined) report.problem(g.problem);
  },
};
