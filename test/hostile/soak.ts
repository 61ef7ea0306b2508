// `npm run soak:net -- [SCENARIO...] [--target unix|kvm|both]`: issue 11's
// acceptance figures, each scenario of scenarios/ with its full numbers on
// each target asked (both by default), one after another on a fresh
// unikernel in one lab. Prints each figure as it comes, then a table per
// scenario with the command that reproduces it, and a summary; exit status 1
// when any criterion was missed, 2 for a usage error. It takes about an hour
// with both targets; needs root (a namespace and a tap).
import { formatTable } from "../../tools/bench/table.ts";
import { Lab } from "./lab.ts";
import { TARGETS, type TargetKind } from "./target.ts";
import { runScenario, type Scenario } from "./scenarios/scenario.ts";
import type { ScenarioReport } from "./scenarios/report.ts";
import { churnScenario } from "./scenarios/churn.ts";
import { idleRoundsScenario } from "./scenarios/idle-rounds.ts";
import { overLimitScenario } from "./scenarios/over-limit.ts";
import { synFloodScenario } from "./scenarios/syn-flood.ts";
import { slowlorisScenario } from "./scenarios/slowloris.ts";
import { fragmentsScenario } from "./scenarios/fragments.ts";

/** A scenario with its soak numbers per target, ready to run. */
interface Soak {
  name: string;
  summary: string;
  run(lab: Lab, kind: TargetKind, live: (line: string) => void): Promise<ScenarioReport>;
}

function soak<P>(scenario: Scenario<P>, params: Record<TargetKind, P>): Soak {
  return { name: scenario.name, summary: scenario.summary, run: (lab, kind, live) => runScenario(lab, scenario, kind, params[kind], live) };
}

/** Issue 11 says MB: 10^6 bytes, the stricter reading. */
const MB = 1_000_000;
/** `rounds` rounds of `count` connections: the first half closed with FIN, the rest with RST. */
const finThenRst = (rounds: number, count: number): { count: number; close: "fin" | "rst" }[] =>
  Array.from({ length: rounds }, (_, i) => ({ count, close: i < rounds / 2 ? "fin" : "rst" }));

/** Issue 11's acceptance numbers. */
const SOAKS: Soak[] = [
  soak(churnScenario, {
    // 20 rounds of 10,500 (210,000 connections), 10 closed with FIN (four of
    // them in a row livelocked the stack), then 10 with RST; RSS <= 64 MB; the
    // last round of each kind within 20% of the first's rate.
    unix: { warmup: 0, rounds: finThenRst(20, 10_500), concurrency: 200, rssLimit: 64 * MB, rateTolerance: 0.20 },
    // 100,000 sequential: the heap after them within 10% of its size after the first 1,000.
    kvm: { warmup: 1_000, rounds: Array.from({ length: 9 }, () => ({ count: 11_000, close: "fin" as const })), concurrency: 1, tolerance: 0.10, sizeTolerance: 0.10 },
  }),
  soak(idleRoundsScenario, {
    // The acceptance is kvm's. On unix, where linear memory has no bound, the
    // collector lets it double past what is live (0.1 MB live after each
    // round, 16.8 then 33.6 MB of heap): measured, not checked.
    unix: { rounds: 10, perRound: 5_000, concurrency: 200 },
    kvm: { rounds: 10, perRound: 5_000, concurrency: 100, tolerance: 0.10, sizeTolerance: 0.10 },
  }),
  soak(overLimitScenario, {
    // The client's own file limit (20,000 here) bounds what it can hold.
    unix: { seconds: 30, maxOpen: 15_000, concurrency: 200, minRatio: 0.99 },
    kvm: { seconds: 30, maxOpen: 15_000, concurrency: 200, minRatio: 0.99 },
  }),
  soak(synFloodScenario, {
    unix: { rate: 5_000, seconds: 30, minRatio: 0.95, tolerance: 0.10 },
    kvm: { rate: 5_000, seconds: 30, minRatio: 0.95, tolerance: 0.10 },
  }),
  soak(slowlorisScenario, {
    unix: { count: 2_000, interval: 5, headDeadline: 10, slack: 2, minRatio: 0.99 },
    kvm: { count: 2_000, interval: 5, headDeadline: 10, slack: 2, minRatio: 0.99 },
  }),
  soak(fragmentsScenario, {
    unix: { count: 20_000, rate: 20_000 },
    kvm: { count: 20_000, rate: 5_000 },
  }),
];

/** Figures under a title, names padded to one column, values left as they read. */
function figureTable(title: string, figures: [string, string][]): string {
  const w = Math.max(...figures.map(([n]) => n.length), title.length);
  return [title, "-".repeat(w), ...figures.map(([n, v]) => `${n.padEnd(w)}  ${v}`)].join("\n");
}

function usage(why: string): number {
  process.stderr.write(`soak:net: ${why}\nusage: npm run soak:net -- [SCENARIO...] [--target unix|kvm|both]\nscenarios:\n${SOAKS.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`).join("\n")}\n`);
  return 2;
}

/** Runs the soak; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let targets: TargetKind[] = TARGETS;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const t = a === "--target" ? argv[++i] : a.startsWith("--target=") ? a.slice("--target=".length) : undefined;
    if (t !== undefined) {
      if (t !== "unix" && t !== "kvm" && t !== "both") return usage(`--target takes unix, kvm or both, not '${t}'`);
      targets = t === "both" ? TARGETS : [t];
    } else if (a.startsWith("-")) return usage(`unknown option ${a}`);
    else if (!SOAKS.some((s) => s.name === a)) return usage(`no scenario '${a}'`);
    else names.push(a);
  }
  const chosen = names.length === 0 ? SOAKS : SOAKS.filter((s) => names.includes(s.name));
  const lab = new Lab("soak");
  const interrupted = (): void => { lab.teardown(); process.exit(130); };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const e = lab.setup();
  if (e !== "") {
    lab.teardown();
    process.stderr.write(`soak:net: ${e}\n`);
    return 1;
  }
  const summary: string[][] = [];
  try {
    for (const s of chosen) {
      for (const kind of targets) {
        const command = `npm run soak:net -- ${s.name} --target ${kind}`;
        process.stdout.write(`\n== ${s.name} on ${kind}: ${s.summary}\n`);
        const t0 = performance.now();
        let report: ScenarioReport;
        try {
          report = await s.run(lab, kind, (line) => process.stdout.write(`${line}\n`));
        } catch (err) {
          process.stdout.write(`  could not run: ${(err as Error).message}\n`);
          summary.push([s.name, kind, "could not run", "-", command]);
          continue;
        }
        const minutes = ((performance.now() - t0) / 60_000).toFixed(1);
        process.stdout.write(`\n${figureTable(`${s.name} on ${kind}`, report.figures)}\n`);
        for (const p of report.problems) process.stdout.write(`PROBLEM: ${p}\n`);
        process.stdout.write(`${report.problems.length === 0 ? "PASSED" : "FAILED"} in ${minutes} min; reproduce: ${command}\n`);
        summary.push([s.name, kind, report.problems.length === 0 ? "passed" : `FAILED (${report.problems.length})`, minutes, command]);
      }
    }
  } finally {
    lab.teardown();
  }
  process.stdout.write(`\n${formatTable(["scenario", "target", "result", "minutes", "reproduce"], summary)}\n`);
  return summary.every((r) => r[2] === "passed") ? 0 : 1;
}
