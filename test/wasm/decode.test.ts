import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeModule,
  funcType,
  globalType,
  memoryType,
  numImportedFuncs,
  numImportedGlobals,
  numImportedMemories,
  numImportedTables,
  Op,
  OPCODES,
  opInfo,
  tableType,
  validateModule,
  WasmError,
  type Module,
} from "../../tools/wasm/index.ts";

// ---- building modules ------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), "atoll-wasm-decode-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let serial = 0;

/** Assembles WAT with wabt's wat2wasm (installed with wast2json). */
function wat(text: string, ...flags: string[]): Uint8Array {
  const n = serial++;
  const src = join(work, `m${n}.wat`);
  const out = join(work, `m${n}.wasm`);
  writeFileSync(src, text);
  execFileSync("wat2wasm", [...flags, src, "-o", out]);
  return new Uint8Array(readFileSync(out));
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
const str = (s: string): number[] => {
  const b = [...new TextEncoder().encode(s)];
  return [...leb(b.length), ...b];
};
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const bytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

function decodeError(b: Uint8Array): WasmError {
  try {
    decodeModule(b);
  } catch (e) {
    if (e instanceof WasmError) return e;
    throw e;
  }
  throw new Error("decoded without error");
}

function rejection(b: Uint8Array): WasmError {
  try {
    validateModule(decodeModule(b));
  } catch (e) {
    if (e instanceof WasmError) return e;
    throw e;
  }
  throw new Error("accepted");
}

// ---- the opcode table ---------------------------------------------------------

describe("opcode table", () => {
  it("gives readable names to codes", () => {
    expect(Op.Unreachable).toBe(0x00);
    expect(Op.I32Add).toBe(0x6a);
    expect(Op.I64ExtendI32S).toBe(0xac);
    expect(Op.I32Extend8S).toBe(0xc0);
    expect(Op.I32TruncSatF32S).toBe(0xfc00);
    expect(Op.I64TruncSatF64U).toBe(0xfc07);
    expect(Op.MemoryCopy).toBe(0xfc0a);
    expect(Op.MemoryFill).toBe(0xfc0b);
    expect(Op.TableSize).toBe(0xfc10);
    expect(Op.BrTable).toBe(0x0e);
    expect(Op.SelectT).toBe(0x1c);
    expect(Op.F64ReinterpretI64).toBe(0xbf);
  });

  it("has one row per code and per name", () => {
    expect(new Set(OPCODES.map((r) => r[0])).size).toBe(OPCODES.length);
    expect(new Set(OPCODES.map((r) => r[1])).size).toBe(OPCODES.length);
    expect(Object.keys(Op).length).toBe(OPCODES.length);
  });

  it("knows fixed signatures and natural alignments", () => {
    expect(opInfo(Op.I64Store32)).toMatchObject({ params: ["i32", "i64"], results: [], align: 2 });
    expect(opInfo(Op.F32ConvertI64U)).toMatchObject({ params: ["i64"], results: ["f32"] });
    expect(opInfo(Op.Call)?.params).toBeUndefined();
  });
});

// ---- the IR -------------------------------------------------------------------

describe("decodeModule", () => {
  const m: Module = decodeModule(
    wat(
      `(module $app
        (type $pair (func (param i32) (result i32 i32)))
        (import "atoll" "f" (func $imp (param i32) (result i32)))
        (import "atoll" "g" (global $g (mut i32)))
        (import "atoll" "mem" (memory 1 2))
        (table $tab 2 funcref)
        (global $k i64 (i64.const 7))
        (func $main (export "main") (param i32) (result i32) (local i64 f32 f32)
          (block (result i32) (i32.const -1)) drop
          (i64.const 0x123456789abcdef0) drop
          (f32.const nan:0x1) drop
          (f64.const -0.5) drop
          (i32.load offset=8 align=2 (local.get 0)) drop
          (local.get 0) (block $b (type $pair) (local.get 0)) drop drop
          (call_indirect $tab (param i32) (result i32) (local.get 0) (i32.const 1)) drop
          (block (result i32) (br_table 0 1 0 (local.get 0) (local.get 0))))
        (elem (i32.const 0) $main)
        (elem func $main)
        (elem declare func $imp)
        (data (i32.const 16) "hi")
        (data "passive")
        (func $bulk
          (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 1))
          (data.drop 1)
          (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))
          (memory.fill (i32.const 0) (i32.const 1) (i32.const 2)))
        (start $bulk))`,
      "--debug-names",
    ),
  );

  it("keeps imports apart from definitions, with index-space helpers", () => {
    expect(m.imports.map((i) => i.kind)).toEqual(["func", "global", "memory"]);
    expect(numImportedFuncs(m)).toBe(1);
    expect(numImportedGlobals(m)).toBe(1);
    expect(numImportedMemories(m)).toBe(1);
    expect(numImportedTables(m)).toBe(0);
    expect(m.funcs).toHaveLength(2);
    expect(funcType(m, 0)).toEqual({ params: ["i32"], results: ["i32"] });
    expect(funcType(m, 2)).toEqual({ params: [], results: [] });
    expect(funcType(m, 3)).toBeUndefined();
    expect(globalType(m, 0)).toEqual({ type: "i32", mutable: true });
    expect(globalType(m, 1)).toMatchObject({ type: "i64", mutable: false });
    expect(memoryType(m, 0)).toEqual({ limits: { min: 1, max: 2 } });
    expect(tableType(m, 0)).toMatchObject({ elemType: "funcref", limits: { min: 2 } });
    expect(m.exports).toEqual([{ name: "main", kind: "func", index: 1, offset: expect.any(Number) }]);
    expect(m.start).toBe(2);
  });

  it("expands locals, excluding params", () => {
    expect(m.funcs[0]!.locals).toEqual(["i64", "f32", "f32"]);
  });

  it("decodes immediates", () => {
    const body = m.funcs[0]!.body;
    const find = (op: number) => body.find((i) => i.op === op)!;
    expect(body[0]).toMatchObject({ op: Op.Block, blockType: { params: [], results: ["i32"] } });
    expect(find(Op.I32Const).value).toBe(-1);
    expect(find(Op.I64Const).value).toBe(0x123456789abcdef0n);
    expect(find(Op.F32Const).value).toBe(0x7f800001); // NaN payload kept
    expect(find(Op.F64Const).value).toBe(0xbfe0000000000000n);
    expect(find(Op.I32Load).memarg).toEqual({ align: 1, offset: 8 });
    expect(body.filter((i) => i.op === Op.Block)[1]!.blockType).toEqual({ params: ["i32"], results: ["i32", "i32"] });
    expect(find(Op.CallIndirect)).toMatchObject({ index: 1, table: 0 });
    expect(find(Op.BrTable)).toMatchObject({ labels: [0, 1], index: 0 });
    expect(body[body.length - 1]!.op).toBe(Op.End);
    const bulk = m.funcs[1]!.body.map((i) => i.op);
    expect(bulk).toContain(Op.MemoryInit);
    expect(bulk).toContain(Op.DataDrop);
    expect(bulk).toContain(Op.MemoryCopy);
    expect(bulk).toContain(Op.MemoryFill);
  });

  it("records offsets that point at the opcode", () => {
    const raw = wat(`(module (func (nop) (i32.const 5) (drop)))`);
    const fm = decodeModule(raw);
    for (const ins of fm.funcs[0]!.body) expect(raw[ins.offset]).toBe(ins.op);
    expect(raw[fm.funcs[0]!.offset]).toBe(0); // the local declaration count
  });

  it("decodes segments", () => {
    expect(m.elems).toEqual([
      expect.objectContaining({ mode: "active", table: 0, funcs: [1], offsetExpr: [expect.objectContaining({ op: Op.I32Const, value: 0 })] }),
      expect.objectContaining({ mode: "passive", funcs: [1] }),
      expect.objectContaining({ mode: "declarative", funcs: [0] }),
    ]);
    expect(m.datas[0]).toMatchObject({ mode: "active", memory: 0 });
    expect(new TextDecoder().decode(m.datas[0]!.bytes)).toBe("hi");
    expect(m.datas[1]).toMatchObject({ mode: "passive" });
    expect(m.dataCount).toBe(2);
  });

  it("reads element expressions", () => {
    const e = decodeModule(wat(`(module (table 4 funcref) (func $f) (elem (i32.const 0) funcref (ref.func $f) (ref.null func)))`));
    expect(e.elems[0]!.funcs).toEqual([0, null]);
    expect(e.elems[0]!.exprs).toHaveLength(2);
  });

  it("reads the name section", () => {
    expect(m.names.module).toBe("app");
    expect(m.names.funcs.get(0)).toBe("imp");
    expect(m.names.funcs.get(1)).toBe("main");
    expect(m.names.funcs.get(2)).toBe("bulk");
    expect(m.customs.map((c) => c.name)).toContain("name");
  });

  it("ignores a malformed name section", () => {
    const broken = bytes(
      HEADER,
      section(1, vec([[0x60, 0, 0]])),
      section(3, vec([[0]])),
      section(10, vec([[2, 0, 0x0b]])),
      section(0, [...str("name"), 1, 9, 1, 0, 3, 0x61]), // function names claiming more bytes than there are
    );
    const bm = decodeModule(broken);
    validateModule(bm);
    expect(bm.names.funcs.size).toBe(0);
    expect(bm.customs).toHaveLength(1);
  });
});

// ---- error messages ---------------------------------------------------------

describe("errors", () => {
  // One import, so the defined function is index 1; a name section names it.
  const types = section(1, vec([[0x60, 0, 0]]));
  const imports = section(2, vec([[...str("atoll"), ...str("f"), 0x00, 0]]));
  const funcs = section(3, vec([[0]]));
  const names = section(0, [...str("name"), ...section(1, vec([[...leb(1), ...str("main/start")]]))]);

  it("name section, function and offset for a bad opcode", () => {
    const code = section(10, vec([[4, 0, 0xfc, 0x12, 0x0b]]));
    const b = bytes(HEADER, types, imports, funcs, code, names);
    const at = HEADER.length + types.length + imports.length + funcs.length + 3 + 2; // section id+size+count, body size+locals
    expect(b[at]).toBe(0xfc);
    const e = decodeError(b);
    expect(e.section).toBe("code section");
    expect(e.funcIndex).toBe(1);
    expect(e.offset).toBe(at);
    expect(e.message).toBe(`code section, function 1 ($main/start), offset 0x${at.toString(16)}: unknown opcode 0xfc 0x12`);
    expect(e.unsupported).toBe(false);
  });

  it("without a name section, the index alone", () => {
    const code = section(10, vec([[3, 0, 0xf3, 0x0b]]));
    const e = decodeError(bytes(HEADER, types, imports, funcs, code));
    expect(e.message).toMatch(/^code section, function 1, offset 0x[0-9a-f]+: unknown opcode 0xf3$/);
  });

  it("module-level problems name their section", () => {
    expect(decodeError(bytes(HEADER, section(5, vec([[0x01, 2, 1]])), section(5, []))).message).toMatch(
      /^module, offset 0x[0-9a-f]+: unexpected content after last section: memory section after memory section/,
    );
    expect(decodeError(bytes([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])).message).toMatch(/^module header, offset 0x4: unknown binary version/);
    expect(decodeError(bytes(HEADER, section(2, vec([[...str("a"), ...str("b"), 0x05]])))).reason).toBe("malformed import kind 0x05");
  });

  it("validation errors carry the same location", () => {
    const e = rejection(
      wat(`(module (func $f (result i32) (i32.add (i32.const 1) (f64.const 2))))`, "--no-check", "--debug-names"),
    );
    expect(e.reason).toBe("type mismatch: i32.add expects [i32 i32], got [i32 f64]");
    expect(e.message).toMatch(/^code section, function 0 \(\$f\), offset 0x[0-9a-f]+: type mismatch: i32\.add/);
  });

  it("data count section required by memory.init", () => {
    const b = bytes(
      HEADER,
      types,
      section(3, vec([[0]])),
      section(5, vec([[0, 1]])),
      section(10, vec([[11, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x08, 0, 0, 0x0b]])),
    );
    expect(decodeError(b).reason).toBe("data count section required by memory.init");
  });
});

// ---- scope --------------------------------------------------------------------

describe("features outside Atoll's set", () => {
  const cases: [string, string, string[]][] = [
    ["SIMD", `(module (func (drop (v128.const i32x4 0 0 0 0))))`, []],
    ["externref", `(module (func (param externref)))`, []],
    ["funcref value", `(module (func (result funcref) (ref.null func)))`, []],
    ["ref.func in code", `(module (func $f (drop (ref.func $f))) (elem declare func $f))`, []],
    ["table.grow", `(module (table 1 funcref) (func (drop (table.grow 0 (ref.null func) (i32.const 1)))))`, []],
    ["tail calls", `(module (func $f (return_call $f)))`, ["--enable-tail-call"]],
    ["shared memory", `(module (memory 1 1 shared))`, ["--enable-threads"]],
    ["atomics", `(module (memory 1 1 shared) (func (drop (i32.atomic.load (i32.const 0)))))`, ["--enable-threads"]],
    ["memory64", `(module (memory i64 1))`, ["--enable-memory64"]],
    ["exceptions", `(module (tag $e) (func (throw $e)))`, ["--enable-exceptions"]],
  ];
  for (const [what, text, flags] of cases) {
    it(`${what} is unsupported, not malformed`, () => {
      const e = rejection(wat(text, ...flags));
      expect(e.unsupported, e.message).toBe(true);
      expect(e.reason).toMatch(/^unsupported feature: /);
    });
  }

  it("several memories are invalid, as in WebAssembly 2.0", () => {
    const e = rejection(wat(`(module (memory 1) (memory 1))`, "--enable-multi-memory"));
    expect(e.unsupported).toBe(false);
    expect(e.reason).toMatch(/^multiple memories/);
  });

  it("accepts what bulk memory needs: several funcref tables, table.init/copy, elem.drop, table.size", () => {
    const tm = decodeModule(
      wat(`(module
        (table $a 2 funcref) (table $b 2 funcref)
        (func $f) (elem $e func $f)
        (func (result i32)
          (table.init $b $e (i32.const 0) (i32.const 0) (i32.const 1))
          (table.copy $a $b (i32.const 0) (i32.const 0) (i32.const 1))
          (elem.drop $e)
          (call_indirect $b (i32.const 0))
          (table.size $b)))`),
    );
    validateModule(tm);
    const body = tm.funcs[1]!.body;
    expect(body.find((i) => i.op === Op.TableInit)).toMatchObject({ index: 0, table: 1 });
    expect(body.find((i) => i.op === Op.TableCopy)).toMatchObject({ index: 0, table: 1 });
    expect(body.find((i) => i.op === Op.TableSize)).toMatchObject({ index: 1 });
    expect(body.find((i) => i.op === Op.CallIndirect)).toMatchObject({ table: 1 });
  });

  it("accepts typed select of a number", () => {
    const sm = decodeModule(wat(`(module (func (result i64) (select (result i64) (i64.const 1) (i64.const 2) (i32.const 0))))`));
    validateModule(sm);
    expect(sm.funcs[0]!.body.find((i) => i.op === Op.SelectT)?.type).toBe("i64");
  });
});

// ---- speed ----------------------------------------------------------------------

describe("speed", () => {
  it("decodes and validates a 1 MB module well under a second", () => {
    // 1100 functions of ~900 bytes: locals, arithmetic, loads, calls, blocks, branches.
    const pattern = [
      0x20, 0, 0x41, 1, 0x6a, 0x21, 0, // local.get 0; i32.const 1; i32.add; local.set 0
      0x41, 0, 0x28, 2, 4, 0x1a, // i32.const 0; i32.load offset=4; drop
      0x02, 0x40, 0x20, 0, 0x0d, 0, 0x0b, // block; local.get 0; br_if 0; end
      0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0, 0x1a, // f64.const 1; call 0; drop
    ];
    const body: number[] = [1, 1, 0x7f];
    for (let k = 0; k < 28; k++) body.push(...pattern);
    body.push(0x0b);
    const n = 1120;
    const b = bytes(
      HEADER,
      section(1, vec([[0x60, 0, 0], [0x60, 1, 0x7c, 1, 0x7c]])),
      section(3, vec([[1], ...Array.from({ length: n }, () => [0])])),
      section(5, vec([[0, 1]])),
      section(10, vec([[...leb(4), 0, 0x20, 0, 0x0b], ...Array.from({ length: n }, () => [...leb(body.length), ...body])])),
    );
    expect(b.length).toBeGreaterThan(1_000_000);
    const t0 = performance.now();
    const bm = decodeModule(b);
    const t1 = performance.now();
    validateModule(bm);
    const t2 = performance.now();
    console.log(`1 MB module (${(b.length / 1e6).toFixed(2)} MB, ${bm.funcs.reduce((s, f) => s + f.body.length, 0)} instructions): decode ${(t1 - t0).toFixed(0)} ms, validate ${(t2 - t1).toFixed(0)} ms`);
    expect(t1 - t0).toBeLessThan(1000);
    expect(t2 - t1).toBeLessThan(1000);
  });
});
