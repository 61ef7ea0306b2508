// Runs the real `atoll` command (bin/atoll.mjs) as a user would.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (bin/launch.mjs says where it is to a bundled copy, such as the net soak's). */
export const root = process.env["ATOLL_ROOT"] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The `atoll` launcher, for commands that start it themselves (inside a network namespace, say). */
export const bin = path.join(root, "bin", "atoll.mjs");

/** What one command printed and its status. */
export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `atoll ARGS` to completion in `cwd`; `env` adds environment variables. */
export function atoll(args: string[], cwd = root, env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `atoll ARGS` to completion inside network namespace `ns` (ip netns exec; needs root). */
export function atollInNs(ns: string, args: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, bin, ...args], { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr + (r.error ? String(r.error) : "") };
}

/** Runs `atoll ARGS` and records when each line of standard output arrived (ms since start). */
export function atollTimed(args: string[], cwd = root, env: Record<string, string> = {}): Promise<Result & { lines: { text: string; at: number }[] }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env } });
    const lines: { text: string; at: number }[] = [];
    let stdout = "", stderr = "", partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      for (const text of parts) lines.push({ text, at: performance.now() - t0 });
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr, lines }));
  });
}
