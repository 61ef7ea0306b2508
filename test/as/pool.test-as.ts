// lib/pool.ts: what a pool keeps and hands back.
import { BufferPool } from "atoll/pool";

export function test_a_pool_hands_back_what_it_was_given_and_nothing_else(): void {
  const p = new BufferPool(1024, 2);
  const a = p.take();
  assert(a.length == 1024 && p.count == 0, "a new buffer when empty");
  a[0] = 7;
  p.give(a);
  assert(p.count == 1);
  const b = p.take();
  assert(b === a && p.count == 0, "the same buffer back");
  p.give(new Uint8Array(512));
  p.give(new Uint8Array(2048).subarray(0, 1024));
  assert(p.count == 0, "other sizes and views of larger buffers are not kept");
  p.give(new Uint8Array(1024));
  p.give(new Uint8Array(1024));
  p.give(new Uint8Array(1024));
  assert(p.count == 2, "at most max kept");
}

export function test_alloc_takes_from_the_pool_only_at_its_size(): void {
  const p = new BufferPool(1024, 4);
  const a = new Uint8Array(1024);
  p.give(a);
  assert(p.alloc(2048).length == 2048 && p.count == 1, "another size: a new buffer, the pool untouched");
  assert(p.alloc(1024) === a && p.count == 0, "its size: the spare one");
}
