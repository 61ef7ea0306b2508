// The send buffer: bytes the application wrote that are not acknowledged
// yet, from snd.una on. Linear with compaction rather than a ring, so any
// segment's payload is one contiguous view and emit copies it once; moving
// the unacknowledged bytes down when the tail is reached costs at most one
// copy per byte sent.

import { copyBytes } from "../wire/bytes";

export class SendBuffer {
  private buf: Uint8Array;
  private start: i32 = 0;
  private end: i32 = 0;

  constructor(readonly capacity: i32) {
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes held: unacknowledged plus not yet sent. */
  get length(): i32 { return this.end - this.start; }
  /** Room for write(). */
  get free(): i32 { return this.capacity - this.length; }

  /** Appends as much of `data[off, off+len)` as fits; returns how much. */
  write(data: Uint8Array, off: i32, len: i32): i32 {
    const n = min(len, this.free);
    if (n <= 0) return 0;
    if (this.end + n > this.capacity) this.compact();
    copyBytes(this.buf, this.end, data, off, n);
    this.end += n;
    return n;
  }

  /** Drops the first `n` bytes (acknowledged). */
  consume(n: i32): void {
    this.start += min(n, this.length);
    if (this.start == this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  /** A view of `len` bytes from `offset` past the first byte held. */
  view(offset: i32, len: i32): Uint8Array {
    return this.buf.subarray(this.start + offset, this.start + offset + len);
  }

  private compact(): void {
    const n = this.length;
    if (this.start == 0) return;
    copyBytes(this.buf, 0, this.buf, this.start, n);
    this.start = 0;
    this.end = n;
  }
}
