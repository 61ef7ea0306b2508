// Keys: strings stored as UTF-8, 1 to MAX_KEY_BYTES bytes. AssemblyScript
// strings are UTF-16 and may hold unpaired surrogates, which have no UTF-8
// form; such keys are refused rather than silently rewritten, so that a key
// read back is always the key that was written.

import { MAX_KEY_BYTES } from "./layout";

/** A key checked and encoded: `error` is "" when `bytes` holds its UTF-8 form. */
export class KeyBytes {
  constructor(readonly bytes: Uint8Array, readonly error: string) {}
}

/** Checks `key` against the key rules and encodes it. */
export function encodeKey(key: string): KeyBytes {
  const none = new Uint8Array(0);
  if (key.length == 0) return new KeyBytes(none, "the key is empty; keys are 1 to " + MAX_KEY_BYTES.toString() + " bytes of UTF-8");
  const bad = unpairedSurrogate(key);
  if (bad >= 0) return new KeyBytes(none, "the key has an unpaired UTF-16 surrogate at index " + bad.toString() + "; keys must be valid Unicode");
  const n = String.UTF8.byteLength(key);
  if (n > MAX_KEY_BYTES) return new KeyBytes(none, "the key is " + n.toString() + " bytes of UTF-8; the limit is " + MAX_KEY_BYTES.toString());
  return new KeyBytes(Uint8Array.wrap(String.UTF8.encode(key)), "");
}

/** Checks a prefix for list(): any valid Unicode string, including "". */
export function prefixError(prefix: string): string {
  const bad = unpairedSurrogate(prefix);
  return bad < 0 ? "" : "the prefix has an unpaired UTF-16 surrogate at index " + bad.toString();
}

/** The key stored as `b[start..end)`, or null when those bytes are not well-formed UTF-8 of a valid key. */
export function decodeKey(b: Uint8Array, start: i32, end: i32): string | null {
  const n = end - start;
  if (n < 1 || n > MAX_KEY_BYTES) return null;
  const s = String.UTF8.decodeUnsafe(b.dataStart + <usize>start, <usize>n);
  // The decoder is lenient; a round trip shows the bytes were canonical UTF-8.
  if (unpairedSurrogate(s) >= 0 || String.UTF8.byteLength(s) != n) return null;
  const again = Uint8Array.wrap(String.UTF8.encode(s));
  for (let i = 0; i < n; i++) if (again[i] != b[start + i]) return null;
  return s;
}

/** Orders keys by code point, which is the order of their UTF-8 bytes. */
export function compareKeys(a: string, b: string): i32 {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i);
    const cb = b.codePointAt(j);
    if (ca != cb) return ca < cb ? -1 : 1;
    i += ca > 0xFFFF ? 2 : 1;
    j += cb > 0xFFFF ? 2 : 1;
  }
  if (i < a.length) return 1;
  return j < b.length ? -1 : 0;
}

/** Index of the first unpaired surrogate in `s`, or -1. */
function unpairedSurrogate(s: string): i32 {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xD800 || c > 0xDFFF) continue;
    if (c <= 0xDBFF && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) { i++; continue; }
    }
    return i;
  }
  return -1;
}
