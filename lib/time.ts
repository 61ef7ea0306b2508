// Durations and instants are i64 nanoseconds throughout lib/: one unit, no
// conversions at the boundaries, and 292 years of range.

/** Nanoseconds in `n` microseconds. */
export function us(n: i64): i64 { return n * 1_000; }
/** Nanoseconds in `n` milliseconds. */
export function ms(n: i64): i64 { return n * 1_000_000; }
/** Nanoseconds in `n` seconds. */
export function seconds(n: i64): i64 { return n * 1_000_000_000; }

/** The largest instant: "no deadline". */
export const FOREVER: i64 = i64.MAX_VALUE;
