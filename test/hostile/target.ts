// The unikernel under attack: examples/web (or a fixture that serves it with
// other limits) built for unix or kvm and started on the lab's tap as
// 10.0.0.2 with 10.0.0.1 as its gateway (so answers to spoofed, off-link
// sources have somewhere to go). With --stats when the application declares
// it (GET /_atoll/stats: memory.ts). A unix artefact runs in the namespace
// attached to the tap; a kvm image runs in QEMU (TCG unless
// ATOLL_QEMU_ACCEL=kvm, microvm, the configuration's memory) with the tap
// backend.
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { atoll, root } from "../helpers/cli.ts";
import { readyLine } from "../helpers/server.ts";
import { loadConfig } from "../../tools/config/load.ts";
import { guestStatus } from "../../tools/build/kvm.ts";
import { GATEWAY, UNIKERNEL, type Lab, type ToolResult, type ToolRun } from "./lab.ts";

/** The targets the lab attacks. */
export type TargetKind = "unix" | "kvm";
export const TARGETS: TargetKind[] = ["unix", "kvm"];

/** examples/web. */
export const WEB = path.join(root, "examples", "web");
/** examples/web with a small connection limit (test/fixtures/web-limited). */
export const WEB_LIMITED = path.join(root, "test", "fixtures", "web-limited");
/** That limit, as test/fixtures/web-limited/config.ts sets it (maxConnections). */
export const WEB_LIMITED_CONNECTIONS = 64;

const STARTED = new RegExp(`^web: \\d+ files on http://${UNIKERNEL.replace(/\./g, "\\.")}:80/`, "m");

/** What the lab needs to know of an application. */
export interface App {
  dir: string;
  /** Its artefact's name (config.ts `name`). */
  name: string;
  /** Whether it declares the --stats argument (the GET /_atoll/stats page). */
  stats: boolean;
  /** Guest memory on kvm (config.ts `memory`). */
  memory: string;
}

/** Reads `dir`'s config.ts. */
export async function appAt(dir: string): Promise<App> {
  const c = await loadConfig(dir);
  return { dir, name: c.unikernel.name, stats: c.unikernel.args?.["stats"] !== undefined, memory: c.unikernel.memory ?? "32M" };
}

/** Builds `app` for `target`; "" or the build's output. */
export function build(app: App, target: TargetKind): string {
  const r = atoll(["build", "-t", target, app.dir]);
  return r.status === 0 ? "" : `atoll build -t ${target} ${path.relative(root, app.dir)} failed:\n${r.stdout}${r.stderr}`;
}

/** A started unikernel. */
export class Target {
  private output = "";
  private constructor(readonly kind: TargetKind, readonly app: App, readonly child: ChildProcess, readonly command: string[]) {
    child.stdout!.on("data", (d: Buffer) => { this.output += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { this.output += d.toString(); });
  }

  /** Starts `app` on `lab`'s tap and waits for its start line (a TCG boot on a loaded machine takes seconds). */
  static async start(lab: Lab, app: App, kind: TargetKind): Promise<Target> {
    const args = [`--ipv4=${UNIKERNEL}/24`, `--ipv4-gateway=${GATEWAY}`, ...(app.stats ? ["--stats"] : [])];
    const command = kind === "unix"
      ? lab.inside([path.join(app.dir, "dist", app.name), `--atoll-net=net0=tap:${lab.tap}`, ...args])
      : lab.qemuOnTap(path.join(app.dir, "dist", `${app.name}.kvm`), args, app.memory);
    const child = lab.spawn(command);
    const t = new Target(kind, app, child, command);
    const deadline = Date.now() + (kind === "kvm" ? 60_000 : 15_000);
    while (!readyLine(t.output, STARTED) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!readyLine(t.output, STARTED)) {
      await t.stop();
      throw new Error(`${path.relative(root, app.dir)} on ${kind} did not start (${command.join(" ")}):\n${t.output}`);
    }
    return t;
  }

  /** Everything it printed. */
  out(): string {
    return this.output;
  }

  /** The unix process's id (for kvm: QEMU's). */
  get pid(): number {
    return this.child.pid!;
  }

  /** null while it runs; else how it ended, with its trap or abort line if it printed one. */
  ended(): string | null {
    const status = this.child.exitCode;
    if (status === null && this.child.signalCode === null) return null;
    const guest = status === null ? `killed by ${this.child.signalCode}` : `exit status ${this.kind === "kvm" ? guestStatus(status) : status}`;
    const last = /^(trap|abort|error|out of memory).*$/im.exec(this.output)?.[0] ?? this.output.trim().split("\n").slice(-2).join(" / ");
    return `the unikernel ended (${guest}): ${last}`;
  }

  /**
   * `run`'s result; if this unikernel ends first, the tool is stopped and its
   * partial result (with an error) comes instead, so that a tool attacking a
   * dead server does not wait out its timeouts.
   */
  async during(run: ToolRun): Promise<ToolResult> {
    let done = false;
    const watch = (async () => {
      while (!done && this.ended() === null) await new Promise((r) => setTimeout(r, 100));
      if (!done) run.stop();
    })();
    try {
      return await run.result;
    } finally {
      done = true;
      await watch;
    }
  }

  /** Stops it (QEMU with SIGTERM first, which it obeys; then SIGKILL) and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    const force = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(force);
  }
}
