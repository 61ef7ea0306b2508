import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

const WORDS = ["atoll", "unikernel", "lagoon", "reef", "coral", "tide", "island", "wave"];

/** Builds a text of `n` words, then searches, splits and rejoins it. */
function round(n: i32, seed: i32): i64 {
  const parts = new Array<string>();
  for (let i = 0; i < n; i++) parts.push(WORDS[(i * 7 + seed) & 7] + i.toString());
  const text = parts.join(" ");
  let found: i64 = 0;
  let at = text.indexOf("reef");
  while (at >= 0) { found++; at = text.indexOf("reef", at + 1); }
  const split = text.split(" ");
  let total: i64 = 0;
  for (let i = 0; i < split.length; i++) total += split[i].length;
  const upper = text.toUpperCase();
  return found * 1000003 + total + upper.charCodeAt(seed % upper.length);
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const t0 = clock.monotonic();
  let sum: i64 = 0;
  for (let r: i64 = 0; r < scale * 10; r++) sum += round(20_000, <i32>r);
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
