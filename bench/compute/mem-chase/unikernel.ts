import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

/** A random cyclic permutation of 4M slots (Sattolo's algorithm): every load misses the cache. */
function permutation(n: i32): Uint32Array {
  const next = new Uint32Array(n);
  for (let i = 0; i < n; i++) next[i] = <u32>i;
  let s: u32 = 2463534242;
  for (let i = n - 1; i > 0; i--) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    const j = <i32>(s % <u32>i);
    const t = next[i]; next[i] = next[j]; next[j] = t;
  }
  return next;
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const next = permutation(1 << 22);
  const t0 = clock.monotonic();
  let p: u32 = 0, sum: u64 = 0;
  for (let i: i64 = 0; i < scale * 1_000_000; i++) {
    p = unchecked(next[p]);
    sum += p;
  }
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
