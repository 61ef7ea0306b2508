// Rounds of idle connections (issue 11, defects 1 and 3): each round opens
// --per-round connections that send nothing, holds them, then closes them all
// at once, with FINs and with RSTs in alternate rounds. Every connection is
// accepted (or, past the stack's connection limit, all it allows: the
// server turns newcomers away, or sheds idle connections for them, and the
// report counts both), the unikernel survives every close, and the memory
// after each round is within a tolerance of its size after the first
// (memory grows to hold a round's connections, and must then be reused, not
// added to). Connections still idle at the request-head deadline (10 s) are
// closed by the server: counted too.
import { CLIENT_SOURCES, UNIKERNEL, type Lab } from "../lab.ts";
import { describeSample, growth, readStats, sample, type MemorySample } from "../memory.ts";
import { WEB, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import type { Scenario } from "./scenario.ts";

export interface IdleRoundsParams {
  rounds: number;
  perRound: number;
  /** Connects in flight at once. */
  concurrency: number;
  /** Allowed growth of the live heap after a round over what it was after the first (0.10 is 10%); undefined: measured, not checked. */
  tolerance?: number;
  /** The same for linear memory (stats heap_bytes); undefined: not checked. */
  sizeTolerance?: number;
}

/** With the stats page: waits (up to `ms`) until the unikernel holds at most `n` TCP connections; the count then. */
async function settle(lab: Lab, target: Target, n: number, ms: number): Promise<number | undefined> {
  if (!target.app.stats) return undefined;
  const deadline = Date.now() + ms;
  for (;;) {
    const c = readStats(lab)["tcp_connections"];
    if (c === undefined || c <= n || Date.now() >= deadline || target.ended() !== null) return c;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export const idleRoundsScenario: Scenario<IdleRoundsParams> = {
  name: "idle-rounds",
  summary: "rounds of idle connections opened, held and closed at once (FIN and RST alternately): no trap, memory back each round",
  app: WEB,
  async run(lab: Lab, target: Target, p: IdleRoundsParams, report: ScenarioReport): Promise<void> {
    report.figure("rounds", `${p.rounds} of ${p.perRound} idle connections, closed with FIN and RST alternately; memory after each against after the first: ${p.tolerance === undefined ? "measured, not checked" : `at most +${(p.tolerance * 100).toFixed(0)}%`}`);
    const before = sample(lab, target);
    report.figure("memory before", describeSample(before));
    const limit = before.stats?.["tcp_limit"];
    if (limit !== undefined) report.figure("the stack's connection limit", limit);
    let baseline: MemorySample | undefined;
    for (let i = 0; i < p.rounds && target.ended() === null; i++) {
      const close = i % 2 === 0 ? "fin" : "rst";
      const idle = lab.tool("idle", [
        `--host=${UNIKERNEL}`, `--count=${p.perRound}`, `--concurrency=${p.concurrency}`, "--hold=stdin", `--close=${close}`,
        `--sources=${CLIENT_SOURCES}`, `--deadline=${120 + Math.ceil(p.perRound / 10)}`,
      ]);
      const opened = await lab.waitForLine(idle, /^opened (\d+) of (\d+)$/m, (120 + p.perRound / 10) * 1000, () => target.ended() !== null);
      const held = opened !== null && target.ended() === null ? describeSample(sample(lab, target)) : "-";
      idle.release();
      const r = await target.during(idle);
      const label = `round ${i + 1} (${close.toUpperCase()})`;
      const accepted = Number(r["accepted"] ?? opened?.[1] ?? 0);
      if (target.ended() !== null) {
        // The unikernel's end is the problem (runScenario reports it); the client's figures say when it came.
        report.figure(label, `${accepted} accepted, held: ${held}; then the unikernel ended (${opened === null ? "while they opened" : "while they closed"})`);
        break;
      }
      // Past the limit the server may turn a newcomer away: what it must take is a round or its limit, whichever is less.
      const must = Math.min(p.perRound, limit ?? p.perRound);
      report.check(accepted >= must && r.error === undefined, `${label}: ${accepted} of ${p.perRound} connections accepted, ${must} expected (the connection limit is ${limit ?? "unknown"})${r.error ? ` (${r.error})` : ""}: ${JSON.stringify(r["connects"])}`);
      // Past the stack's connection limit the server sheds idle connections (RST): counted, not a fault.
      const shed = Number(r["closedByServer"] ?? 0) + Number(r["resetWhileHeld"] ?? 0);
      if (close === "fin") report.check(r["finUnanswered"] === 0, `${label}: ${String(r["finUnanswered"])} FINs got no FIN back`);
      const left = await settle(lab, target, 1, 30_000);
      const after = sample(lab, target);
      report.figure(label, `${accepted} accepted${accepted < p.perRound ? ` (${p.perRound - accepted} turned away)` : ""}, ${Number(r["perSecond"] ?? 0).toFixed(0)}/s${shed > 0 ? `, ${shed} of them ended by the server while held` : ""}; held: ${held}; after closing: ${describeSample(after)}${left === undefined ? "" : ` (${left} left)`}`);
      if (baseline === undefined) {
        baseline = after;
        continue;
      }
      const g = growth(`${label}, memory after`, baseline, after, p.tolerance ?? Infinity);
      if (g.problem !== undefined) report.problem(g.problem);
      if (p.sizeTolerance !== undefined) {
        const s = growth(`${label}, linear memory after`, baseline, after, p.sizeTolerance, "size");
        if (s.problem !== undefined) report.problem(s.problem);
      }
    }
  },
};
