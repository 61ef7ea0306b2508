// Which immediate values fit which immediate fields: the rule select.ts
// picks rows by, and the same rule summed up as a small number per value
// (immClass) for the memo of selections in shape.ts.
import type { Pattern } from "./encodings.ts";
import type { GprSize } from "./registers.ts";

/**
 * Whether an immediate value is representable in a field of this pattern, for
 * an operation of `size` bits. Values of the operation's width may be written
 * signed or unsigned (`add eax, 0xffffffff` is `add eax, -1`); ib, and id in a
 * 64-bit operation, must survive sign-extension from their field.
 */
export function immFits(p: Pattern, value: bigint, size: GprSize | null): boolean {
  const inRange = (v: bigint, lo: bigint, hi: bigint): boolean => v >= lo && v <= hi;
  const bits = size ?? 64;
  const ofWidth = inRange(value, -(1n << BigInt(bits - 1)), (1n << BigInt(bits)) - 1n);
  const extended = BigInt.asIntN(bits, value);
  switch (p) {
    case "ib": return ofWidth && inRange(extended, -128n, 127n);
    case "iw": case "id": return ofWidth && (bits < 64 || inRange(extended, -(1n << 31n), (1n << 31n) - 1n));
    case "iq": return inRange(value, -(1n << 63n), (1n << 64n) - 1n);
    case "ub": return inRange(value, 0n, 255n);
    case "pred": return inRange(value, 0n, 7n);
    default: return false;
  }
}

/** The (pattern, operation size) pairs immFits distinguishes; size null behaves as 64. */
const IMM_CASES: readonly (readonly [Pattern, GprSize])[] = [
  ["ib", 8], ["ib", 16], ["ib", 32], ["ib", 64],
  ["id", 8], ["id", 16], ["id", 32], ["id", 64],
  ["iq", 64], ["ub", 64], ["pred", 64],
];
// iw and id take the same branch of immFits, so one row of cases stands for both.

// Bounds as constants: `-x` on a bigint allocates a new one on every call.
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NEG_SAFE = -SAFE;

/** In [lo, hi] after sign-extending the low `bits` of n (n a safe integer within the operation's width). */
function extendedIn(n: number, bits: number, lo: number, hi: number): boolean {
  const half = 2 ** (bits - 1);
  const v = n >= half ? n - 2 * half : n;
  return v >= lo && v <= hi;
}

/**
 * Which of IMM_CASES a value fits, one bit each, in IMM_CASES order. Values
 * a double holds exactly are classified with number arithmetic; the rest
 * (rare: 64-bit constants) through immFits itself.
 */
export function immClass(value: bigint): number {
  if (value < NEG_SAFE || value > SAFE) {
    let mask = 0;
    for (let i = 0; i < IMM_CASES.length; i++) if (immFits(IMM_CASES[i]![0], value, IMM_CASES[i]![1])) mask |= 1 << i;
    return mask;
  }
  const n = Number(value);
  const w8 = n >= -0x80 && n <= 0xff;
  const w16 = n >= -0x8000 && n <= 0xffff;
  const w32 = n >= -0x8000_0000 && n <= 0xffff_ffff;
  // A value of the operation's width fits ib when its sign extension from that width is in [-128, 127].
  return (
    (w8 ? 1 : 0) |
    (w16 && extendedIn(n, 16, -0x80, 0x7f) ? 2 : 0) |
    (w32 && extendedIn(n, 32, -0x80, 0x7f) ? 4 : 0) |
    (n >= -0x80 && n <= 0x7f ? 8 : 0) |
    (w8 ? 16 : 0) |
    (w16 ? 32 : 0) |
    (w32 ? 64 : 0) |
    (n >= -0x8000_0000 && n <= 0x7fff_ffff ? 128 : 0) |
    256 |
    (n >= 0 && n <= 0xff ? 512 : 0) |
    (n >= 0 && n <= 7 ? 1024 : 0)
  );
}

/** How many different values immClass can return (it is a mask of IMM_CASES.length bits). */
export const IMM_CLASSES = 1 << IMM_CASES.length;
