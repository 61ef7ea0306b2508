// The official WebAssembly 2.0 core tests, binary side: every module the
// suite says is valid must decode and validate (or be reported as using a
// feature outside Atoll's set), every binary the suite says is malformed
// must fail in the decoder, every invalid one in the decoder or validator.
// V8 (Node's WebAssembly.Module) is the second referee: on every module we
// do not call unsupported, its verdict and ours must agree.
//
// wast2json (wabt) turns each .wast into a JSON command list plus .wasm
// files. It runs with SIMD disabled and reference types enabled: the 2.0
// suite writes its bulk-memory tests in reference-types syntax (funcref
// element expressions, table indices), and the decoder itself sorts out
// which reference-types modules are out of scope.

import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeModule,
  funcType,
  globalType,
  Op,
  opInfo,
  validateModule,
  WasmError,
  type FuncType,
  type Module,
  type ValType,
} from "../../tools/wasm/index.ts";

const run = promisify(execFile);
const SPEC_DIR = process.env.ATOLL_WASM_SPEC ?? fileURLToPath(new URL("../../../shared/wasm-spec/", import.meta.url));
const WAST2JSON_FLAGS = ["--disable-simd"];

interface Command {
  type: string;
  line: number;
  filename?: string;
  text?: string;
  module_type?: string;
}

function commandsOf(json: unknown): Command[] {
  if (typeof json !== "object" || json === null || !("commands" in json) || !Array.isArray(json.commands)) {
    throw new Error("wast2json output has no commands array");
  }
  return json.commands as Command[];
}

type Verdict =
  | { ok: true; m: Module }
  | { ok: false; stage: "decode" | "validate"; err: WasmError };

function judge(bytes: Uint8Array): Verdict {
  let stage: "decode" | "validate" = "decode";
  try {
    const m = decodeModule(bytes);
    stage = "validate";
    validateModule(m);
    return { ok: true, m };
  } catch (e) {
    if (e instanceof WasmError) return { ok: false, stage, err: e };
    throw e; // a crash is a bug, not a verdict
  }
}

/**
 * Walks every body the way a single-pass code generator would: skipping
 * `dead` instructions and keeping a plain (never polymorphic) stack of
 * types. If the validator's annotations are sound, that stack never
 * underflows or holds a wrong type, every live drop/select has its type,
 * and the depth never exceeds maxStackDepth. Returns the problems found.
 */
function checkAnnotations(m: Module): string[] {
  const problems: string[] = [];
  const nImported = m.imports.filter((i) => i.kind === "func").length;
  m.funcs.forEach((fn, k) => {
    const fi = nImported + k;
    const ft = m.types[fn.typeIndex]!;
    const locals: ValType[] = [...ft.params, ...fn.locals];
    const stack: ValType[] = [];
    const frames: { height: number; bt: FuncType }[] = [{ height: 0, bt: { params: [], results: ft.results } }];
    let max = 0;
    const pop = (want: readonly ValType[], ins: number): void => {
      for (let i = want.length - 1; i >= 0; i--) {
        const got = stack.pop();
        if (got !== want[i]) throw new Error(`instr ${ins}: wanted ${want[i]}, found ${got ?? "nothing"}`);
      }
    };
    try {
      fn.body.forEach((ins, n) => {
        if (ins.dead) return;
        const op = ins.op;
        const top = frames[frames.length - 1]!;
        if (op === Op.Block || op === Op.Loop || op === Op.If) {
          if (op === Op.If) pop(["i32"], n);
          pop(ins.blockType!.params, n);
          frames.push({ height: stack.length, bt: ins.blockType! });
          stack.push(...ins.blockType!.params);
        } else if (op === Op.Else) {
          stack.length = top.height;
          stack.push(...top.bt.params);
        } else if (op === Op.End) {
          stack.length = top.height;
          frames.pop();
          if (frames.length > 0) stack.push(...top.bt.results);
        } else if (op === Op.Br || op === Op.Return || op === Op.Unreachable || op === Op.BrTable) {
          // what follows, to the end of the block, must be dead
          const next = fn.body[n + 1];
          if (next && !next.dead && next.op !== Op.End && next.op !== Op.Else) throw new Error(`instr ${n + 1} after a branch is live`);
        } else if (op === Op.BrIf) {
          pop(["i32"], n);
        } else if (op === Op.Call) {
          const t = funcType(m, ins.index!)!;
          pop(t.params, n);
          stack.push(...t.results);
        } else if (op === Op.CallIndirect) {
          const t = m.types[ins.index!]!;
          pop(["i32"], n);
          pop(t.params, n);
          stack.push(...t.results);
        } else if (op === Op.Drop) {
          if (ins.type === undefined) throw new Error(`instr ${n}: live drop without a type`);
          pop([ins.type], n);
        } else if (op === Op.Select || op === Op.SelectT) {
          if (ins.type === undefined) throw new Error(`instr ${n}: live select without a type`);
          pop([ins.type, ins.type, "i32"], n);
          stack.push(ins.type);
        } else if (op === Op.LocalGet) stack.push(locals[ins.index!]!);
        else if (op === Op.LocalSet) pop([locals[ins.index!]!], n);
        else if (op === Op.LocalTee) {
          pop([locals[ins.index!]!], n);
          stack.push(locals[ins.index!]!);
        } else if (op === Op.GlobalGet) stack.push(globalType(m, ins.index!)!.type);
        else if (op === Op.GlobalSet) pop([globalType(m, ins.index!)!.type], n);
        else {
          const info = opInfo(op)!;
          pop(info.params!, n);
          stack.push(...info.results!);
        }
        max = Math.max(max, stack.length);
      });
      if (max > fn.maxStackDepth!) throw new Error(`depth ${max} exceeds maxStackDepth ${fn.maxStackDepth}`);
    } catch (e) {
      problems.push(`function ${fi}: ${(e as Error).message}`);
    }
  });
  return problems;
}

function v8Accepts(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    new WebAssembly.Module(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Reasons of ours that name the same problem as the suite's text in other words. */
const SYNONYMS: Record<string, string[]> = {
  "illegal opcode": ["unknown opcode"],
};

function sameCategory(expected: string, reason: string): boolean {
  if (reason.startsWith(expected)) return true;
  return (SYNONYMS[expected] ?? []).some((s) => reason.startsWith(s));
}

/** Every module the suite says is valid and we accept: the seeds of the mutation test below. */
const acceptedModules: Uint8Array[] = [];

interface FileResult {
  file: string;
  convertError?: string;
  valid: number;
  skipped: number;
  malformed: number;
  malformedRejected: number;
  invalid: number;
  invalidRejected: number;
  rejectedAsUnsupported: number;
  textSkipped: number;
  v8Compared: number;
  failures: string[];
  v8Mismatches: string[];
  categoryMismatches: string[];
  skipReasons: Map<string, number>;
}

async function runFile(file: string, work: string): Promise<FileResult> {
  const base = file.replace(/\.wast$/, "");
  const res: FileResult = {
    file,
    valid: 0,
    skipped: 0,
    malformed: 0,
    malformedRejected: 0,
    invalid: 0,
    invalidRejected: 0,
    rejectedAsUnsupported: 0,
    textSkipped: 0,
    v8Compared: 0,
    failures: [],
    v8Mismatches: [],
    categoryMismatches: [],
    skipReasons: new Map(),
  };
  const out = join(work, base);
  try {
    await run("wast2json", [...WAST2JSON_FLAGS, join(SPEC_DIR, file), "-o", join(out + ".json")]);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    res.convertError = stderr.split("\n")[0] ?? "wast2json failed";
    return res;
  }
  const commands = commandsOf(JSON.parse(await readFile(out + ".json", "utf8")));
  for (const c of commands) {
    if (c.filename === undefined) continue;
    const where = `${file}:${c.line}`;
    if (c.module_type === "text") {
      res.textSkipped++;
      continue;
    }
    const bytes = new Uint8Array(await readFile(join(work, c.filename)));
    const v = judge(bytes);
    const unsupported = !v.ok && v.err.unsupported;

    switch (c.type) {
      case "module":
      case "assert_unlinkable":
      case "assert_uninstantiable":
        if (v.ok) {
          res.valid++;
          acceptedModules.push(bytes);
          for (const p of checkAnnotations(v.m)) res.failures.push(`${where}: annotations: ${p}`);
        } else if (unsupported) {
          res.skipped++;
          const r = v.err.reason;
          res.skipReasons.set(r, (res.skipReasons.get(r) ?? 0) + 1);
        } else res.failures.push(`${where} ${c.type}: valid module rejected: ${v.err.message}`);
        break;
      case "assert_malformed":
        res.malformed++;
        if (v.ok) res.failures.push(`${where}: malformed module accepted (${c.text})`);
        else if (v.stage !== "decode") {
          res.failures.push(`${where}: malformed module (${c.text}) passed the decoder, validator said: ${v.err.message}`);
        } else {
          res.malformedRejected++;
          if (unsupported) res.rejectedAsUnsupported++;
          else if (c.text && !sameCategory(c.text, v.err.reason)) res.categoryMismatches.push(`${where}: "${c.text}" vs ${v.err.reason}`);
        }
        break;
      case "assert_invalid":
        res.invalid++;
        if (v.ok) res.failures.push(`${where}: invalid module accepted (${c.text})`);
        else {
          res.invalidRejected++;
          if (unsupported) res.rejectedAsUnsupported++;
          else if (c.text && !sameCategory(c.text, v.err.reason)) res.categoryMismatches.push(`${where}: "${c.text}" vs ${v.err.reason}`);
        }
        break;
      default:
        res.failures.push(`${where}: unexpected command ${c.type} with a module file`);
    }

    if (!unsupported) {
      res.v8Compared++;
      const v8 = v8Accepts(bytes);
      if (v8 !== v.ok) {
        res.v8Mismatches.push(`${where} ${c.type}: V8 ${v8 ? "accepts" : "rejects"}, we ${v.ok ? "accept" : `reject (${v.err.message})`}`);
      }
    }
  }
  return res;
}

async function pool<T, R>(items: T[], width: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

describe("WebAssembly spec tests (binary)", () => {
  let work = "";
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("decodes, validates and rejects exactly as the suite and V8 say", async () => {
    try {
      await run("wast2json", ["--version"]);
    } catch {
      throw new Error("wast2json not found: run `bash tools/setup/install-system-packages.sh` (Debian package wabt)");
    }
    work = await mkdtemp(join(tmpdir(), "atoll-spec-"));
    const files = (await readdir(SPEC_DIR)).filter((f) => f.endsWith(".wast")).sort();
    expect(files.length).toBeGreaterThan(0);
    const results = await pool(files, 4, (f) => runFile(f, work));

    const total = {
      valid: 0, skipped: 0, malformed: 0, malformedRejected: 0, invalid: 0, invalidRejected: 0,
      rejectedAsUnsupported: 0, textSkipped: 0, v8Compared: 0, v8Mismatches: 0, categoryMismatches: 0, unconverted: 0,
    };
    const failures: string[] = [];
    const v8Mismatches: string[] = [];
    const categoryMismatches: string[] = [];
    const skipReasons = new Map<string, number>();
    const lines: string[] = [];
    for (const r of results) {
      if (r.convertError !== undefined) {
        total.unconverted++;
        lines.push(`${r.file.padEnd(28)} not converted by wast2json: ${r.convertError}`);
        continue;
      }
      total.valid += r.valid;
      total.skipped += r.skipped;
      total.malformed += r.malformed;
      total.malformedRejected += r.malformedRejected;
      total.invalid += r.invalid;
      total.invalidRejected += r.invalidRejected;
      total.rejectedAsUnsupported += r.rejectedAsUnsupported;
      total.textSkipped += r.textSkipped;
      total.v8Compared += r.v8Compared;
      total.v8Mismatches += r.v8Mismatches.length;
      total.categoryMismatches += r.categoryMismatches.length;
      failures.push(...r.failures);
      v8Mismatches.push(...r.v8Mismatches);
      categoryMismatches.push(...r.categoryMismatches);
      for (const [k, n] of r.skipReasons) skipReasons.set(k, (skipReasons.get(k) ?? 0) + n);
      lines.push(
        `${r.file.padEnd(28)} valid ${r.valid}, skipped ${r.skipped}; malformed ${r.malformedRejected}/${r.malformed}, ` +
          `invalid ${r.invalidRejected}/${r.invalid} rejected; text skipped ${r.textSkipped}; ` +
          `V8 mismatches ${r.v8Mismatches.length}/${r.v8Compared}; other wording ${r.categoryMismatches.length}`,
      );
    }
    lines.push(
      `TOTAL: ${total.valid} modules decoded and validated, ${total.skipped} skipped as unsupported; ` +
        `malformed ${total.malformedRejected}/${total.malformed} and invalid ${total.invalidRejected}/${total.invalid} rejected ` +
        `(${total.rejectedAsUnsupported} of them as unsupported); ${total.textSkipped} text-format assertions skipped; ` +
        `${total.unconverted} files wast2json cannot convert; V8 disagrees on ${total.v8Mismatches} of ${total.v8Compared} modules; ` +
        `${total.categoryMismatches} rejections worded differently from the suite`,
    );
    lines.push("skipped as unsupported, by reason:");
    for (const [k, n] of [...skipReasons].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(4)}  ${k}`);
    if (categoryMismatches.length > 0) {
      lines.push("rejections worded differently from the suite (information only):");
      for (const c of categoryMismatches) lines.push("  " + c);
    }
    console.log(lines.join("\n"));

    expect(failures).toEqual([]);
    expect(v8Mismatches).toEqual([]);
  });

  // Random damage to valid modules (byte changes, insertions, deletions):
  // the decoder and validator must never crash, and must agree with V8 on
  // whatever they do not call unsupported. Seeded, so a failure reproduces.
  it("agrees with V8 on mutated modules and never crashes", () => {
    expect(acceptedModules.length).toBeGreaterThan(100);
    let state = 0x9e3779b9;
    const rand = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const rounds = 20_000;
    const disagreements: string[] = [];
    let accepted = 0;
    let unsupported = 0;
    for (let round = 0; round < rounds; round++) {
      const seed = acceptedModules[rand(acceptedModules.length)]!;
      let b: Uint8Array<ArrayBuffer> = new Uint8Array(seed);
      if (rand(4) === 0) {
        const at = 8 + rand(Math.max(1, b.length - 8));
        const bytes = [...b];
        if (rand(2) === 0) bytes.splice(at, 1);
        else bytes.splice(at, 0, rand(256));
        b = new Uint8Array(bytes);
      }
      for (let k = 1 + rand(3); k > 0; k--) {
        const at = 8 + rand(Math.max(1, b.length - 8));
        const how = rand(3);
        if (how === 0) b[at] = rand(256);
        else if (how === 1) b[at]! ^= 1 << rand(8);
        else b[at] = [0x00, 0x7f, 0x80, 0xff, 0x40, 0x0b][rand(6)]!;
      }
      const v = judge(b); // throws on anything but a WasmError
      if (!v.ok && v.err.unsupported) {
        unsupported++;
        continue;
      }
      if (v.ok) accepted++;
      const v8 = v8Accepts(b);
      if (v8 !== v.ok && disagreements.length < 20) {
        disagreements.push(`round ${round}: V8 ${v8 ? "accepts" : "rejects"}, we ${v.ok ? "accept" : `reject (${v.err.message})`}`);
      }
    }
    console.log(`mutation test: ${rounds} mutated modules, ${accepted} accepted by both, ${unsupported} unsupported, ${disagreements.length} disagreements with V8`);
    expect(disagreements).toEqual([]);
  });
});
