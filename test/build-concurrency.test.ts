// Several `atoll run`s at once on one application folder, as vitest's
// parallel workers do with the examples: each must run a whole, current
// artefact, and only one of them may compile each target (the others wait for
// the build folder's lock, then find the artefact up to date). A lock left by
// a process that died is taken over; a live one is waited for, once said.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root, type Result } from "./helpers/cli.ts";

const bin = path.join(root, "bin", "atoll.mjs");

/** A fresh copy of examples/hello (no _build/, no dist/). */
function freshHello(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), "atoll-concurrent-")), "hello");
  mkdirSync(dir);
  for (const f of ["config.ts", "unikernel.ts"]) cpSync(path.join(root, "examples", "hello", f), path.join(dir, f));
  return dir;
}

/** Starts `atoll ARGS`; resolves when it ends. `onStderr` sees its error stream as it comes. */
function start(args: string[], onStderr?: (all: string) => void): { pid: number; done: Promise<Result> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root });
  let stdout = "", stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => { stdout += c; });
  child.stderr.setEncoding("utf8").on("data", (c: string) => { stderr += c; onStderr?.(stderr); });
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ status: code ?? (signal ? -1 : -2), stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

/** How many times a run's report says it compiled. */
const compiles = (r: Result): number => r.stderr.split("\n").filter((l) => /^atoll: compile /.test(l)).length;

/** The pid of a process that has exited (so no process has it, until the kernel hands it out again). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("concurrent atoll commands on one application folder", () => {
  it("4 unix and 4 node runs at once from a clean folder: all print hello, one compile per target", async () => {
    const dir = freshHello();
    try {
      const runs = ["unix", "node", "unix", "node", "unix", "node", "unix", "node"].map((t) => ({ target: t, run: start(["run", "-t", t, dir]) }));
      const results = await Promise.all(runs.map(async (r) => ({ target: r.target, result: await r.run.done })));
      for (const { target, result } of results) {
        expect(result.status, `${target}: ${result.stderr}`).toBe(0);
        expect(result.stdout.trim().split("\n"), `${target}: ${result.stderr}`).toEqual(Array(4).fill("hello from atoll"));
        // A waiter says once what it waits for, not once per poll.
        expect(result.stderr.match(/waiting for the lock/g)?.length ?? 0, result.stderr).toBeLessThanOrEqual(1);
      }
      for (const target of ["unix", "node"]) {
        const perRun = results.filter((r) => r.target === target).map((r) => compiles(r.result));
        expect(perRun.reduce((a, b) => a + b, 0), `compiles on ${target}, per run: ${perRun.join(" ")}`).toBe(1);
      }
      // Nothing left behind: no lock, no temporary files beside what was written.
      expect(existsSync(path.join(dir, "_build", ".lock"))).toBe(false);
      for (const sub of ["_build", "_build/unix", "_build/node", "dist"]) {
        expect(readdirSync(path.join(dir, sub)).filter((f) => f.endsWith(".tmp")), sub).toEqual([]);
      }
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  }, 120_000);

  it("takes over a lock whose process is dead, waits for a live one and says so once, and frees the lock when killed", async () => {
    const dir = freshHello();
    const lock = path.join(dir, "_build", ".lock");
    try {
      mkdirSync(path.dirname(lock));
      const dead = deadPid();
      writeFileSync(lock, JSON.stringify({ pid: dead }) + "\n");
      const first = await start(["build", "-t", "node", dir]).done;
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toContain(`process ${dead}, which is gone`);
      expect(compiles(first)).toBe(1);
      expect(existsSync(lock)).toBe(false);

      // This test's own process is alive: the build waits until the lock is gone.
      writeFileSync(lock, JSON.stringify({ pid: process.pid }) + "\n");
      let removed = false;
      const waiting = start(["build", "-t", "node", dir], (err) => {
        if (!removed && err.includes("waiting for the lock")) {
          removed = true;
          setTimeout(() => unlinkSync(lock), 500);
        }
      });
      const second = await waiting.done;
      expect(second.status, second.stderr).toBe(0);
      expect(second.stderr.match(/waiting for the lock/g)?.length, second.stderr).toBe(1);
      expect(second.stderr).toContain(`process ${process.pid}`);
      expect(second.stderr).toContain("is up to date");

      // Killed in the middle of a build: the lock goes with it.
      const forced = start(["build", "-t", "node", "--force", dir]);
      for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(lock), "the forced build took the lock").toBe(true);
      process.kill(forced.pid, "SIGTERM");
      const killed = await forced.done;
      expect(killed.status, killed.stderr).not.toBe(0);
      expect(existsSync(lock), `lock left behind: ${killed.stderr}`).toBe(false);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  }, 120_000);
});
