// A growable byte array: where the encoder writes instructions. A number[]
// that grows by push costs a boxed element and a bounds check per byte and
// leaves garbage behind; this doubles one Uint8Array and writes into it.

export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  /** Appends one byte (the low 8 bits of `b`); call reserve() first. */
  put(b: number): void {
    this.bytes[this.length++] = b;
  }

  /** Appends the low `n` (1, 2 or 4) bytes of a 32-bit value, little-endian; call reserve() first. */
  putLE(v: number, n: number): void {
    const out = this.bytes;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      out[at++] = v;
      v >>= 8;
    }
    this.length = at;
  }

  /** The bytes written so far, as a view. */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}
