// A minimal static x86-64 Linux executable, written by hand so tests can run
// assembled code: the ELF header, one PT_LOAD program header mapping the
// whole file read+execute at 0x400000, and the code right after the headers.
// No sections, no dynamic linking (System V gABI, "ELF Header" and
// "Program Header"; the x86-64 psABI for EM_X86_64).

export const LOAD_ADDRESS = 0x40_0000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
/** Where the code starts, in the file and after LOAD_ADDRESS in memory: after the headers, 64-byte aligned. */
export const CODE_OFFSET = 128;

/** An executable whose entry point is the first byte of `code`. */
export function staticElf(code: Uint8Array): Uint8Array {
  const file = new Uint8Array(CODE_OFFSET + code.length);
  const v = new DataView(file.buffer);
  const total = BigInt(file.length);
  // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV, padding.
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 2, true); // e_type: ET_EXEC
  v.setUint16(18, 62, true); // e_machine: EM_X86_64
  v.setUint32(20, 1, true); // e_version
  v.setBigUint64(24, BigInt(LOAD_ADDRESS + CODE_OFFSET), true); // e_entry
  v.setBigUint64(32, BigInt(EHDR_SIZE), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff: no sections
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, EHDR_SIZE, true); // e_ehsize
  v.setUint16(54, PHDR_SIZE, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, 0, true); // e_shnum
  v.setUint16(62, 0, true); // e_shstrndx
  const ph = EHDR_SIZE;
  v.setUint32(ph, 1, true); // p_type: PT_LOAD
  v.setUint32(ph + 4, 5, true); // p_flags: PF_R | PF_X
  v.setBigUint64(ph + 8, 0n, true); // p_offset
  v.setBigUint64(ph + 16, BigInt(LOAD_ADDRESS), true); // p_vaddr
  v.setBigUint64(ph + 24, BigInt(LOAD_ADDRESS), true); // p_paddr
  v.setBigUint64(ph + 32, total, true); // p_filesz
  v.setBigUint64(ph + 40, total, true); // p_memsz
  v.setBigUint64(ph + 48, 0x1000n, true); // p_align
  file.set(code, CODE_OFFSET);
  return file;
}
