// A spoofed SYN flood (issue 11, defect 4) against examples/web: SYNs from
// random off-link addresses while curl -m 2 fetches the page in a loop; at
// least 95% of the fetches succeed and the memory stays within 10% of its
// size before the flood. With a 128-entry backlog evicting half-open entries
// only after 1 s and no SYN cookies, 1,000 SYN/s shut every fetch out.
import { synFloodScenario, type SynFloodParams } from "./scenarios/syn-flood.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", SynFloodParams> = {
  unix: { rate: 5000, seconds: 5, minRatio: 0.95, tolerance: 0.10 },
  // Under TCG the guest runs a few times slower than unix: 1,000 SYN/s is
  // still the rate the issue saw shut every client out.
  kvm: { rate: 1000, seconds: 5, minRatio: 0.95, tolerance: 0.10 },
};

scenarioTests("hostile traffic: a spoofed SYN flood beside curl -m 2", synFloodScenario, params, { unix: 60_000, kvm: 90_000 });
