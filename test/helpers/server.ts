// A long-running command (a unikernel serving the network) started for a
// test: wait for the line that says it is ready, then stop it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { root } from "./cli.ts";

/** A started server: the process and everything it printed so far (stdout and stderr). */
export interface Server {
  child: ChildProcess;
  out(): string;
}

/** The `atoll` command's argv for `args`, to start with startServer. */
export function atollArgv(args: string[]): string[] {
  return [process.execPath, path.join(root, "bin", "atoll.mjs"), ...args];
}

/**
 * Whether `out` holds a line matching `ready` in full, up to its newline: a
 * kvm guest's serial console reaches us a few bytes at a time ("h", then
 * "ello from atoll\n"), so a match on the line's start alone may come before
 * the rest of the line does.
 */
export function readyLine(out: string, ready: RegExp): boolean {
  const m = new RegExp(ready.source, ready.flags.replace("g", "")).exec(out);
  return m !== null && (m[0].endsWith("\n") || out.indexOf("\n", m.index + m[0].length) >= 0);
}

/** Starts `argv` with `env` added and waits until its output has a whole line matching `ready`; kills it and throws if it ends or `timeoutMs` pass first. */
export async function startServer(argv: string[], ready: RegExp, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<Server> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => { out += s; });
  const deadline = Date.now() + timeoutMs;
  while (!readyLine(out, ready) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  if (!readyLine(out, ready)) {
    child.kill("SIGKILL");
    throw new Error(`${argv.slice(0, 6).join(" ")} did not print ${ready} (status ${child.exitCode}): ${out}`);
  }
  return { child, out: () => out };
}

/** Stops a server with SIGTERM (atoll run passes it on to QEMU) and waits until it has exited. */
export async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
}
