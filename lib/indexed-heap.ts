// A binary min-heap whose items know their own place in it, so any item can
// be taken out or moved after its key changed in O(log n), not only the
// first. The timers of the event loop (lib/timer.ts) and the parked sockets
// of a socket set (lib/net/socket/socket.ts) are kept in one each.
//
// An item type T provides `heapIndex: i32` (-1 when not in a heap; the heap
// keeps it) and `heapBefore(other: T): bool`, true when it must come out
// before `other`.

/** Items ordered by their heapBefore, each knowing its heapIndex. */
export class IndexedHeap<T> {
  private items: T[] = [];

  /** Items held. */
  get length(): i32 { return this.items.length; }

  /** The item that comes out first; the heap must not be empty. */
  get top(): T { return this.items[0]; }

  /** Adds `t`, which must not be in a heap. */
  push(t: T): void {
    const i = this.items.length;
    this.items.push(t);
    this.place(i, t);
    this.up(i);
  }

  /** Takes `t` out; nothing when it is not in the heap. */
  remove(t: T): void {
    const i = t.heapIndex;
    if (i < 0) return;
    const last = this.items.pop();
    t.heapIndex = -1;
    if (last === t) return;
    this.place(i, last);
    this.fix(i);
  }

  /** Restores the order after `t`'s key changed; `t` must be in the heap. */
  update(t: T): void { this.fix(t.heapIndex); }

  private fix(i: i32): void {
    if (i > 0 && this.items[i].heapBefore(this.items[(i - 1) >> 1])) this.up(i);
    else this.down(i);
  }

  private place(i: i32, t: T): void {
    this.items[i] = t;
    t.heapIndex = i;
  }

  private up(i: i32): void {
    const h = this.items;
    const t = h[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!t.heapBefore(p)) break;
      this.place(i, p);
      i = parent;
    }
    this.place(i, t);
  }

  private down(i: i32): void {
    const h = this.items;
    const n = h.length;
    const t = h[i];
    while (true) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r].heapBefore(h[l]) ? r : l;
      if (!h[c].heapBefore(t)) break;
      this.place(i, h[c]);
      i = c;
    }
    this.place(i, t);
  }
}
