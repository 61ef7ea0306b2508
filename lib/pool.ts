// A few buffers of one size kept for reuse. Connections take a buffer when
// a request arrives and give it back when they fall idle; allocating (and
// zeroing) a fresh one each time cost a fifth of a small HTTP request's
// time. What a pooled buffer held before is never read: its owners write
// every byte before they read it back.

/** Up to `max` spare Uint8Arrays of `size` bytes. */
export class BufferPool {
  private spare: Uint8Array[] = [];

  constructor(readonly size: i32, readonly max: i32) {}

  /** Buffers waiting for reuse. */
  get count(): i32 { return this.spare.length; }

  /** A buffer of `size` bytes: a spare one, else a new one. */
  take(): Uint8Array {
    return this.spare.length > 0 ? this.spare.pop() : new Uint8Array(this.size);
  }

  /** A buffer of `n` bytes: the pool's when `n` is its size, else a new one. */
  alloc(n: i32): Uint8Array {
    return n == this.size ? this.take() : new Uint8Array(n);
  }

  /** Keeps `b` for reuse when it is a whole buffer of the pool's size and there is room; otherwise it is left to the collector. */
  give(b: Uint8Array): void {
    if (b.length == this.size && b.byteOffset == 0 && b.byteLength == b.buffer.byteLength && this.spare.length < this.max) this.spare.push(b);
  }
}
