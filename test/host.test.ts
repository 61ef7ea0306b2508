// The Node host's own pieces: source map decoding and code ranges.
import { describe, expect, it } from "vitest";
import { decodeVlq, WasmSourceMap } from "../tools/host/sourcemap.ts";
import { codeRanges } from "../tools/host/code-ranges.ts";

describe("source maps", () => {
  it("decodes base64 VLQ, including negative and multi-digit values", () => {
    expect(decodeVlq("AAAA")).toEqual([0, 0, 0, 0]);
    expect(decodeVlq("AACD")).toEqual([0, 0, 1, -1]);
    expect(decodeVlq("gBAAA")).toEqual([16, 0, 0, 0]);
    expect(decodeVlq("2HAAA")).toEqual([123, 0, 0, 0]);
    expect(() => decodeVlq("A*")).toThrow(/bad base64/);
  });

  it("finds the last mapping at or before an offset, within a function's range", () => {
    // offsets 10, 20, 30 → lines 1, 2, 3 of a.ts
    const map = new WasmSourceMap(JSON.stringify({ version: 3, sources: ["a.ts"], mappings: "UAAA,UACA,UACA" }));
    expect(map.lookup(25)?.line).toBe(2);
    expect(map.lookup(30)?.line).toBe(3);
    expect(map.lookup(5, 0, 8)).toBeNull(); // no mapping in [0, 8)
    // a fault at 21 in a function spanning [21, 40) takes the function's first mapping
    expect(map.lookup(21, 21, 40)?.line).toBe(3);
    expect(map.lookup(21, 31, 40)).toBeNull();
  });
});

describe("code ranges", () => {
  it("numbers bodies after the imported functions", () => {
    // (module (import "a" "b" (func)) (memory 1) (func) (func nop))
    const wasm = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: [] -> []
      0x02, 0x07, 0x01, 0x01, 0x61, 0x01, 0x62, 0x00, 0x00, // import a.b func type 0
      0x03, 0x03, 0x02, 0x00, 0x00, // two functions of type 0
      0x05, 0x03, 0x01, 0x00, 0x01, // memory 1
      0x0a, 0x08, 0x02, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x01, 0x0b, // code: (end) (nop end)
    ]);
    expect(() => new WebAssembly.Module(wasm)).not.toThrow();
    const r = codeRanges(wasm);
    expect([...r.keys()]).toEqual([1, 2]);
    expect(r.get(1)).toEqual([37, 39]);
    expect(r.get(2)).toEqual([40, 43]);
  });
});
