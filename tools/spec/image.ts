// One module's image: compile it (tools/aot), add the spectest definitions
// and the driver, link with the unix runtime, run it, and turn its output
// lines into verdicts.

import { execFile } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { compileModule, TRAP_TEXT, type TrapCode } from "../aot/index.ts";
import { link } from "../link/index.ts";
import { unixRuntime } from "../runtime/unix/index.ts";
import type { LinkObject } from "../link/index.ts";
import { driverObject } from "./driver.ts";
import { spectestObject } from "./spectest.ts";
import type { ModuleJob, Outcome } from "./plan.ts";
import { showBits, showExpected } from "./values.ts";
import type { Expected } from "./driver.ts";

/** Built once: the runtime does not depend on the module. */
let runtime: LinkObject | undefined;

export function buildImage(job: ModuleJob): Uint8Array {
  runtime ??= unixRuntime({ start: "custom" });
  const aot = compileModule(job.m, { name: job.filename });
  const { image } = link(
    [
      { name: job.filename, object: aot },
      { name: "spectest", object: spectestObject(job.m) },
      { name: "spec driver", object: driverObject(job.calls, job.initTrap !== undefined) },
      { name: "unix runtime", object: runtime },
    ],
    { entry: "_start" },
  );
  return image;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status, or the signal that ended the process. */
  status: number | string;
}

export function runImage(path: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(path, [], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      let status: number | string = 0;
      if (err !== null) {
        const e = err as { code?: number | string; signal?: string; killed?: boolean };
        status = e.killed ? `killed after ${timeoutMs} ms` : (e.signal ?? (typeof e.code === "number" ? e.code : String(e.code)));
      }
      resolve({ stdout, stderr, status });
    });
  });
}

export async function writeImage(path: string, image: Uint8Array): Promise<void> {
  await writeFile(path, image);
  await chmod(path, 0o755);
}

function trapName(hex: string): string {
  const code = parseInt(hex, 16);
  return TRAP_TEXT[code as TrapCode] ?? `trap code ${code}`;
}

/** Verdicts for the job's module command and calls, from the image's output. */
export function judgeRun(job: ModuleJob, run: RunResult, expected: Map<number, Expected[]>): Map<number, Outcome> {
  const out = new Map<number, Outcome>();
  const lines = run.stdout.split("\n");
  const died = (): string => {
    const err = run.stderr.trim().split("\n").slice(0, 3).join(" | ");
    return `the image ended (status ${run.status})${err === "" ? "" : `: ${err}`}`;
  };
  const init = lines[0] ?? "";
  if (job.initTrap !== undefined) {
    const m = /^i trap +([0-9a-f]+)$/.exec(init.trim());
    if (m !== null && parseInt(m[1]!, 16) === job.initTrap) out.set(job.command, { status: "pass" });
    else if (m !== null) out.set(job.command, { status: "fail", why: `instantiation trapped with "${trapName(m[1]!)}", expected "${TRAP_TEXT[job.initTrap]}"` });
    else out.set(job.command, { status: "fail", why: init === "i ok" ? "instantiation did not trap" : died() });
    return out;
  }
  if (init !== "i ok") {
    const m = /^i trap +([0-9a-f]+)$/.exec(init.trim());
    const why = m !== null ? `instantiation trapped: ${trapName(m[1]!)}` : died();
    out.set(job.command, { status: "fail", why });
    for (const c of job.calls) out.set(c.id, { status: "fail", why: "module did not instantiate" });
    return out;
  }
  out.set(job.command, { status: "pass" });
  const byId = new Map<number, string>();
  for (const l of lines.slice(1)) {
    const sp = l.indexOf(" ");
    if (sp > 0) byId.set(Number(l.slice(0, sp)), l.slice(sp + 1).trim());
  }
  for (const c of job.calls) {
    const line = byId.get(c.id);
    if (line === undefined) {
      out.set(c.id, { status: "fail", why: died() });
      continue;
    }
    if (line === "ok") {
      out.set(c.id, { status: "pass" });
      continue;
    }
    const words = line.split(/\s+/);
    if (words[0] === "trap") {
      const want = c.expect.kind === "trap" ? `, expected "${TRAP_TEXT[c.expect.code as TrapCode]}"` : "";
      out.set(c.id, { status: "fail", why: `trapped: ${trapName(words[1] ?? "0")}${want}` });
      continue;
    }
    const got = words.slice(1).map((h, i) => showBits(c.resultTypes[i] ?? "i64", BigInt(`0x${h}`)));
    const want =
      c.expect.kind === "trap"
        ? `a trap "${TRAP_TEXT[c.expect.code as TrapCode]}"`
        : `[${(expected.get(c.id) ?? []).map(showExpected).join(", ")}]`;
    out.set(c.id, { status: "fail", why: `returned [${got.join(", ")}], expected ${want}` });
  }
  return out;
}
