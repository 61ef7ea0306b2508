// The object tools/aot hands to the linker (docs/aot.md, "Object format"),
// and a small builder for its data sections: bytes, symbols at aligned
// offsets, and the relocations inside them.

export type SectionName = "text" | "rodata" | "data" | "bss";

export interface AotSymbol {
  section: SectionName;
  offset: number;
  size?: number;
}

export interface AotReloc {
  section: "text" | "rodata" | "data";
  offset: number;
  symbol: string;
  kind: "rel32" | "abs64";
  addend: number;
}

export interface AotObject {
  /** Code, position independent. */
  text: Uint8Array;
  /** Constants, data segments, names, the function table. */
  rodata: Uint8Array;
  /** Mutable: globals, the wasm table, memory size... */
  data: Uint8Array;
  /** Zero-initialised, after data. */
  bssSize: number;
  symbols: Map<string, AotSymbol>;
  relocs: AotReloc[];
  /** Symbols the runtime must define (imports, runtime helpers). */
  undefined: string[];
  /** For each `wasm:inlined:K` symbol (code inlined from another function), that function's index. */
  inlined?: Map<string, number>;
}

/** Bytes of one data-like section, growing as symbols are appended. */
export class SectionBuilder {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  constructor(
    readonly name: "rodata" | "data",
    private readonly symbols: Map<string, AotSymbol>,
    private readonly relocs: AotReloc[],
  ) {}

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  align(boundary: number): void {
    const pad = (boundary - (this.length % boundary)) % boundary;
    this.reserve(pad);
    this.length += pad;
  }

  /** Defines `name` at the current offset (aligned to `alignment` first). */
  define(name: string, alignment = 8, size?: number): number {
    this.align(alignment);
    if (this.symbols.has(name)) throw new Error(`tools/aot: symbol ${name} defined twice`);
    this.symbols.set(name, size === undefined ? { section: this.name, offset: this.length } : { section: this.name, offset: this.length, size });
    return this.length;
  }

  u64(v: bigint | number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), true);
    this.length += 8;
  }

  /** 8 bytes that the linker fills with the address of `symbol` + addend. */
  addr(symbol: string, addend = 0): void {
    this.relocs.push({ section: this.name, offset: this.length, symbol, kind: "abs64", addend });
    this.u64(0);
  }

  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  zeros(n: number): void {
    this.reserve(n);
    this.bytes.fill(0, this.length, this.length + n);
    this.length += n;
  }

  /** Overwrites 8 bytes at an offset already written. */
  setU64(at: number, v: bigint | number): void {
    this.view.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Zero-initialised storage: only offsets. */
export class BssBuilder {
  length = 0;
  constructor(private readonly symbols: Map<string, AotSymbol>) {}

  define(name: string, size: number, alignment = 16): number {
    this.length += (alignment - (this.length % alignment)) % alignment;
    if (this.symbols.has(name)) throw new Error(`tools/aot: symbol ${name} defined twice`);
    this.symbols.set(name, { section: "bss", offset: this.length, size });
    this.length += size;
    return this.length - size;
  }
}
