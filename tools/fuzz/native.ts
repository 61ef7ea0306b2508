// The plan run natively: the module compiled by tools/aot, linked with the
// driver (driver.ts) and the unix runtime into one ELF, run as a child
// process with a timeout, its output read back as an EngineRun.

import { compileModule, Trap, type TrapCode } from "../aot/index.ts";
import { link, type LinkObject } from "../link/index.ts";
import { unixRuntime } from "../runtime/unix/index.ts";
import type { Module, NumType } from "../wasm/index.ts";
import { runImage, writeImage } from "../spec/image.ts";
import { TRAP_TEXT } from "../aot/index.ts";
import { driverObject } from "./driver.ts";
import type { Plan } from "./plan.ts";
import type { EngineRun, LogEntry, Outcome, State } from "./record.ts";
import { clean } from "./values.ts";

/** Built once: the runtime does not depend on the module. */
let runtime: LinkObject | undefined;

/** The ELF image for `m` running `plan`. Throws what tools/aot or tools/link throw. */
export function buildImage(m: Module, plan: Plan): Uint8Array {
  runtime ??= unixRuntime({ start: "custom" });
  const aot = compileModule(m, { name: "fuzz.wasm" });
  const { image } = link(
    [
      { name: "fuzz.wasm", object: aot },
      { name: "fuzz driver", object: driverObject(m, plan) },
      { name: "unix runtime", object: runtime },
    ],
    { entry: "_start" },
  );
  return image;
}

const LOG_TYPES: readonly NumType[] = ["i32", "i64", "f32", "f64"];

function trapOutcome(hex: string | undefined): Outcome {
  const code = parseInt(hex ?? "0", 16);
  if (code === Trap.StackExhausted) return { kind: "exhausted" };
  return { kind: "trap", codes: [code as TrapCode], text: TRAP_TEXT[code as TrapCode] ?? `trap code ${code}` };
}

/** The driver's output (driver.ts's protocol) as a run; `died` says why it stopped early, if it did. */
export function parseOutput(stdout: string, plan: Plan, died: string | undefined): EngineRun {
  const run: EngineRun = { calls: [] };
  let logs: LogEntry[] = [];
  let outcome: Outcome | undefined;
  let broke = false;
  const lines = stdout.split("\n");
  // A last line without its newline was cut off mid-write.
  if (lines[lines.length - 1] !== "") lines.pop();
  for (const line of lines) {
    const w = line.split(" ").filter((s) => s !== "");
    switch (w[0]) {
      case "l":
        logs.push({ type: LOG_TYPES[Number(w[1])] ?? "i64", bits: BigInt(`0x${w[2] ?? "0"}`) });
        break;
      case "i":
        run.init = { logs, outcome: w[1] === "ok" ? { kind: "values", bits: [] } : trapOutcome(w[2]) };
        logs = [];
        break;
      case "c": {
        const call = plan.calls[run.calls.length];
        outcome = { kind: "values", bits: w.slice(1).map((h, i) => clean(call?.results[i] ?? "i64", BigInt(`0x${h}`))) };
        break;
      }
      case "t":
        outcome = trapOutcome(w[1]);
        break;
      case "x":
        broke = true;
        break;
      case "s": {
        const nums = w.slice(1).map((h) => BigInt(`0x${h}`));
        const state: State = { globals: [] };
        if (plan.memory !== undefined) {
          state.pages = Number(nums.shift() ?? 0n);
          state.hash = Number(BigInt.asUintN(32, nums.shift() ?? 0n));
        }
        state.globals = plan.globals.map((g, i) => clean(g.type, nums[i] ?? 0n));
        run.calls.push({ logs, outcome: outcome ?? { kind: "values", bits: [] }, state, ...(broke ? { brokeConvention: true as const } : {}) });
        logs = [];
        outcome = undefined;
        broke = false;
        break;
      }
      default:
        break;
    }
  }
  if (run.init === undefined) run.died = died ?? "the image wrote nothing";
  else if (run.init.outcome.kind === "values" && run.calls.length < plan.calls.length) run.died = died ?? "the image stopped early";
  return run;
}

/** Writes the image to `path`, runs it, and reads its output. */
export async function runNative(image: Uint8Array, path: string, plan: Plan, timeoutMs: number): Promise<EngineRun> {
  await writeImage(path, image);
  const r = await runImage(path, timeoutMs);
  const err = r.stderr.trim().split("\n").slice(0, 3).join(" | ");
  const died = r.status === 0 ? undefined : `the image ended with status ${r.status}${err === "" ? "" : `: ${err}`}`;
  return parseOutput(r.stdout, plan, died);
}
