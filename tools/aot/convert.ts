// Conversions between the four value types: wrap/extend, float <-> int
// (trapping and saturating), demote/promote, reinterpret.
//
// Reinterpretations and i32.wrap_i64 emit nothing: a slot already holds
// the bits, and an i32's upper half is unspecified anyway.

import { Op } from "../wasm/index.ts";
import { eax, ecx, imm, imm64, rax, rcx, xmm0, xmm1, type Gpr, type Xmm } from "../x86/index.ts";
import type { Ctx, Emitter } from "./context.ts";
import { SSE } from "./float-ops.ts";
import { Trap } from "./traps.ts";

type Size = 32 | 64;

function floatBits(s: Size, x: number): bigint {
  const v = new DataView(new ArrayBuffer(8));
  if (s === 32) {
    v.setFloat32(0, x, true);
    if (v.getFloat32(0, true) !== x) throw new Error(`tools/aot: ${x} is not exact in f32`);
    return BigInt(v.getUint32(0, true));
  }
  v.setFloat64(0, x, true);
  return v.getBigUint64(0, true);
}

/** Loads the float constant `x` into `dst`, through rcx. */
function floatConst(c: Ctx, s: Size, x: number, dst: Xmm): void {
  const bits = floatBits(s, x);
  if (s === 32) {
    c.a.mov(ecx, imm(Number(bits)));
    c.a.movd(dst, ecx);
  } else {
    c.a.mov(rcx, imm64(bits));
    c.a.movq(dst, rcx);
  }
}

function cvtt(c: Ctx, s: Size, dst: Gpr, src: Xmm): void {
  if (s === 32) c.a.cvttss2si(dst, src);
  else c.a.cvttsd2si(dst, src);
}

/** xmm0 in [2^63, 2^64) or below: cvttsd2si handles the lower half, the upper half is offset by 2^63. */
function truncU64(c: Ctx, s: Size): void {
  const big = c.a.newLabel("u64.big");
  const done = c.a.newLabel("u64.done");
  floatConst(c, s, 2 ** 63, xmm1);
  SSE[s].ucomi(c.a, xmm0, xmm1);
  c.a.jcc("ae", big);
  cvtt(c, s, rax, xmm0);
  c.a.jmp(done);
  c.a.bind(big);
  SSE[s].op(c.a, "sub", xmm0, xmm1);
  cvtt(c, s, rax, xmm0);
  c.a.mov(rcx, imm64(1n << 63n));
  c.a.xor(rax, rcx);
  c.a.bind(done);
}

/**
 * The trapping truncations: NaN is "invalid conversion to integer",
 * anything whose truncation does not fit is "integer overflow". Bounds are
 * exclusive except the signed minimum, which is exact in the source type
 * when the next value below it truncates out of range.
 */
function trunc(s: Size, w: 32 | 64, signed: boolean): Emitter {
  const lower = signed ? -(2 ** (w - 1)) : -1;
  const lowerInclusive = signed && (w === 64 || s === 32);
  const lowerValue = signed && !lowerInclusive ? lower - 1 : lower;
  const upper = signed ? 2 ** (w - 1) : 2 ** w;
  return (c) => {
    const sse = SSE[s];
    sse.mov(c.a, xmm0, c.top(0, s));
    sse.ucomi(c.a, xmm0, xmm0);
    c.a.jcc("p", c.trap(Trap.InvalidConversion));
    floatConst(c, s, lowerValue, xmm1);
    sse.ucomi(c.a, xmm0, xmm1);
    c.a.jcc(lowerInclusive ? "b" : "be", c.trap(Trap.IntegerOverflow));
    floatConst(c, s, upper, xmm1);
    sse.ucomi(c.a, xmm0, xmm1);
    c.a.jcc("ae", c.trap(Trap.IntegerOverflow));
    if (w === 64 && !signed) truncU64(c, s);
    else cvtt(c, s, w === 32 && signed ? eax : rax, xmm0);
    c.a.mov(c.top(0, w), w === 32 ? eax : rax);
  };
}

/** trunc_sat: NaN is 0, out of range saturates. */
function truncSat(s: Size, w: 32 | 64, signed: boolean): Emitter {
  return (c) => {
    const sse = SSE[s];
    const max = c.a.newLabel("sat.max");
    const done = c.a.newLabel("sat.done");
    sse.mov(c.a, xmm0, c.top(0, s));
    if (signed) {
      // cvtt gives the minimum for anything too small; NaN and too large are handled here.
      floatConst(c, s, 2 ** (w - 1), xmm1);
      c.a.xor(eax, eax);
      sse.ucomi(c.a, xmm0, xmm0);
      c.a.jcc("p", done);
      sse.ucomi(c.a, xmm0, xmm1);
      c.a.jcc("ae", max);
      cvtt(c, s, w === 32 ? eax : rax, xmm0);
      c.a.jmp(done);
      c.a.bind(max);
      if (w === 32) c.a.mov(eax, imm(0x7fff_ffff));
      else c.a.mov(rax, imm64((1n << 63n) - 1n));
    } else {
      // max(x, +0) turns NaN and negatives into +0: maxss/maxsd return the second operand then.
      c.a.xorps(xmm1, xmm1);
      sse.op(c.a, "max", xmm0, xmm1);
      floatConst(c, s, 2 ** w, xmm1);
      sse.ucomi(c.a, xmm0, xmm1);
      c.a.jcc("ae", max);
      if (w === 32) cvtt(c, s, rax, xmm0);
      else truncU64(c, s);
      c.a.jmp(done);
      c.a.bind(max);
      c.a.mov(rax, imm(-1));
    }
    c.a.bind(done);
    c.a.mov(c.top(0, w), w === 32 ? eax : rax);
  };
}

/** Integer to float. */
function convert(s: Size, w: 32 | 64, signed: boolean): Emitter {
  return (c) => {
    const cvt = (src: Gpr): void => (s === 32 ? c.a.cvtsi2ss(xmm0, src) : c.a.cvtsi2sd(xmm0, src));
    if (w === 32) {
      // Zero- or sign-extended to 64 bits, every u32/i32 converts exactly through the signed 64-bit form.
      if (signed) c.a.movsxd(rax, c.top(0, 32));
      else c.a.mov(eax, c.top(0, 32));
      cvt(rax);
    } else if (signed) {
      c.a.mov(rax, c.top(0, 64));
      cvt(rax);
    } else {
      // Above 2^63: halve keeping the low bit (round to odd), convert, double; one rounding in all.
      const big = c.a.newLabel("cvt.u64.big");
      const done = c.a.newLabel("cvt.u64.done");
      c.a.mov(rax, c.top(0, 64));
      c.a.test(rax, rax);
      c.a.jcc("s", big);
      cvt(rax);
      c.a.jmp(done);
      c.a.bind(big);
      c.a.mov(rcx, rax);
      c.a.shr(rcx, imm(1));
      c.a.and(eax, imm(1));
      c.a.or(rcx, rax);
      cvt(rcx);
      SSE[s].op(c.a, "add", xmm0, xmm0);
      c.a.bind(done);
    }
    SSE[s].mov(c.a, c.top(0, s), xmm0);
  };
}

const nothing: Emitter = () => {};

const emitters: [number, Emitter][] = [
  [Op.I32WrapI64, nothing],
  [Op.I32ReinterpretF32, nothing],
  [Op.I64ReinterpretF64, nothing],
  [Op.F32ReinterpretI32, nothing],
  [Op.F64ReinterpretI64, nothing],
  [
    Op.I64ExtendI32S,
    (c) => {
      c.a.movsxd(rax, c.top(0, 32));
      c.a.mov(c.top(0, 64), rax);
    },
  ],
  [
    Op.I64ExtendI32U,
    (c) => {
      c.a.mov(eax, c.top(0, 32));
      c.a.mov(c.top(0, 64), rax);
    },
  ],
  [
    Op.F32DemoteF64,
    (c) => {
      c.a.cvtsd2ss(xmm0, c.top(0, 64));
      c.a.movss(c.top(0, 32), xmm0);
    },
  ],
  [
    Op.F64PromoteF32,
    (c) => {
      c.a.cvtss2sd(xmm0, c.top(0, 32));
      c.a.movsd(c.top(0, 64), xmm0);
    },
  ],
  [Op.I32TruncF32S, trunc(32, 32, true)],
  [Op.I32TruncF32U, trunc(32, 32, false)],
  [Op.I32TruncF64S, trunc(64, 32, true)],
  [Op.I32TruncF64U, trunc(64, 32, false)],
  [Op.I64TruncF32S, trunc(32, 64, true)],
  [Op.I64TruncF32U, trunc(32, 64, false)],
  [Op.I64TruncF64S, trunc(64, 64, true)],
  [Op.I64TruncF64U, trunc(64, 64, false)],
  [Op.I32TruncSatF32S, truncSat(32, 32, true)],
  [Op.I32TruncSatF32U, truncSat(32, 32, false)],
  [Op.I32TruncSatF64S, truncSat(64, 32, true)],
  [Op.I32TruncSatF64U, truncSat(64, 32, false)],
  [Op.I64TruncSatF32S, truncSat(32, 64, true)],
  [Op.I64TruncSatF32U, truncSat(32, 64, false)],
  [Op.I64TruncSatF64S, truncSat(64, 64, true)],
  [Op.I64TruncSatF64U, truncSat(64, 64, false)],
  [Op.F32ConvertI32S, convert(32, 32, true)],
  [Op.F32ConvertI32U, convert(32, 32, false)],
  [Op.F32ConvertI64S, convert(32, 64, true)],
  [Op.F32ConvertI64U, convert(32, 64, false)],
  [Op.F64ConvertI32S, convert(64, 32, true)],
  [Op.F64ConvertI32U, convert(64, 32, false)],
  [Op.F64ConvertI64S, convert(64, 64, true)],
  [Op.F64ConvertI64U, convert(64, 64, false)],
];

export const convertEmitters: ReadonlyMap<number, Emitter> = new Map(emitters);
