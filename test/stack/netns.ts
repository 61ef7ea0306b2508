// A network namespace with one Linux tap, 10.0.0.1/24 on the host side, for
// the tests that run a unix unikernel on lib/net's stack (examples on
// 10.0.0.2). Needs root (ip netns add, /dev/net/tun): without it `error`
// says why and the tests fail with it rather than skip.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

/** What `ip` printed and its status. */
function ip(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

/** One namespace and its tap. */
export class TapNamespace {
  /** Why the namespace could not be set up, or "". */
  error = "";
  readonly tap = "atolltap0";

  constructor(readonly name: string) {}

  /** Creates the namespace, the tap (10.0.0.1/24, up) and brings lo up. */
  setUp(): void {
    const add = ip(["netns", "add", this.name]);
    if (add.status !== 0) {
      this.error = `cannot create network namespace ${this.name} (ip netns add needs root or CAP_SYS_ADMIN, and the ip command from iproute2): ${add.out.trim()}`;
      return;
    }
    for (const step of [
      ["tuntap", "add", "dev", this.tap, "mode", "tap"],
      ["addr", "add", "10.0.0.1/24", "dev", this.tap],
      ["link", "set", this.tap, "up"],
      ["link", "set", "lo", "up"],
    ]) {
      const r = ip(this.argv(["ip", ...step]));
      if (r.status !== 0) { this.error = `ip ${step.join(" ")} in ${this.name} failed: ${r.out.trim()}`; return; }
    }
  }

  tearDown(): void {
    ip(["netns", "del", this.name]);
  }

  /** `ip` arguments that run `cmd` inside the namespace. */
  argv(cmd: string[]): string[] {
    return ["netns", "exec", this.name, ...cmd];
  }

  /** Runs `cmd` in the namespace to completion. */
  run(cmd: string[], timeoutMs: number): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("ip", this.argv(cmd), { encoding: "utf8", timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout, stderr: `${r.stderr}${r.error ? String(r.error) : ""}` };
  }

  /** Starts `cmd` in the namespace; `output()` is what it printed so far. */
  start(cmd: string[]): { child: ChildProcess; output: () => string } {
    const child = spawn("ip", this.argv(cmd), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    return { child, output: () => out };
  }
}

/** Waits until `text` appears in `output()`, the child exits, or `ms` pass. */
export async function waitFor(output: () => string, text: string, child: ChildProcess, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!output().includes(text) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Kills `child` with SIGKILL and waits until it has exited: its tap stays
 * attached until then, and a unikernel started on it sooner fails (EBUSY).
 */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}
