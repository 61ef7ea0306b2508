// What every scenario shares: its shape (a name, the application it attacks,
// a run over a started unikernel that fills a report), running one on a
// fresh unikernel (a trap or exit during it is a problem of its own), and the
// legitimate client that runs beside an attack (curl-loop.mjs against the
// home page, whose bytes it checks the length of).
import { statSync } from "node:fs";
import path from "node:path";
import { UNIKERNEL, type Lab, type ToolResult } from "../lab.ts";
import { Target, appAt, build, WEB, type TargetKind } from "../target.ts";
import { ScenarioReport, percent } from "./report.ts";

/** One kind of hostile traffic and what it must not do. */
export interface Scenario<P> {
  name: string;
  summary: string;
  /** The application it attacks (examples/web unless it needs other limits). */
  app: string;
  run(lab: Lab, target: Target, params: P, report: ScenarioReport): Promise<void>;
}

/**
 * Builds and starts `scenario`'s application on `kind`, runs the scenario,
 * and stops the unikernel; the report says if it ended on its own meanwhile
 * (a trap, out of memory) or if the scenario could not go on.
 */
export async function runScenario<P>(lab: Lab, scenario: Scenario<P>, kind: TargetKind, params: P, live?: (line: string) => void): Promise<ScenarioReport> {
  const report = new ScenarioReport(`${scenario.name} on ${kind}`, live);
  const app = await appAt(scenario.app);
  const e = build(app, kind);
  if (e !== "") throw new Error(e);
  const target = await Target.start(lab, app, kind);
  try {
    await scenario.run(lab, target, params, report);
  } catch (err) {
    report.problem(`the scenario could not go on: ${(err as Error).message}`);
  } finally {
    const ended = target.ended();
    if (ended !== null) report.problem(ended);
    await target.stop();
  }
  return report;
}

/** examples/web's home page, as curl must get it. */
export const HOME = `http://${UNIKERNEL}/`;
export const HOME_BYTES = statSync(path.join(WEB, "site", "index.html")).size;

/** What the legitimate client got beside an attack. */
export interface Legit {
  attempts: number;
  ok: number;
  ratio: number;
  result: ToolResult;
}

/**
 * Runs `attack` with curl -m MAX-TIME fetching the home page in a loop beside
 * it, from the attack's start to its end; returns both.
 */
export async function besideCurl<T>(lab: Lab, attack: () => Promise<T>, maxTimeS = 2): Promise<{ attack: T; legit: Legit }> {
  const curl = lab.tool("curl-loop", [`--url=${HOME}`, "--seconds=86400", "--stop=stdin", `--max-time=${maxTimeS}`, `--bytes=${HOME_BYTES}`]);
  let a: T;
  try {
    a = await attack();
  } finally {
    curl.release();
  }
  const r = await curl.result;
  if (r.error !== undefined) throw new Error(`curl-loop failed: ${r.error}`);
  return { attack: a, legit: { attempts: Number(r["attempts"]), ok: Number(r["ok"]), ratio: Number(r["ratio"]), result: r } };
}

/** Adds the legitimate client's figures to `report` and checks its success ratio against `min`. */
export function checkLegit(report: ScenarioReport, legit: Legit, min: number): void {
  report.figure("curl fetches beside it", `${legit.ok} of ${legit.attempts} ok (${percent(legit.ok, legit.attempts)})`);
  const failures = Object.entries(legit.result["outcomes"] as Record<string, number>).filter(([k]) => k !== "ok");
  if (failures.length > 0) report.figure("curl failures", failures.map(([k, n]) => `${k} x${n}`).join(", "));
  // A handful of fetches would make any ratio meaningless.
  report.check(legit.attempts >= 5, `curl made only ${legit.attempts} fetches beside the attack; at least 5 are needed to measure it`);
  report.check(legit.ratio >= min, `${percent(legit.ok, legit.attempts)} of curl's fetches succeeded beside the attack; at least ${(min * 100).toFixed(0)}% must`);
}
