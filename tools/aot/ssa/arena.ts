// Typed arrays for the per-function tables of the passes, liveness and the
// allocator, carved out of shared chunks. V8 gives a typed array of more than
// 64 bytes a backing store of its own outside the heap, which costs about as
// much as the work a small function's pass does with it, and the external
// memory it adds up to triggers collections. A view into a chunk costs an
// object: each array here is a fresh, zeroed view that no other array
// shares (a chunk is never handed out twice), so it behaves exactly like a
// `new Int32Array(n)`. A chunk lives as long as any view into it.

const CHUNK = 1 << 18;

let chunk = new ArrayBuffer(CHUNK);
let used = 0;

/** What carve() found: a buffer and an offset in it. */
let buf = chunk;
let at = 0;

/** Finds `bytes` fresh zeroed bytes, at a multiple of 8 in their buffer: `buf` at `at`. */
function carve(bytes: number): void {
  const size = (bytes + 7) & ~7;
  if (size > CHUNK >>> 2) {
    buf = new ArrayBuffer(size);
    at = 0;
    return;
  }
  if (used + size > CHUNK) {
    chunk = new ArrayBuffer(CHUNK);
    used = 0;
  }
  buf = chunk;
  at = used;
  used += size;
}

export function int32s(n: number): Int32Array {
  carve(4 * n);
  return new Int32Array(buf, at, n);
}

export function uint32s(n: number): Uint32Array {
  carve(4 * n);
  return new Uint32Array(buf, at, n);
}

export function int16s(n: number): Int16Array {
  carve(2 * n);
  return new Int16Array(buf, at, n);
}

export function uint8s(n: number): Uint8Array {
  carve(n);
  return new Uint8Array(buf, at, n);
}

export function float64s(n: number): Float64Array {
  carve(8 * n);
  return new Float64Array(buf, at, n);
}

// Temporaries: tables a pass needs only while it runs, carved from one
// buffer that every pass reuses. resetTemps() at the start of a pass hands
// the whole buffer out again, so a view from before it must not be used
// after it; each view comes filled with `fill`.

let temps = new Int32Array(1 << 14);
let tempUsed = 0;

/** Starts over: every temporary handed out so far is dead. */
export function resetTemps(): void {
  tempUsed = 0;
}

/** A temporary table of n 32-bit integers, each `fill`. */
export function tempInt32s(n: number, fill: number): Int32Array {
  if (tempUsed + n > temps.length) {
    // Views already handed out keep the old buffer; new ones come from a larger one.
    temps = new Int32Array(Math.max(2 * temps.length, 2 * n));
    tempUsed = 0;
  }
  // A view made by the constructor costs about half what subarray() does (no species lookup).
  const t = new Int32Array(temps.buffer, 4 * tempUsed, n);
  tempUsed += n;
  return t.fill(fill);
}
