// The byte range of each function body in a wasm module, read from the code
// section alone. A trap report uses it to accept only source mappings that
// lie inside the trapping function: a fault at a function's first
// instruction would otherwise borrow the previous function's last line.

/** [start, end) offsets of each defined function's body, by function index. */
export function codeRanges(wasm: Uint8Array): Map<number, [number, number]> {
  const ranges = new Map<number, [number, number]>();
  let pos = 8;
  const u32 = (): number => {
    let result = 0, shift = 0, b: number;
    do {
      b = wasm[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80 && pos < wasm.length);
    return result;
  };
  let imported = 0;
  while (pos < wasm.length) {
    const id = wasm[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 2) {
      // import section: count function imports, which come first in the index space
      const n = u32();
      for (let i = 0; i < n; i++) {
        const moduleLen = u32(); // (`pos += u32()` would read pos before u32 moves it)
        pos += moduleLen;
        const fieldLen = u32();
        pos += fieldLen;
        const kind = wasm[pos++]!;
        if (kind === 0) { u32(); imported++; }
        else if (kind === 1) { pos++; const f = u32(); u32(); if (f & 1) u32(); }
        else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); }
        else if (kind === 3) { pos += 2; }
      }
    } else if (id === 10) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const bodySize = u32();
        ranges.set(imported + i, [pos, pos + bodySize]);
        pos += bodySize;
      }
    }
    pos = end;
  }
  return ranges;
}
