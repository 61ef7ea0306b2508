// The object compileModule returns, checked against docs/aot.md: the
// symbols and where they live, the data laid out for the runtime, the
// function table, relocations that stay inside their sections, and the
// machine code itself through objdump (every byte decodes, and only
// x86-64-v2 + SSE4.1 instructions appear: no x87, no lzcnt/tzcnt, no AVX).
import { describe, expect, it } from "vitest";
import { compileModule, SYMBOLS, type AotObject } from "../../tools/aot/index.ts";
import { decodeModule, validateModule } from "../../tools/wasm/index.ts";
import { disassemble, haveObjdump } from "../x86/objdump.ts";
import { wat2wasm } from "./harness.ts";

function compile(wat: string): AotObject {
  const m = decodeModule(wat2wasm(wat, ["--debug-names"]));
  validateModule(m);
  return compileModule(m);
}

function u64(obj: AotObject, name: string): bigint {
  const s = obj.symbols.get(name);
  if (s === undefined) throw new Error(`no symbol ${name}`);
  const bytes = s.section === "rodata" ? obj.rodata : s.section === "data" ? obj.data : undefined;
  if (bytes === undefined) throw new Error(`${name} is in ${s.section}`);
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(s.offset, true);
}

const WAT = `(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "g" (global i64))
  (memory 2 5)
  (table 3 funcref)
  (global (mut i32) (i32.const -7))
  (global f64 (f64.const 1.5))
  (elem (i32.const 1) $a)
  (data (i32.const 8) "hi")
  (func $a (export "a") (param i32) (result i32 i64) (call $log (local.get 0)) (local.get 0) (global.get 0))
  (func $b (export "b") (export "also_b") (result f32) (f32.const 2))
  (export "log" (func $log))
  (start $b2)
  (func $b2)
)`;

describe("aot: the object", () => {
  const obj = compile(WAT);

  it("defines the function, export, init and data symbols of docs/aot.md where it says", () => {
    const sec = (n: string): string | undefined => obj.symbols.get(n)?.section;
    expect(sec("wasm:func:1")).toBe("text");
    expect(sec("wasm:func:2")).toBe("text");
    expect(sec("wasm:func:0")).toBeUndefined(); // an import
    expect(obj.symbols.get("wasm:export:a")!.offset).toBe(obj.symbols.get("wasm:func:1")!.offset);
    expect(obj.symbols.get("wasm:export:also_b")!.offset).toBe(obj.symbols.get("wasm:func:2")!.offset);
    expect(sec("wasm:export:log")).toBe("text"); // a thunk to the import
    expect(sec(SYMBOLS.init)).toBe("text");
    expect(sec(SYMBOLS.memoryPages)).toBe("data");
    expect(sec(SYMBOLS.memoryInitial)).toBe("rodata");
    expect(sec(SYMBOLS.memoryMax)).toBe("rodata");
    expect(sec(SYMBOLS.globals)).toBe("data");
    expect(sec(SYMBOLS.table(0))).toBe("data");
    expect(sec(SYMBOLS.tableSize(0))).toBe("data");
    expect(sec(SYMBOLS.results)).toBe("bss");
    expect(obj.symbols.get(SYMBOLS.results)!.size).toBeGreaterThanOrEqual(128);
    expect(sec(SYMBOLS.functions)).toBe("rodata");
    expect(sec(SYMBOLS.functionsCount)).toBe("rodata");
  });

  it("lays out memory sizes, globals and the table for the runtime", () => {
    expect(u64(obj, SYMBOLS.memoryPages)).toBe(2n);
    expect(u64(obj, SYMBOLS.memoryInitial)).toBe(2n);
    expect(u64(obj, SYMBOLS.memoryMax)).toBe(5n);
    expect(u64(obj, SYMBOLS.tableSize(0))).toBe(3n);
    const g = obj.symbols.get(SYMBOLS.globals)!;
    const view = new DataView(obj.data.buffer, obj.data.byteOffset);
    expect(view.getUint32(g.offset + 8, true)).toBe(0xffff_fff9); // global 1 (after the import)
    expect(view.getFloat64(g.offset + 16, true)).toBe(1.5);
    expect(obj.symbols.get(SYMBOLS.table(0))!.size).toBe(48);
    expect(compile("(module)").symbols.has(SYMBOLS.memoryMax)).toBe(true);
    expect(u64(compile("(module (memory 1))"), SYMBOLS.memoryMax)).toBe(65536n);
  });

  it("lists every defined function with its range and name in atoll_functions", () => {
    // 3 defined functions + wasm:init.
    expect(u64(obj, SYMBOLS.functionsCount)).toBe(4n);
    const f = obj.symbols.get(SYMBOLS.functions)!;
    const at = (k: number): { symbol: string; addend: number } => {
      const r = obj.relocs.find((x) => x.section === "rodata" && x.offset === f.offset + 8 * k)!;
      return { symbol: r.symbol, addend: r.addend };
    };
    expect(at(0)).toEqual({ symbol: "wasm:func:1", addend: 0 });
    expect(at(1)).toEqual({ symbol: "wasm:func:1", addend: obj.symbols.get("wasm:func:1")!.size });
    expect(at(2).symbol).toBe(SYMBOLS.names);
    const names = obj.symbols.get(SYMBOLS.names)!;
    const len = Number(new DataView(obj.rodata.buffer, obj.rodata.byteOffset).getBigUint64(f.offset + 24, true));
    expect(new TextDecoder().decode(obj.rodata.subarray(names.offset + at(2).addend, names.offset + at(2).addend + len))).toBe("a");
  });

  it("leaves imports and runtime helpers undefined, and every relocation inside its section", () => {
    expect(obj.undefined).toEqual(expect.arrayContaining(["import:env.log", "import:env.g", "atoll_trap", "atoll_stack_limit", "atoll_memory_grow"]));
    for (const s of obj.undefined) expect(obj.symbols.has(s)).toBe(false);
    for (const r of obj.relocs) {
      const size = r.section === "text" ? obj.text.length : r.section === "rodata" ? obj.rodata.length : obj.data.length;
      expect(r.offset + (r.kind === "rel32" ? 4 : 8)).toBeLessThanOrEqual(size);
      expect(obj.symbols.has(r.symbol) || obj.undefined.includes(r.symbol)).toBe(true);
    }
  });

  it.skipIf(!haveObjdump())("emits only x86-64-v2 + SSE4.1 instructions that objdump decodes", () => {
    const ops = ["i32", "i64"].flatMap((t) =>
      ["clz", "ctz", "popcnt", "eqz"].map((op) => `(func (param ${t}) (result ${op === "eqz" ? "i32" : t}) (${t}.${op} (local.get 0)))`),
    );
    const fops = ["f32", "f64"].flatMap((t) =>
      ["nearest", "floor", "ceil", "trunc", "sqrt", "abs", "neg"].map((op) => `(func (param ${t}) (result ${t}) (${t}.${op} (local.get 0)))`),
    );
    const conv = ["i32.trunc_f32_u", "i64.trunc_f64_u", "i64.trunc_sat_f32_u", "f32.convert_i64_u", "f64.convert_i64_u"].map((op) => {
      const [to, rest] = op.split(".") as [string, string];
      const from = /_([if]\d\d)/.exec(rest)![1];
      return `(func (param ${from}) (result ${to}) (${op} (local.get 0)))`;
    });
    const big = compile(`(module (memory 1) (table 2 funcref) (type (func)) ${[...ops, ...fops, ...conv].join(" ")}
      (func (param i32) (memory.copy (local.get 0) (i32.const 0) (i32.const 9)) (call_indirect (type 0) (local.get 0))))`);
    const listing = disassemble(big.text);
    const allowed =
      /^(push|pop|mov|movabs|movzx|movsx|movsxd|lea|add|sub|and|or|xor|cmp|test|neg|not|imul|idiv|div|cdq|cqo|shl|shr|sar|rol|ror|bsr|bsf|popcnt|sete|setne|setnp|setp|seta|setae|setb|setbe|setl|setle|setg|setge|cmov\w+|j\w+|call|ret|nop|int3|std|cld|rep (movs|stos)|movs[sd]|movap[sd]|movq|movd|adds[sd]|subs[sd]|muls[sd]|divs[sd]|sqrts[sd]|mins[sd]|maxs[sd]|rounds[sd]|ucomis[sd]|cvt\w+|andp[sd]|orp[sd]|xorp[sd]|xchg|data16|cs)\b/;
    const bad = [...listing].filter(([, text]) => !allowed.test(text) || text.includes("(bad)"));
    expect(bad.map(([at, text]) => `0x${at.toString(16)}: ${text}`)).toEqual([]);
    const code = (index: number): string => {
      const s = big.symbols.get(`wasm:func:${index}`)!;
      return [...listing].filter(([at]) => at >= s.offset && at < s.offset + s.size!).map(([, text]) => text).join(" | ");
    };
    const last = ops.length + fops.length + conv.length;
    // A function that calls: the stack entry loads the argument into its register (docs/aot.md, "Version 2"),
    // then the prologue of docs/aot.md: push rbp; mov rbp, rsp; sub rsp, N; cmp rsp, [rip + atoll_stack_limit]; jb.
    expect(code(last)).toMatch(/^mov esi,DWORD PTR \[rsp\+0x8\] \| push rbp \| mov rbp,rsp \| (sub rsp,0x[0-9a-f]+ \| )?cmp rsp,QWORD PTR \[rip\+0x0\].*\| jb /);
    // A leaf with nothing on the stack has no frame and no check: i32.eqz is the argument, the test, ret.
    expect(code(3)).toMatch(/^mov esi,DWORD PTR \[rsp\+0x8\] \| (?!.*(push rbp|cmp rsp)).*\bsete\b.*\| ret$/);
    // i32.clz has a selector of its own: bsr and cmov in a frameless leaf.
    expect(code(0)).toMatch(/^mov esi,DWORD PTR \[rsp\+0x8\] \| (?!.*(push rbp|cmp rsp)).*\bbsr\b.*\bcmove\b.*\| ret$/);
    // A leaf with a small frame (f64.nearest runs version 1's emitter over bridge slots) has the frame but no check.
    const nearest = ops.length + fops.findIndex((f) => f.includes("f64.nearest"));
    expect(code(nearest)).toMatch(/^movsd xmm2,QWORD PTR \[rsp\+0x8\] \| push rbp \| mov rbp,rsp \| sub rsp,0x[0-9a-f]+ \| (?!.*cmp rsp).*\broundsd\b.*\| ret$/);
  });
});
