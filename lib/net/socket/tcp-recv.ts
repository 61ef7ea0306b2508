// The receive buffer: a ring holding in-order bytes the application has not
// read, followed by room for the window. Segments that arrive out of order
// are written at their place in that room and remembered as ranges; when
// the gap before them fills, the in-order part grows over them (RFC 9293
// §3.10.7.4, "segment text": ideally queue out-of-order segments). The
// ranges are bounded in number, so a peer cannot make us keep unbounded
// bookkeeping: a segment that would need one more range is dropped, and the
// sender retransmits it.
//
// Memory follows what is held, as the send buffer's does: the ring starts
// empty, grows as data arrives (tcp-buffer-memory.ts), and is let go once
// the application has read everything. When the budget is spent the window
// offered shrinks to what the ring holds, and data beyond it is dropped (the
// sender retransmits it later).

import { copyBytes } from "../wire/bytes";
import { MemoryBudget } from "../../budget";
import { BufferPool } from "../../pool";
import { MIN_BUFFER, grownCapacity, freeBuffer } from "./tcp-buffer-memory";

export const MAX_RANGES: i32 = 32;

const EMPTY = new Uint8Array(0);

export class RecvBuffer {
  private buf: Uint8Array = EMPTY;
  private head: i32 = 0;
  private used: i32 = 0;
  // Out-of-order ranges [starts[i], ends[i]) as offsets past the in-order
  // end (rcv.nxt); sorted, disjoint, not touching.
  private starts: i32[] = [];
  private ends: i32[] = [];

  constructor(readonly limit: i32, private budget: MemoryBudget, private pool: BufferPool) {}

  /** Bytes allocated now. */
  get capacity(): i32 { return this.buf.length; }
  /** In-order bytes waiting for read(). */
  get length(): i32 { return this.used; }
  /**
   * Room after the in-order bytes: the receive window. The whole limit
   * while the budget has room; what the ring holds when it is tight.
   */
  get window(): i32 {
    const cap = this.budget.tight ? max(this.buf.length, min(MIN_BUFFER, this.limit)) : this.limit;
    return max(cap - this.used, 0);
  }

  /**
   * How many of `len` bytes at `offset` past the in-order end can be
   * stored, growing the ring for them as far as the limit and the budget
   * allow; the caller trims the segment to that.
   */
  room(offset: i32, len: i32): i32 {
    const end = this.used + offset + len;
    if (end > this.buf.length) this.realloc(grownCapacity(this.buf.length, end, this.limit, this.budget));
    return max(0, min(len, this.buf.length - this.used - offset));
  }
  /** Out-of-order ranges held. */
  get ranges(): i32 { return this.starts.length; }
  /** True when bytes past the in-order end are held. */
  get hasGaps(): bool { return this.starts.length > 0; }
  /** Where out-of-order range `i` (0 <= i < ranges, lowest first) starts, in bytes past the in-order end. */
  rangeStart(i: i32): i32 { return this.starts[i]; }
  /** Where out-of-order range `i` ends (exclusive), in bytes past the in-order end. */
  rangeEnd(i: i32): i32 { return this.ends[i]; }

  /**
   * Stores `data` at `offset` bytes past the in-order end; the caller has
   * trimmed it to room() (what does not fit is cut off here). Returns how
   * many bytes became in order (0 for a segment after a gap), or -1 when it
   * was dropped for want of a range.
   */
  insert(offset: i32, data: Uint8Array): i32 {
    const fit = this.room(offset, data.length);
    if (fit < data.length) data = data.subarray(0, fit);
    const n = data.length;
    if (n == 0) return 0;
    // The common case, in order with no gap held: straight in, no range bookkeeping.
    if (offset == 0 && this.starts.length == 0) {
      this.copyIn(0, data);
      this.used += n;
      return n;
    }
    const s = offset;
    const e = offset + n;
    // Where the new range goes, and which existing ones it touches.
    let first = 0;
    while (first < this.starts.length && this.ends[first] < s) first++;
    let last = first;
    while (last < this.starts.length && this.starts[last] <= e) last++;
    if (first == last && s != 0 && this.starts.length >= MAX_RANGES) return -1;
    this.copyIn(s, data);
    let ns = s, ne = e;
    if (first < last) {
      ns = min(ns, this.starts[first]);
      ne = max(ne, this.ends[last - 1]);
      this.starts.splice(first, last - first);
      this.ends.splice(first, last - first);
    }
    // Insert at `first` (AssemblyScript's splice does not insert).
    this.starts.push(0);
    this.ends.push(0);
    for (let i = this.starts.length - 1; i > first; i--) {
      this.starts[i] = this.starts[i - 1];
      this.ends[i] = this.ends[i - 1];
    }
    this.starts[first] = ns;
    this.ends[first] = ne;
    if (this.starts[0] != 0) return 0;
    const adv = this.ends[0];
    this.starts.shift();
    this.ends.shift();
    for (let i = 0; i < this.starts.length; i++) {
      this.starts[i] -= adv;
      this.ends[i] -= adv;
    }
    this.used += adv;
    return adv;
  }

  /** Moves up to `len` in-order bytes into `dst` at `off`; returns how many. */
  read(dst: Uint8Array, off: i32, len: i32): i32 {
    const n = min(len, this.used);
    if (n <= 0) return 0;
    const first = min(n, this.buf.length - this.head);
    copyBytes(dst, off, this.buf, this.head, first);
    if (n > first) copyBytes(dst, off + first, this.buf, 0, n - first);
    this.head = (this.head + n) % this.buf.length;
    this.used -= n;
    // Everything read: the memory goes back until more arrives.
    if (this.used == 0 && this.starts.length == 0) this.release();
    return n;
  }

  /** Drops everything, in order or not, and the memory. */
  clear(): void {
    this.used = 0;
    this.starts = [];
    this.ends = [];
    this.release();
  }

  private release(): void {
    this.head = 0;
    freeBuffer(this.buf, this.budget, this.pool);
    this.buf = EMPTY;
  }

  /** Moves the ring into a larger one (the budget charged already), unwrapped from its head. */
  private realloc(cap: i32): void {
    const old = this.buf.length;
    if (cap <= old) return;
    const b = this.pool.alloc(cap);
    // Everything held lies within [head, head + extent): in-order bytes, then out-of-order ranges.
    const extent = this.used + (this.ends.length > 0 ? this.ends[this.ends.length - 1] : 0);
    if (extent > 0) {
      const first = min(extent, old - this.head);
      copyBytes(b, 0, this.buf, this.head, first);
      if (extent > first) copyBytes(b, first, this.buf, 0, extent - first);
    }
    this.pool.give(this.buf);
    this.buf = b;
    this.head = 0;
  }

  private copyIn(offset: i32, data: Uint8Array): void {
    const n = data.length;
    const cap = this.buf.length;
    const pos = (this.head + this.used + offset) % cap;
    const first = min(n, cap - pos);
    copyBytes(this.buf, pos, data, 0, first);
    if (n > first) copyBytes(this.buf, 0, data, first, n - first);
  }
}
