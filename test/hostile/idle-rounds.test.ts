// Rounds of idle connections against examples/web (issue 11, defects 1 and
// 3): opened, held, then all closed at once, with FIN and with RST in turn;
// every connection accepted, no trap, and the memory after each round within
// 10% of its size after the first. On kvm the 32 MiB guest used to trap
// holding about 1,200 idle connections or closing 300 at once.
import { idleRoundsScenario, type IdleRoundsParams } from "./scenarios/idle-rounds.ts";
import { scenarioTests } from "./scenario-test.ts";

const params: Record<"unix" | "kvm", IdleRoundsParams> = {
  unix: { rounds: 4, perRound: 1000, concurrency: 100, tolerance: 0.10 },
  kvm: { rounds: 4, perRound: 500, concurrency: 50, tolerance: 0.10 },
};

scenarioTests("hostile traffic: rounds of idle connections opened and closed", idleRoundsScenario, params, { unix: 60_000, kvm: 90_000 });
