// Incomplete fragmented datagrams (issue 11, defect 6): many datagrams from
// many off-link sources of which only one fragment ever comes (the first, or
// a middle one), then a legitimate client's fragmented datagrams. Linux's
// ping fragments its echo request itself: through a route whose MTU is
// locked at 576 for a 1,000-byte echo (the answer fits one frame, so only
// the unikernel's reassembly is tested), and a 4,000-byte echo, whose answer
// the unikernel must fragment too. Both must be answered after the flood,
// as the first is before it.
import { pingEach } from "../../helpers/ping.ts";
import { UNIKERNEL, type Lab } from "../lab.ts";
import { describeSample, sample } from "../memory.ts";
import { WEB, type Target } from "../target.ts";
import type { ScenarioReport } from "./report.ts";
import type { Scenario } from "./scenario.ts";

export interface FragmentsParams {
  /** Incomplete datagrams: half of them first fragments, half middle ones. */
  count: number;
  /** Datagrams a second (0: as fast as the sender goes). */
  rate: number;
}

/** Echo requests per check, and the seconds they may take in all. */
const PINGS = 3;
const PING_DEADLINE_S = 10;
/** The route MTU that makes Linux fragment a 1,000-byte echo request (RFC 791's 576, every host's minimum). */
const SMALL_MTU = 576;

export const fragmentsScenario: Scenario<FragmentsParams> = {
  name: "fragments",
  summary: "incomplete fragmented datagrams from many sources, then a legitimate fragmented ping and ping -s 4000: both answered",
  app: WEB,
  async run(lab: Lab, target: Target, p: FragmentsParams, report: ScenarioReport): Promise<void> {
    const ping = (size: number): string[] => {
      const r = pingEach(lab.inside([]), UNIKERNEL, PINGS, 0.2, PING_DEADLINE_S, size);
      const sent = /(\d+) packets transmitted, (\d+) received/.exec(r.out);
      return r.missing.length === 0 ? [] : [`${r.missing.length} of the first ${PINGS} unanswered within ${PING_DEADLINE_S} s (${sent === null ? r.out.trim() : `${sent[1]} sent, ${sent[2]} answered`})`];
    };
    const route = ["ip", "route", "add", `${UNIKERNEL}/32`, "dev", lab.tap, "mtu", "lock", String(SMALL_MTU)];
    const added = lab.exec(route);
    if (added.status !== 0) throw new Error(`${route.join(" ")}: ${added.out.trim()}`);
    try {
      const before = ping(1000);
      report.figure(`1,000-byte echo in ${SMALL_MTU}-byte fragments, before the flood`, before.length === 0 ? `${PINGS} of ${PINGS} answered` : before[0]!);
      // Without this, the lab (not the unikernel) is what is broken.
      report.check(before.length === 0, `before any flood, a 1,000-byte echo in fragments went unanswered: ${before.join("")}`);
      const dropped0 = lab.tapCounter("tx_dropped");
      const sent: string[] = [];
      for (const [which, n] of [["first", Math.ceil(p.count / 2)], ["middle", Math.floor(p.count / 2)]] as const) {
        const r = await target.during(lab.tool("raw-flood", ["frag", "--iface", lab.tap, "--dst", UNIKERNEL, "--count", String(n), "--which", which, "--rate", String(p.rate)]));
        report.check(r.error === undefined, `raw-flood.py frag --which ${which} failed: ${String(r.error)}`);
        sent.push(`${String(r["sent"])} ${which} fragments in ${Number(r["seconds"] ?? 0).toFixed(1)} s (seed ${String(r["seed"])})`);
        if (target.ended() !== null) return;
      }
      report.figure("incomplete datagrams sent", `${sent.join(", ")}, from 198.18.0.0/15`);
      report.figure("of them dropped by the tap (the unikernel read too slowly)", lab.tapCounter("tx_dropped") - dropped0);
      const after = ping(1000);
      report.figure(`1,000-byte echo in ${SMALL_MTU}-byte fragments, after the flood`, after.length === 0 ? `${PINGS} of ${PINGS} answered` : after[0]!);
      report.check(after.length === 0, `after the flood, a 1,000-byte echo in fragments went unanswered: ${after.join("")}`);
    } finally {
      lab.exec(["ip", "route", "del", `${UNIKERNEL}/32`]);
    }
    if (target.ended() !== null) return;
    const large = ping(4000);
    report.figure("ping -s 4000 (fragments both ways)", large.length === 0 ? `${PINGS} of ${PINGS} answered` : large[0]!);
    report.check(large.length === 0, `ping -s 4000 went unanswered after the flood: ${large.join("")}`);
    report.figure("memory after", describeSample(sample(lab, target)));
  },
};
