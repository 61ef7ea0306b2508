// Rewrites a generated module so that both engines can be compared on all
// of its state and on nothing the spec leaves open:
//
// - Every global and the memory are exported ("fuzz:global:N",
//   "fuzz:memory"): V8's side can only see state through exports, and a
//   difference in state is a difference even when no result shows it.
//
// - NaN bits cannot be observed. The spec lets an operation that returns a
//   NaN pick its sign and, unless every NaN input was canonical, its payload
//   (4.3.3, "NaN propagation"); x86 and V8 choose differently from Atoll in
//   places, and neither is wrong. The bits of a NaN only leave the float
//   domain through three instructions: a reinterpretation as an integer, a
//   store to memory, and copysign, whose result takes the sign of its second
//   operand. Before each of those the operand goes through
//   `x == x ? x : <canonical NaN>`, so every NaN arriving there has the same
//   bits on both sides. Every other float operation still sees the NaNs the
//   module makes, so their handling (min/max, comparisons, conversions,
//   trunc traps) is compared; float results, logged floats and float
//   globals are compared by value with any NaN equal to any NaN.
//   (binaryen's --denan would remove NaNs altogether, and with them that.)

import { decodeModule, globalType, numImportedFuncs, Op, validateModule, type Module } from "../wasm/index.ts";
import { encodeSection, readUleb, SECTION, sections, uleb, utf8Name } from "./binary.ts";

export const MEMORY_EXPORT = "fuzz:memory";
export const globalExport = (index: number): string => `fuzz:global:${index}`;

const F32 = 0x7d;
const F64 = 0x7c;

/** Opcodes whose top operand is a float whose bits become observable, and its type. */
const NAN_EXITS: ReadonlyMap<number, "f32" | "f64"> = new Map([
  [Op.I32ReinterpretF32, "f32"],
  [Op.I64ReinterpretF64, "f64"],
  [Op.F32Store, "f32"],
  [Op.F64Store, "f64"],
  [Op.F32Copysign, "f32"],
  [Op.F64Copysign, "f64"],
]);

/** `local.set t; local.get t; <canonical NaN>; local.get t; local.get t; fN.eq; select`: x == x ? x : NaN. */
function canonicalize(type: "f32" | "f64", local: number): number[] {
  const l = uleb(local);
  const nan = type === "f32" ? [0x43, 0x00, 0x00, 0xc0, 0x7f] : [0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
  const eq = type === "f32" ? 0x5b : 0x61;
  return [0x21, ...l, 0x20, ...l, ...nan, 0x20, ...l, 0x20, ...l, eq, 0x1b];
}

function rewriteCode(bytes: Uint8Array, m: Module, start: number, end: number): number[] {
  const count = readUleb(bytes, start);
  if (count.value !== m.funcs.length) throw new Error("instrument: code section and function list disagree");
  const out: number[] = [...uleb(count.value)];
  let at = count.next;
  m.funcs.forEach((fn, i) => {
    const size = readUleb(bytes, at);
    const bodyStart = size.next;
    const bodyEnd = size.next + size.value;
    if (bodyStart !== fn.offset) throw new Error(`instrument: function ${numImportedFuncs(m) + i} is not where the decoder put it`);
    at = bodyEnd;
    const exits = fn.body.filter((ins) => ins.dead !== true && NAN_EXITS.has(ins.op));
    if (exits.length === 0) {
      out.push(...uleb(size.value), ...bytes.subarray(bodyStart, bodyEnd));
      return;
    }
    // Local declarations: a vector of (count, type); two scratch locals go after them.
    const decls = readUleb(bytes, bodyStart);
    let p = decls.next;
    for (let k = 0; k < decls.value; k++) p = readUleb(bytes, p).next + 1;
    const params = m.types[fn.typeIndex]!.params.length;
    const scratch = { f32: params + fn.locals.length, f64: params + fn.locals.length + 1 };
    const body: number[] = [...uleb(decls.value + 2), ...bytes.subarray(decls.next, p), 1, F32, 1, F64];
    let from = p;
    for (const ins of exits) {
      body.push(...bytes.subarray(from, ins.offset));
      const type = NAN_EXITS.get(ins.op)!;
      body.push(...canonicalize(type, scratch[type]));
      from = ins.offset;
    }
    body.push(...bytes.subarray(from, bodyEnd));
    out.push(...uleb(body.length), ...body);
  });
  return out;
}

function exportSection(bytes: Uint8Array, m: Module, existing: { start: number; end: number } | undefined): number[] {
  const entries: number[] = [];
  let n = 0;
  if (existing !== undefined) {
    const count = readUleb(bytes, existing.start);
    n = count.value;
    entries.push(...bytes.subarray(count.next, existing.end));
  }
  const memories = m.imports.filter((i) => i.kind === "memory").length + m.memories.length;
  if (memories > 0) {
    entries.push(...utf8Name(MEMORY_EXPORT), 0x02, ...uleb(0));
    n++;
  }
  for (let g = 0; globalType(m, g) !== undefined; g++) {
    entries.push(...utf8Name(globalExport(g)), 0x03, ...uleb(g));
    n++;
  }
  return [...uleb(n), ...entries];
}

/** The module with its state exported and NaN bits hidden (see above). Throws a WasmError when tools/wasm rejects it. */
export function instrument(bytes: Uint8Array): Uint8Array {
  const m = decodeModule(bytes);
  validateModule(m);
  const out: number[] = [...bytes.subarray(0, 8)];
  const secs = sections(bytes);
  const exports = secs.find((s) => s.id === SECTION.export);
  let exportsDone = false;
  // Sections with an id after the export section's, in the spec's order.
  const after: ReadonlySet<number> = new Set([SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data]);
  for (const s of secs) {
    if (!exportsDone && (s.id === SECTION.export || after.has(s.id))) {
      out.push(...encodeSection(SECTION.export, exportSection(bytes, m, exports)));
      exportsDone = true;
      if (s.id === SECTION.export) continue;
    }
    if (s.id === SECTION.code) out.push(...encodeSection(SECTION.code, rewriteCode(bytes, m, s.start, s.end)));
    else out.push(...bytes.subarray(s.header, s.end));
  }
  if (!exportsDone) out.push(...encodeSection(SECTION.export, exportSection(bytes, m, exports)));
  return Uint8Array.from(out);
}
