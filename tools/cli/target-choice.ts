// Which target a command works on, and bringing its artefact up to date:
// shared by build and run, so both say the same things.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { checkTarget, configure, configuredTarget, readPlan, type Plan } from "../configure/configure.ts";
import { build, needsBuild } from "../build/build.ts";
import { defaultTarget, type TargetName } from "../targets.ts";
import type { Report } from "../report.ts";
import { writeEmbeds } from "../configure/embed.ts";

/** The target named by -t, else the one configured last, else the default. */
export function chooseTarget(dir: string, flag: string | undefined): TargetName {
  if (flag !== undefined) return checkTarget(flag);
  return configuredTarget(dir) ?? defaultTarget();
}

/** Why `dir` must be configured again for `target`, or null when its plan is current. */
function configureReason(dir: string, target: TargetName, plan: Plan | null): string | null {
  const last = configuredTarget(dir);
  if (!plan) return last && last !== target ? `target changed from ${last} to ${target}` : "not configured yet";
  const planFile = path.join(plan.buildDir, "plan.json");
  if (!existsSync(plan.configFile) || statSync(plan.configFile).mtimeMs > statSync(planFile).mtimeMs) return "config.ts changed";
  if (!existsSync(plan.entry)) return "the generated main.ts is missing";
  if (last !== target) return `target changed from ${last ?? "none"} to ${target}`;
  return null;
}

/** Configures and builds `dir` for `target` where needed; returns the current plan. */
export async function ensureBuilt(dir: string, target: TargetName, report: Report, force = false): Promise<Plan> {
  let plan = readPlan(dir, target);
  const why = configureReason(dir, target, plan);
  if (why !== null) {
    plan = (await report.step("configure", () => configure(dir, target), (r) => `${r.plan.name} for ${target} (${why}) → ${path.relative(process.cwd(), r.plan.entry)}`)).plan;
  } else {
    // Embedded folders are read afresh on every build: a changed file changes the generated source, hence the fingerprint.
    writeEmbeds(plan!.embeds ?? []);
  }
  const stale = force ? "rebuild requested" : needsBuild(plan!);
  if (stale === null) {
    report.say(`${path.relative(process.cwd(), plan!.artefact)} is up to date`);
    return plan!;
  }
  report.say(`building ${plan!.name} for ${target} (${stale})`);
  const t0 = performance.now();
  await build(plan!, report);
  report.say(`built ${path.relative(process.cwd(), plan!.artefact)} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return plan!;
}
