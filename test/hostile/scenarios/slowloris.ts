// Slowloris (issue 11, defect 5): connections that send a request head one
// byte every few seconds and never finish it, while curl fetches the home
// page in a loop. The server must end every one of them within the request
// head's deadline (lib/http's HttpLimits, 10 s by default) from its first
// byte, plus a slack for timers and a loaded machine, and curl must be
// unaffected.
import { UNIKERNEL, type Lab } from "../lab.ts";
import { WEB, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import { besideCurl, checkLegit, type Scenario } from "./scenario.ts";

export interface SlowlorisParams {
  count: number;
  /** Seconds between two bytes of a connection. */
  interval: number;
  /** The server's deadline for a whole request head, seconds. */
  headDeadline: number;
  /** What a connection may live past the deadline (timer granularity, load), seconds. */
  slack: number;
  /** Least share of curl's fetches that must succeed (0.99). */
  minRatio: number;
}

export const slowlorisScenario: Scenario<SlowlorisParams> = {
  name: "slowloris",
  summary: "connections sending a request head a byte at a time: each closed within the head deadline, curl unaffected",
  app: WEB,
  async run(lab: Lab, target: Target, p: SlowlorisParams, report: ScenarioReport): Promise<void> {
    const limit = p.headDeadline + p.slack;
    // Long enough to see every connection outlive the deadline twice over when nothing ends them.
    const observe = 2 * p.headDeadline + p.slack;
    report.figure("slow connections", `${p.count}, one byte every ${p.interval} s, watched for ${observe} s; deadline ${p.headDeadline} s (+${p.slack} s slack)`);
    const { attack, legit } = await besideCurl(lab, () => target.during(lab.tool("slowloris", [
      `--host=${UNIKERNEL}`, `--count=${p.count}`, `--interval=${p.interval}`, `--seconds=${observe}`, `--deadline=${observe + 120}`,
    ])));
    if (target.ended() !== null) return;
    const ended = (attack["ended"] ?? {}) as Record<string, number>;
    const life = (attack["lifetimeMs"] ?? {}) as Record<string, number>;
    report.figure("how they ended", JSON.stringify(ended));
    if (Object.keys((attack["responses"] ?? {}) as object).length > 0) report.figure("responses before the close", JSON.stringify(attack["responses"]));
    report.figure("lifetime from the first byte (ms)", life["max"] === undefined ? "-" : `min ${life["min"]}, median ${life["median"]}, p99 ${life["p99"]}, max ${life["max"]}`);
    checkLegit(report, legit, p.minRatio);
    report.check(attack.error === undefined, `slowloris.mjs failed: ${String(attack.error)}`);
    report.check(attack["connected"] === p.count, `${String(attack["connected"])} of ${p.count} slow connections connected`);
    report.check((ended["open"] ?? 0) === 0, `${ended["open"] ?? 0} of ${p.count} slow connections were still open after ${observe} s`);
    report.check(life["max"] === undefined || life["max"] <= limit * 1000, `a slow connection lived ${((life["max"] ?? 0) / 1000).toFixed(1)} s from its first byte; the head deadline is ${p.headDeadline} s (+${p.slack} s allowed)`);
  },
};
