// The relocatable object the linker reads: the `AotObject` of docs/aot.md.
// tools/aot returns one for the module, and each runtime builds one for its
// own machine code, so the linker sees only this shape and never imports
// either of them.

/** A section that holds bytes, or bss (zero-initialised, no bytes). */
export type SectionName = "text" | "rodata" | "data" | "bss";

/** A symbol: a name for an offset in one section of its object. */
export interface SymbolDef {
  section: SectionName;
  offset: number;
  /** Bytes it covers, for the ELF symbol table; optional. */
  size?: number;
}

/**
 * A place the linker patches, in a section that has bytes:
 * - `rel32`: the 4 bytes at `offset` become S + addend - P (P = their address);
 * - `abs64`: the 8 bytes at `offset` become S + addend.
 */
export interface Relocation {
  section: "text" | "rodata" | "data";
  offset: number;
  symbol: string;
  kind: "rel32" | "abs64";
  addend: number;
}

/** One relocatable object (docs/aot.md, "Object format"). */
export interface LinkObject {
  text: Uint8Array;
  rodata: Uint8Array;
  data: Uint8Array;
  bssSize: number;
  symbols: Map<string, SymbolDef>;
  relocs: Relocation[];
  /** Symbols this object needs from another one; each must be defined somewhere. */
  undefined: string[];
}

/** An object with the name messages use for it ("app.wasm", "unix runtime"). */
export interface LinkInput {
  name: string;
  object: LinkObject;
}
