// `atoll configure`: evaluates config.ts and writes _build/<target>/ — the
// generated main.ts and plan.json, the build's input — and records the target
// in _build/target so that a later `atoll build` knows what to build.
import { mkdirSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { findTarget, targetNames, type TargetName } from "../targets.ts";
import { generateMain } from "./generate.ts";
import { UserError } from "../errors.ts";
import { suggest } from "../config/validate.ts";
import { writeVmConfigs } from "./vm-configs.ts";
import { embedsOf, writeEmbeds } from "./embed.ts";
import type { Plan } from "./plan.ts";
import { writeFileAtomic } from "../atomic-write.ts";
import { repoRoot } from "../paths.ts";
import { maxMemoryPages, DEFAULT_MEMORY } from "./memory-limit.ts";

let version: string | null = null;

/**
 * A hash of the code that turns config.ts into a plan (this folder and
 * tools/config/): a plan written by other code (an upgraded atoll, a
 * changed default) is configured again, not built from as it stands.
 */
export function configureVersion(): string {
  if (version !== null) return version;
  const h = createHash("sha256");
  for (const dir of [path.join(repoRoot, "tools", "configure"), path.join(repoRoot, "tools", "config")]) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts")).sort()) h.update(f).update(readFileSync(path.join(dir, f)));
  }
  version = h.digest("hex").slice(0, 16);
  return version;
}

/** Checks a target name given on the command line; exits 2 on an unknown or unavailable one. */
export function checkTarget(name: string): TargetName {
  const t = findTarget(name);
  if (!t) throw new UserError(`unknown target '${name}'${suggest(name, [...targetNames])}; valid targets: ${targetNames.join(", ")}`, 2);
  if (t.unavailable !== null) throw new UserError(`target '${name}' is not available yet: ${t.unavailable}; available now: ${availableTargets().join(", ")}`, 2);
  return t.name;
}

/** The targets that work today. */
export function availableTargets(): string[] {
  return targetNames.filter((n) => findTarget(n)!.unavailable === null);
}

/** The folder configure writes to for `dir`. */
export function buildRoot(dir: string): string {
  return path.join(path.resolve(dir), "_build");
}

/** The target of the last configure of `dir`, if any. */
export function configuredTarget(dir: string): TargetName | null {
  const f = path.join(buildRoot(dir), "target");
  if (!existsSync(f)) return null;
  const name = readFileSync(f, "utf8").trim();
  return findTarget(name)?.name ?? null;
}

/** Reads the plan of `dir` for `target`, or null when it was never configured. */
export function readPlan(dir: string, target: TargetName): Plan | null {
  const f = path.join(buildRoot(dir), target, "plan.json");
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, "utf8")) as Plan;
  } catch {
    return null;
  }
}

/** Configures `dir` for `target`; returns the plan it wrote. */
export async function configure(dir: string, target: TargetName): Promise<{ plan: Plan; config: LoadedConfig }> {
  const config = await loadConfig(dir);
  const buildDir = path.join(buildRoot(dir), target);
  mkdirSync(buildDir, { recursive: true });
  const entry = path.join(buildDir, "main.ts");
  writeFileAtomic(entry, generateMain(config, target, buildDir));
  const embeds = embedsOf(config, buildDir);
  writeEmbeds(embeds);
  const t = findTarget(target)!;
  const plan: Plan = {
    target,
    name: config.unikernel.name,
    appDir: config.dir,
    configFile: config.file,
    buildDir,
    entry,
    artefact: path.join(config.dir, t.artefact(config.unikernel.name)),
    memory: config.unikernel.memory ?? DEFAULT_MEMORY,
    maxMemoryPages: maxMemoryPages(config.unikernel.memory),
    embeds,
    configuredBy: configureVersion(),
  };
  writeFileAtomic(path.join(buildDir, "plan.json"), JSON.stringify(plan, null, 2) + "\n");
  if (target === "kvm") writeVmConfigs(plan);
  writeFileAtomic(path.join(buildRoot(dir), "target"), target + "\n");
  return { plan, config };
}
