// Native run against V8 run, call by call. The first difference is the
// mismatch: everything after it may be its consequence.
//
// - Results bit for bit, floats with any NaN equal to any NaN (the bits of
//   NaNs are hidden from everything else, instrument.ts); logged values the
//   same way, in order.
// - Traps by kind: V8's message maps to one or more of Atoll's codes
//   (traps.ts), one must be the native code.
// - The state after each call: memory size, memory hash, exported globals.
//   Engines that trapped at different points leave different state; that is
//   a mismatch even when the trap kinds agree.
// - Natively, also the calling convention: a call that returns with rsp or
//   a callee-saved register changed is a mismatch (V8 cannot show one).
// - Stack exhaustion: the depth at which it happens differs between engines
//   (frame sizes, stack sizes), and so does everything the calls before it
//   did (logs, the hang-limit global, memory). When either side runs out of
//   stack the rest of the module is skipped, counted as such, and never a
//   mismatch.

import type { NumType } from "../wasm/index.ts";
import type { Plan, PlannedCall } from "./plan.ts";
import type { CallRecord, EngineRun, LogEntry, Outcome } from "./record.ts";
import { sameValue, showBits } from "./values.ts";

/** Kinds of mismatch; wasm-reduce keeps the kind while it shrinks a module. */
export type MismatchKind = "decode" | "compile" | "instantiation" | "results" | "trap" | "logs" | "memory" | "globals" | "convention" | "died";

export interface Mismatch {
  kind: MismatchKind;
  /** The call, e.g. `func_8(0x00000001 (1), ...)`, or "instantiation". */
  where: string;
  native: string;
  v8: string;
}

export interface Comparison {
  /** Calls compared and found equal. */
  equal: number;
  /** Calls not compared: after a stack exhaustion or the mismatch. */
  skipped: number;
  /** True when a stack exhaustion cut the comparison short. */
  exhausted: boolean;
  /** True when instantiation trapped (the same way on both sides), so no call ran. */
  initTrapped?: boolean;
  mismatch?: Mismatch;
}

function showCall(c: PlannedCall): string {
  return `${c.name}(${c.args.map((a, i) => showBits(c.params[i]!, a)).join(", ")})`;
}

function showOutcome(o: Outcome, types: readonly NumType[]): string {
  switch (o.kind) {
    case "values":
      return `returned [${o.bits.map((b, i) => showBits(types[i] ?? "i64", b)).join(", ")}]`;
    case "trap":
      return `trapped: ${o.text}`;
    case "exhausted":
      return "ran out of stack";
  }
}

function showLogs(logs: readonly LogEntry[], from: number): string {
  const shown = logs.slice(from, from + 4).map((l) => `${l.type} ${showBits(l.type, l.bits)}`);
  return `${logs.length} logged; from entry ${from}: [${shown.join(", ")}${logs.length > from + 4 ? ", ..." : ""}]`;
}

function outcomesMatch(a: Outcome, b: Outcome, types: readonly NumType[]): boolean {
  if (a.kind === "values" && b.kind === "values") return a.bits.length === b.bits.length && a.bits.every((x, i) => sameValue(types[i] ?? "i64", x, b.bits[i]!));
  if (a.kind === "trap" && b.kind === "trap") return a.codes.some((c) => b.codes.includes(c));
  return a.kind === b.kind;
}

/** Index of the first log entry that differs, or -1. */
function logsDiffer(a: readonly LogEntry[], b: readonly LogEntry[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.type !== y.type || !sameValue(x.type, x.bits, y.bits)) return i;
  }
  return -1;
}

function compareCall(plan: Plan, call: PlannedCall, n: CallRecord, v: CallRecord): Mismatch | undefined {
  const where = showCall(call);
  if (!outcomesMatch(n.outcome, v.outcome, call.results)) {
    const kind = n.outcome.kind === "values" && v.outcome.kind === "values" ? "results" : "trap";
    return { kind, where, native: showOutcome(n.outcome, call.results), v8: showOutcome(v.outcome, call.results) };
  }
  if (n.brokeConvention === true) {
    return { kind: "convention", where, native: "returned with rsp, rbp, rbx or r12-r14 changed (docs/aot.md: wasm functions preserve them)", v8: showOutcome(v.outcome, call.results) };
  }
  const at = logsDiffer(n.logs, v.logs);
  if (at >= 0) return { kind: "logs", where, native: showLogs(n.logs, at), v8: showLogs(v.logs, at) };
  if (n.state.pages !== v.state.pages || n.state.hash !== v.state.hash) {
    const show = (s: CallRecord["state"]): string => `memory of ${s.pages} pages, hash ${(s.hash ?? 0).toString(16).padStart(8, "0")}`;
    return { kind: "memory", where, native: show(n.state), v8: show(v.state) };
  }
  for (let i = 0; i < plan.globals.length; i++) {
    const g = plan.globals[i]!;
    const x = n.state.globals[i] ?? 0n;
    const y = v.state.globals[i] ?? 0n;
    if (!sameValue(g.type, x, y)) {
      return { kind: "globals", where, native: `global ${g.index} (${g.type}) = ${showBits(g.type, x)}`, v8: `global ${g.index} = ${showBits(g.type, y)}` };
    }
  }
  return undefined;
}

export function compareRuns(plan: Plan, native: EngineRun, v8: EngineRun): Comparison {
  const total = plan.calls.length;
  /** Calls before k were equal; k mismatched (or, with `exhausted`, ran out of stack). */
  const stop = (k: number, exhausted: boolean, mismatch?: Mismatch): Comparison => ({ equal: k, skipped: total - k - (mismatch === undefined ? 0 : 1), exhausted, mismatch });
  const ni = native.init;
  const vi = v8.init!;
  if (ni === undefined) return { equal: 0, skipped: total, exhausted: false, mismatch: { kind: "died", where: "instantiation", native: native.died ?? "no output", v8: showOutcome(vi.outcome, []) } };
  if (ni.outcome.kind === "exhausted" || vi.outcome.kind === "exhausted") return { equal: 0, skipped: total, exhausted: true };
  if (!outcomesMatch(ni.outcome, vi.outcome, []) || logsDiffer(ni.logs, vi.logs) >= 0) {
    const show = (i: typeof ni): string => `${showOutcome(i.outcome, [])}, ${showLogs(i.logs, 0)}`;
    return { equal: 0, skipped: total, exhausted: false, mismatch: { kind: "instantiation", where: "instantiation", native: show(ni), v8: show(vi) } };
  }
  for (let k = 0; k < total; k++) {
    const call = plan.calls[k]!;
    const n = native.calls[k];
    const v = v8.calls[k];
    if (v === undefined) return { equal: 0, skipped: total, exhausted: false, initTrapped: true };
    if (n === undefined) return stop(k, false, { kind: "died", where: showCall(call), native: native.died ?? "no record of the call", v8: showOutcome(v.outcome, call.results) });
    if (n.outcome.kind === "exhausted" || v.outcome.kind === "exhausted") return stop(k, true);
    const m = compareCall(plan, call, n, v);
    if (m !== undefined) return stop(k, false, m);
  }
  if (native.died !== undefined) {
    return { equal: total, skipped: 0, exhausted: false, mismatch: { kind: "died", where: "after the last call", native: native.died, v8: "returned" } };
  }
  return { equal: total, skipped: 0, exhausted: false };
}

/** A mismatch as lines of text. */
export function describeMismatch(m: Mismatch): string[] {
  return [`${m.kind} differ at ${m.where}`, `  native: ${m.native}`, `  V8:     ${m.v8}`];
}
