import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

/** Deliberately naive: about 1.6 million calls per fib(30). */
function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const t0 = clock.monotonic();
  let sum: i64 = 0;
  for (let i: i64 = 0; i < scale; i++) sum += fib(27 + <i32>(i % 3));
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
