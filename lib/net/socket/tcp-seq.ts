// Sequence numbers are u32 and wrap (RFC 9293 §3.4): compare them by the
// sign of their 32-bit difference, which is right while the two are less
// than 2^31 apart — always, for numbers inside one connection's windows.

/** a < b in sequence space. */
@inline export function seqLt(a: u32, b: u32): bool { return <i32>(a - b) < 0; }
/** a <= b in sequence space. */
@inline export function seqLe(a: u32, b: u32): bool { return <i32>(a - b) <= 0; }
/** a > b in sequence space. */
@inline export function seqGt(a: u32, b: u32): bool { return <i32>(a - b) > 0; }
/** a >= b in sequence space. */
@inline export function seqGe(a: u32, b: u32): bool { return <i32>(a - b) >= 0; }
/** The distance from b forward to a (may be negative). */
@inline export function seqDiff(a: u32, b: u32): i32 { return <i32>(a - b); }
/** The larger of two sequence numbers. */
@inline export function seqMax(a: u32, b: u32): u32 { return seqGt(a, b) ? a : b; }
/** lo <= x < hi in sequence space. */
@inline export function seqInRange(x: u32, lo: u32, hi: u32): bool { return seqLe(lo, x) && seqLt(x, hi); }
