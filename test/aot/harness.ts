// Runs exported functions of a small module two ways, natively (tools/aot +
// tools/link + the unix runtime, through the spec driver) and in V8, and
// reports every case where they differ. Results are compared bit for bit,
// except that a NaN from V8 (whose NaN bits JavaScript may not keep) only
// asks for some NaN; tests that care about NaN bits say so with `nan`.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeModule, funcType, validateModule, type Module, type ValType } from "../../tools/wasm/index.ts";
import { SYMBOLS, TRAP_TEXT, type TrapCode } from "../../tools/aot/index.ts";
import type { DriverCall, Expected } from "../../tools/spec/driver.ts";
import { buildImage, judgeRun, runImage, writeImage } from "../../tools/spec/image.ts";
import { useSpectestLimits } from "../../tools/spec/spectest.ts";
import { fromJs } from "../../tools/spec/reference.ts";

/** A raw bit pattern for an f32/f64 argument (NaN payloads) or an expectation. */
export interface Bits {
  bits: bigint;
}
export type Arg = number | bigint | Bits;

export interface Case {
  fn: string;
  args?: Arg[];
  /** Expect this trap (V8 must trap too). */
  trap?: TrapCode;
  /** Where the test does not work out whether the call traps: when V8 traps, expect this code. */
  orTrap?: TrapCode;
  /** Expect exactly these result bits (checked natively; V8 only when it can show them). */
  bits?: bigint[];
  /** Expect a NaN of this class for result 0. */
  nan?: "canonical" | "arithmetic" | "any";
}

/** wat2wasm (wabt); `--debug-names` among `flags` keeps the names of the text in a name section. */
export function wat2wasm(wat: string, flags: string[] = []): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-aot-test-"));
  try {
    writeFileSync(path.join(dir, "m.wat"), wat);
    execFileSync("wat2wasm", [...flags, path.join(dir, "m.wat"), "-o", path.join(dir, "m.wasm")], { stdio: ["ignore", "ignore", "pipe"] });
    return new Uint8Array(readFileSync(path.join(dir, "m.wasm")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const dv = new DataView(new ArrayBuffer(8));

function argBits(type: ValType, a: Arg): bigint {
  if (typeof a === "object") return a.bits;
  switch (type) {
    case "i32":
      return BigInt.asUintN(32, BigInt(a));
    case "i64":
      return BigInt.asUintN(64, BigInt(a));
    case "f32":
      dv.setFloat32(0, Number(a));
      return BigInt(dv.getUint32(0));
    default:
      dv.setFloat64(0, Number(a));
      return dv.getBigUint64(0);
  }
}

function toJs(type: ValType, bits: bigint): number | bigint {
  switch (type) {
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


function isNan(type: ValType, b: bigint): boolean {
  if (type === "f32") return (b & 0x7fff_ffffn) > 0x7f80_0000n;
  if (type === "f64") return (b & 0x7fff_ffff_ffff_ffffn) > 0x7ff0_0000_0000_0000n;
  return false;
}

const spectest = (): WebAssembly.Imports => ({
  spectest: {
    print_i32: () => {},
    table: new WebAssembly.Table({ element: "anyfunc", initial: 10, maximum: 20 }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
    global_i32: 666,
  },
});

/**
 * Runs `cases` (in order, in one instance each side) and returns one line
 * per disagreement; an empty list means natively == V8 == any explicit expectations.
 */
export async function compare(wasm: Uint8Array, cases: readonly Case[]): Promise<string[]> {
  const problems: string[] = [];
  const m: Module = decodeModule(wasm);
  validateModule(m);
  useSpectestLimits(m);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(wasm)), spectest());
  const calls: DriverCall[] = [];
  cases.forEach((c, id) => {
    const ex = m.exports.find((e) => e.name === c.fn && e.kind === "func");
    if (ex === undefined) throw new Error(`no exported function ${c.fn}`);
    const t = funcType(m, ex.index)!;
    const args = (c.args ?? []).map((a, i) => ({ type: t.params[i]!, bits: argBits(t.params[i]!, a) }));
    const what = `${c.fn}(${(c.args ?? []).map((a) => (typeof a === "object" ? `bits 0x${a.bits.toString(16)}` : String(a))).join(", ")})`;
    let v8: bigint[] | "trap";
    try {
      const r = (inst.exports[c.fn] as (...a: unknown[]) => unknown)(...args.map((a) => toJs(a.type, a.bits)));
      const rs = t.results.length === 1 ? [r] : t.results.length === 0 ? [] : (r as unknown[]);
      v8 = t.results.map((ty, i) => fromJs(ty, rs[i]));
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError || e instanceof RangeError)) throw e;
      v8 = "trap";
    }
    let expect: DriverCall["expect"];
    if (c.trap === undefined && c.orTrap !== undefined && v8 === "trap") {
      expect = { kind: "trap", code: c.orTrap };
    } else if (c.trap !== undefined) {
      if (v8 !== "trap") problems.push(`${what}: V8 returned instead of trapping (${TRAP_TEXT[c.trap]})`);
      expect = { kind: "trap", code: c.trap };
    } else if (v8 === "trap") {
      problems.push(`${what}: V8 trapped; give the expected trap code`);
      return;
    } else {
      const values: Expected[] = t.results.map((ty, i): Expected => {
        if (i === 0 && c.nan !== undefined) return { type: ty as "f32", nan: c.nan };
        const explicit = c.bits?.[i];
        if (explicit !== undefined) {
          if (!isNan(ty, explicit) && explicit !== v8[i]) problems.push(`${what}: V8 gives 0x${v8[i]!.toString(16)} for result ${i}, the test expects 0x${explicit.toString(16)}`);
          return { type: ty, bits: explicit };
        }
        if (isNan(ty, v8[i]!)) return { type: ty as "f32", nan: "any" };
        return { type: ty, bits: v8[i]! };
      });
      expect = { kind: "values", values };
    }
    calls.push({ id, target: { kind: "call", symbol: SYMBOLS.export(c.fn) }, args, resultTypes: t.results, expect });
  });

  const job = { command: -1, filename: "test.wasm", m, calls };
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-aot-test-"));
  try {
    const exe = path.join(dir, "test.elf");
    await writeImage(exe, buildImage(job));
    const run = await runImage(exe, 20_000);
    const expected = new Map(calls.map((c) => [c.id, c.expect.kind === "values" ? c.expect.values : []]));
    for (const [id, o] of judgeRun(job, run, expected)) {
      if (o.status === "fail") {
        const c = cases[id];
        problems.push(c === undefined ? `instantiation: ${o.why}` : `${c.fn}(${(c.args ?? []).map(String).join(", ")}): ${o.why}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return problems;
}

/** Every combination of one function with each argument tuple. */
export function grid(fns: readonly string[], argLists: readonly Arg[][]): Case[] {
  return fns.flatMap((fn) => argLists.map((args) => ({ fn, args })));
}

/** Pairs of every value in `xs` with every value in `ys`. */
export function pairs<T extends Arg>(xs: readonly T[], ys: readonly T[] = xs): Arg[][] {
  return xs.flatMap((x) => ys.map((y) => [x, y]));
}
