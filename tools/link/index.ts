// The linker's public surface.
export { link, LinkError, LAYOUT_SYMBOLS, type Linked, type LinkOptions, type Placement } from "./link.ts";
export type { LinkInput, LinkObject, Relocation, SectionName, SymbolDef } from "./object.ts";
export { PAGE, PF_R, PF_W, PF_X } from "./elf.ts";
