// The compute suite's three engines: how each builds a program of
// bench/compute and how one run's "checksum=C ns=T" line is read. Shared by
// the table (compute.ts) and the profile (profile.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../paths.ts";
import { configure } from "../configure/configure.ts";
import { build } from "../build/build.ts";
import { Report } from "../report.ts";
import { findTarget, type TargetName } from "../targets.ts";

export interface Engine {
  name: string;
  /** Builds the program in `dir`; returns the command that runs it, or why it cannot. */
  prepare(dir: string, name: string): Promise<string[] | string>;
}

const quiet = new Report(() => {});

async function buildTarget(dir: string, target: TargetName): Promise<string> {
  const { plan } = await configure(dir, target);
  await build(plan, quiet);
  return plan.artefact;
}

const W2C_RUNTIME = "/usr/share/wabt/wasm2c";

export const unixEngine: Engine = {
  name: "unix (Atoll AOT)",
  async prepare(dir) {
    if (findTarget("unix")!.unavailable !== null) return "unix target not available yet";
    return [await buildTarget(dir, "unix")];
  },
};

export const nodeEngine: Engine = {
  name: "node (V8)",
  async prepare(dir) {
    return [process.execPath, await buildTarget(dir, "node")];
  },
};

/** The node build's wasm through wabt's wasm2c and gcc -O2, with tools/bench/wasm2c-host.c as the platform. */
export const wasm2cEngine: Engine = {
  name: "wasm2c+gcc -O2",
  async prepare(dir, name) {
    await buildTarget(dir, "node");
    const out = path.join(dir, "_build", "wasm2c");
    mkdirSync(out, { recursive: true });
    execFileSync("wasm2c", [path.join(dir, "_build", "node", "app.wasm"), "-n", "app", "-o", path.join(out, "app.c")]);
    const exe = path.join(out, name);
    execFileSync("gcc", ["-O2", "-I", out, "-I", W2C_RUNTIME, path.join(out, "app.c"), path.join(repoRoot, "tools", "bench", "wasm2c-host.c"), path.join(W2C_RUNTIME, "wasm-rt-impl.c"), "-lm", "-o", exe]);
    return [exe];
  },
};

/** In the table's column order; the last is the baseline the ratios divide by. */
export const engines: Engine[] = [unixEngine, nodeEngine, wasm2cEngine];

/** An engine ready to run a program, or why not: a failure, or an engine this machine lacks (the unix target elsewhere than x86-64 Linux). */
export type Prepared = { cmd: string[] } | { why: string; failure: boolean };

/** Prepares an engine; a build that throws is a failure, told by its first lines of stderr. */
export async function prepare(e: Engine, dir: string, name: string): Promise<Prepared> {
  try {
    const r = await e.prepare(dir, name);
    return typeof r === "string" ? { why: r, failure: false } : { cmd: r };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr;
    return { why: `build failed: ${(stderr ? stderr.toString() : String(err)).trim().split("\n").slice(0, 3).join(" | ")}`, failure: true };
  }
}

/** A program's own report of one run: what it computed and how long the work took. */
export interface Outcome {
  checksum: string;
  ns: number;
}

/** The "checksum=C ns=T" line of a finished run, or what went wrong. */
export function outcome(r: { status: number | null; stdout: string | null; stderr: string | null }): Outcome | string {
  const m = /checksum=(-?\d+) ns=(\d+)/.exec(r.stdout ?? "");
  if (r.status !== 0 || !m) return `failed (status ${r.status}): ${(r.stderr || r.stdout || "").trim().split("\n")[0]}`;
  return { checksum: m[1]!, ns: Number(m[2]) };
}

/** Runs one command with the program's arguments. */
export function runOnce(cmd: string[], args: string[]): Outcome | string {
  return outcome(spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: "utf8", timeout: 300_000 }));
}
