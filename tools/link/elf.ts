// Writes an ELF64 little-endian x86-64 executable (ET_EXEC) from loadable
// segments the caller has laid out, plus section headers and a symbol table
// so that readelf, objdump and gdb can read it.
//
// Field offsets and constants are from the System V ABI, "ELF-64 Object File
// Format" (version 1.5) and the gABI chapter 4 (ELF header, section header,
// symbol table) and chapter 5 (program header); PT_GNU_STACK is the GNU
// extension documented in the Linux Standard Base Core specification.

/** Bytes of the ELF header. */
const EHDR_SIZE = 64;
/** Bytes of one program header. */
const PHDR_SIZE = 56;
/** Bytes of one section header. */
const SHDR_SIZE = 64;
/** Bytes of one symbol table entry. */
const SYM_SIZE = 24;

export const PAGE = 0x1000;

const ET_EXEC = 2;
const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PT_GNU_STACK = 0x6474e551;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;
const STB_GLOBAL = 1;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const SHN_ABS = 0xfff1;

/** A PT_LOAD segment: `bytes` go to the file and are mapped at `vaddr`; memory beyond them up to `memSize` is zero. */
export interface ElfLoad {
  vaddr: number;
  /** PF_R | PF_W | PF_X. */
  flags: number;
  bytes: Uint8Array;
  memSize: number;
}

/** A section header describing part of a load (for tools; the kernel ignores sections). */
export interface ElfSection {
  name: string;
  kind: "progbits" | "nobits" | "note";
  /** "r", "rx" or "rw". */
  access: "r" | "rx" | "rw";
  addr: number;
  size: number;
  align: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  kind: "func" | "object" | "none";
  /** The name of the section it is in, or null for an absolute symbol. */
  section: string | null;
}

export interface ElfImage {
  entry: number;
  /** In address order; the first starts at a page boundary and its first `headerSize(loads.length)` bytes are left for the headers. */
  loads: ElfLoad[];
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** A PT_NOTE header for notes already laid out inside a load (the PVH entry note). */
  note?: { vaddr: number; size: number };
  /** Emit PT_GNU_STACK (default true): a Linux process needs it, a VM image does not. */
  gnuStack?: boolean;
}

/** The bytes the ELF header and program headers take at the start of the first load; `others` counts the headers that are not PT_LOAD (PT_GNU_STACK, PT_NOTE). */
export function headerSize(numLoads: number, others = 1): number {
  return EHDR_SIZE + PHDR_SIZE * (numLoads + others);
}

/** A string table: NUL first, then each name NUL-terminated. */
class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly seen = new Map<string, number>();

  add(s: string): number {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    const bytes = new TextEncoder().encode(s + "\0");
    const at = this.size;
    this.parts.push(bytes);
    this.size += bytes.length;
    this.seen.set(s, at);
    return at;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The executable's bytes. */
export function writeElf(image: ElfImage): Uint8Array {
  const { loads } = image;
  if (loads.length === 0) throw new Error("writeElf: no segment to load");
  // File offsets: the first load at 0 (it carries the headers), each next one
  // at the first offset past the previous that is congruent to its address
  // modulo the page size, as the loader requires (gABI, "Program Loading").
  const offsets: number[] = [];
  let end = 0;
  for (const load of loads) {
    const at = offsets.length === 0 ? 0 : alignUp(end, PAGE) + (load.vaddr % PAGE);
    offsets.push(at);
    end = at + load.bytes.length;
  }
  const fileOffsetOf = (addr: number): number => {
    const i = loads.findIndex((l) => addr >= l.vaddr && addr <= l.vaddr + l.memSize);
    if (i < 0) throw new Error(`writeElf: address 0x${addr.toString(16)} is in no segment`);
    return offsets[i]! + (addr - loads[i]!.vaddr);
  };

  // Section headers: null, the allocated ones, .symtab, .strtab, .shstrtab.
  const shstr = new StringTable();
  const str = new StringTable();
  const sectionIndex = new Map<string, number>();
  image.sections.forEach((s, i) => sectionIndex.set(s.name, i + 1));
  const symtab = new Uint8Array(SYM_SIZE * (image.symbols.length + 1));
  const symView = new DataView(symtab.buffer);
  image.symbols.forEach((s, i) => {
    const at = SYM_SIZE * (i + 1);
    const type = s.kind === "func" ? STT_FUNC : s.kind === "object" ? STT_OBJECT : STT_NOTYPE;
    const shndx = s.section === null ? SHN_ABS : sectionIndex.get(s.section);
    if (shndx === undefined) throw new Error(`writeElf: symbol ${s.name} is in unknown section ${s.section}`);
    symView.setUint32(at + 0, str.add(s.name), true); // st_name
    symView.setUint8(at + 4, (STB_GLOBAL << 4) | type); // st_info
    symView.setUint8(at + 5, 0); // st_other: STV_DEFAULT
    symView.setUint16(at + 6, shndx, true); // st_shndx
    symView.setBigUint64(at + 8, BigInt(s.value), true); // st_value
    symView.setBigUint64(at + 16, BigInt(s.size), true); // st_size
  });
  const strtab = str.bytes();

  const symtabIndex = image.sections.length + 1;
  const tail: { name: string; type: number; bytes: Uint8Array; link: number; info: number; align: number; entsize: number }[] = [
    { name: ".symtab", type: SHT_SYMTAB, bytes: symtab, link: symtabIndex + 1, info: 1, align: 8, entsize: SYM_SIZE },
    { name: ".strtab", type: SHT_STRTAB, bytes: strtab, link: 0, info: 0, align: 1, entsize: 0 },
  ];
  const shstrtabIndex = symtabIndex + tail.length;
  const names = [...image.sections.map((s) => shstr.add(s.name)), ...tail.map((t) => shstr.add(t.name)), shstr.add(".shstrtab")];
  const shstrtab = shstr.bytes();

  // Non-loaded data after the last load, then the section header table.
  let at = end;
  const tailOffsets = tail.map((t) => {
    at = alignUp(at, t.align);
    const o = at;
    at += t.bytes.length;
    return o;
  });
  const shstrtabOffset = at;
  at += shstrtab.length;
  const shoff = alignUp(at, 8);
  const shnum = 1 + image.sections.length + tail.length + 1;
  const total = shoff + SHDR_SIZE * shnum;

  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  loads.forEach((l, i) => out.set(l.bytes, offsets[i]!));
  tail.forEach((t, i) => out.set(t.bytes, tailOffsets[i]!));
  out.set(shstrtab, shstrtabOffset);

  // ELF header (gABI "ELF Header"; ELF-64 Figure 2).
  out.set([0x7f, 0x45, 0x4c, 0x46, 2 /* ELFCLASS64 */, 1 /* ELFDATA2LSB */, 1 /* EV_CURRENT */, 0 /* ELFOSABI_SYSV */], 0);
  v.setUint16(16, ET_EXEC, true);
  v.setUint16(18, EM_X86_64, true);
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, BigInt(image.entry), true);
  v.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, EHDR_SIZE, true);
  v.setUint16(54, PHDR_SIZE, true);
  const gnuStack = image.gnuStack ?? true;
  v.setUint16(56, loads.length + (gnuStack ? 1 : 0) + (image.note ? 1 : 0), true); // e_phnum: the loads, PT_GNU_STACK, PT_NOTE
  v.setUint16(58, SHDR_SIZE, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, shstrtabIndex, true); // e_shstrndx

  // Program headers (gABI "Program Header"; ELF-64 Figure 6).
  const phdr = (i: number, type: number, flags: number, offset: number, vaddr: number, filesz: number, memsz: number, align: number): void => {
    const p = EHDR_SIZE + PHDR_SIZE * i;
    v.setUint32(p + 0, type, true);
    v.setUint32(p + 4, flags, true);
    v.setBigUint64(p + 8, BigInt(offset), true);
    v.setBigUint64(p + 16, BigInt(vaddr), true);
    v.setBigUint64(p + 24, BigInt(vaddr), true); // p_paddr
    v.setBigUint64(p + 32, BigInt(filesz), true);
    v.setBigUint64(p + 40, BigInt(memsz), true);
    v.setBigUint64(p + 48, BigInt(align), true);
  };
  loads.forEach((l, i) => phdr(i, PT_LOAD, l.flags, offsets[i]!, l.vaddr, l.bytes.length, l.memSize, PAGE));
  // A stack that is not executable (without this header the kernel may make it so).
  if (gnuStack) phdr(loads.length, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
  // Notes (gABI "Note Section"): the loader finds them through PT_NOTE.
  if (image.note) phdr(loads.length + (gnuStack ? 1 : 0), PT_NOTE, PF_R, fileOffsetOf(image.note.vaddr), image.note.vaddr, image.note.size, image.note.size, 4);

  // Section headers (gABI "Sections"; ELF-64 Figure 3).
  const shdr = (i: number, name: number, type: number, flags: number, addr: number, offset: number, size: number, link: number, info: number, align: number, entsize: number): void => {
    const s = shoff + SHDR_SIZE * i;
    v.setUint32(s + 0, name, true);
    v.setUint32(s + 4, type, true);
    v.setBigUint64(s + 8, BigInt(flags), true);
    v.setBigUint64(s + 16, BigInt(addr), true);
    v.setBigUint64(s + 24, BigInt(offset), true);
    v.setBigUint64(s + 32, BigInt(size), true);
    v.setUint32(s + 40, link, true);
    v.setUint32(s + 44, info, true);
    v.setBigUint64(s + 48, BigInt(align), true);
    v.setBigUint64(s + 56, BigInt(entsize), true);
  };
  image.sections.forEach((s, i) => {
    const flags = SHF_ALLOC | (s.access === "rx" ? SHF_EXECINSTR : 0) | (s.access === "rw" ? SHF_WRITE : 0);
    const type = s.kind === "nobits" ? SHT_NOBITS : s.kind === "note" ? SHT_NOTE : SHT_PROGBITS;
    shdr(i + 1, names[i]!, type, flags, s.addr, fileOffsetOf(s.addr), s.size, 0, 0, s.align, 0);
  });
  tail.forEach((t, i) => {
    const n = image.sections.length + 1 + i;
    shdr(n, names[n - 1]!, t.type, 0, 0, tailOffsets[i]!, t.bytes.length, t.link, t.info, t.align, t.entsize);
  });
  shdr(shstrtabIndex, names[names.length - 1]!, SHT_STRTAB, 0, 0, shstrtabOffset, shstrtab.length, 0, 0, 1, 0);
  return out;
}
