// tools/link's options for PVH images: the Xen note in a PT_NOTE, physical
// load addresses, no PT_GNU_STACK, the layout symbols; and that they change
// nothing when not asked for.
import { describe, expect, it } from "vitest";
import { link, LinkError, LAYOUT_SYMBOLS, type LinkObject } from "../../tools/link/index.ts";

function obj(parts: Partial<LinkObject>): LinkObject {
  return { text: new Uint8Array(32).fill(0x90), rodata: new Uint8Array(8), data: new Uint8Array(8), bssSize: 0x3000, symbols: new Map(), relocs: [], undefined: [], ...parts };
}

/** Program headers of an ELF64 image: [type, offset, vaddr, paddr, filesz]. */
function phdrs(image: Uint8Array): number[][] {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const n = v.getUint16(56, true);
  return Array.from({ length: n }, (_, i) => {
    const p = 64 + 56 * i;
    return [v.getUint32(p, true), Number(v.getBigUint64(p + 8, true)), Number(v.getBigUint64(p + 16, true)), Number(v.getBigUint64(p + 24, true)), Number(v.getBigUint64(p + 32, true))];
  });
}

const PT_LOAD = 1, PT_NOTE = 4, PT_GNU_STACK = 0x6474e551;

describe("tools/link: PVH images", () => {
  const runtime = obj({
    symbols: new Map([["_start", { section: "text", offset: 0 }], ["entry32", { section: "text", offset: 16 }]]),
    relocs: [{ section: "data", offset: 0, symbol: "atoll_link:image_end", kind: "abs64", addend: 0 }],
    undefined: [...LAYOUT_SYMBOLS],
  });

  it("puts the Xen PHYS32_ENTRY note in a PT_NOTE, loads at the base as physical addresses, and leaves PT_GNU_STACK out", () => {
    const { image, symbols } = link([{ name: "rt", object: runtime }], { entry: "_start", pvhEntry: "entry32", base: 0x100000, gnuStack: false, layoutSymbols: true });
    const ph = phdrs(image);
    expect(ph.map((p) => p[0])).toEqual([PT_LOAD, PT_LOAD, PT_LOAD, PT_NOTE]);
    for (const p of ph.filter((q) => q[0] === PT_LOAD)) expect(p[3]).toBe(p[2]); // paddr = vaddr
    expect(ph[0]![2]).toBe(0x100000);
    const note = ph[3]!;
    const v = new DataView(image.buffer, image.byteOffset + note[1]!, note[4]!);
    expect(note[4]).toBe(24);
    expect([v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)]).toEqual([4, 8, 18]);
    expect(new TextDecoder().decode(image.subarray(note[1]! + 12, note[1]! + 16))).toBe("Xen\0");
    expect(Number(v.getBigUint64(16, true))).toBe(symbols.get("entry32"));
    expect(new TextDecoder("latin1").decode(image)).not.toContain(".note.gnu.property");
  });

  it("defines the layout symbols at page-aligned segment starts and the end of bss", () => {
    const { symbols, segments } = link([{ name: "rt", object: runtime }], { entry: "_start", base: 0x100000, layoutSymbols: true });
    expect(symbols.get("atoll_link:image_start")).toBe(0x100000);
    expect(symbols.get("atoll_link:text_start")).toBe(segments[1]!.start);
    expect(symbols.get("atoll_link:data_start")).toBe(segments[2]!.start);
    expect(symbols.get("atoll_link:image_end")).toBe(Math.ceil(segments[2]!.end / 0x1000) * 0x1000);
  });

  it("refuses an undefined PVH entry and layout symbols without the option", () => {
    expect(() => link([{ name: "rt", object: runtime }], { entry: "_start", pvhEntry: "nowhere", layoutSymbols: true })).toThrow(/nowhere \(needed by the PVH note\)/);
    expect(() => link([{ name: "rt", object: runtime }], { entry: "_start" })).toThrow(LinkError);
  });

  it("without the options, the headers are the unix target's: three loads and PT_GNU_STACK", () => {
    const plain = obj({ symbols: new Map([["_start", { section: "text", offset: 0 }]]) });
    const ph = phdrs(link([{ name: "app", object: plain }], { entry: "_start" }).image);
    expect(ph.map((p) => p[0])).toEqual([PT_LOAD, PT_LOAD, PT_LOAD, PT_GNU_STACK]);
  });
});
