import { spawn } from "node:child_process";
import type { Parsed } from "../options.ts";
import { Report } from "../../report.ts";
import { chooseTarget, ensureBuilt } from "../target-choice.ts";
import { appDir } from "./app-dir.ts";
import type { Plan } from "../../configure/plan.ts";
import { UserError } from "../../errors.ts";
import { diskAttachments } from "../disks.ts";
import { forwards, netAttachments, unixNetOptions } from "../nets.ts";
import { guestStatus, parseMachine, qemuCommand, type QemuMachine } from "../../build/kvm.ts";
import { MAX_SERIAL_BYTES, qemuBlockArgs, type BlockAttachment } from "../../build/qemu-block.ts";
import { qemuNetArgs, type Forward, type NetAttachment } from "../../build/qemu-net.ts";

/** The devices `atoll run` attaches, as each launcher needs them. */
interface Attached {
  /** Host files of block devices (node, unix: --atoll-disk=NAME=PATH options; kvm: virtio-blk devices). */
  disks: BlockAttachment[];
  nets: NetAttachment[];
  forwards: Forward[];
  /** kvm: the QEMU machine (--machine). */
  machine: QemuMachine;
}

/** The runtime options of host files (docs/abi.md). */
function diskOptions(disks: BlockAttachment[]): string[] {
  return disks.map((d) => `--atoll-disk=${d.name}=${d.file}`);
}

/** How each target's artefact is started. */
const launchers: Partial<Record<Plan["target"], (plan: Plan, args: string[], dev: Attached) => [string, string[]]>> = {
  node: (plan, args, dev) => [process.execPath, [plan.artefact, ...diskOptions(dev.disks), ...args]],
  unix: (plan, args, dev) => [plan.artefact, [...diskOptions(dev.disks), ...unixNetOptions(dev.nets), ...args]],
  kvm: (plan, args, dev) => qemuCommand(plan.artefact, plan.memory, args, undefined,
    [...qemuBlockArgs(dev.disks, dev.machine), ...qemuNetArgs(dev.nets, dev.forwards, dev.machine)], dev.machine),
};

/** The unikernel's exit status from the launcher's (QEMU encodes the guest's; see tools/build/kvm.ts). */
const statuses: Partial<Record<Plan["target"], (status: number) => number>> = { kvm: guestStatus };

/**
 * What a launcher may print on its error stream that means the unikernel
 * will never run on: QEMU stops a guest its KVM cannot execute and then
 * waits forever, so `atoll run` ends it and says why.
 */
interface LaunchFailure {
  pattern: RegExp;
  explain: string;
}
const launchFailures: Partial<Record<Plan["target"], LaunchFailure[]>> = {
  kvm: [{
    pattern: /KVM internal error/,
    explain: "QEMU's KVM stopped the guest at an instruction it could not execute (above); this host's /dev/kvm emulates instructions rather than running them (a nested or PVM host: see tools/runtime/kvm/README.md). Run it under TCG instead: ATOLL_QEMU_ACCEL=tcg atoll run -t kvm ...",
  }],
};

/** Exit status of `atoll run` when the launcher failed as one of launchFailures says. */
const LAUNCH_FAILED = 1;

/** A command line as a shell would take it back. */
function shellQuote(words: string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** `atoll run [-t TARGET] [DIR] [-- ARGS]`: builds when needed, then runs with the unikernel's exit status. */
export async function runCommand(p: Parsed): Promise<number> {
  const dir = appDir("run", p);
  const target = chooseTarget(dir, p.flags.get("target")?.[0]);
  const machineFlag = p.flags.get("machine")?.[0];
  if (machineFlag !== undefined && target !== "kvm") throw new UserError(`--machine is for the kvm target (QEMU's machine type); the target here is ${target}`, 2);
  const machine = parseMachine(machineFlag);
  // Before building: a wrong --disk should not wait for a build.
  const disks = await diskAttachments(dir, p.flags.get("disk") ?? [], target === "kvm" ? MAX_SERIAL_BYTES : Infinity);
  const nets = await netAttachments(dir, p.flags.get("net") ?? [], target);
  const fwds = forwards(p.flags.get("forward") ?? [], nets);
  const plan = await ensureBuilt(dir, target, new Report());
  const launch = launchers[plan.target];
  if (!launch) throw new UserError(`target '${plan.target}' cannot be run yet`, 2);
  const [cmd, args] = launch(plan, p.rest, { disks, nets, forwards: fwds, machine });
  if (p.flags.has("dry-run")) {
    process.stdout.write(shellQuote([cmd, ...args]) + "\n");
    return 0;
  }
  const status = statuses[plan.target] ?? ((s: number): number => s);
  const failures = launchFailures[plan.target] ?? [];
  return new Promise<number>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["inherit", "inherit", failures.length > 0 ? "pipe" : "inherit"] });
    let failed: LaunchFailure | undefined;
    let tail = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      if (failed !== undefined) return;
      tail = (tail + chunk.toString("latin1")).slice(-4096);
      failed = failures.find((f) => f.pattern.test(tail));
      if (failed !== undefined) child.kill("SIGKILL");
    });
    const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      if (failed !== undefined) {
        process.stderr.write(`atoll run: ${failed.explain}\n`);
        resolve(LAUNCH_FAILED);
        return;
      }
      resolve(code !== null ? status(code) : (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 } as Record<string, number>)[signal] ?? 1) : 1));
    });
  });
}
