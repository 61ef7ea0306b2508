// `atoll build`: compiles a configured application and links the artefact of
// its target, timing each step; skips all of it when nothing changed.
import { mkdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../configure/plan.ts";
import { compileAssemblyScript, CompileError } from "../compile/asc.ts";
import { layerViolations } from "../compile/layers.ts";
import { bundleNode } from "./node.ts";
import { buildUnix } from "./unix.ts";
import { buildKvm } from "./kvm.ts";
import { slimSourceMap, sourceRoots } from "./sourcemap.ts";
import { staleReason, writeStamp } from "./fingerprint.ts";
import type { Report } from "../report.ts";
import { UserError } from "../errors.ts";
import { writeFileAtomic } from "../atomic-write.ts";

/** The stamp file of a plan. */
function stampFile(plan: Plan): string {
  return path.join(plan.buildDir, "stamp.json");
}

/** Why the plan's artefact must be rebuilt, or null when it is up to date. */
export function needsBuild(plan: Plan): string | null {
  return staleReason(stampFile(plan), plan.target, plan.artefact);
}

/** Formats a byte count for people. */
export function size(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Builds the plan's artefact. */
export async function build(plan: Plan, report: Report): Promise<void> {
  mkdirSync(plan.buildDir, { recursive: true });
  const out = await report.step("compile", async () => {
    const r = await compileAssemblyScript(plan.entry, plan.maxMemoryPages === undefined ? [] : ["--maximumMemory", String(plan.maxMemoryPages)]);
    const violations = layerViolations(r.inputs, plan.entry);
    if (violations.length > 0) throw new CompileError(violations.join("\n"));
    writeFileAtomic(path.join(plan.buildDir, "app.wasm"), r.wasm);
    writeFileAtomic(path.join(plan.buildDir, "app.wasm.map"), r.sourceMap);
    return r;
  }, (r) => `${path.relative(process.cwd(), path.join(plan.buildDir, "app.wasm"))} ${size(r.wasm.length)} (asc -O3, ${r.inputs.length} source files)`);

  switch (plan.target) {
    case "node":
      await report.step("link", () => bundleNode(plan.artefact, out.wasm, slimSourceMap(out.sourceMap), sourceRoots(plan.buildDir)),
        () => `${path.relative(process.cwd(), plan.artefact)} ${size(statSync(plan.artefact).size)} (esbuild: Node host + wasm)`);
      break;
    case "unix":
      await buildUnix(plan.artefact, out.wasm, sourceRoots(plan.buildDir), report);
      break;
    case "kvm":
      await buildKvm(plan.artefact, out.wasm, sourceRoots(plan.buildDir), report);
      break;
    default:
      throw new UserError(`target '${plan.target}' is not available yet`, 2);
  }
  writeStamp(stampFile(plan), plan.target, [plan.configFile, ...out.inputs]);
}
