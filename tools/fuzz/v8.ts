// The plan run in V8 (Node's WebAssembly), in this process. Runs are
// bounded: translate-to-fuzz counts every loop iteration and call against a
// hang limit and traps when it runs out, and a reduced module reproduces
// its mismatch within wasm-reduce's timeout, so it ends too.

import type { NumType } from "../wasm/index.ts";
import type { Plan } from "./plan.ts";
import type { CallRecord, EngineRun, LogEntry, Outcome, State } from "./record.ts";
import { memoryHash } from "./record.ts";
import { HOST_MODULE } from "./host.ts";
import { v8TrapCodes } from "./traps.ts";
import { fromJs, toJs } from "./values.ts";

type Exports = Record<string, unknown>;

function outcomeOf(e: unknown): Outcome {
  if (e instanceof WebAssembly.RuntimeError) {
    // An unknown message keeps no code: it matches nothing and shows up.
    return { kind: "trap", codes: v8TrapCodes(e.message) ?? [], text: e.message };
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { kind: "exhausted" };
  throw e;
}

function stateOf(exports: Exports, plan: Plan): State {
  const globals = plan.globals.map((g) => fromJs(g.type, (exports[g.name] as WebAssembly.Global).value));
  if (plan.memory === undefined) return { globals };
  const buffer = (exports[plan.memory] as WebAssembly.Memory).buffer;
  return { pages: buffer.byteLength / 65536, hash: memoryHash(new Uint32Array(buffer)), globals };
}

export function runV8(bytes: Uint8Array, plan: Plan): EngineRun {
  let logs: LogEntry[] = [];
  const log = (type: NumType) => (x: number | bigint): void => {
    logs.push({ type, bits: fromJs(type, x) });
  };
  const imports = {
    [HOST_MODULE]: {
      "log-i32": log("i32"),
      "log-i64": log("i64"),
      "log-f32": log("f32"),
      "log-f64": log("f64"),
      sleep: (_ms: number, id: number): number => id,
      "call-export": (): void => {},
      "call-export-catch": (): number => 0,
    },
  };
  const module = new WebAssembly.Module(new Uint8Array(bytes));
  let exports: Exports;
  try {
    exports = new WebAssembly.Instance(module, imports).exports as Exports;
  } catch (e) {
    if (e instanceof WebAssembly.LinkError || e instanceof WebAssembly.CompileError) throw e;
    return { init: { logs, outcome: outcomeOf(e) }, calls: [] };
  }
  const run: EngineRun = { init: { logs, outcome: { kind: "values", bits: [] } }, calls: [] };
  for (const call of plan.calls) {
    logs = [];
    let outcome: Outcome;
    try {
      const f = exports[call.name] as (...args: unknown[]) => unknown;
      const r = f(...call.args.map((a, i) => toJs(call.params[i]!, a)));
      const rs = call.results.length === 1 ? [r] : call.results.length === 0 ? [] : [...(r as Iterable<unknown>)];
      outcome = { kind: "values", bits: call.results.map((t, i) => fromJs(t, rs[i])) };
    } catch (e) {
      outcome = outcomeOf(e);
    }
    const record: CallRecord = { logs, outcome, state: stateOf(exports, plan) };
    run.calls.push(record);
  }
  return run;
}
