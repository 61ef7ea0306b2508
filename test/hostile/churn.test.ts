// Connection churn against examples/web (issue 11, defects 1-3): one GET per
// connection, closed with FIN, then with RST; every request is served and
// the memory after the run is within 10% of its size after the warm-up. On
// kvm the default 32 MiB guest used to trap (out of memory) at about 580
// sequential connections; on unix each closed connection kept tens of KB.
import { churnScenario, type ChurnParams } from "./scenarios/churn.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", ChurnParams> = {
  unix: { warmup: 500, rounds: [{ count: 1500, close: "fin" }, { count: 1500, close: "rst" }], concurrency: 50, tolerance: 0.10 },
  kvm: { warmup: 300, rounds: [{ count: 600, close: "fin" }, { count: 600, close: "rst" }], concurrency: 1, tolerance: 0.10 },
};

scenarioTests("hostile traffic: connection churn, FIN and RST", churnScenario, params, { unix: 60_000, kvm: 90_000 });
