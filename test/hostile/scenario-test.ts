// The shape of every regression test here: one lab (namespace) for the
// file, and one test per target running the scenario with that target's
// (smaller than the soak's) numbers; a test fails with the scenario's report,
// figures and problems, and prints the report when it passes too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lab } from "./lab.ts";
import { TARGETS, appAt, build, type TargetKind } from "./target.ts";
import { runScenario, type Scenario } from "./scenarios/scenario.ts";

/** Declares `title`'s tests: `scenario` on each target with `params[target]`, each within `timeoutMs[target]`. */
export function scenarioTests<P>(title: string, scenario: Scenario<P>, params: Record<TargetKind, P>, timeoutMs: Record<TargetKind, number>): void {
  const lab = new Lab(scenario.name);
  let labError = "";
  describe(title, () => {
    // Built here, where a cold build (up to a minute on a loaded machine) has its own time; runScenario then finds them up to date.
    beforeAll(async () => {
      const app = await appAt(scenario.app);
      for (const kind of TARGETS) {
        const e = build(app, kind);
        if (e !== "") throw new Error(e);
      }
      labError = lab.setup();
    }, 240_000);
    afterAll(() => lab.teardown());
    for (const kind of TARGETS) {
      it(`on ${kind}${kind === "kvm" ? ` (${process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "KVM" : "TCG"})` : ""}`, async () => {
        if (labError !== "") throw new Error(labError);
        const report = await runScenario(lab, scenario, kind, params[kind]);
        console.log(report.toString());
        expect(report.problems, report.toString()).toEqual([]);
      }, timeoutMs[kind]);
    }
  });
}
