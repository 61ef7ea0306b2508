import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

class Node {
  constructor(public left: Node | null, public right: Node | null) {}
}

function make(depth: i32): Node {
  return depth == 0 ? new Node(null, null) : new Node(make(depth - 1), make(depth - 1));
}

function count(n: Node | null): i32 {
  if (n == null) return 0;
  return 1 + count(n.left) + count(n.right);
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const t0 = clock.monotonic();
  const longLived = make(14);
  let sum: i64 = 0;
  for (let i: i64 = 0; i < scale * 4; i++) {
    for (let d = 4; d <= 14; d += 2) sum += count(make(d));
  }
  sum += count(longLived);
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
