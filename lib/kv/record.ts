// Records: what a commit's payload holds, back to back, possibly straddling
// sector boundaries. See docs/kv-format.md, "Record".
//
//   0  u8   op: 1 put, 2 delete
//   1  u8   zero
//   2  u16  key length k (1..MAX_KEY_BYTES)
//   4  u32  value length v (0..MAX_VALUE_BYTES; 0 for a delete)
//   8  k    key, UTF-8
//   8+k v   value

import { getU16, getU32, setU16, setU32 } from "./bytes";
import { decodeKey } from "./key";
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./layout";

export const RECORD_HEADER_LEN: i32 = 8;

export enum RecordOp {
  Put = 1,
  Delete = 2,
}

/** Bytes of a record with a `keyLen`-byte key and a `valueLen`-byte value. */
export function recordLen(keyLen: i32, valueLen: i32): u64 {
  return <u64>RECORD_HEADER_LEN + <u64>keyLen + <u64>valueLen;
}

/** Writes a record header into `out` (at least RECORD_HEADER_LEN bytes). */
export function emitRecordHeader(out: Uint8Array, op: RecordOp, keyLen: i32, valueLen: i32): void {
  out.fill(0);
  out[0] = <u8>op;
  setU16(out, 2, <u16>keyLen);
  setU32(out, 4, <u32>valueLen);
}

/** One record found in a commit: where its value lies in the commit's payload. */
export class ParsedRecord {
  constructor(readonly op: RecordOp, readonly key: string, readonly keyLen: i32, readonly valueOffset: u64, readonly valueLen: u32) {}
}

// Parser phases.
const HEADER = 0;
const KEY = 1;
const VALUE = 2;

/**
 * Parses the records of one commit as its payload goes past, a sector's worth
 * at a time, keeping keys and the place of each value but not the values.
 * After a malformed record it stops and keeps the first reason in `error`.
 */
export class RecordParser {
  readonly records: ParsedRecord[] = [];
  /** "" while the records are well-formed; else why not, with the payload offset. */
  error: string = "";
  private phase: i32 = HEADER;
  private header: Uint8Array = new Uint8Array(RECORD_HEADER_LEN);
  private key: Uint8Array = new Uint8Array(MAX_KEY_BYTES);
  private have: i32 = 0;
  private op: RecordOp = RecordOp.Put;
  private keyLen: i32 = 0;
  private valueLen: u32 = 0;
  private valueLeft: u64 = 0;
  private recordStart: u64 = 0;

  /** Feeds `b[start..end)`, which sits at `offset` in the commit's payload. */
  feed(b: Uint8Array, start: i32, end: i32, offset: u64): void {
    let i = start;
    while (i < end && this.error.length == 0) {
      const here = offset + <u64>(i - start);
      if (this.phase == HEADER) {
        if (this.have == 0) this.recordStart = here;
        const n = min(end - i, RECORD_HEADER_LEN - this.have);
        for (let k = 0; k < n; k++) this.header[this.have + k] = b[i + k];
        this.have += n;
        i += n;
        if (this.have == RECORD_HEADER_LEN) this.startRecord();
      } else if (this.phase == KEY) {
        const n = min(end - i, this.keyLen - this.have);
        for (let k = 0; k < n; k++) this.key[this.have + k] = b[i + k];
        this.have += n;
        i += n;
        if (this.have == this.keyLen) this.endKey(offset + <u64>(i - start));
      } else {
        const n = <i32>min(<u64>(end - i), this.valueLeft);
        this.valueLeft -= <u64>n;
        i += n;
        if (this.valueLeft == 0) this.phase = HEADER;
      }
    }
  }

  /** Ends the commit: a record cut short by the end of the payload is malformed. */
  finish(): void {
    if (this.error.length == 0 && (this.phase != HEADER || this.have != 0)) {
      this.error = "the record at payload offset " + this.recordStart.toString() + " runs past the end of the commit";
    }
  }

  private startRecord(): void {
    const h = this.header;
    const op = <i32>h[0];
    this.keyLen = <i32>getU16(h, 2);
    this.valueLen = getU32(h, 4);
    if ((op != RecordOp.Put && op != RecordOp.Delete) || h[1] != 0) {
      this.fail("unknown record op " + op.toString());
    } else if (this.keyLen < 1 || this.keyLen > MAX_KEY_BYTES) {
      this.fail("key length " + this.keyLen.toString());
    } else if (this.valueLen > <u32>MAX_VALUE_BYTES || (op == RecordOp.Delete && this.valueLen != 0)) {
      this.fail("value length " + this.valueLen.toString());
    } else {
      this.op = <RecordOp>op;
      this.phase = KEY;
      this.have = 0;
    }
  }

  private endKey(valueOffset: u64): void {
    const key = decodeKey(this.key, 0, this.keyLen);
    if (key == null) {
      this.fail("a key that is not valid UTF-8");
      return;
    }
    this.records.push(new ParsedRecord(this.op, key, this.keyLen, valueOffset, this.valueLen));
    this.have = 0;
    this.valueLeft = <u64>this.valueLen;
    this.phase = this.valueLeft == 0 ? HEADER : VALUE;
  }

  private fail(what: string): void {
    this.error = "the record at payload offset " + this.recordStart.toString() + " has " + what;
  }
}
