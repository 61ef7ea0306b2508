// Slowloris (issue 11, defect 5) against examples/web: 200 connections each
// sending a request head one byte every 2 s while curl fetches the page in a
// loop; the server ends each within its 10 s head deadline (5 s of slack)
// and at least 99% of curl's fetches succeed. Each byte used to restart the
// 60 s idle timer, and no deadline covered the head: they stayed open.
import { slowlorisScenario, type SlowlorisParams } from "./scenarios/slowloris.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", SlowlorisParams> = {
  unix: { count: 200, interval: 2, headDeadline: 10, slack: 5, minRatio: 0.99 },
  kvm: { count: 200, interval: 2, headDeadline: 10, slack: 5, minRatio: 0.99 },
};

scenarioTests("hostile traffic: slowloris beside curl", slowlorisScenario, params, { unix: 60_000, kvm: 90_000 });
