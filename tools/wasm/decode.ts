// decodeModule: bytes to Module (module.ts), checking the binary format
// (spec chapter 5) and nothing more; validate.ts checks the rest.

import { readInstrs, type CodeContext } from "./code.ts";
import { hex, unsupported } from "./errors.ts";
import type {
  ConstExpr,
  CustomSection,
  Data,
  Elem,
  Export,
  ExternKind,
  Func,
  Global,
  Import,
  Memory,
  Module,
  Table,
  ValType,
} from "./module.ts";
import { emptyNames, scanNames } from "./names.ts";
import { Op } from "./opcodes.ts";
import { Reader } from "./reader.ts";
import { readFuncType, readGlobalType, readMemoryType, readRefType, readTableType, readValType } from "./types.ts";

/**
 * An implementation limit, not a spec rule: the spec allows up to 2^32-1
 * locals, but every engine caps them (this is V8's and the JS API's
 * figure), and the IR expands them into an array.
 */
export const MAX_LOCALS = 50_000;

const Sec = {
  Custom: 0,
  Type: 1,
  Import: 2,
  Function: 3,
  Table: 4,
  Memory: 5,
  Global: 6,
  Export: 7,
  Start: 8,
  Element: 9,
  Code: 10,
  Data: 11,
  DataCount: 12,
} as const;

const SECTION_NAMES = [
  "custom section",
  "type section",
  "import section",
  "function section",
  "table section",
  "memory section",
  "global section",
  "export section",
  "start section",
  "element section",
  "code section",
  "data section",
  "data count section",
];

/** Where each known section may appear: the data count section sits between element and code. */
const SECTION_ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10];

const EXTERN_KINDS: readonly ExternKind[] = ["func", "table", "memory", "global"];

class Decoder {
  readonly r: Reader;
  readonly m: Module;
  /** Type indices from the function section, waiting for their bodies. */
  funcTypeIndices: number[] | undefined = undefined;
  numImportedFuncs = 0;
  readonly code: CodeContext;

  constructor(bytes: Uint8Array) {
    this.r = new Reader(bytes);
    this.m = {
      types: [],
      imports: [],
      funcs: [],
      tables: [],
      memories: [],
      globals: [],
      exports: [],
      elems: [],
      datas: [],
      names: emptyNames(),
      customs: [],
    };
    this.code = { types: this.m.types, dataCount: undefined };
  }

  header(): void {
    const r: Reader = this.r;
    const magic = r.take(4);
    if (magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
      r.fail("magic header not detected: a WebAssembly module starts with \\0asm", 0);
    }
    const version = r.take(4);
    if (version[0] !== 1 || version[1] !== 0 || version[2] !== 0 || version[3] !== 0) {
      r.fail(`unknown binary version ${[...version].map(hex).join(" ")}, expected 0x01 0x00 0x00 0x00`, 4);
    }
  }

  sections(): void {
    const r: Reader = this.r;
    const total = r.bytes.length;
    let lastOrder = 0;
    let lastId = -1;
    let sawData = false;
    let sawCode = false;
    while (r.pos < total) {
      r.section = "module";
      r.inSection = false;
      r.limit = total;
      const start = r.pos;
      const id = r.u8();
      const size = r.u32();
      if (size > r.remaining) {
        r.fail(`length out of bounds: section of ${size} bytes, ${r.remaining} left in the module`, start);
      }
      if (id > Sec.DataCount) {
        if (id === 13) r.fail(unsupported("exception handling (tag section)"), start);
        r.fail(`malformed section id ${id}`, start);
      }
      if (id !== Sec.Custom) {
        const order = SECTION_ORDER[id]!;
        if (order <= lastOrder) {
          r.fail(
            `unexpected content after last section: ${SECTION_NAMES[id]} after ${SECTION_NAMES[lastId]} (sections must appear once each, in order)`,
            start,
          );
        }
        lastOrder = order;
        lastId = id;
      }
      const contentStart = r.pos;
      const end = contentStart + size;
      r.section = SECTION_NAMES[id]!;
      r.inSection = true;
      r.limit = end;
      switch (id) {
        case Sec.Custom:
          this.custom(start);
          break;
        case Sec.Type:
          this.vec(() => this.m.types.push(readFuncType(r)));
          break;
        case Sec.Import:
          this.vec(() => this.m.imports.push(this.import()));
          break;
        case Sec.Function: {
          const indices: number[] = [];
          this.vec(() => indices.push(r.u32()));
          this.funcTypeIndices = indices;
          break;
        }
        case Sec.Table:
          this.vec(() => {
            const offset = r.pos;
            const t = readTableType(r);
            this.m.tables.push({ elemType: t.elemType, limits: t.limits, offset } satisfies Table);
          });
          break;
        case Sec.Memory:
          this.vec(() => {
            const offset = r.pos;
            this.m.memories.push({ limits: readMemoryType(r).limits, offset } satisfies Memory);
          });
          break;
        case Sec.Global:
          this.vec(() => this.m.globals.push(this.global()));
          break;
        case Sec.Export:
          this.vec(() => this.m.exports.push(this.export()));
          break;
        case Sec.Start:
          this.m.startOffset = r.pos;
          this.m.start = r.u32();
          break;
        case Sec.Element:
          this.vec(() => this.m.elems.push(this.elem()));
          break;
        case Sec.DataCount:
          this.m.dataCount = r.u32();
          this.code.dataCount = this.m.dataCount;
          break;
        case Sec.Code:
          sawCode = true;
          this.codeSection(start);
          break;
        case Sec.Data: {
          sawData = true;
          const n = this.vec(() => this.m.datas.push(this.data()));
          this.checkDataCount(n, start);
          break;
        }
      }
      if (r.pos !== end) {
        r.fail(`section size mismatch: ${r.section} declares ${size} bytes, its contents take ${r.pos - contentStart}`, r.pos);
      }
    }
    r.section = "module";
    r.inSection = false;
    r.limit = total;
    if (!sawCode && (this.funcTypeIndices?.length ?? 0) > 0) {
      r.fail(
        `function and code section have inconsistent lengths: ${this.funcTypeIndices!.length} functions declared, no code section`,
        total,
      );
    }
    if (!sawData) this.checkDataCount(0, total);
  }

  /** Reads a vector, calling `item` once per element; returns the count. */
  vec(item: () => void): number {
    const n = this.r.u32();
    for (let i = 0; i < n; i++) item();
    return n;
  }

  checkDataCount(n: number, at: number): void {
    const dc = this.m.dataCount;
    if (dc !== undefined && dc !== n) {
      this.r.fail(`data count and data section have inconsistent lengths: data count ${dc}, ${n} data segments`, at);
    }
  }

  custom(start: number): void {
    const r: Reader = this.r;
    const name = r.name();
    const bytes = r.take(r.remaining);
    this.m.customs.push({ name, bytes, offset: start } satisfies CustomSection);
  }

  import(): Import {
    const r: Reader = this.r;
    const offset = r.pos;
    const module = r.name();
    const name = r.name();
    const kindAt = r.pos;
    const kind = r.u8();
    switch (kind) {
      case 0:
        this.numImportedFuncs++;
        return { module, name, offset, kind: "func", typeIndex: r.u32() };
      case 1:
        return { module, name, offset, kind: "table", table: readTableType(r) };
      case 2:
        return { module, name, offset, kind: "memory", memory: readMemoryType(r) };
      case 3:
        return { module, name, offset, kind: "global", global: readGlobalType(r) };
      default:
        // 0x04 (a tag) is malformed in WebAssembly 2.0, so it is not called unsupported.
        r.fail(`malformed import kind ${hex(kind)}${kind === 4 ? " (a tag: exception handling is not supported)" : ""}`, kindAt);
    }
  }

  export(): Export {
    const r: Reader = this.r;
    const offset = r.pos;
    const name = r.name();
    const kindAt = r.pos;
    const k = r.u8();
    const kind = EXTERN_KINDS[k];
    if (kind === undefined) {
      r.fail(`malformed export kind ${hex(k)}${k === 4 ? " (a tag: exception handling is not supported)" : ""}`, kindAt);
    }
    return { name, kind, index: r.u32(), offset };
  }

  constExpr(): ConstExpr {
    return readInstrs(this.r, this.code, true);
  }

  global(): Global {
    const offset = this.r.pos;
    const g = readGlobalType(this.r);
    // Fields named, not spread: a spread goes through the object-clone IC, slow until optimized, and there are few globals.
    return { type: g.type, mutable: g.mutable, init: this.constExpr(), offset };
  }

  elem(): Elem {
    const r: Reader = this.r;
    const offset = r.pos;
    const flags = r.u32();
    if (flags > 7) r.fail(`malformed elements segment kind ${flags}`, offset);
    // Bit 0: passive or declarative; bit 1: explicit table (active) or declarative; bit 2: expressions.
    const active = (flags & 1) === 0;
    const usesExprs = (flags & 4) !== 0;
    const seg: Elem = {
      mode: active ? "active" : flags & 2 ? "declarative" : "passive",
      type: "funcref",
      funcs: [],
      offset,
    };
    if (active) {
      seg.table = flags & 2 ? r.u32() : 0;
      seg.offsetExpr = this.constExpr();
    }
    if ((flags & 3) !== 0) {
      if (usesExprs) {
        seg.type = readRefType(r);
      } else {
        const at = r.pos;
        const kind = r.u8();
        if (kind !== 0) r.fail(`malformed element kind ${hex(kind)}`, at);
      }
    }
    if (usesExprs) {
      const exprs: ConstExpr[] = [];
      this.vec(() => {
        const e = this.constExpr();
        exprs.push(e);
        seg.funcs.push(elemFunc(e));
      });
      seg.exprs = exprs;
    } else {
      this.vec(() => seg.funcs.push(r.u32()));
    }
    return seg;
  }

  data(): Data {
    const r: Reader = this.r;
    const offset = r.pos;
    const flags = r.u32();
    switch (flags) {
      case 0:
        return { mode: "active", memory: 0, offsetExpr: this.constExpr(), bytes: r.byteVec(), offset };
      case 1:
        return { mode: "passive", bytes: r.byteVec(), offset };
      case 2: {
        const memory = r.u32();
        return { mode: "active", memory, offsetExpr: this.constExpr(), bytes: r.byteVec(), offset };
      }
      default:
        r.fail(`malformed data segment kind ${flags}`, offset);
    }
  }

  codeSection(start: number): void {
    const r: Reader = this.r;
    const declared = this.funcTypeIndices ?? [];
    const n = r.u32();
    if (n !== declared.length) {
      r.fail(
        `function and code section have inconsistent lengths: ${declared.length} functions declared, ${n} bodies`,
        start,
      );
    }
    const sectionLimit = r.limit;
    for (let i = 0; i < n; i++) {
      const sizeAt = r.pos;
      const size = r.u32();
      if (size > r.remaining) {
        r.fail(`length out of bounds: function body of ${size} bytes, ${r.remaining} left in the section`, sizeAt);
      }
      const offset = r.pos;
      const end = offset + size;
      const funcIndex = this.numImportedFuncs + i;
      r.funcIndex = funcIndex;
      r.funcName = this.m.names.funcs.get(funcIndex);
      r.limit = end;
      const locals = this.locals();
      const body = readInstrs(r, this.code, false);
      if (r.pos !== end) {
        r.fail(`section size mismatch: function body has ${end - r.pos} bytes after its final end`, r.pos);
      }
      r.limit = sectionLimit;
      r.funcIndex = undefined;
      r.funcName = undefined;
      this.m.funcs.push({ typeIndex: declared[i]!, locals, body, offset } satisfies Func);
    }
  }

  locals(): ValType[] {
    const r: Reader = this.r;
    const locals: ValType[] = [];
    let total = 0;
    for (let groups = r.u32(); groups > 0; groups--) {
      const at = r.pos;
      const count = r.u32();
      const type = readValType(r);
      total += count;
      if (total > MAX_LOCALS) r.fail(`too many locals: ${total} declared so far, at most ${MAX_LOCALS} supported`, at);
      for (let k = 0; k < count; k++) locals.push(type);
    }
    return locals;
  }
}

/**
 * The function an element expression denotes: its index for `ref.func`,
 * null for `ref.null`. Anything else is invalid, which validateModule
 * reports from `exprs`; null stands in until then.
 */
function elemFunc(e: ConstExpr): number | null {
  const only = e.length === 1 ? e[0]! : undefined;
  return only !== undefined && only.op === Op.RefFunc ? only.index! : null;
}

/** Decodes a module. Throws WasmError; `err.unsupported` tells a feature outside Atoll's set from a broken module. */
export function decodeModule(bytes: Uint8Array): Module {
  const d = new Decoder(bytes);
  d.m.names = scanNames(bytes);
  d.header();
  d.sections();
  return d.m;
}
