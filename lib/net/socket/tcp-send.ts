// The send buffer: bytes the application wrote that are not acknowledged
// yet, from snd.una on. Linear with compaction rather than a ring, so any
// segment's payload is one contiguous view and emit copies it once; moving
// the unacknowledged bytes down when the tail is reached costs at most one
// copy per byte sent.
//
// Memory follows what is in flight: the buffer starts empty, grows (by
// doubling, up to `limit`) as writes need room, and is let go once
// everything in it is acknowledged, so an idle connection holds none. What
// it holds beyond a small minimum is reserved from the stack's budget first;
// when the budget is spent, writes take only what fits and the writer waits
// for onWritable like any writer of a full buffer.

import { copyBytes } from "../wire/bytes";
import { MemoryBudget } from "../../budget";

/** What any connection may hold whatever the budget says, so every one can make progress. */
export const MIN_BUFFER: i32 = 4096;

export class SendBuffer {
  private buf: Uint8Array = new Uint8Array(0);
  private start: i32 = 0;
  private end: i32 = 0;

  constructor(readonly limit: i32, private budget: MemoryBudget) {}

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
    this.resize(0);
  }

  /** Grows towards `need` bytes: doubling, within the limit, as far as the budget grants beyond MIN_BUFFER. */
  private grow(need: i32): void {
    let cap = max(this.buf.length * 2, MIN_BUFFER);
    while (cap < need) cap *= 2;
    const old = this.buf.length;
    this.realloc(<i32>this.budget.grow(old, min(cap, this.limit), MIN_BUFFER), old);
  }

  /** Reallocates to `cap` bytes (0: none), keeping what is held. */
  private resize(cap: i32): void {
    const old = this.buf.length;
    if (cap >= old) return;
    this.realloc(cap, old);
    this.budget.release(old - cap);
  }

  private realloc(cap: i32, old: i32): void {
    if (cap == old) return;
    const b = new Uint8Array(cap);
    const n = this.length;
    if (n > 0) copyBytes(b, 0, this.buf, this.start, n);
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
