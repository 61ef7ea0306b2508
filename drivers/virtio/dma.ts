// Memory a device reads or writes: linear memory is physically contiguous
// (docs/abi.md, dma_base), so the device address of offset p is
// dma_base() + p. Rings and request headers are allocated here, once, from
// the heap and never freed: the allocator does not move blocks, so their
// addresses stay valid for the device.
import { dma_base } from "./hardware";

let base: u64 = 0;
let baseKnown = false;

/** The physical (device) address of linear-memory offset `ptr`. */
export function physical(ptr: usize): u64 {
  if (!baseKnown) {
    base = dma_base();
    baseKnown = true;
  }
  return base + <u64>ptr;
}

/** `size` zeroed bytes aligned to `align` (a power of two), kept for the unikernel's lifetime. */
export function allocDma(size: usize, align: usize): usize {
  const raw = heap.alloc(size + align - 1);
  const p = (raw + align - 1) & ~(align - 1);
  memory.fill(p, 0, size);
  return p;
}
