import path from "node:path";
import { configure } from "../../configure/configure.ts";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { chooseTarget, withAppLock } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";
import { vmConfigFiles } from "../../configure/vm-configs.ts";

/** `atoll configure [-t TARGET] [DIR]` */
export async function configureCommand(p: Parsed): Promise<number> {
  const dir = appDir("configure", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  const report = new Report();
  const { plan } = await report.step("configure", () => withAppLock(dir, `configuring for ${target}`, report, () => configure(dir, target)), (r) => `${r.plan.name} for ${target} → ${path.relative(process.cwd(), r.plan.entry)}`);
  if (target === "kvm") report.say(`for other monitors: ${[...vmConfigFiles(plan).keys()].map((f) => path.relative(process.cwd(), f)).join(", ")}`);
  report.say(`next: 'atoll build${dir === "." ? "" : " " + dir}' writes ${path.relative(process.cwd(), plan.artefact)}`);
  return 0;
}
