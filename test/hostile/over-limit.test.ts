// Past the connection limit (issue 11, defect 3): examples/web with a limit
// of 64 (test/fixtures/web-limited) while a client opens idle connections as
// fast as it can and curl fetches the page in a loop: at least 99% of curl's
// fetches succeed, the server holds no more than its limit, and it survives.
// With no limit, the unix stack held every connection offered, and the kvm
// guest ran out of memory.
import { overLimitScenario, type OverLimitParams } from "./scenarios/over-limit.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", OverLimitParams> = {
  unix: { seconds: 10, maxOpen: 3000, concurrency: 200, minRatio: 0.99 },
  kvm: { seconds: 10, maxOpen: 2000, concurrency: 100, minRatio: 0.99 },
};

scenarioTests("hostile traffic: idle connections past the connection limit beside curl", overLimitScenario, params, { unix: 60_000, kvm: 90_000 });
