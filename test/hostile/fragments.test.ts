// Incomplete fragmented datagrams (issue 11, defect 6) against examples/web:
// 2,000 datagrams from random off-link sources that never complete, then a
// legitimate fragmented echo request (Linux's ping through a 576-byte route
// MTU) and ping -s 4000, both answered. Four incomplete datagrams used to
// block all reassembly for 60 s, and no echo over 1,472 bytes was answered.
import { fragmentsScenario, type FragmentsParams } from "./scenarios/fragments.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", FragmentsParams> = {
  unix: { count: 2000, rate: 20000 },
  kvm: { count: 2000, rate: 5000 },
};

scenarioTests("hostile traffic: a flood of incomplete fragments, then fragmented pings", fragmentsScenario, params, { unix: 60_000, kvm: 90_000 });
