// The key-value store: string keys, byte-array values, every set and delete
// on stable storage when it returns Ok. Single-threaded and synchronous, like
// the BlockDevice under it. The on-disk format and its guarantees are in
// docs/kv-format.md.

import { BlockDevice } from "../block";
import {
  DeleteError, DeleteResult, Fault, FaultKind, GetError, GetResult, ListError, ListResult, OpenError, SetError, SetResult,
} from "./errors";
import { flushDevice } from "./io";
import { KeyBytes, compareKeys, encodeKey, prefixError } from "./key";
import { KeyDir, ValueRef } from "./keydir";
import { Layout, MAX_VALUE_BYTES } from "./layout";
import { CommitKind } from "./log-sector";
import { readValue } from "./reader";
import { RECORD_HEADER_LEN, RecordOp, emitRecordHeader, recordLen } from "./record";
import { recover, writeSuperblock } from "./recover";
import { Superblock } from "./superblock";
import { CommitWriter } from "./writer";

/** Sectors handed to the device per write while writing a snapshot. */
const SNAPSHOT_CHUNK_SECTORS: i32 = 32;

/** The outcome of KvStore.open: the store, or why there is none. */
export class OpenResult {
  constructor(readonly store: KvStore | null, readonly error: OpenError, readonly message: string) {}
  get ok(): bool { return this.error == OpenError.None; }
}

/** A persistent key-value store on a block device. Obtain one with `KvStore.open`. */
export class KvStore {
  private keys: KeyDir;
  private sb: Superblock;
  private end: u64;
  private nextSeq: u64;
  /** Set after a device error during a write: the disk's state is unknown until reopened. */
  private stopped: string = "";
  private header: Uint8Array = new Uint8Array(RECORD_HEADER_LEN);
  /** Compactions done since open. */
  compactions: i32 = 0;
  /** What open repaired, or "" (a superblock copy rewritten, an interrupted compaction finished). */
  readonly repaired: string;
  /** True when open found a blank device and formatted it. */
  readonly formatted: bool;

  /** Use KvStore.open. */
  constructor(private dev: BlockDevice, private layout: Layout, sb: Superblock, keys: KeyDir, end: u64, nextSeq: u64, repaired: string, formatted: bool) {
    this.sb = sb;
    this.keys = keys;
    this.end = end;
    this.nextSeq = nextSeq;
    this.repaired = repaired;
    this.formatted = formatted;
  }

  /**
   * Opens the store on `dev`: formats an all-zero device, recovers one that
   * holds a store (after a crash too), and refuses anything else without
   * writing to it.
   */
  static open(dev: BlockDevice): OpenResult {
    const r = recover(dev);
    if (r.error != OpenError.None) return new OpenResult(null, r.error, prefix(dev) + r.message);
    const s = new KvStore(dev, r.layout, r.sb, r.scan.keys, r.scan.end, r.scan.nextSeq, r.repaired, r.formatted);
    return new OpenResult(s, OpenError.None, "");
  }

  /** The value of `key`, read from the device and checked. */
  get(key: string): GetResult {
    const kb = encodeKey(key);
    if (kb.error.length > 0) return new GetResult(null, GetError.InvalidKey, this.prefix + kb.error);
    const ref = this.keys.find(key);
    if (ref == null) return new GetResult(null, GetError.NotFound, this.prefix + "no key " + quote(key));
    const out = new Uint8Array(<i32>ref.length);
    const f = readValue(this.dev, this.layout, this.sb.epoch, ref, out);
    if (f.kind == FaultKind.Device) return new GetResult(null, GetError.DeviceError, this.prefix + "get " + quote(key) + ": " + f.message);
    if (!f.ok) return new GetResult(null, GetError.Corrupt, this.prefix + "get " + quote(key) + ": " + f.message);
    return new GetResult(out, GetError.None, "");
  }

  /** True when `key` holds a value (no device access). */
  has(key: string): bool { return this.keys.has(key); }

  /** Stores `value` (copied) under `key`; on Ok it is on stable storage. */
  set(key: string, value: Uint8Array): SetResult {
    if (this.stopped.length > 0) return new SetResult(SetError.Stopped, this.prefix + this.stopped);
    const kb = encodeKey(key);
    if (kb.error.length > 0) return new SetResult(SetError.InvalidKey, this.prefix + kb.error);
    if (value.length > MAX_VALUE_BYTES) {
      return new SetResult(SetError.ValueTooLarge, this.prefix + "the value for " + quote(key) + " is " + value.length.toString() +
        " bytes; the limit is " + MAX_VALUE_BYTES.toString());
    }
    if (this.dev.readOnly) return new SetResult(SetError.ReadOnly, this.prefix + "the device is read-only");
    const f = this.commit(RecordOp.Put, key, kb, value);
    if (f.ok) return new SetResult(SetError.None, "");
    const msg = this.prefix + "set " + quote(key) + ": " + f.message;
    if (f.kind == FaultKind.Full) return new SetResult(SetError.Full, msg);
    if (f.kind == FaultKind.Corrupt) return new SetResult(SetError.Corrupt, msg);
    return new SetResult(SetError.DeviceError, msg);
  }

  /** Removes `key`; on Ok the removal is on stable storage. */
  delete(key: string): DeleteResult {
    if (this.stopped.length > 0) return new DeleteResult(DeleteError.Stopped, this.prefix + this.stopped);
    const kb = encodeKey(key);
    if (kb.error.length > 0) return new DeleteResult(DeleteError.InvalidKey, this.prefix + kb.error);
    if (!this.keys.has(key)) return new DeleteResult(DeleteError.NotFound, this.prefix + "no key " + quote(key));
    if (this.dev.readOnly) return new DeleteResult(DeleteError.ReadOnly, this.prefix + "the device is read-only");
    const f = this.commit(RecordOp.Delete, key, kb, null);
    if (f.ok) return new DeleteResult(DeleteError.None, "");
    const msg = this.prefix + "delete " + quote(key) + ": " + f.message;
    // A delete always fits after compaction (it shrinks the live data), so Full cannot happen.
    if (f.kind == FaultKind.Corrupt) return new DeleteResult(DeleteError.Corrupt, msg);
    return new DeleteResult(DeleteError.DeviceError, msg);
  }

  /** The keys that start with `prefix` ("" for all), in code point order. */
  list(prefix: string): ListResult {
    const e = prefixError(prefix);
    if (e.length > 0) return new ListResult([], ListError.InvalidPrefix, this.prefix + e);
    const all = this.keys.keys();
    const out: string[] = [];
    for (let i = 0; i < all.length; i++) if (all[i].startsWith(prefix)) out.push(all[i]);
    out.sort((a: string, b: string): i32 => compareKeys(a, b));
    return new ListResult(out, ListError.None, "");
  }

  /** Number of live keys. */
  get size(): i32 { return this.keys.size; }
  /** Sectors in each half; the live data must fit in one. */
  get halfSectors(): u64 { return this.layout.halfSectors; }
  /** Sectors of the active half taken by its log. */
  get logSectors(): u64 { return this.end; }
  /** Sectors a snapshot of the live data would take. */
  get liveSectors(): u64 { return this.layout.commitSectors(this.keys.liveBytes); }
  get generation(): u64 { return this.sb.generation; }
  get epoch(): u64 { return this.sb.epoch; }
  get activeHalf(): i32 { return this.sb.active; }

  private get prefix(): string { return prefix(this.dev); }

  /** Appends one record as a commit, compacting first when the half has no room left. */
  private commit(op: RecordOp, key: string, kb: KeyBytes, value: Uint8Array | null): Fault {
    const vlen = value == null ? 0 : value.length;
    const len = recordLen(kb.bytes.length, vlen);
    const count = this.layout.commitSectors(len);
    if (count > this.layout.halfSectors - this.end) return this.compact(op, key, kb, value);
    const first = this.layout.halfStart(this.sb.active) + this.end;
    const w = new CommitWriter(this.dev, this.layout, first, this.sb.epoch, this.nextSeq, CommitKind.Ops, len, <i32>count);
    let f = this.writeRecord(w, op, kb, value);
    if (f.ok) f = w.finish();
    if (f.ok) f = flushDevice(this.dev);
    if (!f.ok) return this.stop(f);
    if (op == RecordOp.Put) {
      this.keys.put(key, new ValueRef(first, this.nextSeq, <u64>(RECORD_HEADER_LEN + kb.bytes.length), <u32>vlen, len));
    } else {
      this.keys.remove(key);
    }
    this.end += count;
    this.nextSeq++;
    return Fault.none();
  }

  /**
   * Writes the live state with `op` applied as the snapshot that opens the
   * next epoch in the other half, then switches the superblock to it. The
   * switch is the commit point of `op`: before it the old half is in force.
   */
  private compact(op: RecordOp, key: string, kb: KeyBytes, value: Uint8Array | null): Fault {
    const existing = this.keys.find(key);
    let live = this.keys.liveBytes;
    if (existing != null) live -= existing.recordLen;
    if (op == RecordOp.Put) live += recordLen(kb.bytes.length, value == null ? 0 : value.length);
    const need = this.layout.commitSectors(live);
    if (need > this.layout.halfSectors) {
      return new Fault(FaultKind.Full, "the store is full: the live data would take " + need.toString() + " sectors and a half of the device holds " +
        this.layout.halfSectors.toString() + "; delete keys or use a larger device");
    }
    const to = 1 - this.sb.active;
    const epoch = this.sb.epoch + 1;
    const base = this.layout.halfStart(to);
    const w = new CommitWriter(this.dev, this.layout, base, epoch, 0, CommitKind.Snapshot, live, SNAPSHOT_CHUNK_SECTORS);
    const keys = new KeyDir();
    const names = this.keys.keys();
    names.sort((a: string, b: string): i32 => compareKeys(a, b));
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name == key) continue;
      const ref = this.keys.find(name)!;
      const v = new Uint8Array(<i32>ref.length);
      let f = readValue(this.dev, this.layout, this.sb.epoch, ref, v);
      if (!f.ok) {
        // Nothing in force has changed: the half being written is not active.
        return new Fault(f.kind, "compaction stopped reading the value of " + quote(name) + ": " + f.message);
      }
      const nkb = encodeKey(name);
      const at = w.position + <u64>RECORD_HEADER_LEN + <u64>nkb.bytes.length;
      f = this.writeRecord(w, RecordOp.Put, nkb, v);
      if (!f.ok) return this.stop(f);
      keys.put(name, new ValueRef(base, 0, at, ref.length, ref.recordLen));
    }
    if (op == RecordOp.Put) {
      const v = value!;
      const at = w.position + <u64>RECORD_HEADER_LEN + <u64>kb.bytes.length;
      const f = this.writeRecord(w, RecordOp.Put, kb, v);
      if (!f.ok) return this.stop(f);
      keys.put(key, new ValueRef(base, 0, at, <u32>v.length, recordLen(kb.bytes.length, v.length)));
    }
    let f = w.finish();
    if (f.ok) f = flushDevice(this.dev);
    const sb = this.sb.next(to, epoch);
    if (f.ok) f = writeSuperblock(this.dev, sb);
    if (!f.ok) return this.stop(f);
    this.sb = sb;
    this.keys = keys;
    this.end = w.count;
    this.nextSeq = 1;
    this.compactions++;
    return Fault.none();
  }

  private writeRecord(w: CommitWriter, op: RecordOp, kb: KeyBytes, value: Uint8Array | null): Fault {
    const vlen = value == null ? 0 : value.length;
    emitRecordHeader(this.header, op, kb.bytes.length, vlen);
    let f = w.append(this.header, 0, RECORD_HEADER_LEN);
    if (f.ok) f = w.append(kb.bytes, 0, kb.bytes.length);
    if (f.ok && value != null) f = w.append(value, 0, vlen);
    return f;
  }

  /** After a failed write or flush the disk may hold any prefix of it: refuse writes until reopened. */
  private stop(f: Fault): Fault {
    this.stopped = "the store stopped writing after a device error (" + f.message + "); reopen it to recover the committed state";
    return f;
  }
}

function prefix(dev: BlockDevice): string {
  return "kv store on \"" + dev.name + "\": ";
}

function quote(key: string): string {
  return "'" + key + "'";
}
