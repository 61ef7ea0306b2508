// Byte classes of HTTP/1.1's grammar (RFC 9110 section 5.6.2 tokens,
// section 5.5 field values; RFC 9112 section 3.2 request targets), as one
// table of flags so the parser tests a byte with a load and a mask.

/** A tchar: may appear in a method or a field name. */
export const TCHAR: u8 = 1;
/** May appear in a field value: VCHAR, obs-text, SP and HTAB. */
export const FIELD: u8 = 2;
/** May appear in a request-target: visible ASCII. */
export const TARGET: u8 = 4;

const TCHAR_PUNCT = "!#$%&'*+-.^_`|~";

function buildClasses(): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    let f: u8 = 0;
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (alnum || (c < 128 && TCHAR_PUNCT.indexOf(String.fromCharCode(c)) >= 0)) f |= TCHAR;
    if ((c >= 0x21 && c <= 0x7E) || c >= 0x80 || c == 0x20 || c == 0x09) f |= FIELD;
    if (c >= 0x21 && c <= 0x7E) f |= TARGET;
    t[c] = f;
  }
  return t;
}

/** Flags of each byte value. */
export const CLASSES: Uint8Array = buildClasses();

/** True when every byte of buf[from..to) has `flag` (and there is at least one when `nonEmpty`). */
export function allOf(buf: Uint8Array, from: i32, to: i32, flag: u8, nonEmpty: bool = true): bool {
  if (nonEmpty && to <= from) return false;
  const p = buf.dataStart;
  for (let i = from; i < to; i++) if ((unchecked(CLASSES[load<u8>(p + <usize>i)]) & flag) == 0) return false;
  return true;
}

/** buf[from..to) as a string (field values may hold obs-text; UTF-8 decoding keeps ASCII exact). */
export function text(buf: Uint8Array, from: i32, to: i32): string {
  return String.UTF8.decodeUnsafe(buf.dataStart + <usize>from, <usize>(to - from));
}
