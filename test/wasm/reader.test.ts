import { describe, expect, it } from "vitest";
import { WasmError } from "../../tools/wasm/errors.ts";
import { Reader } from "../../tools/wasm/reader.ts";

function rd(...bytes: number[]): Reader {
  return new Reader(Uint8Array.from(bytes));
}

/** The reason a read fails with, or "ok". */
function reason(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof WasmError) return e.reason;
    throw e;
  }
}

describe("u32", () => {
  it("reads minimal and non-minimal encodings", () => {
    expect(rd(0x00).u32()).toBe(0);
    expect(rd(0x7f).u32()).toBe(127);
    expect(rd(0x80, 0x01).u32()).toBe(128);
    expect(rd(0x82, 0x00).u32()).toBe(2); // padded, allowed
    expect(rd(0x82, 0x80, 0x80, 0x80, 0x00).u32()).toBe(2); // five bytes, allowed
    expect(rd(0xff, 0xff, 0xff, 0xff, 0x0f).u32()).toBe(0xffffffff);
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x08).u32()).toBe(0x80000000);
  });

  it("leaves the cursor after the integer", () => {
    const r = rd(0xe5, 0x8e, 0x26, 0x99);
    expect(r.u32()).toBe(624485);
    expect(r.pos).toBe(3);
  });

  it("rejects a sixth byte as too long", () => {
    expect(reason(() => rd(0x82, 0x80, 0x80, 0x80, 0x80, 0x00).u32())).toBe("integer representation too long");
  });

  it("rejects set unused bits in the fifth byte as too large", () => {
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x10).u32())).toBe("integer too large");
    expect(reason(() => rd(0xff, 0xff, 0xff, 0xff, 0x7f).u32())).toBe("integer too large");
  });

  it("reports running out of bytes", () => {
    expect(reason(() => rd(0x80).u32())).toBe("unexpected end");
    const r = rd(0x80);
    r.inSection = true;
    expect(reason(() => r.u32())).toBe("unexpected end of section or function");
  });

  it("respects the limit as the end of input", () => {
    const r = rd(0x80, 0x01);
    r.limit = 1;
    expect(reason(() => r.u32())).toBe("unexpected end");
  });
});

describe("s32", () => {
  it("sign-extends", () => {
    expect(rd(0x7f).s32()).toBe(-1);
    expect(rd(0x3f).s32()).toBe(63);
    expect(rd(0x40).s32()).toBe(-64);
    expect(rd(0xc0, 0x00).s32()).toBe(64);
    expect(rd(0xff, 0x7f).s32()).toBe(-1); // padded -1
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x78).s32()).toBe(-0x80000000);
    expect(rd(0xff, 0xff, 0xff, 0xff, 0x07).s32()).toBe(0x7fffffff);
    expect(rd(0xff, 0xff, 0xff, 0xff, 0x7f).s32()).toBe(-1);
  });

  it("rejects fifth-byte bits that do not copy the sign", () => {
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x70).s32())).toBe("integer too large"); // sign 0, bits set
    expect(reason(() => rd(0xff, 0xff, 0xff, 0xff, 0x0f).s32())).toBe("integer too large"); // sign 1, bits clear
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x1f).s32())).toBe("integer too large");
  });

  it("rejects six bytes", () => {
    expect(reason(() => rd(0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).s32())).toBe("integer representation too long");
  });
});

describe("s33 (block types)", () => {
  it("reads the one-byte type codes as negative numbers", () => {
    expect(rd(0x40).s33()).toBe(-64);
    expect(rd(0x7f).s33()).toBe(-1);
    expect(rd(0x7c).s33()).toBe(-4);
  });

  it("reads type indices, also padded and beyond 2^31", () => {
    expect(rd(0x00).s33()).toBe(0);
    expect(rd(0x85, 0x00).s33()).toBe(5);
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x0f).s33()).toBe(0xf0000000);
    expect(rd(0xff, 0xff, 0xff, 0xff, 0x0f).s33()).toBe(0xffffffff);
  });

  it("sign-extends from bit 32 in the fifth byte", () => {
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x70).s33()).toBe(-(2 ** 32));
    expect(rd(0xff, 0xff, 0xff, 0xff, 0x7f).s33()).toBe(-1);
  });

  it("rejects bad fifth bytes and long encodings", () => {
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x20).s33())).toBe("integer too large");
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x50).s33())).toBe("integer too large");
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x00).s33())).toBe("integer representation too long");
  });
});

describe("s64", () => {
  it("reads small and large values", () => {
    expect(rd(0x00).s64()).toBe(0n);
    expect(rd(0x7f).s64()).toBe(-1n);
    expect(rd(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00).s64()).toBe(0x7fffffffffffffffn);
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f).s64()).toBe(-0x8000000000000000n);
    expect(rd(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).s64()).toBe(-1n);
    // 2^49: just past the fast path
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01).s64()).toBe(1n << 49n);
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f).s64()).toBe(-(1n << 49n));
    expect(rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40).s64()).toBe(-(1n << 48n));
  });

  it("rejects a tenth byte other than 0x00 or 0x7f, and an eleventh byte", () => {
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01).s64())).toBe("integer too large");
    expect(reason(() => rd(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02).s64())).toBe("integer too large");
    expect(reason(() => rd(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e).s64())).toBe("integer too large");
    expect(reason(() => rd(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).s64())).toBe(
      "integer representation too long",
    );
  });
});

describe("floats and names", () => {
  it("keeps NaN payloads as raw bits", () => {
    expect(rd(0x01, 0x00, 0xc0, 0x7f).f32Bits()).toBe(0x7fc00001);
    expect(rd(0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0xff).f64Bits()).toBe(0xfff4000000000001n);
  });

  it("reports short floats", () => {
    expect(reason(() => rd(0x00, 0x00, 0x80).f32Bits())).toBe("unexpected end");
  });

  it("decodes UTF-8 names strictly, keeping a BOM", () => {
    expect(rd(3, 0x61, 0x62, 0x63).name()).toBe("abc");
    expect(rd(3, 0xef, 0xbb, 0xbf).name()).toBe("\ufeff");
    expect(reason(() => rd(2, 0xc0, 0x80).name())).toBe("malformed UTF-8 encoding"); // overlong NUL
    expect(reason(() => rd(3, 0xed, 0xa0, 0x80).name())).toBe("malformed UTF-8 encoding"); // surrogate
    expect(reason(() => rd(5, 0x61).name())).toBe("unexpected end");
  });
});
