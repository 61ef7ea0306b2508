import { clock_monotonic, clock_wall } from "./abi";

/** Clocks of the platform: monotonic for intervals, wall for dates. */
export class Clock {
  /** Monotonic nanoseconds since an arbitrary start; never goes backwards. */
  monotonic(): i64 { return clock_monotonic(); }

  /** Nanoseconds since 1970-01-01T00:00:00Z; may jump when the host clock is set. */
  wall(): i64 { return clock_wall(); }
}
