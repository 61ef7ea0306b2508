// From a script's commands to images: which module each command runs in,
// what the driver does for it, and the verdicts that need no image at all
// (invalid and malformed binaries, unlinkable modules, skips).
//
// Atoll images hold one module, so each module of a script gets its own
// image, running that module's commands in script order. A module that
// imports from another instance (`register` + import) cannot be built.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeModule, funcType, globalType, validateModule, WasmError, type Module, type ValType } from "../wasm/index.ts";
import { SYMBOLS, TRAP_TEXT, type TrapCode } from "../aot/index.ts";
import type { DriverCall, Expected } from "./driver.ts";
import { checkImports, useSpectestLimits } from "./spectest.ts";
import { bitsOf, expectedOf, isNumType } from "./values.ts";
import type { Script, WastAction, WastCommand } from "./wast.ts";

export type Outcome = { status: "pass" } | { status: "fail"; why: string } | { status: "skip"; why: string };

export interface ModuleJob {
  /** The `module` or `assert_uninstantiable` command that defines it. */
  command: number;
  filename: string;
  m: Module;
  calls: DriverCall[];
  /** assert_uninstantiable: instantiation must trap with this code. */
  initTrap?: TrapCode;
}

export interface Plan {
  commands: WastCommand[];
  /** Verdicts known without running anything; the rest come from the jobs. */
  outcomes: (Outcome | undefined)[];
  jobs: ModuleJob[];
  /** The expected values of each call, for messages. */
  expected: Map<number, Expected[]>;
}

type Loaded = { ok: true; m: Module } | { ok: false; err: WasmError };

function load(dir: string, filename: string): Loaded {
  const bytes = readFileSync(join(dir, filename));
  try {
    const m = decodeModule(bytes);
    validateModule(m);
    return { ok: true, m };
  } catch (e) {
    if (e instanceof WasmError) return { ok: false, err: e };
    throw e;
  }
}

/** The trap code whose spec text the script's text names ("uninitialized element 2" is 7). */
export function trapCodeOf(text: string): TrapCode | undefined {
  for (const [code, t] of Object.entries(TRAP_TEXT)) {
    if (text.startsWith(t) || t.startsWith(text)) return Number(code) as TrapCode;
  }
  return undefined;
}

function reasonOf(err: WasmError): string {
  return err.reason.replace(/ \(.*$/, "");
}

interface Target {
  job?: ModuleJob;
  /** Why commands on this module are skipped or fail. */
  skip?: string;
  fail?: string;
}

export function planScript(script: Script): Plan {
  const { commands } = script;
  const outcomes: (Outcome | undefined)[] = new Array(commands.length).fill(undefined);
  const jobs: ModuleJob[] = [];
  const expected = new Map<number, Expected[]>();
  const named = new Map<string, Target>();
  const registered = new Set<string>();
  const registeredTargets = new Map<string, Target>();
  let current: Target | undefined;

  /**
   * A module we cannot build may still write into the memory or table it
   * imports from a registered instance (segments, its start function):
   * from then on that instance's state is not what the script expects.
   */
  const taint = (m: Module): void => {
    for (const imp of m.imports) {
      const t = registeredTargets.get(imp.module);
      if (t === undefined || t.job === undefined) continue;
      if (imp.kind === "table" || imp.kind === "memory" || m.start !== undefined) {
        t.skip = "state shared with another module's instance (register)";
      }
    }
  };

  const prepare = (k: number, filename: string): Target => {
    const loaded = load(script.dir, filename);
    if (!loaded.ok) {
      if (loaded.err.unsupported) return { skip: reasonOf(loaded.err) };
      return { fail: `module rejected: ${loaded.err.message}` };
    }
    const imports = checkImports(loaded.m, registered);
    if (!imports.ok) {
      if (imports.kind === "needs-instance") {
        taint(loaded.m);
        return { skip: "imports from another module's instance (register)" };
      }
      return { fail: `module not linkable: ${imports.reason}` };
    }
    useSpectestLimits(loaded.m);
    const job: ModuleJob = { command: k, filename, m: loaded.m, calls: [] };
    return { job };
  };

  const addCall = (k: number, action: WastAction, expect: DriverCall["expect"] | "values", values: Expected[]): Outcome | undefined => {
    const t = action.module !== undefined ? named.get(action.module) : current;
    if (t === undefined) return { status: "fail", why: `no module ${action.module ?? "defined yet"}` };
    if (t.skip !== undefined) return { status: "skip", why: t.skip };
    if (t.fail !== undefined) return { status: "fail", why: t.fail };
    const job = t.job!;
    const m = job.m;
    const ex = m.exports.find((e) => e.name === action.field);
    if (ex === undefined) return { status: "fail", why: `no export "${action.field}"` };
    const args: { type: ValType; bits: bigint }[] = [];
    for (const a of action.args ?? []) {
      const bits = bitsOf(a);
      if (!isNumType(a.type) || bits === undefined) return { status: "skip", why: "reference types (a reference as a value)" };
      args.push({ type: a.type, bits });
    }
    let target: DriverCall["target"];
    let resultTypes: readonly ValType[];
    if (action.type === "get") {
      if (ex.kind !== "global") return { status: "fail", why: `export "${action.field}" is not a global` };
      target = { kind: "global", index: ex.index };
      resultTypes = [globalType(m, ex.index)!.type];
    } else {
      if (ex.kind !== "func") return { status: "fail", why: `export "${action.field}" is not a function` };
      target = { kind: "call", symbol: ex.name.includes("\0") ? funcSymbol(m, ex.index) : SYMBOLS.export(ex.name) };
      resultTypes = funcType(m, ex.index)!.results;
    }
    if (resultTypes.some((r) => !isNumType(r))) return { status: "skip", why: "reference types (a reference as a value)" };
    job.calls.push({ id: k, target, args, resultTypes, expect: expect === "values" ? { kind: "values", values } : expect });
    expected.set(k, values);
    return undefined;
  };

  commands.forEach((cmd, k) => {
    switch (cmd.type) {
      case "module": {
        const t = prepare(k, cmd.filename);
        current = t;
        if (cmd.name !== undefined) named.set(cmd.name, t);
        if (t.job !== undefined) jobs.push(t.job);
        else outcomes[k] = t.skip !== undefined ? { status: "skip", why: t.skip } : { status: "fail", why: t.fail! };
        break;
      }
      case "register": {
        registered.add(cmd.as);
        const t = cmd.name !== undefined ? named.get(cmd.name) : current;
        if (t !== undefined) registeredTargets.set(cmd.as, t);
        break;
      }
      case "assert_return": {
        const values: Expected[] = [];
        for (const v of cmd.expected) {
          const e = expectedOf(v);
          if (e === undefined) {
            outcomes[k] = { status: "skip", why: "reference types (a reference as a value)" };
            return;
          }
          values.push(e);
        }
        outcomes[k] = addCall(k, cmd.action, "values", values);
        break;
      }
      case "action":
        outcomes[k] = addCall(k, cmd.action, { kind: "none" }, []);
        break;
      case "assert_trap":
      case "assert_exhaustion": {
        const code = trapCodeOf(cmd.text);
        if (code === undefined) {
          outcomes[k] = { status: "fail", why: `unknown trap text "${cmd.text}"` };
          return;
        }
        outcomes[k] = addCall(k, cmd.action, { kind: "trap", code }, []);
        break;
      }
      case "assert_invalid":
      case "assert_malformed": {
        if (cmd.module_type === "text") {
          outcomes[k] = { status: "skip", why: "text format (Atoll reads binaries only)" };
          return;
        }
        const loaded = load(script.dir, cmd.filename);
        if (loaded.ok) outcomes[k] = { status: "fail", why: `accepted, expected "${cmd.text}"` };
        else if (loaded.err.unsupported) outcomes[k] = { status: "skip", why: reasonOf(loaded.err) };
        else outcomes[k] = { status: "pass" };
        break;
      }
      case "assert_unlinkable": {
        const loaded = load(script.dir, cmd.filename);
        if (!loaded.ok) {
          outcomes[k] = loaded.err.unsupported
            ? { status: "skip", why: reasonOf(loaded.err) }
            : { status: "fail", why: `module rejected: ${loaded.err.message}` };
          return;
        }
        const imports = checkImports(loaded.m, registered);
        if (imports.ok) outcomes[k] = { status: "fail", why: `linked, expected "${cmd.text}"` };
        else if (imports.kind === "needs-instance") outcomes[k] = { status: "skip", why: "imports from another module's instance (register)" };
        else outcomes[k] = { status: "pass" };
        break;
      }
      case "assert_uninstantiable": {
        const t = prepare(k, cmd.filename);
        const code = trapCodeOf(cmd.text);
        if (t.job === undefined) outcomes[k] = t.skip !== undefined ? { status: "skip", why: t.skip } : { status: "fail", why: t.fail! };
        else if (code === undefined) outcomes[k] = { status: "fail", why: `unknown trap text "${cmd.text}"` };
        else {
          t.job.initTrap = code;
          jobs.push(t.job);
        }
        break;
      }
    }
  });
  return { commands, outcomes, jobs, expected };
}

function funcSymbol(m: Module, index: number): string {
  let k = 0;
  for (const imp of m.imports) {
    if (imp.kind !== "func") continue;
    if (k === index) return SYMBOLS.import(imp.module, imp.name);
    k++;
  }
  return SYMBOLS.func(index);
}
