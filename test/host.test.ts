// The Node host's own pieces: source map decoding, code ranges, trap reports.
import { describe, expect, it } from "vitest";
import { decodeVlq, WasmSourceMap } from "../tools/host/sourcemap.ts";
import { codeRanges } from "../tools/host/code-ranges.ts";
import { describeTrap } from "../tools/host/trap.ts";

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

describe("trap reports", () => {
  /** (module (memory (export "memory") N) (func (export "f") unreachable)), function 0 named `name` in the name section. */
  function unreachableIn(name: string, pages: number): WebAssembly.Instance {
    const bytes = [...new TextEncoder().encode(name)];
    const names = [0x01, bytes.length + 3, 0x01, 0x00, bytes.length, ...bytes]; // function names: one entry
    const custom = [0x04, ...new TextEncoder().encode("name"), ...names];
    const wasm = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: [] -> []
      0x03, 0x02, 0x01, 0x00, // one function
      0x05, 0x03, 0x01, 0x00, pages, // memory
      0x07, 0x0e, 0x02, 0x01, 0x66, 0x00, 0x00, 0x06, ...new TextEncoder().encode("memory"), 0x02, 0x00, // exports "f", "memory"
      0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // body: unreachable
      0x00, custom.length, ...custom,
    ]);
    return new WebAssembly.Instance(new WebAssembly.Module(wasm));
  }
  /** The report of calling `f`, with linear memory's size as the heap. */
  function report(instance: WebAssembly.Instance): string | null {
    try {
      (instance.exports.f as () => void)();
    } catch (e) {
      return describeTrap(e, null, new Map(), (s) => s, (instance.exports.memory as WebAssembly.Memory).buffer.byteLength);
    }
    throw new Error("f returned");
  }

  it("an unreachable in AssemblyScript's allocator is out of memory, with the heap's size", () => {
    expect(report(unreachableIn("~lib/rt/tlsf/allocateBlock", 3))).toBe(
      "trap: out of memory: the heap is 0.2 MiB (3 pages) and could not grow, in allocateBlock (~lib/rt/tlsf.ts)");
  });

  it("an unreachable anywhere else is reported as it is", () => {
    expect(report(unreachableIn("examples/trap/unikernel/start", 3))).toBe("trap: unreachable executed in start (examples/trap/unikernel.ts)");
  });
});
