import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

/** One round: 2^20 xorshift steps mixed into a hash, then a sieve to 2^20. */
function round(seed: u64): u64 {
  let x = seed | 1;
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < 1 << 20; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    h = (h ^ (x >> 32)) * 0x100000001b3;
    h += <u64>(<u32>x / ((<u32>i & 1023) + 1));
  }
  const n = 1 << 20;
  const composite = new Uint8Array(n);
  let primes: u64 = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    primes++;
    for (let j = i * 2; j < n; j += i) composite[j] = 1;
  }
  return h ^ primes;
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const t0 = clock.monotonic();
  let sum: u64 = 0;
  for (let r: i64 = 0; r < scale; r++) sum += round(<u64>r);
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
