// The block test fixture (test/fixtures/block) built for a target, run
// directly as an artefact with --atoll-disk options, and the byte pattern it
// writes, computed the same way here.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { atoll, root } from "../helpers/cli.ts";

export type HostTarget = "node" | "unix";

/** Builds the fixture for `target`; returns the artefact. */
export function buildFixture(target: HostTarget): string {
  const r = atoll(["build", "-t", target, "test/fixtures/block"]);
  expect(r.stderr, "build").not.toMatch(/error/i);
  expect(r.status).toBe(0);
  return path.join(root, "test/fixtures/block/dist", target === "node" ? "blocktest.mjs" : "blocktest");
}

export interface Ran {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

function command(target: HostTarget, artefact: string, args: string[]): [string, string[]] {
  return target === "node" ? [process.execPath, [artefact, ...args]] : [artefact, args];
}

/** Runs the artefact with `args` to completion. */
export function runArtefact(target: HostTarget, artefact: string, args: string[]): Ran {
  const [cmd, argv] = command(target, artefact, args);
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the artefact and sends it SIGKILL after `ms` unless it ended first;
 * keeps everything it wrote before (spawnSync's timeout drops what is still in
 * the pipe, so a kill would seem to lose acknowledged lines).
 */
export function runKilled(target: HostTarget, artefact: string, args: string[], ms: number): Promise<Ran> {
  const [cmd, argv] = command(target, artefact, args);
  return runCommandKilled(cmd, argv, ms);
}

/** runKilled for any command; `status` maps the exit status (QEMU's to the guest's, for one). */
export function runCommandKilled(cmd: string, argv: string[], ms: number, status: (s: number) => number = (s) => s): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => { stdout += s; });
    child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code === null ? null : status(code), signal, stdout, stderr });
    });
  });
}

/** Byte `i` of the pattern with `seed` (the fixture's patternByte). */
export function patternByte(seed: number, i: number): number {
  return (i * 7 + seed * 13 + (i >> 9)) & 255;
}

export function pattern(seed: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = patternByte(seed, i);
  return b;
}

/** A fresh folder with `disk.img` (32 KiB of zeros) and `ro.img` (16 KiB of pattern 5). */
export function disks(): { dir: string; disk: string; ro: string; args: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-block-"));
  const disk = path.join(dir, "disk.img"), ro = path.join(dir, "ro.img");
  writeFileSync(disk, Buffer.alloc(32 * 1024));
  writeFileSync(ro, pattern(5, 16 * 1024));
  return { dir, disk, ro, args: [`--atoll-disk=disk=${disk}`, `--atoll-disk=ro=${ro}`] };
}
