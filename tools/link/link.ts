// The static linker: lays out the sections of every input in three loadable
// segments — rodata (R, with the ELF headers), text (R+X), data and bss
// (R+W) — each on its own pages so that code is never writable and data
// never executable, resolves every relocation, and writes the executable.
import { headerSize, PAGE, PF_R, PF_W, PF_X, writeElf, type ElfLoad, type ElfSection, type ElfSymbol } from "./elf.ts";
import type { LinkInput, LinkObject, Relocation, SectionName, SymbolDef } from "./object.ts";

/** A link that cannot be done: an undefined or duplicated symbol, a relocation out of range, a malformed object. */
export class LinkError extends Error {
  override name = "LinkError";
}

export interface LinkOptions {
  /** The symbol execution starts at (the runtime's `_start`); it must be in text. */
  entry: string;
  /** Address of the first byte of the image; a page multiple. Default 0x400000, the usual base of a non-PIE x86-64 executable. */
  base?: number;
  /**
   * A PVH boot image (Xen's hvmlite protocol, which QEMU's -kernel,
   * Firecracker and cloud-hypervisor also follow): a PT_NOTE holding the note
   * owner "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18), whose 8-byte descriptor
   * is the address of this symbol — the 32-bit entry point (Xen's
   * include/public/elfnote.h). Addresses are physical: the image is loaded
   * where it is linked, so give a `base` in RAM (1 MiB).
   */
  pvhEntry?: string;
  /** Emit PT_GNU_STACK; default true (a Linux process needs it, a VM image does not). */
  gnuStack?: boolean;
  /**
   * Define the layout symbols a runtime that builds its own page tables
   * needs: `atoll_link:image_start` (base), `atoll_link:text_start`,
   * `atoll_link:data_start` (page aligned segment starts) and
   * `atoll_link:image_end` (end of bss rounded up to a page).
   */
  layoutSymbols?: boolean;
  /**
   * What the ELF symbol table calls a symbol instead of its link name, e.g.
   * `wasm:func:31` → `bench/compute/sort/unikernel/quickSort` from the
   * module's name section, so that perf, gdb and objdump name functions as
   * the source does. Linking itself still goes by link names. A name for a
   * symbol no input defines is ignored: which functions a compiler emits
   * (inlined, dropped) is its own business.
   */
  symbolNames?: ReadonlyMap<string, string>;
}

/** The symbols `layoutSymbols` defines. */
export const LAYOUT_SYMBOLS = ["atoll_link:image_start", "atoll_link:text_start", "atoll_link:data_start", "atoll_link:image_end"] as const;

/** XEN_ELFNOTE_PHYS32_ENTRY (Xen, include/public/elfnote.h). */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
/** The note: namesz, descsz, type, "Xen\0", then the 8-byte entry address (gABI "Note Section"). */
const PVH_NOTE_SIZE = 12 + 4 + 8;

/** Where one input's sections landed. */
export interface Placement {
  name: string;
  /** Address of each section of the input (bss included). */
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

export interface Linked {
  /** The ELF executable. */
  image: Uint8Array;
  /** The address of every symbol. */
  symbols: Map<string, number>;
  placements: Placement[];
  /** [start, end) of each segment, for tests. */
  segments: { name: "rodata" | "text" | "data"; start: number; end: number; flags: number }[];
}

/** Each object's sections start at a multiple of this. */
const SECTION_ALIGN = 16;
/** Padding between the text of two objects: int3, so a stray jump stops at once. */
const TEXT_FILL = 0xcc;

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;
const hex = (n: number): string => `0x${n.toString(16)}`;

function sectionSize(o: LinkObject, s: SectionName): number {
  return s === "bss" ? o.bssSize : o[s].length;
}

/** Rejects symbols and relocations that point outside their section. */
function checkObject(input: LinkInput): void {
  const o = input.object;
  if (!Number.isInteger(o.bssSize) || o.bssSize < 0) throw new LinkError(`${input.name}: bssSize ${o.bssSize} is not a byte count`);
  for (const [name, def] of o.symbols) {
    const size = sectionSize(o, def.section);
    if (!Number.isInteger(def.offset) || def.offset < 0 || def.offset > size) {
      throw new LinkError(`${input.name}: symbol ${name} at ${def.section}+${hex(def.offset)} is outside its section (${size} bytes)`);
    }
  }
  for (const r of o.relocs) {
    const width = r.kind === "rel32" ? 4 : 8;
    if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset + width > o[r.section].length) {
      throw new LinkError(`${input.name}: ${r.kind} relocation against ${r.symbol} at ${r.section}+${hex(r.offset)} is outside its section`);
    }
  }
}

/** Links `inputs` into a static executable. */
export function link(inputs: LinkInput[], options: LinkOptions): Linked {
  const base = options.base ?? 0x400000;
  if (base % PAGE !== 0) throw new LinkError(`base address ${hex(base)} is not a multiple of the page size`);
  inputs.forEach(checkObject);

  // One global namespace: a name defined twice is an error naming both places.
  const owner = new Map<string, { input: number; def: SymbolDef }>();
  inputs.forEach((input, i) => {
    for (const [name, def] of input.object.symbols) {
      const prev = owner.get(name);
      if (prev !== undefined) {
        const p = inputs[prev.input]!;
        throw new LinkError(
          `symbol ${name} is defined twice: in ${p.name} (${prev.def.section}+${hex(prev.def.offset)}) and in ${input.name} (${def.section}+${hex(def.offset)})`,
        );
      }
      owner.set(name, { input: i, def });
    }
  });

  // Every reference must find a definition; report all that do not at once.
  const missing = new Map<string, Set<string>>();
  const linkerDefined = new Set<string>(options.layoutSymbols ? LAYOUT_SYMBOLS : []);
  for (const s of linkerDefined) {
    if (owner.has(s)) throw new LinkError(`symbol ${s} is defined by the linker (layoutSymbols) and by ${inputs[owner.get(s)!.input]!.name}`);
  }
  const need = (symbol: string, by: string): void => {
    if (owner.has(symbol) || linkerDefined.has(symbol)) return;
    const who = missing.get(symbol) ?? new Set<string>();
    who.add(by);
    missing.set(symbol, who);
  };
  for (const input of inputs) {
    for (const s of input.object.undefined) need(s, input.name);
    for (const r of input.object.relocs) need(r.symbol, input.name);
  }
  need(options.entry, "the entry point");
  if (options.pvhEntry !== undefined) need(options.pvhEntry, "the PVH note");
  if (missing.size > 0) {
    const lines = [...missing].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, who]) => `  ${s} (needed by ${[...who].join(", ")})`);
    throw new LinkError(`undefined symbol${missing.size > 1 ? "s" : ""}:\n${lines.join("\n")}`);
  }

  // Layout. The segments are rodata (after the headers), text, data+bss.
  const objects = inputs.map((i) => i.object);
  const total = (s: SectionName): number => objects.reduce((n, o) => alignUp(n, SECTION_ALIGN) + sectionSize(o, s), 0);
  const hasWritable = total("data") + total("bss") > 0;
  const numLoads = hasWritable ? 3 : 2;
  const placements: Placement[] = inputs.map((i) => ({ name: i.name, text: 0, rodata: 0, data: 0, bss: 0 }));
  const place = (s: SectionName, start: number): number => {
    let at = start;
    objects.forEach((o, i) => {
      at = alignUp(at, SECTION_ALIGN);
      placements[i]![s] = at;
      at += sectionSize(o, s);
    });
    return at;
  };
  const gnuStack = options.gnuStack ?? true;
  const pvh = options.pvhEntry !== undefined;
  const headersEnd = base + headerSize(numLoads, (gnuStack ? 1 : 0) + (pvh ? 1 : 0));
  // The PVH note, when asked for, sits right after the headers in the read-only segment.
  const noteAt = alignUp(headersEnd, 8);
  const rodataStart = pvh ? alignUp(noteAt + PVH_NOTE_SIZE, SECTION_ALIGN) : alignUp(headersEnd, SECTION_ALIGN);
  const rodataEnd = place("rodata", rodataStart);
  const textStart = alignUp(rodataEnd, PAGE);
  const textEnd = place("text", textStart);
  const dataStart = alignUp(textEnd, PAGE);
  const dataEnd = place("data", dataStart);
  const bssStart = alignUp(dataEnd, SECTION_ALIGN);
  const bssEnd = place("bss", bssStart);

  const symbols = new Map<string, number>();
  for (const [name, { input, def }] of owner) symbols.set(name, placements[input]![def.section] + def.offset);
  if (options.layoutSymbols) {
    const values = [base, textStart, dataStart, alignUp(bssEnd, PAGE)];
    LAYOUT_SYMBOLS.forEach((name, i) => symbols.set(name, values[i]!));
  }

  // Segment contents, then relocations patched in place.
  const rodataSeg = new Uint8Array(rodataEnd - base);
  const textSeg = new Uint8Array(textEnd - textStart).fill(TEXT_FILL);
  const dataSeg = new Uint8Array(dataEnd - dataStart);
  const segmentOf = { rodata: { bytes: rodataSeg, start: base }, text: { bytes: textSeg, start: textStart }, data: { bytes: dataSeg, start: dataStart } };
  objects.forEach((o, i) => {
    for (const s of ["rodata", "text", "data"] as const) segmentOf[s].bytes.set(o[s], placements[i]![s] - segmentOf[s].start);
  });
  objects.forEach((o, i) => {
    for (const r of o.relocs) apply(r, inputs[i]!.name, placements[i]![r.section], segmentOf[r.section], symbols.get(r.symbol)!);
  });

  if (pvh) {
    const target = symbols.get(options.pvhEntry!)!;
    if (target > 0xffff_ffff) throw new LinkError(`the PVH entry ${options.pvhEntry} is at ${hex(target)}, above 4 GiB: a 32-bit entry cannot reach it`);
    const v = new DataView(rodataSeg.buffer, noteAt - base, PVH_NOTE_SIZE);
    v.setUint32(0, 4, true); // namesz: "Xen" and its NUL
    v.setUint32(4, 8, true); // descsz
    v.setUint32(8, XEN_ELFNOTE_PHYS32_ENTRY, true);
    rodataSeg.set([0x58, 0x65, 0x6e, 0], noteAt - base + 12);
    v.setBigUint64(16, BigInt(target), true);
  }

  const entryDef = owner.get(options.entry)!;
  if (entryDef.def.section !== "text") throw new LinkError(`the entry point ${options.entry} is in ${entryDef.def.section}, not in text`);

  const loads: ElfLoad[] = [
    { vaddr: base, flags: PF_R, bytes: rodataSeg, memSize: rodataSeg.length },
    { vaddr: textStart, flags: PF_R | PF_X, bytes: textSeg, memSize: textSeg.length },
  ];
  if (hasWritable) loads.push({ vaddr: dataStart, flags: PF_R | PF_W, bytes: dataSeg, memSize: bssEnd - dataStart });
  const sections: ElfSection[] = [];
  const section = (name: string, kind: ElfSection["kind"], access: ElfSection["access"], addr: number, end: number, align = SECTION_ALIGN): void => {
    if (end > addr) sections.push({ name, kind, access, addr, size: end - addr, align });
  };
  if (pvh) section(".note.Xen", "note", "r", noteAt, noteAt + PVH_NOTE_SIZE, 4);
  section(".rodata", "progbits", "r", rodataStart, rodataEnd);
  section(".text", "progbits", "rx", textStart, textEnd);
  section(".data", "progbits", "rw", dataStart, dataEnd);
  section(".bss", "nobits", "rw", bssStart, bssEnd);
  const sectionName = (addr: number): string | null => sections.find((s) => addr >= s.addr && addr <= s.addr + s.size)?.name ?? null;
  const elfSymbols: ElfSymbol[] = [...owner]
    .map(([name, { def }]) => {
      const value = symbols.get(name)!;
      return { name: options.symbolNames?.get(name) ?? name, value, size: def.size ?? 0, kind: def.section === "text" ? "func" : "object", section: sectionName(value) } as ElfSymbol;
    })
    .concat([...linkerDefined].map((name) => ({ name, value: symbols.get(name)!, size: 0, kind: "none", section: null }) as ElfSymbol))
    .sort((a, b) => a.value - b.value);

  const image = writeElf({
    entry: symbols.get(options.entry)!, loads, sections, symbols: elfSymbols, gnuStack,
    ...(pvh ? { note: { vaddr: noteAt, size: PVH_NOTE_SIZE } } : {}),
  });
  const segments: Linked["segments"] = [
    { name: "rodata", start: base, end: rodataEnd, flags: PF_R },
    { name: "text", start: textStart, end: textEnd, flags: PF_R | PF_X },
  ];
  if (hasWritable) segments.push({ name: "data", start: dataStart, end: bssEnd, flags: PF_R | PF_W });
  return { image, symbols, placements, segments };
}

/** Patches one relocation: its field is at `sectionAddr + r.offset`, inside `seg`. */
function apply(r: Relocation, from: string, sectionAddr: number, seg: { bytes: Uint8Array; start: number }, target: number): void {
  const p = sectionAddr + r.offset;
  const view = new DataView(seg.bytes.buffer, seg.bytes.byteOffset, seg.bytes.byteLength);
  const at = p - seg.start;
  if (r.kind === "rel32") {
    const value = target + r.addend - p;
    if (value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new LinkError(`${from}: rel32 relocation at ${r.section}+${hex(r.offset)} cannot reach ${r.symbol} (distance ${value})`);
    }
    view.setInt32(at, value, true);
  } else {
    view.setBigUint64(at, BigInt.asUintN(64, BigInt(target) + BigInt(r.addend)), true);
  }
}
