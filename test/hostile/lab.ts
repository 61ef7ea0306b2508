// The hostile-traffic lab's network: a namespace holding a tap whose host
// side is 10.0.0.1/24 (the unikernel is 10.0.0.2, its gateway 10.0.0.1),
// with more client addresses (10.0.0.3-9) and the widest ephemeral port range,
// so that hundreds of thousands of connections in a few minutes do not run
// out of ports; and the traffic tools of traffic/ run inside it, each ending
// in one JSON line. Needs root; setup() says what failed otherwise.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { root } from "../helpers/cli.ts";
import { TapNamespace, type RunResult } from "../kvm-net/tap-namespace.ts";

/** The unikernel's address on the tap. */
export const UNIKERNEL = "10.0.0.2";
/** The namespace's side of the tap: the unikernel's gateway, and the first client address. */
export const GATEWAY = "10.0.0.1";
/** Every client address of the namespace, in churn.mjs's --sources form. */
export const CLIENT_SOURCES = "10.0.0.1,10.0.0.3-9";
/** The addresses an attacking client uses beside a legitimate one (curl, from GATEWAY): another host's. */
export const ATTACKER_SOURCES = "10.0.0.3-9";
const EXTRA_ADDRESSES = [3, 4, 5, 6, 7, 8, 9].map((i) => `10.0.0.${i}/24`);

const TRAFFIC = path.join(root, "test", "hostile", "traffic");

/** The traffic tools (traffic/*.mjs run by Node, raw-flood.py by python3). */
export type ToolName = "churn" | "idle" | "slowloris" | "curl-loop" | "raw-flood";

/** One JSON line from a tool; "error" when it failed, other fields by tool. */
export type ToolResult = Record<string, unknown> & { cmd: string; error?: string };

/** A tool started in the lab. */
export interface ToolRun {
  /** Its JSON line, once it has exited; rejects with its output when it printed none. */
  result: Promise<ToolResult>;
  /** What it printed on standard error so far (idle.mjs and slowloris.mjs say when they have opened). */
  stderr(): string;
  /** Ends its standard input (idle.mjs --hold=stdin and curl-loop.mjs --stop=stdin stop there). */
  release(): void;
  /** Asks it to stop now (SIGTERM): it prints what it has so far, with an error. */
  stop(): void;
}

/** The lab's namespace; `tag` makes its name unique beside other labs (the process id is added). */
export class Lab {
  readonly ns: string;
  readonly tap = "hostile0";
  private readonly net: TapNamespace;
  private readonly running = new Set<ChildProcess>();

  constructor(tag: string) {
    this.ns = `atoll-hostile-${tag}-${process.pid}`;
    this.net = new TapNamespace(this.ns, this.tap);
  }

  /** Creates the namespace, its tap and client addresses; "" or what went wrong. */
  setup(): string {
    const e = this.net.setup();
    if (e !== "") return e;
    for (const a of EXTRA_ADDRESSES) {
      const r = this.exec(["ip", "addr", "add", a, "dev", this.tap]);
      if (r.status !== 0) return `ip addr add ${a} in ${this.ns} failed: ${r.out.trim()}`;
    }
    // Connections the client closes first hold their port in TIME-WAIT for 60 s.
    const r = this.exec(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535"]);
    if (r.status !== 0) return `sysctl ip_local_port_range in ${this.ns} failed: ${r.out.trim()}`;
    return "";
  }

  /** Ends every process started through it that still runs, and removes the namespace with its tap. */
  teardown(): void {
    for (const c of this.running) c.kill("SIGKILL");
    this.net.teardown();
  }

  /** Starts `argv` (already prefixed to run in the namespace where it must), to be killed at teardown if it still runs. */
  spawn(argv: string[], stdin: "pipe" | "ignore" = "ignore"): ChildProcess {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [stdin, "pipe", "pipe"] });
    this.running.add(child);
    child.on("exit", () => this.running.delete(child));
    return child;
  }

  /** Runs a command in the namespace to completion. */
  exec(cmd: string[]): RunResult {
    return this.net.exec(cmd);
  }

  /** A statistics counter of the tap's host side (e.g. tx_dropped: frames for the unikernel that it did not read in time). */
  tapCounter(name: string): number {
    const r = this.exec(["cat", `/sys/class/net/${this.tap}/statistics/${name}`]);
    if (r.status !== 0) throw new Error(`cannot read ${name} of ${this.tap}: ${r.out.trim()}`);
    return Number(r.out.trim());
  }

  /** `cmd` prefixed to run inside the namespace. */
  inside(cmd: string[]): string[] {
    return this.net.inside(cmd);
  }

  /** The QEMU command line booting `image` on the tap (see TapNamespace.qemuOnTap). */
  qemuOnTap(image: string, args: string[], memory: string): string[] {
    return this.net.qemuOnTap(image, args, process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg", "microvm", memory);
  }

  /** Starts traffic tool `name` with `args` inside the namespace. */
  tool(name: ToolName, args: string[]): ToolRun {
    const argv = name === "raw-flood"
      ? ["python3", path.join(TRAFFIC, "raw-flood.py"), ...args]
      : [process.execPath, path.join(TRAFFIC, `${name}.mjs`), ...args];
    const child = this.spawn(this.inside(argv), "pipe");
    let out = "", err = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
    // A tool that has exited no longer reads its input: ignore EPIPE on release.
    child.stdin!.on("error", () => {});
    const result = new Promise<ToolResult>((resolve, reject) => {
      child.on("error", (e) => reject(new Error(`${name} could not start: ${e.message}`)));
      child.on("close", (status) => {
        const line = out.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as ToolResult);
        } catch {
          reject(new Error(`${name} ${args.join(" ")} printed no result (status ${status}):\n${out}${err}`));
        }
      });
    });
    return { result, stderr: () => err, release: () => child.stdin!.end(), stop: () => { if (child.exitCode === null) child.kill("SIGTERM"); } };
  }

  /**
   * Waits until `run`'s standard error has a line matching `line`, or its
   * result came, or `ms` passed, or `giveUp()` (e.g. the unikernel died); the match or null.
   */
  async waitForLine(run: ToolRun, line: RegExp, ms: number, giveUp: () => boolean = () => false): Promise<RegExpExecArray | null> {
    let finished = false;
    void run.result.then(() => { finished = true; }, () => { finished = true; });
    const deadline = Date.now() + ms;
    for (;;) {
      const m = line.exec(run.stderr());
      if (m !== null || finished || Date.now() >= deadline || giveUp()) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
