// Which target a command works on, and bringing its artefact up to date:
// shared by build and run, so both say the same things. Bringing it up to
// date holds the application's build lock (tools/build/lock.ts): of
// concurrent runs, one builds and the others then find the artefact current.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { buildRoot, checkTarget, configure, configuredTarget, configureVersion, readPlan } from "../configure/configure.ts";
import type { Plan } from "../configure/plan.ts";
import { build, needsBuild } from "../build/build.ts";
import { defaultTarget, type TargetName } from "../targets.ts";
import type { Report } from "../report.ts";
import { writeEmbeds } from "../configure/embed.ts";
import { withBuildLock } from "../build/lock.ts";
import { loadConfig } from "../config/load.ts";

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
  if (plan.configuredBy !== configureVersion()) return "atoll's configure step changed";
  if (last !== target) return `target changed from ${last ?? "none"} to ${target}`;
  return null;
}

/** Runs `fn` holding the build lock of application folder `dir` (its _build/.lock); `what` tells waiters what it does. */
export async function withAppLock<T>(dir: string, what: string, report: Report, fn: () => Promise<T> | T): Promise<T> {
  // A folder that is not an application gets config loading's error, rather than a _build/ made to hold the lock.
  if (!existsSync(path.join(dir, "config.ts"))) await loadConfig(dir);
  return withBuildLock(buildRoot(dir), what, report, fn);
}

/** Configures and builds `dir` for `target` where needed, holding its build lock; returns the current plan. */
export async function ensureBuilt(dir: string, target: TargetName, report: Report, force = false): Promise<Plan> {
  // Everything is decided after taking the lock: a waiter sees what the holder built.
  return withAppLock(dir, `building for ${target}`, report, () => bringUpToDate(dir, target, report, force));
}

async function bringUpToDate(dir: string, target: TargetName, report: Report, force: boolean): Promise<Plan> {
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
