// The heap as the unikernel can see it. Linear memory only grows (wasm has
// no way to give pages back), so its size is the high-water mark of what
// the allocator needed; what is in use now is what a full collection leaves
// allocated, counted by walking the allocator's blocks.
//
// The walk reads AssemblyScript's TLSF allocator (node_modules/
// assemblyscript/std/assembly/rt/tlsf.ts) from outside: its root sits at
// ROOT, the first block right after the root's lists, and every block starts
// with one word of size and tags. The constants below are tlsf.ts's;
// test/as/heap.test-as.ts checks the walk against real allocations, so an
// AssemblyScript upgrade that moves them fails there, not in production.

import { ROOT } from "rt/tlsf";

/** Bytes of linear memory now: static data, the shadow stack and the heap together. */
export function heapBytes(): i64 { return <i64>memory.size() << 16; }

// tlsf.ts's layout on wasm32: AL_BITS 4, SL_BITS 4, so FL_BITS 23; the
// root holds flMap, 23 second-level maps and 23 x 16 list heads, then the tail pointer.
const AL_MASK: usize = 15;
const BLOCK_OVERHEAD: usize = 4;
const FREE: usize = 1;
const TAGS_MASK: usize = 3;
const ROOT_SIZE: usize = 96 + 23 * 16 * 4 + 4;

/**
 * Bytes of the heap in use after a full collection: what live objects
 * hold, with the allocator's per-block overhead. Unlike heapBytes it goes
 * down when memory is let go. A full collection costs time in proportion to
 * what is live: for a stats page, not for every request.
 */
export function heapUsedBytes(): i64 {
  __collect();
  // The allocator sets its root up on the first allocation: none yet, nothing in use.
  const root = changetype<usize>(ROOT);
  if (root == 0) return 0;
  const end = <usize>memory.size() << 16;
  let block = ((root + ROOT_SIZE + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
  let used: i64 = 0;
  while (block + BLOCK_OVERHEAD <= end) {
    const info = load<usize>(block);
    const size = info & ~TAGS_MASK;
    // The tail: a block of size 0 closes the heap.
    if (size == 0) break;
    if ((info & FREE) == 0) used += <i64>(size + BLOCK_OVERHEAD);
    block += BLOCK_OVERHEAD + size;
  }
  return used;
}
