// Frame layout of one wasm function (docs/aot.md, "Registers and frames").
//
//   [rbp + 16 + 8*(n-1-i)]   parameter i of n (pushed by the caller, arg 0 first)
//   [rbp + 8]                return address
//   [rbp]                    caller's rbp
//   [rbp - 8*(k+1)]          declared local k (zeroed by the prologue)
//   [rbp - 8*(L+1+j)]        operand stack slot j (L = number of declared locals)
//
// Every value takes one 8-byte slot: i32/f32 in the low 32 bits with the
// upper bits unspecified, i64/f64 in all 64. Version 1 keeps every value in
// its slot between instructions; instructions load operands into scratch
// registers and store their result back.

import { mem, rbp, type Mem, type MemSize } from "../x86/index.ts";

export class Frame {
  /** Bytes below rbp: locals, then the operand stack. */
  readonly size: number;

  constructor(
    readonly numParams: number,
    readonly numLocals: number,
    readonly maxStack: number,
  ) {
    // A multiple of 16 keeps rsp's alignment mod 16 the same at every call
    // this function makes, whatever its frame; nothing relies on it, but it
    // costs nothing.
    this.size = Math.ceil((8 * (numLocals + maxStack)) / 16) * 16;
  }

  /** Displacement from rbp of local `i` of the index space (parameters first). */
  localDisp(i: number): number {
    if (i < this.numParams) return 16 + 8 * (this.numParams - 1 - i);
    return -8 * (i - this.numParams + 1);
  }

  local(i: number, size?: MemSize): Mem {
    return mem(rbp, { disp: this.localDisp(i) }, size);
  }

  /** Displacement from rbp of operand stack slot `j` (0 = bottom). */
  slotDisp(j: number): number {
    return -8 * (this.numLocals + 1 + j);
  }

  slot(j: number, size?: MemSize): Mem {
    if (j < 0 || j >= this.maxStack) throw new Error(`tools/aot: operand stack slot ${j} outside 0..${this.maxStack - 1}`);
    return mem(rbp, { disp: this.slotDisp(j) }, size);
  }
}
