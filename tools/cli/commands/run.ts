import { spawn } from "node:child_process";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { chooseTarget, ensureBuilt } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";
import type { Plan } from "../../configure/configure.ts";
import { UserError } from "../../errors.ts";
import { diskOptions } from "../disks.ts";

/** How each target's artefact is started. */
const launchers: Partial<Record<Plan["target"], (plan: Plan, args: string[]) => [string, string[]]>> = {
  node: (plan, args) => [process.execPath, [plan.artefact, ...args]],
  unix: (plan, args) => [plan.artefact, args],
};

/** `atoll run [-t TARGET] [DIR] [-- ARGS]`: builds when needed, then runs with the unikernel's exit status. */
export async function runCommand(p: Parsed): Promise<number> {
  const dir = appDir("run", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  const plan = await ensureBuilt(dir, target, new Report());
  const launch = launchers[plan.target];
  if (!launch) throw new UserError(`atoll run: target '${plan.target}' cannot be run yet`, 2);
  const [cmd, args] = launch(plan, [...(await diskOptions(plan.appDir, p.flags.get("disk") ?? [])), ...p.rest]);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "inherit" });
    const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1) : 1));
    });
  });
}
