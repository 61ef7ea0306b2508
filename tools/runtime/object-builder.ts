// Builds a runtime's LinkObject with the assembler: one Assembler for text,
// one for rodata (strings and tables, which may hold addresses), and bss by
// offsets. Names become global symbols; a reference from text to rodata or
// bss is a symbol reference the linker resolves, like the module's own.
import { Assembler, type Label, type Reloc } from "../x86/index.ts";
import type { LinkObject, Relocation, SymbolDef } from "../link/index.ts";

export class ObjectBuilder {
  /** The code; bind functions with `func`. */
  readonly text = new Assembler();
  /** Constant data with addresses in it (tables); bind entries with `roLabel`. Strings and raw bytes go through `string` and `bytes`. */
  readonly rodata = new Assembler();
  private readonly textSyms = new Map<string, Label>();
  private readonly roSyms = new Map<string, Label>();
  private readonly bssSyms = new Map<string, { offset: number; size: number }>();
  private readonly blobs: number[] = [];
  private readonly blobSyms = new Map<string, { offset: number; size: number }>();
  private bssSize = 0;

  /** `prefix` names the section-start symbols that absolute label references resolve against. */
  constructor(private readonly prefix: string) {}

  /** Binds a new global function symbol `name` at the current position of text (aligned to 16). */
  func(name: string): Label {
    this.text.align(16, 0xcc);
    return this.textLabel(name);
  }

  /** A global symbol for the current position of text, with no alignment. */
  textLabel(name: string): Label {
    this.fresh(name);
    const l = this.text.newLabel(name);
    this.text.bind(l);
    this.textSyms.set(name, l);
    return l;
  }

  /** UTF-8 bytes of `s` in rodata as `name`; returns their length. */
  string(name: string, s: string): number {
    const bytes = new TextEncoder().encode(s);
    this.bytes(name, bytes, 1);
    return bytes.length;
  }

  /**
   * Raw bytes in rodata as `name`. They are kept apart from the `rodata`
   * assembler and placed after it, so a string can be defined while a table
   * is being emitted there without landing in the middle of it.
   */
  bytes(name: string, bytes: Uint8Array, align = 8): void {
    this.fresh(name);
    while (this.blobs.length % align !== 0) this.blobs.push(0);
    this.blobSyms.set(name, { offset: this.blobs.length, size: bytes.length });
    for (const b of bytes) this.blobs.push(b);
  }

  /** A global symbol at the current position of rodata (aligned). */
  roLabel(name: string, align = 8): Label {
    this.fresh(name);
    this.rodata.align(align, 0);
    const l = this.rodata.newLabel(name);
    this.rodata.bind(l);
    this.roSyms.set(name, l);
    return l;
  }

  /** `size` zero bytes of bss as `name`. */
  bss(name: string, size: number, align = 8): void {
    this.fresh(name);
    this.bssSize = Math.ceil(this.bssSize / align) * align;
    this.bssSyms.set(name, { offset: this.bssSize, size });
    this.bssSize += size;
  }

  private fresh(name: string): void {
    if (this.textSyms.has(name) || this.roSyms.has(name) || this.bssSyms.has(name) || this.blobSyms.has(name)) throw new Error(`runtime object: ${name} defined twice`);
  }

  finish(): LinkObject {
    const text = this.text.finish();
    const ro = this.rodata.finish();
    const symbols = new Map<string, SymbolDef>();
    const startOf = { text: `${this.prefix}:text`, rodata: `${this.prefix}:rodata` };
    symbols.set(startOf.text, { section: "text", offset: 0 });
    symbols.set(startOf.rodata, { section: "rodata", offset: 0 });
    const sizes = (labels: Map<string, Label>, offsets: Map<Label, number>, end: number): Map<string, number> => {
      const sorted = [...labels].map(([n, l]) => [n, offsets.get(l)!] as const).sort((a, b) => a[1] - b[1]);
      return new Map(sorted.map(([n, at], i) => [n, (sorted[i + 1]?.[1] ?? end) - at]));
    };
    const textSizes = sizes(this.textSyms, text.labels, text.code.length);
    for (const [name, l] of this.textSyms) symbols.set(name, { section: "text", offset: text.labels.get(l)!, size: textSizes.get(name)! });
    const roSizes = sizes(this.roSyms, ro.labels, ro.code.length);
    for (const [name, l] of this.roSyms) symbols.set(name, { section: "rodata", offset: ro.labels.get(l)!, size: roSizes.get(name)! });
    const blobsAt = Math.ceil(ro.code.length / 8) * 8;
    for (const [name, b] of this.blobSyms) symbols.set(name, { section: "rodata", offset: blobsAt + b.offset, size: b.size });
    for (const [name, b] of this.bssSyms) symbols.set(name, { section: "bss", offset: b.offset, size: b.size });
    const rodata = new Uint8Array(blobsAt + this.blobs.length);
    rodata.set(ro.code);
    rodata.set(this.blobs, blobsAt);

    const relocs: Relocation[] = [];
    const convert = (section: "text" | "rodata", rs: Reloc[]): void => {
      for (const r of rs) relocs.push({ section, offset: r.offset, symbol: r.symbol ?? startOf[section], kind: r.kind, addend: r.addend });
    };
    convert("text", text.relocs);
    convert("rodata", ro.relocs);
    const undefinedSyms = [...new Set(relocs.map((r) => r.symbol).filter((s) => !symbols.has(s)))].sort();
    return { text: text.code, rodata, data: new Uint8Array(0), bssSize: this.bssSize, symbols, relocs, undefined: undefinedSyms };
  }
}
