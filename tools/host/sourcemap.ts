// Just enough of Source Map v3 to map a wasm code offset to a source line:
// for wasm, each mapping's generated column is the byte offset in the module
// (line 0), so a lookup is a search over the decoded segments.

/** A source position. */
export interface SourcePos {
  source: string;
  line: number;
  column: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** A decoded source map of a wasm module. */
export class WasmSourceMap {
  private offsets: number[] = [];
  private positions: SourcePos[] = [];

  constructor(json: string) {
    const map = JSON.parse(json) as { sources: string[]; mappings: string };
    let offset = 0, src = 0, line = 0, col = 0;
    for (const seg of map.mappings.split(/[,;]/)) {
      if (seg.length === 0) continue;
      const f = decodeVlq(seg);
      offset += f[0] ?? 0;
      if (f.length < 4) continue;
      src += f[1]!;
      line += f[2]!;
      col += f[3]!;
      this.offsets.push(offset);
      this.positions.push({ source: map.sources[src] ?? "?", line: line + 1, column: col + 1 });
    }
  }

  /**
   * The position of the last mapping at or before `offset` within [floor, ceiling);
   * failing that (a fault at a function's entry, before its first mapping) the
   * first mapping in the range; null when the range has none.
   */
  lookup(offset: number, floor = 0, ceiling = Infinity): SourcePos | null {
    let lo = 0, hi = this.offsets.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! <= offset) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best >= 0 && this.offsets[best]! >= floor) return this.positions[best]!;
    const next = best + 1;
    return next < this.offsets.length && this.offsets[next]! >= floor && this.offsets[next]! < ceiling ? this.positions[next]! : null;
  }
}

/** Decodes one segment of base64 VLQ numbers. */
export function decodeVlq(seg: string): number[] {
  const out: number[] = [];
  let value = 0, shift = 0;
  for (const ch of seg) {
    const digit = B64.indexOf(ch);
    if (digit < 0) throw new Error(`bad base64 VLQ character '${ch}'`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) { shift += 5; continue; }
    out.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return out;
}
