// tools/link: symbol resolution errors, relocation arithmetic, and an
// executable that `file` and `readelf` accept as static, ET_EXEC, with no
// segment both writable and executable.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { link, LinkError, PF_W, PF_X, type LinkObject } from "../../tools/link/index.ts";
import { buildFake } from "./fake-module.ts";

/** A small object: `sym` → section offset, relocations as given. */
function obj(parts: Partial<LinkObject>): LinkObject {
  return {
    text: new Uint8Array(16).fill(0x90),
    rodata: new Uint8Array(0),
    data: new Uint8Array(0),
    bssSize: 0,
    symbols: new Map(),
    relocs: [],
    undefined: [],
    ...parts,
  };
}

describe("tools/link", () => {
  it("names every undefined symbol and who needs it", () => {
    const a = obj({
      symbols: new Map([["_start", { section: "text", offset: 0 }]]),
      relocs: [{ section: "text", offset: 1, symbol: "import:atoll.nope", kind: "rel32", addend: -4 }],
      undefined: ["import:atoll.also_missing"],
    });
    expect(() => link([{ name: "app.wasm", object: a }], { entry: "_start" })).toThrow(LinkError);
    expect(() => link([{ name: "app.wasm", object: a }], { entry: "_start" })).toThrow(
      /undefined symbols:\n {2}import:atoll.also_missing \(needed by app.wasm\)\n {2}import:atoll.nope \(needed by app.wasm\)/,
    );
  });

  it("names both definitions of a duplicated symbol", () => {
    const a = obj({ symbols: new Map([["_start", { section: "text", offset: 0 }], ["x", { section: "text", offset: 4 }]]) });
    const b = obj({ symbols: new Map([["x", { section: "text", offset: 8 }]]) });
    expect(() => link([{ name: "one", object: a }, { name: "two", object: b }], { entry: "_start" })).toThrow(
      "symbol x is defined twice: in one (text+0x4) and in two (text+0x8)",
    );
  });

  it("requires the entry point", () => {
    expect(() => link([{ name: "one", object: obj({}) }], { entry: "_start" })).toThrow(/_start \(needed by the entry point\)/);
  });

  it("rejects a relocation outside its section", () => {
    const a = obj({ symbols: new Map([["_start", { section: "text", offset: 0 }]]), relocs: [{ section: "text", offset: 14, symbol: "_start", kind: "rel32", addend: 0 }] });
    expect(() => link([{ name: "one", object: a }], { entry: "_start" })).toThrow(/outside its section/);
  });

  it("patches rel32 as S + A - P and abs64 as S + A, across objects and sections", () => {
    const a = obj({
      symbols: new Map([["_start", { section: "text", offset: 0 }]]),
      relocs: [{ section: "text", offset: 4, symbol: "table", kind: "rel32", addend: -4 }],
    });
    const b = obj({
      rodata: new Uint8Array(16),
      data: new Uint8Array(8),
      bssSize: 32,
      symbols: new Map([["table", { section: "rodata", offset: 8 }], ["counter", { section: "bss", offset: 16 }], ["f", { section: "text", offset: 2 }]]),
      relocs: [
        { section: "rodata", offset: 0, symbol: "f", kind: "abs64", addend: 3 },
        { section: "data", offset: 0, symbol: "counter", kind: "abs64", addend: -16 },
      ],
    });
    const out = link([{ name: "a", object: a }, { name: "b", object: b }], { entry: "_start" });
    const s = (n: string): number => out.symbols.get(n)!;
    const view = new DataView(out.image.buffer);
    // Segments sit in the file at their address minus the base, page for page.
    const fileAt = (addr: number): number => addr - 0x400000;
    expect(view.getInt32(fileAt(s("_start") + 4), true)).toBe(s("table") - 4 - (s("_start") + 4));
    const bRodata = out.placements[1]!.rodata;
    expect(Number(view.getBigUint64(fileAt(bRodata), true))).toBe(s("f") + 3);
    expect(Number(view.getBigUint64(fileAt(out.placements[1]!.data), true))).toBe(out.placements[1]!.bss);
    // Three segments on distinct pages; text is R+X, data R+W, nothing both.
    expect(out.segments.map((g) => g.name)).toEqual(["rodata", "text", "data"]);
    for (const g of out.segments) {
      expect(g.start % 0x1000).toBe(0);
      expect((g.flags & PF_W) !== 0 && (g.flags & PF_X) !== 0).toBe(false);
    }
    expect(s("counter")).toBe(out.placements[1]!.bss + 16);
  });

  it("writes symbolNames into .symtab in place of link names, and ignores names of symbols nobody defines", () => {
    const a = obj({
      symbols: new Map([["_start", { section: "text", offset: 0, size: 4 }], ["wasm:func:3", { section: "text", offset: 4, size: 12 }]]),
      relocs: [{ section: "text", offset: 0, symbol: "wasm:func:3", kind: "rel32", addend: -4 }],
    });
    const symbolNames = new Map([["wasm:func:3", "~lib/typedarray/Float64Array#__get"], ["wasm:func:9", "inlined away"]]);
    const out = link([{ name: "a", object: a }], { entry: "_start", symbolNames });
    expect(out.symbols.get("wasm:func:3")).toBe(out.placements[0]!.text + 4); // linking still goes by link names
    const dir = mkdtempSync(path.join(tmpdir(), "atoll-link-names-"));
    try {
      const exe = path.join(dir, "a.out");
      writeFileSync(exe, out.image);
      const syms = execFileSync("readelf", ["-sW", exe], { encoding: "utf8" });
      expect(syms).toMatch(/\s12 FUNC\s+GLOBAL\s+DEFAULT\s+\d+ ~lib\/typedarray\/Float64Array#__get$/m);
      expect(syms).not.toContain("wasm:func:3");
      expect(syms).not.toContain("inlined away");
      expect(syms).toMatch(/ _start$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the linked executable", () => {
  const exe = buildFake();
  afterAll(() => rmSync(path.dirname(exe), { recursive: true, force: true }));

  it("is a static x86-64 ELF executable", () => {
    const kind = execFileSync("file", ["-b", exe], { encoding: "utf8" });
    expect(kind).toMatch(/^ELF 64-bit LSB executable, x86-64/);
    expect(kind).toContain("statically linked");
    const header = execFileSync("readelf", ["-hW", exe], { encoding: "utf8" });
    expect(header).toMatch(/Type:\s+EXEC/);
  });

  it("has R, R+X and R+W load segments, no W+X, and a non-executable stack", () => {
    const ph = execFileSync("readelf", ["-lW", exe], { encoding: "utf8" });
    const loads = [...ph.matchAll(/^\s+LOAD\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+(R?\s?W?\s?E?)\s+0x1000$/gm)].map((m) => m[1]!.replace(/\s/g, ""));
    expect(loads).toEqual(["R", "RE", "RW"]);
    expect(ph).toMatch(/GNU_STACK\s+.*\sRW\s/);
    expect(ph).not.toContain("INTERP");
    expect(ph).not.toContain("DYNAMIC");
  });

  it("names the functions for objdump", () => {
    const dis = execFileSync("objdump", ["-d", exe], { encoding: "utf8" });
    expect(dis).toContain("<_start>:");
    expect(dis).toContain("<import:atoll.console_write>:");
    expect(dis).toContain("<wasm:export:atoll_run>:");
  });

  it("runs", () => {
    const r = spawnSync(exe, ["hello"], { encoding: "utf8" });
    expect(r.stdout).toBe("hello from a hand-made module\n");
    expect(r.status).toBe(0);
  });
});
