// The same commands in V8 (`new WebAssembly.Instance`), as a second
// referee: where Atoll and V8 disagree on a command, one of them is wrong,
// or the harness is. V8 cannot show every NaN payload through JavaScript
// numbers, so here any NaN matches a NaN expectation.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Outcome } from "./plan.ts";
import { SPECTEST_FUNCS, SPECTEST_GLOBALS, SPECTEST_MEMORY, SPECTEST_TABLE } from "./spectest.ts";
import { bitsOf, expectedOf, matches } from "./values.ts";
import type { Script, WastAction, WastValue } from "./wast.ts";

type Exports = Record<string, unknown>;

function spectestExports(): Exports {
  const e: Exports = {};
  for (const name of SPECTEST_FUNCS.keys()) e[name] = () => {};
  for (const [name, g] of SPECTEST_GLOBALS) e[name] = new WebAssembly.Global({ value: g.type as "i32", mutable: false }, g.value as number);
  e.table = new WebAssembly.Table({ element: "anyfunc", initial: SPECTEST_TABLE.min, maximum: SPECTEST_TABLE.max });
  e.memory = new WebAssembly.Memory({ initial: SPECTEST_MEMORY.min, maximum: SPECTEST_MEMORY.max });
  return e;
}

function toJs(v: WastValue): unknown {
  const bits = bitsOf(v);
  if (bits === undefined) return null;
  const dv = new DataView(new ArrayBuffer(8));
  switch (v.type) {
    case "i32":
      return Number(BigInt.asIntN(32, bits));
    case "i64":
      return BigInt.asIntN(64, bits);
    case "f32":
      dv.setUint32(0, Number(bits));
      return dv.getFloat32(0);
    default:
      dv.setBigUint64(0, bits);
      return dv.getFloat64(0);
  }
}

/** The bit pattern of a value V8 returned, as the driver compares them (u64, floats by their bits). */
export function fromJs(type: string, x: unknown): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  switch (type) {
    case "i32":
      return BigInt.asUintN(32, BigInt(x as number));
    case "i64":
      return BigInt.asUintN(64, x as bigint);
    case "f32":
      dv.setFloat32(0, x as number);
      return BigInt(dv.getUint32(0));
    default:
      dv.setFloat64(0, x as number);
      return dv.getBigUint64(0);
  }
}

function isNanBits(type: string, b: bigint): boolean {
  if (type === "f32") return (b & 0x7f80_0000n) === 0x7f80_0000n && (b & 0x7f_ffffn) !== 0n;
  if (type === "f64") return (b & 0x7ff0_0000_0000_0000n) === 0x7ff0_0000_0000_0000n && (b & 0xf_ffff_ffff_ffffn) !== 0n;
  return false;
}

export function v8Verdicts(script: Script): Map<number, Outcome> {
  const out = new Map<number, Outcome>();
  const registry: Record<string, Exports> = { spectest: spectestExports() };
  const named = new Map<string, Exports>();
  let current: Exports | undefined;
  const bytes = (f: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(join(script.dir, f)));
  const instantiate = (f: string): Exports => {
    const mod = new WebAssembly.Module(bytes(f));
    return new WebAssembly.Instance(mod, registry as WebAssembly.Imports).exports as Exports;
  };
  const act = (a: WastAction): unknown => {
    const inst = a.module !== undefined ? named.get(a.module) : current;
    if (inst === undefined) throw new Error("no module");
    const x = inst[a.field];
    if (a.type === "get") return (x as WebAssembly.Global).value;
    return (x as (...args: unknown[]) => unknown)(...(a.args ?? []).map(toJs));
  };
  const verdict = (k: number, f: () => Outcome): void => {
    try {
      out.set(k, f());
    } catch (e) {
      out.set(k, { status: "fail", why: `V8: ${(e as Error).message}` });
    }
  };

  script.commands.forEach((cmd, k) => {
    switch (cmd.type) {
      case "module":
        verdict(k, () => {
          current = undefined;
          current = instantiate(cmd.filename);
          if (cmd.name !== undefined) named.set(cmd.name, current);
          return { status: "pass" };
        });
        if (current === undefined && cmd.name !== undefined) named.delete(cmd.name);
        break;
      case "register":
        if (current !== undefined) registry[cmd.as] = current;
        break;
      case "action":
        verdict(k, () => (act(cmd.action), { status: "pass" }));
        break;
      case "assert_return":
        // A NaN argument reaches V8 through a JavaScript number, which may quiet it: no verdict then.
        if ((cmd.action.args ?? []).some((a) => isNanBits(a.type, bitsOf(a) ?? 0n))) break;
        verdict(k, () => {
          const r = act(cmd.action);
          const results = cmd.expected.length === 1 ? [r] : (r as unknown[]);
          for (let i = 0; i < cmd.expected.length; i++) {
            const want = cmd.expected[i]!;
            const e = expectedOf(want);
            if (e === undefined) continue;
            const got = fromJs(want.type, results[i]);
            const nanOk = isNanBits(want.type, got) && (!("bits" in e) || isNanBits(want.type, e.bits));
            if (!nanOk && !matches(e, got)) return { status: "fail", why: `V8 returned ${got} for result ${i}` };
          }
          return { status: "pass" };
        });
        break;
      case "assert_trap":
      case "assert_exhaustion":
        verdict(k, () => {
          try {
            act(cmd.action);
          } catch (e) {
            if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) return { status: "pass" };
            throw e;
          }
          return { status: "fail", why: "V8 did not trap" };
        });
        break;
      case "assert_uninstantiable":
      case "assert_unlinkable":
        verdict(k, () => {
          try {
            instantiate(cmd.filename);
          } catch (e) {
            if (e instanceof WebAssembly.RuntimeError || e instanceof WebAssembly.LinkError || e instanceof TypeError) return { status: "pass" };
            throw e;
          }
          return { status: "fail", why: "V8 instantiated it" };
        });
        break;
      case "assert_invalid":
      case "assert_malformed":
        if (cmd.module_type === "binary") {
          verdict(k, () => (WebAssembly.validate(bytes(cmd.filename)) ? { status: "fail", why: "V8 accepted it" } : { status: "pass" }));
        }
        break;
    }
  });
  return out;
}
