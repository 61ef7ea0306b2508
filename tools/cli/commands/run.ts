import { spawn } from "node:child_process";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { chooseTarget, ensureBuilt } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";
import type { Plan } from "../../configure/configure.ts";
import { UserError } from "../../errors.ts";
import { diskOptions, netOptions } from "../disks.ts";
import { guestStatus, qemuCommand } from "../../build/kvm.ts";

/** How each target's artefact is started. */
const launchers: Partial<Record<Plan["target"], (plan: Plan, args: string[]) => [string, string[]]>> = {
  node: (plan, args) => [process.execPath, [plan.artefact, ...args]],
  unix: (plan, args) => [plan.artefact, args],
  kvm: (plan, args) => qemuCommand(plan.artefact, plan.memory, args),
};

/** The unikernel's exit status from the launcher's (QEMU encodes the guest's; see tools/build/kvm.ts). */
const statuses: Partial<Record<Plan["target"], (status: number) => number>> = { kvm: guestStatus };

/** A command line as a shell would take it back. */
function shellQuote(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** `atoll run [-t TARGET] [DIR] [-- ARGS]`: builds when needed, then runs with the unikernel's exit status. */
export async function runCommand(p: Parsed): Promise<number> {
  const dir = appDir("run", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  const disks = await diskOptions(dir, p.flags.get("disk") ?? []); // before building: a wrong --disk should not wait for a build
  const nets = await netOptions(dir, p.flags.get("net") ?? []);
  const plan = await ensureBuilt(dir, target, new Report());
  const launch = launchers[plan.target];
  if (!launch) throw new UserError(`target '${plan.target}' cannot be run yet`, 2);
  if (plan.target === "kvm" && p.flags.has("disk")) throw new UserError("--disk is not available on the kvm target yet (block devices there need the virtio-blk driver)", 2);
  if (plan.target !== "unix" && p.flags.has("net")) throw new UserError(`--net is not available on the ${plan.target} target yet (tap devices are unix only)`, 2);
  const [cmd, args] = launch(plan, [...disks, ...nets, ...p.rest]);
  if (p.flags.has("dry-run")) {
    process.stdout.write(shellQuote([cmd, ...args]) + "\n");
    return 0;
  }
  const status = statuses[plan.target] ?? ((s: number): number => s);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: "inherit" });
    const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code !== null ? status(code) : (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1) : 1));
    });
  });
}
