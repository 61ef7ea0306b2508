// lib/heap.ts: the block walk over AssemblyScript's allocator agrees with
// what the test allocates and lets go (this is what breaks first if an
// AssemblyScript upgrade moves the allocator's layout).
import { heapBytes, heapUsedBytes } from "atoll/heap";

let keep: Uint8Array[] = [];

export function test_used_bytes_follow_allocations_and_collections(): void {
  assert(heapUsedBytes() == 0, "nothing allocated yet, nothing in use");
  keep.push(new Uint8Array(100));
  const base = heapUsedBytes();
  assert(base > 0 && base < heapBytes(), "some use, within linear memory: " + base.toString());
  for (let i = 0; i < 100; i++) keep.push(new Uint8Array(10000));
  const held = heapUsedBytes();
  const grew = held - base;
  assert(grew >= 1_000_000 && grew < 1_100_000, "100 x 10,000 bytes held: grew by " + grew.toString());
  keep.length = 0;
  const after = heapUsedBytes();
  // (The last array may still sit in a slot of this function's shadow-stack frame.)
  assert(after - base < 11000, "back once let go and collected: " + base.toString() + " -> " + after.toString());
  assert(heapBytes() >= held, "linear memory does not shrink");
}

export function test_walk_covers_memory_grown_later(): void {
  const before = heapBytes();
  // More than the heap has, so linear memory grows while these are held.
  const n = <i32>(before / 50000) + 20;
  for (let i = 0; i < n; i++) keep.push(new Uint8Array(50000));
  assert(heapBytes() > before, "memory grew");
  const used = heapUsedBytes();
  assert(used >= <i64>n * 50000, "every block counted, in old and new memory: " + used.toString());
  keep = [];
}
