// A network namespace with a tap (10.0.0.1/24 on the Linux side), and a kvm
// image booted in QEMU with the tap backend on it: QEMU runs inside the
// namespace (`ip netns exec` execs it, so the child is QEMU itself) and opens
// the tap there. What the test/kvm-net files and test/net-tap/tcp-linux-env.ts
// share. Needs root; setup() says what failed otherwise.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readyLine } from "../helpers/server.ts";
import { qemuCommand, type QemuMachine } from "../../tools/build/kvm.ts";
import { qemuNetArgs } from "../../tools/build/qemu-net.ts";

/** A command's status and everything it printed. */
export interface RunResult { status: number | null; out: string }

/** Runs a command to completion. */
export function run(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

/** A running process and what it printed so far (standard output and error together). */
export interface Running { child: ChildProcess; out: () => string }

/** Starts `cmd` with its output collected. */
export function start(cmd: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  return { child, out: () => out };
}

/** Waits until the output has a whole line matching `line`, newline and all (or the process ends, or `ms` pass): a guest's serial output arrives a few bytes at a time. */
export async function waitFor(r: Running, line: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!readyLine(r.out(), line) && Date.now() < deadline && r.child.exitCode === null) await new Promise((res) => setTimeout(res, 20));
}

/** Ends `r`: SIGTERM first (`atoll run` passes it on to QEMU; a SIGKILL would leave QEMU running), then SIGKILL. */
export async function stop(r: Running): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((res) => r.child.once("exit", res));
  r.child.kill("SIGTERM");
  const timer = setTimeout(() => r.child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A namespace `ns` holding tap `tap` at 10.0.0.1/24, and lo up. */
export class TapNamespace {
  constructor(readonly ns: string, readonly tap: string) {}

  /** Creates the namespace and the tap; "" or what went wrong. */
  setup(): string {
    const add = run("ip", ["netns", "add", this.ns]);
    if (add.status !== 0) {
      return `cannot create network namespace ${this.ns} (ip netns add needs root or CAP_SYS_ADMIN, and the ip command from iproute2): ${add.out.trim()}`;
    }
    for (const step of [
      ["tuntap", "add", "dev", this.tap, "mode", "tap"],
      ["addr", "add", "10.0.0.1/24", "dev", this.tap],
      ["link", "set", this.tap, "up"],
      ["link", "set", "lo", "up"],
    ]) {
      const r = this.exec(["ip", ...step]);
      if (r.status !== 0) return `ip ${step.join(" ")} in ${this.ns} failed: ${r.out.trim()}`;
    }
    return "";
  }

  /** Removes the namespace, and the tap with it. */
  teardown(): void {
    run("ip", ["netns", "del", this.ns]);
  }

  /** Runs a command in the namespace to completion. */
  exec(cmd: string[]): RunResult {
    return run("ip", ["netns", "exec", this.ns, ...cmd]);
  }

  /** `cmd` prefixed to run inside the namespace. */
  inside(cmd: string[]): string[] {
    return ["ip", "netns", "exec", this.ns, ...cmd];
  }

  /** The command line booting `image` with runtime `args`, its net0 on the tap through QEMU's tap backend; `extra` are more QEMU arguments (-trace ...). */
  qemuOnTap(image: string, args: string[], accel: "kvm" | "tcg", machine: QemuMachine = "microvm", memory = "32M", extra: string[] = []): string[] {
    const net = qemuNetArgs([{ name: "net0", backend: { kind: "tap", ifname: this.tap } }], [], machine);
    const [qemu, qargs] = qemuCommand(image, memory, args, accel, [...net, ...extra], machine);
    return this.inside([qemu, ...qargs]);
  }

  /** Boots `image` on the tap (see qemuOnTap). */
  boot(image: string, args: string[], accel: "kvm" | "tcg", machine: QemuMachine = "microvm", memory = "32M"): Running {
    const [cmd, ...rest] = this.qemuOnTap(image, args, accel, machine, memory);
    return start(cmd!, rest);
  }
}
