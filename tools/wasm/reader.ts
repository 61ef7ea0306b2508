// A cursor over a module's bytes that reads the binary format's primitive
// encodings and reports every fault as a WasmError at the right place.
//
// LEB128 rules (spec 5.2.2): an N-bit integer takes at most ceil(N/7) bytes;
// a longer encoding is "integer representation too long", and the unused
// bits of the last byte must be zero (unsigned) or copies of the sign bit
// (signed), else "integer too large". Floats are kept as raw bits so that NaN
// payloads survive.

import { WasmError } from "./errors.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class Reader {
  readonly bytes: Uint8Array;
  /** Next byte to read. */
  pos = 0;
  /** One past the last byte the current section (or function body) may use. */
  limit: number;
  /** Context for error messages, kept current by the decoder. */
  section = "module header";
  funcIndex: number | undefined = undefined;
  funcName: string | undefined = undefined;
  /** True while reading inside a section, which changes the end-of-input message. */
  inSection = false;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.limit = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(reason: string, offset: number = this.pos): never {
    throw new WasmError(reason, {
      section: this.section,
      offset,
      funcIndex: this.funcIndex,
      funcName: this.funcName,
    });
  }

  private eof(): never {
    this.fail(this.inSection ? "unexpected end of section or function" : "unexpected end", Math.min(this.pos, this.limit));
  }

  get remaining(): number {
    return this.limit - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.limit;
  }

  u8(): number {
    if (this.pos >= this.limit) this.eof();
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.limit) this.eof();
    return this.bytes[this.pos]!;
  }

  /** Unsigned 32-bit LEB128. */
  u32(): number {
    if (this.pos >= this.limit) this.eof();
    const start = this.pos;
    let b = this.bytes[this.pos++]!;
    if (b < 0x80) return b;
    let result = b & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (this.pos >= this.limit) this.eof();
      b = this.bytes[this.pos++]!;
      if (shift === 28) {
        if (b & 0x80) this.fail("integer representation too long", start);
        if (b & 0x70) this.fail("integer too large", start);
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
    }
  }

  /** Signed 32-bit LEB128. */
  s32(): number {
    if (this.pos >= this.limit) this.eof();
    const start = this.pos;
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.limit) this.eof();
      const b = this.bytes[this.pos++]!;
      if (shift === 28) {
        if (b & 0x80) this.fail("integer representation too long", start);
        // Bits 3..6 are bit 31 and its sign extension: all equal.
        const top = b & 0x78;
        if (top !== 0 && top !== 0x78) this.fail("integer too large", start);
        return result | (b << 28);
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        if (b & 0x40) result |= -1 << (shift + 7);
        return result;
      }
    }
  }

  /**
   * Signed 33-bit LEB128, used only by block types so that a type index and
   * the negative one-byte type codes share one encoding. Returns a plain
   * number in [-2^32, 2^32).
   */
  s33(): number {
    if (this.pos >= this.limit) this.eof();
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (this.pos >= this.limit) this.eof();
      const b = this.bytes[this.pos++]!;
      if (i === 4) {
        if (b & 0x80) this.fail("integer representation too long", start);
        // Bits 4..6 are bit 32 and its sign extension.
        const top = b & 0x70;
        if (top !== 0 && top !== 0x70) this.fail("integer too large", start);
        result += (b & 0x1f) * scale;
        return b & 0x10 ? result - 2 ** 33 : result;
      }
      result += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return b & 0x40 ? result - scale : result;
    }
  }

  /** Signed 64-bit LEB128, as a bigint in [-2^63, 2^63). */
  s64(): bigint {
    if (this.pos >= this.limit) this.eof();
    const start = this.pos;
    // Up to 7 bytes (49 bits) fit a double exactly; that covers almost every constant.
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.limit) this.eof();
      const b = this.bytes[this.pos++]!;
      small += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return BigInt(b & 0x40 ? small - scale : small);
    }
    let result = BigInt(small);
    for (let i = 7; ; i++) {
      if (this.pos >= this.limit) this.eof();
      const b = this.bytes[this.pos++]!;
      if (i === 9) {
        if (b & 0x80) this.fail("integer representation too long", start);
        // Bit 0 is bit 63; bits 1..6 must copy it.
        if (b !== 0 && b !== 0x7f) this.fail("integer too large", start);
        result |= BigInt(b & 1) << 63n;
        return BigInt.asIntN(64, result);
      }
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) {
        if (b & 0x40) result -= 1n << BigInt(7 * (i + 1));
        return result;
      }
    }
  }

  /** Raw bits of a little-endian f32. */
  f32Bits(): number {
    if (this.limit - this.pos < 4) {
      this.pos = this.limit;
      this.eof();
    }
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Raw bits of a little-endian f64. */
  f64Bits(): bigint {
    if (this.limit - this.pos < 8) {
      this.pos = this.limit;
      this.eof();
    }
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view into the module (no copy). */
  take(n: number): Uint8Array {
    if (n > this.limit - this.pos) {
      this.pos = this.limit;
      this.eof();
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed byte vector (data segment contents). */
  byteVec(): Uint8Array {
    return this.take(this.u32());
  }

  /** A length-prefixed UTF-8 name (imports, exports, custom sections). */
  name(): string {
    const len = this.u32();
    const start = this.pos;
    const raw = this.take(len);
    try {
      return UTF8.decode(raw);
    } catch {
      this.fail("malformed UTF-8 encoding", start);
    }
  }
}
