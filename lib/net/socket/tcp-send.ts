// The send buffer: bytes the application wrote that are not acknowledged
// yet, from snd.una on. Linear with compaction rather than a ring, so any
// segment's payload is one contiguous view and emit copies it once; moving
// the unacknowledged bytes down when the tail is reached costs at most one
// copy per byte sent.
//
// Memory follows what is in flight: the buffer starts empty, grows as
// writes need room (tcp-buffer-memory.ts), and is let go once everything in
// it is acknowledged, so an idle connection holds none. When the budget is
// spent, writes take only what fits and the writer waits for onWritable
// like any writer of a full buffer.

import { copyBytes } from "../wire/bytes";
import { MemoryBudget } from "../../budget";
import { BufferPool } from "../../pool";
import { grownCapacity, freeBuffer } from "./tcp-buffer-memory";

const EMPTY = new Uint8Array(0);

export class SendBuffer {
  private buf: Uint8Array = EMPTY;
  private start: i32 = 0;
  private end: i32 = 0;

  constructor(readonly limit: i32, private budget: MemoryBudget, private pool: BufferPool) {}

  /** Bytes held: unacknowledged plus not yet sent. */
  get length(): i32 { return this.end - this.start; }
  /** Bytes allocated now. */
  get capacity(): i32 { return this.buf.length; }
  /** Room for write() without growing past the limit (the budget may refuse some of it). */
  get free(): i32 { return this.limit - this.length; }

  /** Appends as much of `data[off, off+len)` as fits; returns how much. */
  write(data: Uint8Array, off: i32, len: i32): i32 {
    const want = min(len, this.free);
    if (want <= 0) return 0;
    if (this.end + want > this.buf.length) {
      this.compact();
      if (this.end + want > this.buf.length) this.grow(this.end + want);
    }
    const n = min(want, this.buf.length - this.end);
    if (n <= 0) return 0;
    copyBytes(this.buf, this.end, data, off, n);
    this.end += n;
    return n;
  }

  /** Drops the first `n` bytes (acknowledged); the memory goes back once nothing is left. */
  consume(n: i32): void {
    this.start += min(n, this.length);
    if (this.start == this.end) this.clear();
  }

  /** A view of `len` bytes from `offset` past the first byte held. */
  view(offset: i32, len: i32): Uint8Array {
    return this.buf.subarray(this.start + offset, this.start + offset + len);
  }

  /** Lets go of everything and of the memory. */
  clear(): void {
    this.start = 0;
    this.end = 0;
    freeBuffer(this.buf, this.budget, this.pool);
    this.buf = EMPTY;
  }

  /** Moves what is held into a buffer for at least `need` bytes, or as large as the budget grants. */
  private grow(need: i32): void {
    const cap = grownCapacity(this.buf.length, need, this.limit, this.budget);
    if (cap == this.buf.length) return;
    const b = this.pool.alloc(cap);
    const n = this.length;
    if (n > 0) copyBytes(b, 0, this.buf, this.start, n);
    this.pool.give(this.buf);
    this.buf = b;
    this.start = 0;
    this.end = n;
  }

  private compact(): void {
    const n = this.length;
    if (this.start == 0) return;
    copyBytes(this.buf, 0, this.buf, this.start, n);
    this.start = 0;
    this.end = n;
  }
}
