// A memory budget: bytes that buffers reserve against a limit before they
// allocate, so a flood of connections or a slow peer fills the budget, not
// the heap. It counts what its owners tell it; it does not allocate.

/** Bytes reserved against a limit. */
export class MemoryBudget {
  /** Bytes reserved now. */
  used: i64 = 0;
  /** The most ever reserved at once. */
  peak: i64 = 0;
  /** Reservations refused for want of room. */
  refused: i64 = 0;

  /** `limit` bytes; i64.MAX_VALUE for no limit. */
  constructor(public limit: i64) {}

  /** Bytes still free. */
  get available(): i64 { return max<i64>(this.limit - this.used, 0); }

  /** True when more than three quarters are reserved: time to give back what can be spared. */
  get tight(): bool { return this.used > this.limit - (this.limit >> 2); }

  /** Reserves `n` bytes; false (and nothing reserved) when they do not fit. */
  reserve(n: i64): bool {
    if (n > this.limit - this.used) {
      this.refused++;
      return false;
    }
    this.take(n);
    return true;
  }

  /**
   * Grows a holding of `old` bytes towards `want`: up to `floor` whatever
   * the budget says (the minimum every owner is promised, bounded by how
   * many owners there may be), beyond it as far as the budget has room.
   * Charges the growth and returns the new size, never below `old`.
   */
  grow(old: i64, want: i64, floor: i64): i64 {
    if (want <= old) return old;
    const sure = min(want, max(old, floor));
    this.take(sure - old);
    let size = sure;
    if (want > sure) {
      size += min(want - sure, this.available);
      if (size < want) this.refused++;
      this.take(size - sure);
    }
    return size;
  }

  /** Gives back `n` bytes reserved earlier. */
  release(n: i64): void {
    this.used -= n;
    assert(this.used >= 0, "memory budget released more than was reserved");
  }

  private take(n: i64): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
  }
}

/** A budget without a limit, for owners that were given none. */
export function unlimitedBudget(): MemoryBudget { return new MemoryBudget(i64.MAX_VALUE); }
