import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

const WORDS = ["atoll", "unikernel", "lagoon", "reef", "coral", "tide", "island", "wave"];

/** Appends bytes to a growing buffer: how the document gets written. */
class ByteWriter {
  buf: Uint8Array = new Uint8Array(1024);
  length: i32 = 0;

  byte(b: u8): void {
    if (this.length == this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.byte(<u8>s.charCodeAt(i));
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** xorshift32: the same stream on every engine. */
class Xorshift {
  constructor(private s: u32) {}

  next(): u32 {
    let s = this.s;
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    this.s = s;
    return s;
  }
}

/** A JSON document of `records` objects with integers, decimals, strings, escapes, arrays and literals. */
function generate(records: i32): Uint8Array {
  const w = new ByteWriter();
  const rng = new Xorshift(2463534242);
  w.text("[\n");
  for (let i = 0; i < records; i++) {
    const r = rng.next();
    w.text('  {"id": ' + i.toString() + ', "name": "' + WORDS[r & 7] + (r >> 20).toString());
    if ((r & 0x300) == 0) w.text('\\"quoted\\"\\n');
    w.text('", "price": ' + (r % 2 ? "-" : "") + ((r >> 8) % 10000).toString() + "." + ((r >> 3) % 100).toString().padStart(2, "0"));
    w.text(', "ratio": ' + (r % 7).toString() + "." + (r % 1000003).toString() + "e-" + ((r >> 5) % 9).toString());
    w.text(', "tags": [' + (r & 15).toString() + ", " + ((r >> 4) & 255).toString() + ", " + (r >> 16).toString() + "]");
    w.text(', "active": ' + ((r & 16) ? "true" : "false") + ', "parent": null}');
    w.text(i + 1 < records ? ",\n" : "\n");
  }
  w.text("]\n");
  return w.bytes();
}

/** What the parser saw: counts and sums the checksum is made of. */
class Totals {
  objects: i64 = 0;
  arrays: i64 = 0;
  strings: i64 = 0;
  stringHash: u64 = 0xcbf29ce484222325;
  integers: i64 = 0;
  decimals: f64 = 0;
  literals: i64 = 0;
}

/** A recursive-descent JSON parser over bytes that keeps no tree: each value goes into the totals. */
class Parser {
  pos: i32 = 0;
  constructor(private buf: Uint8Array, private totals: Totals) {}

  parse(): bool {
    this.value();
    this.space();
    return this.pos == this.buf.length;
  }

  private peek(): u8 {
    return this.pos < this.buf.length ? this.buf[this.pos] : 0;
  }

  private space(): void {
    while (this.pos < this.buf.length) {
      const c = this.buf[this.pos];
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
      this.pos++;
    }
  }

  private expect(c: u8): void {
    if (this.peek() != c) throw new Error("unexpected byte at " + this.pos.toString());
    this.pos++;
  }

  private value(): void {
    this.space();
    const c = this.peek();
    if (c == 0x7b) this.object();
    else if (c == 0x5b) this.array();
    else if (c == 0x22) this.string();
    else if (c == 0x2d || (c >= 0x30 && c <= 0x39)) this.number();
    else this.literal();
  }

  private object(): void {
    this.expect(0x7b);
    this.totals.objects++;
    this.space();
    if (this.peek() == 0x7d) { this.pos++; return; }
    while (true) {
      this.space();
      this.string();
      this.space();
      this.expect(0x3a);
      this.value();
      this.space();
      if (this.peek() == 0x2c) { this.pos++; continue; }
      this.expect(0x7d);
      return;
    }
  }

  private array(): void {
    this.expect(0x5b);
    this.totals.arrays++;
    this.space();
    if (this.peek() == 0x5d) { this.pos++; return; }
    while (true) {
      this.value();
      this.space();
      if (this.peek() == 0x2c) { this.pos++; continue; }
      this.expect(0x5d);
      return;
    }
  }

  /** A string's bytes, escapes decoded, hashed (FNV-1a). */
  private string(): void {
    this.expect(0x22);
    let h = this.totals.stringHash;
    while (true) {
      let c = this.buf[this.pos++];
      if (c == 0x22) break;
      if (c == 0x5c) {
        const e = this.buf[this.pos++];
        c = e == 0x6e ? 0x0a : e == 0x74 ? 0x09 : e == 0x72 ? 0x0d : e;
      }
      h = (h ^ <u64>c) * 0x100000001b3;
    }
    this.totals.stringHash = h;
    this.totals.strings++;
  }

  /** An integer, or a decimal with a fraction and exponent built from its digits. */
  private number(): void {
    const negative = this.peek() == 0x2d;
    if (negative) this.pos++;
    let mantissa: i64 = 0;
    let scale = 0;
    let decimal = false;
    while (this.isDigit(this.peek())) mantissa = mantissa * 10 + <i64>(this.buf[this.pos++] - 0x30);
    if (this.peek() == 0x2e) {
      decimal = true;
      this.pos++;
      while (this.isDigit(this.peek())) { mantissa = mantissa * 10 + <i64>(this.buf[this.pos++] - 0x30); scale--; }
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      decimal = true;
      this.pos++;
      let sign = 1;
      if (this.peek() == 0x2d) { sign = -1; this.pos++; } else if (this.peek() == 0x2b) this.pos++;
      let exp = 0;
      while (this.isDigit(this.peek())) exp = exp * 10 + <i32>(this.buf[this.pos++] - 0x30);
      scale += sign * exp;
    }
    if (negative) mantissa = -mantissa;
    if (!decimal) { this.totals.integers += mantissa; return; }
    this.totals.decimals += scale >= 0 ? <f64>mantissa * Math.pow(10, scale) : <f64>mantissa / Math.pow(10, -scale);
  }

  private isDigit(c: u8): bool {
    return c >= 0x30 && c <= 0x39;
  }

  private literal(): void {
    const c = this.peek();
    const word = c == 0x74 ? "true" : c == 0x66 ? "false" : "null";
    for (let i = 0; i < word.length; i++) this.expect(<u8>word.charCodeAt(i));
    this.totals.literals++;
  }
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const doc = generate(20_000);
  const t0 = clock.monotonic();
  let sum: u64 = 0;
  for (let r: i64 = 0; r < scale; r++) {
    const t = new Totals();
    if (!new Parser(doc, t).parse()) throw new Error("trailing bytes");
    sum += <u64>(t.objects + t.arrays * 3 + t.strings * 5 + t.literals * 7 + t.integers) ^ t.stringHash ^ reinterpret<u64>(t.decimals);
  }
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
