// Which immediate values fit which immediate fields: the rule select.ts
// picks rows by, and the same rule summed up per value (immClass, and a
// small number per class) for the shape key of shape.ts.
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
const MIN_I64 = -(1n << 63n);
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I8 = -128n;
const MAX_I8 = 127n;
const MIN_I32 = -(1n << 31n);
const MAX_I32 = (1n << 31n) - 1n;

/** The class of every value in [0, 7], [8, 127] and [-128, -1]: those fit every field but ub and pred as they must. */
const SMALL_PRED = 0b11111111111;
const SMALL_POS = 0b01111111111;
const SMALL_NEG = 0b00111111111;

/**
 * Which of IMM_CASES a value fits, one bit each, in IMM_CASES order. Values
 * a double holds exactly are classified with number arithmetic; the rest
 * (rare: 64-bit constants) through immFits itself.
 */
export function immClass(value: bigint): number {
  if (value < NEG_SAFE || value > SAFE) {
    // Beyond ±2^53 no 8-, 16- or 32-bit width holds the value, nor ub or pred: only the 64-bit cases remain,
    // immFits's ib, id and iq for a 64-bit operation, with its bigints made once (64-bit constants are common enough).
    if (value < MIN_I64 || value > MAX_U64) return 0;
    const s = BigInt.asIntN(64, value);
    return (s >= MIN_I8 && s <= MAX_I8 ? 8 : 0) | (s >= MIN_I32 && s <= MAX_I32 ? 128 : 0) | 256;
  }
  const n = Number(value);
  // Most immediates are small: one comparison chain instead of eleven range checks.
  if (n >= -0x80 && n <= 0x7f) return n < 0 ? SMALL_NEG : n <= 7 ? SMALL_PRED : SMALL_POS;
  const w8 = n >= -0x80 && n <= 0xff;
  const w16 = n >= -0x8000 && n <= 0xffff;
  const w32 = n >= -0x8000_0000 && n <= 0xffff_ffff;
  // A value of the operation's width fits ib when its sign extension from that width is in [-128, 127].
  const ext16 = n >= 0x8000 ? n - 0x1_0000 : n;
  const ext32 = n >= 0x8000_0000 ? n - 0x1_0000_0000 : n;
  return (
    (w8 ? 1 : 0) |
    (w16 && ext16 >= -0x80 && ext16 <= 0x7f ? 2 : 0) |
    (w32 && ext32 >= -0x80 && ext32 <= 0x7f ? 4 : 0) |
    // bit 3 (ib, 64-bit): n is outside [-128, 127] here
    (w8 ? 16 : 0) |
    (w16 ? 32 : 0) |
    (w32 ? 64 : 0) |
    (n >= -0x8000_0000 && n <= 0x7fff_ffff ? 128 : 0) |
    256 |
    (n >= 0 && n <= 0xff ? 512 : 0)
    // bit 10 (pred): n is outside [0, 7] here
  );
}

/**
 * Classes numbered in order of first appearance. Of the 2^11 masks only a
 * dozen occur (the cases' bounds all sit near powers of two, and between two
 * bounds nothing changes), so a class fits in a few bits of a shape key.
 */
const classNumbers = new Int8Array(1 << IMM_CASES.length).fill(-1);
let classCount = 0;

/** The most classes immClassNumber hands out. */
export const IMM_CLASS_NUMBERS = 32;

/** A small number per immClass: values with one number fit the same fields. */
export function immClassNumber(value: bigint): number {
  const mask = immClass(value);
  const known = classNumbers[mask]!;
  if (known >= 0) return known;
  if (classCount === IMM_CLASS_NUMBERS) throw new Error(`tools/x86: immediate class ${mask.toString(2)} is one more than the ${IMM_CLASS_NUMBERS} a shape key has room for`);
  classNumbers[mask] = classCount;
  return classCount++;
}
