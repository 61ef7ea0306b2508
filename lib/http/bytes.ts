// A growable byte buffer for building a response in one allocation, without
// the intermediate strings of concatenation and re-encoding.

/** Appends ASCII text, numbers and bytes; `bytes()` is what was written. */
export class ByteBuilder {
  private buf: Uint8Array;
  private len: i32 = 0;

  constructor(capacity: i32 = 256) { this.buf = new Uint8Array(max<i32>(capacity, 16)); }

  /** Bytes written so far. */
  get length(): i32 { return this.len; }

  private reserve(n: i32): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(max<i32>(this.buf.length * 2, this.len + n));
    memory.copy(bigger.dataStart, this.buf.dataStart, <usize>this.len);
    this.buf = bigger;
  }

  /** Appends `s`: ASCII byte by byte, anything else as UTF-8. */
  text(s: string): ByteBuilder {
    const n = s.length;
    this.reserve(n);
    const p = this.buf.dataStart + <usize>this.len;
    const src = changetype<usize>(s);
    for (let i = 0; i < n; i++) {
      const c = load<u16>(src + (<usize>i << 1));
      if (c >= 0x80) return this.utf8(s);
      store<u8>(p + <usize>i, <u8>c);
    }
    this.len += n;
    return this;
  }

  private utf8(s: string): ByteBuilder {
    const b = String.UTF8.encode(s);
    this.reserve(b.byteLength);
    memory.copy(this.buf.dataStart + <usize>this.len, changetype<usize>(b), <usize>b.byteLength);
    this.len += b.byteLength;
    return this;
  }

  /** Appends a non-negative decimal number. */
  int(v: i64): ByteBuilder {
    if (v < 10) {
      this.reserve(1);
      this.buf[this.len++] = <u8>(48 + v);
      return this;
    }
    return this.text(v.toString());
  }

  /** Appends `len` bytes of `b` from `off`. */
  bytes(b: Uint8Array, off: i32 = 0, len: i32 = -1): ByteBuilder {
    if (len < 0) len = b.length - off;
    this.reserve(len);
    memory.copy(this.buf.dataStart + <usize>this.len, b.dataStart + <usize>off, <usize>len);
    this.len += len;
    return this;
  }

  /** The bytes written (a view of the buffer; do not keep writing after taking it). */
  finish(): Uint8Array { return this.buf.subarray(0, this.len); }

  /** The buffer itself; its first `length` bytes are what was written. */
  get raw(): Uint8Array { return this.buf; }

  /** Bytes it can hold without growing. */
  get capacity(): i32 { return this.buf.length; }

  /** Empties it for reuse, with room for at least `capacity` bytes. */
  reset(capacity: i32): ByteBuilder {
    this.len = 0;
    if (this.buf.length < capacity) this.buf = new Uint8Array(capacity);
    return this;
  }
}
