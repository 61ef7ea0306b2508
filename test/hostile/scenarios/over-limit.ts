// Over the connection limit (issue 11, defect 3): against examples/web with
// a limit of WEB_LIMITED_CONNECTIONS (test/fixtures/web-limited), a client
// opens idle connections as fast as it can while curl fetches the home page
// in a loop. The attacker is another host than curl's (its own addresses,
// ATTACKER_SOURCES): lib/http turns away a newcomer from an address that
// holds its share of the waiting connections, and nothing can tell a flood
// from a real client sharing its address. curl must keep succeeding, the unikernel must hold no more than
// its limit (the stats page's tcp_connections when it has one, else the
// client's count of connections the server kept open), and it must survive.
import { ATTACKER_SOURCES, UNIKERNEL, type Lab } from "../lab.ts";
import { readStats } from "../memory.ts";
import { WEB_LIMITED, WEB_LIMITED_CONNECTIONS, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import { besideCurl, checkLegit, type Scenario } from "./scenario.ts";

export interface OverLimitParams {
  /** How long the flood keeps opening. */
  seconds: number;
  /** Connections the flood holds at most (its own file limit bounds it) before it stops opening: reached only when the server accepts far past its limit. */
  maxOpen: number;
  /** Connects in flight at once. */
  concurrency: number;
  /** Least share of curl's fetches that must succeed (0.99). */
  minRatio: number;
}

export const overLimitScenario: Scenario<OverLimitParams> = {
  name: "over-limit",
  summary: `idle connections opened as fast as possible past a limit of ${WEB_LIMITED_CONNECTIONS}, beside a curl loop: curl unaffected, the limit held`,
  app: WEB_LIMITED,
  async run(lab: Lab, target: Target, p: OverLimitParams, report: ScenarioReport): Promise<void> {
    report.figure("flood", `idle connections for ${p.seconds} s (stopping at ${p.maxOpen} held), ${p.concurrency} connects in flight; the limit is ${WEB_LIMITED_CONNECTIONS}`);
    let held: number | undefined;
    const { attack, legit } = await besideCurl(lab, async () => {
      const flood = lab.tool("idle", [
        `--host=${UNIKERNEL}`, `--seconds=${p.seconds}`, `--max-open=${p.maxOpen}`, `--concurrency=${p.concurrency}`, "--hold=stdin", "--close=rst",
        `--sources=${ATTACKER_SOURCES}`, "--connect-timeout-ms=3000", `--deadline=${p.seconds + 120}`,
      ]);
      const opened = await lab.waitForLine(flood, /^opened (\d+) of (\d+)$/m, (p.seconds + 60) * 1000, () => target.ended() !== null);
      // What the server holds at the flood's peak, by its own count.
      if (opened !== null && target.app.stats && target.ended() === null) held = readStats(lab)["tcp_connections"];
      flood.release();
      return target.during(flood);
    });
    if (target.ended() !== null) return;
    report.figure("flood's connects", `${String(attack["attempts"])} attempted in ${(Number(attack["openMs"] ?? 0) / 1000).toFixed(1)} s: ${JSON.stringify(attack["connects"])}`);
    report.figure("flood's connections the server ended while held", `${String(attack["closedByServer"])} closed, ${String(attack["resetWhileHeld"])} reset`);
    checkLegit(report, legit, p.minRatio);
    report.check(attack.error === undefined, `the flood client failed: ${String(attack.error)}`);
    report.check(Number(attack["attempts"]) > WEB_LIMITED_CONNECTIONS * 2, `the flood attempted only ${String(attack["attempts"])} connections, not enough to go past the limit of ${WEB_LIMITED_CONNECTIONS}`);
    if (held !== undefined) {
      report.figure("TCP connections the server held at the flood's end (stats)", held);
      // The flood's, curl's one and the stats request's own.
      report.check(held <= WEB_LIMITED_CONNECTIONS + 2, `the server held ${held} TCP connections; its limit is ${WEB_LIMITED_CONNECTIONS}`);
    } else {
      const open = Number(attack["heldAtClose"]);
      report.figure("flood's connections still open at its end (client's count)", open);
      report.check(open <= WEB_LIMITED_CONNECTIONS, `the server kept ${open} of the flood's connections open at once; its limit is ${WEB_LIMITED_CONNECTIONS}`);
    }
  },
};
