// Fails on purpose, to show what a failure looks like on each target: a trap
// report naming the function and source line, and a non-zero exit status.
import { Console } from "atoll/console";
import { Args } from "atoll/args";

/** Loads from far beyond the end of linear memory. */
function readPastTheEnd(offset: usize): i32 {
  return load<i32>(offset + 0xfff0_0000);
}

/** Recurses without end until the call stack runs out. */
function recurse(n: i32): i32 {
  return n == i32.MIN_VALUE ? 0 : recurse(n + 1) + 1;
}

/** Divides by a zero the optimiser cannot see. */
function divide(a: i32, b: i32): i32 {
  return a / b;
}

/** Runs the failure chosen by --kind. */
export function start(out: Console, args: Args): void {
  const kind = args.string("kind");
  out.log("trap: about to fail with '" + kind + "'");
  const zero = <i32>args.specs.length - 1; // 0, but not a constant
  if (kind == "memory") out.log(readPastTheEnd(<usize>zero).toString());
  else if (kind == "unreachable") unreachable();
  else if (kind == "divide") out.log(divide(1, zero).toString());
  else if (kind == "recurse") out.log(recurse(zero).toString());
  else if (kind == "abort") assert(false, "the trap example asserted false");
  out.log("trap: unknown --kind=" + kind + "; nothing failed");
}
