// The little of the wasm binary format the instrumenter writes: LEB128 and
// the section list (tools/wasm decodes, it does not encode).

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** An unsigned LEB128 at `at`: its value and the offset after it. */
export function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new Error("wasm binary: LEB128 runs past the end");
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: at };
  }
}

export function utf8Name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

export interface Section {
  id: number;
  /** Offset of the section's id byte. */
  header: number;
  /** Offset of the payload (after the id and size) in the module. */
  start: number;
  end: number;
}

/** The sections of a module, in order. */
export function sections(bytes: Uint8Array): Section[] {
  const out: Section[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readUleb(bytes, at + 1);
    out.push({ id, header: at, start: size.next, end: size.next + size.value });
    at = size.next + size.value;
  }
  return out;
}

/** A section as bytes: id, size, payload. */
export function encodeSection(id: number, payload: readonly number[] | Uint8Array): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export const SECTION = { type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12 } as const;
