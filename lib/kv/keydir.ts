// The in-memory index: every live key and where its value lies on the
// device. Values stay on disk and are read (and their checksums checked) by
// get; memory grows with the number of keys, not with the data.

/** Where a value lies: in the commit that starts at device sector `sector`. */
export class ValueRef {
  constructor(
    /** Device sector of the commit's first sector. */
    readonly sector: u64,
    /** The commit's sequence number; every sector read for the value must carry it. */
    readonly seq: u64,
    /** Offset of the value in the commit's payload. */
    readonly offset: u64,
    readonly length: u32,
    /** Bytes the record (header, key, value) takes in a snapshot. */
    readonly recordLen: u64,
  ) {}
}

/** Live keys and the bytes a snapshot of them would take. */
export class KeyDir {
  private map: Map<string, ValueRef> = new Map();
  /** Sum of the records' lengths: the payload of a snapshot of this state. */
  liveBytes: u64 = 0;

  get size(): i32 { return this.map.size; }

  has(key: string): bool { return this.map.has(key); }

  /** The value's place, or null when `key` is not live. */
  find(key: string): ValueRef | null {
    return this.map.has(key) ? this.map.get(key) : null;
  }

  put(key: string, ref: ValueRef): void {
    this.remove(key);
    this.map.set(key, ref);
    this.liveBytes += ref.recordLen;
  }

  remove(key: string): void {
    if (!this.map.has(key)) return;
    this.liveBytes -= this.map.get(key).recordLen;
    this.map.delete(key);
  }

  /** The live keys, in no particular order. */
  keys(): string[] { return this.map.keys(); }
}
