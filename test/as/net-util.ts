// Helpers shared by the lib/net AssemblyScript tests.

/** A Uint8Array holding `a`. */
export function bytes(a: u8[]): Uint8Array {
  const b = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) b[i] = a[i];
  return b;
}

/** The ASCII bytes of `s`. */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = <u8>s.charCodeAt(i);
  return b;
}

/** "0a 00 00 01 ..." for failure messages. */
export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    if (i > 0) s += " ";
    if (b[i] < 16) s += "0";
    s += b[i].toString(16);
  }
  return s;
}

/** True when `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/** Asserts equal bytes, showing both when they differ. */
export function assertBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (!sameBytes(got, want)) assert(false, what + ": got [" + hex(got) + "], want [" + hex(want) + "]");
}

/** A small deterministic PRNG (xorshift32), so failures reproduce. */
export class Rng {
  constructor(private state: u32 = 0x9E3779B9) {}
  next(): u32 {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x;
  }
  /** 0 <= n < bound. */
  below(bound: i32): i32 { return bound <= 0 ? 0 : <i32>(this.next() % <u32>bound); }
  fill(b: Uint8Array): void { for (let i = 0; i < b.length; i++) b[i] = <u8>this.next(); }
  /** A copy of `b` with a few bytes changed and maybe cut short. */
  mutate(b: Uint8Array): Uint8Array {
    let len = b.length;
    if (this.below(4) == 0) len = this.below(len + 1);
    const out = b.slice(0, len);
    const n = 1 + this.below(4);
    for (let i = 0; i < n && len > 0; i++) out[this.below(len)] = <u8>this.next();
    return out;
  }
}
