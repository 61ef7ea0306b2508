// Where the memory of a connection's send and receive buffers comes from.
// Both start empty and grow by doubling as data needs them, up to the
// connection's limit; beyond a small minimum every byte is charged to the
// stack's budget first, and buffers of that minimum size are recycled
// through the stack's pool. (tcp-send.ts and tcp-recv.ts move their bytes;
// this file decides how big their arrays may be and where they come from.)

import { MemoryBudget } from "../../budget";
import { BufferPool } from "../../pool";

/** What any connection may hold whatever the budget says, so every one can make progress; buffers of this size are pooled. */
export const MIN_BUFFER: i32 = 4096;

/** Spare MIN_BUFFER buffers shared by every connection of a set, and the pool of connections outside one. */
export function minBufferPool(): BufferPool { return new BufferPool(MIN_BUFFER, 64); }

/**
 * The capacity a buffer of `old` bytes grows to so as to hold `need`:
 * doubling from MIN_BUFFER, at most `limit`, and beyond MIN_BUFFER only as
 * far as `budget` grants (the growth is charged). `old` when nothing more is granted.
 */
export function grownCapacity(old: i32, need: i32, limit: i32, budget: MemoryBudget): i32 {
  let cap = max(old * 2, MIN_BUFFER);
  while (cap < need) cap *= 2;
  return <i32>budget.grow(old, min(cap, limit), MIN_BUFFER);
}

/** Lets a buffer's array go: its bytes back to `budget`, the array to `pool`. */
export function freeBuffer(b: Uint8Array, budget: MemoryBudget, pool: BufferPool): void {
  if (b.length == 0) return;
  pool.give(b);
  budget.release(b.length);
}
