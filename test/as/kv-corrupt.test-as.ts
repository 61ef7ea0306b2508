// lib/kv under decay: single bit flips anywhere on the device, sectors lost
// (zeroed) or replaced by stale ones. The rule checked everywhere: the store
// either reports an error, or recovers from the redundant copy, and never
// returns a wrong value.
import { AbiConsole } from "atoll/console";
import { KvStore } from "atoll/kv/store";
import { GetError, OpenError, SetError } from "atoll/kv/errors";
import { Layout } from "atoll/kv/layout";
import { CommitKind } from "atoll/kv/log-sector";
import { sealSector } from "atoll/kv/sector";
import { CommitWriter } from "atoll/kv/writer";
import { MemDevice, deviceFrom } from "./blockdev";
import { Model, Rng, bytes, diff, text } from "./kv-model";

const out = new AbiConsole();
const SIZE: u32 = 512;

/** A store with a history: several compactions, then `after` commits on top of the last snapshot. */
class Aged {
  dev: MemDevice;
  model: Model = new Model();
  active: i32 = 0;
  halfStart: u64 = 0;
  halfSectors: u64 = 0;
  /** Sectors of the active half taken by the log. */
  logSectors: u64 = 0;

  constructor(after: i32) {
    this.dev = new MemDevice("disk", SIZE, 64); // halves of 31 sectors
    const s = KvStore.open(this.dev).store!;
    const rng = new Rng(2024);
    let i = 0;
    // Until the third compaction, then `after` more operations.
    while (s.compactions < 3) this.op(s, rng, i++);
    for (let j = 0; j < after; j++) this.op(s, rng, i++);
    this.active = s.activeHalf;
    this.halfSectors = s.halfSectors;
    this.halfStart = 2 + <u64>this.active * s.halfSectors;
    this.logSectors = s.logSectors;
  }

  private op(s: KvStore, rng: Rng, i: i32): void {
    const k = "key" + rng.below(8).toString();
    const v = rng.bytes(<i32>rng.below(700));
    const r = s.set(k, v);
    assert(r.ok, r.message);
    this.model.set(k, v);
  }

  /** What a sector holds: 0 superblock, 1 committed log, 2 just past the log's end, 3 unused. */
  role(sector: u64): i32 {
    if (sector < 2) return 0;
    if (sector >= this.halfStart && sector < this.halfStart + this.logSectors) return 1;
    if (sector == this.halfStart + this.logSectors) return 2;
    return 3;
  }
}

/** Opens a copy of `img` and checks the rule; returns 0 recovered/unaffected, 1 reported. */
function judge(img: Uint8Array, m: Model, role: i32, sector: u64, where: string): i32 {
  const r = KvStore.open(deviceFrom("disk", SIZE, img));
  if (!r.ok) {
    assert(role != 0 && role != 3, where + ": a flip in a superblock copy or unused space must not stop the store: " + r.message);
    assert(r.error == OpenError.Corrupt, where + ": " + r.message);
    assert(r.message.includes("sector " + sector.toString()), where + ": the error should name sector " + sector.toString() + ": " + r.message);
    return 1;
  }
  assert(role != 1, where + ": a flip in a committed sector must be reported");
  const e = diff(r.store!, m);
  assert(e == "", where + ": " + e);
  if (role == 0) {
    assert(r.store!.repaired.length > 0, where + ": the damaged copy should be rewritten");
  }
  return 0;
}

/** Flips one bit in many bytes of every sector of `a`; returns [cases, reported]. */
function sweep(a: Aged): i32[] {
  const img = a.dev.data;
  let cases = 0;
  let reported = 0;
  const sectors = <u64>(img.length / <i32>SIZE);
  for (let s: u64 = 0; s < sectors; s++) {
    const role = a.role(s);
    for (let b = 0; b < <i32>SIZE; b++) {
      // Every byte of the headers and the checksum; a spread of the rest.
      if (b >= 64 && b < <i32>SIZE - 4 && b % 11 != 0) continue;
      const at = <i32>s * <i32>SIZE + b;
      const bit = (b * 5 + <i32>s) & 7;
      img[at] = <u8>(<i32>img[at] ^ (1 << bit));
      reported += judge(img, a.model, role, s, "bit " + bit.toString() + " of byte " + b.toString() + " of sector " + s.toString());
      img[at] = <u8>(<i32>img[at] ^ (1 << bit));
      cases++;
    }
  }
  return [cases, reported];
}

export function test_a_flipped_bit_anywhere_is_reported_or_recovered(): void {
  let cases = 0;
  let reported = 0;
  // Right after a compaction (the log is one snapshot), and with commits on top.
  const ages: i32[] = [0, 1, 6];
  for (let i = 0; i < ages.length; i++) {
    const r = sweep(new Aged(ages[i]));
    cases += r[0];
    reported += r[1];
  }
  assert(reported > 0 && reported < cases);
  out.log("kv corruption cases: " + cases.toString() + " single-bit flips, " + reported.toString() + " reported, the rest recovered or harmless");
}

export function test_the_newest_superblock_lost_right_after_a_compaction(): void {
  // The newest copy names the half the compaction wrote; the other copy still
  // names the old half, whose log is intact. Recovery must find the newer half.
  const a = new Aged(0);
  const s = KvStore.open(deviceFrom("disk", SIZE, a.dev.data)).store!;
  const newest = <i32>(s.generation & 1);
  const img = a.dev.data.slice();
  img[newest * <i32>SIZE + 40] ^= 1; // the epoch field
  const d = deviceFrom("disk", SIZE, img);
  const r = KvStore.open(d);
  assert(r.ok, r.message);
  assert(r.store!.activeHalf == a.active && r.store!.repaired.includes("compaction into half " + a.active.toString()), r.store!.repaired);
  assert(diff(r.store!, a.model) == "");
  // The repair made both copies sound again.
  const again = KvStore.open(d).store!;
  assert(again.repaired == "" && diff(again, a.model) == "", again.repaired);
}

export function test_both_superblocks_damaged_is_an_error(): void {
  const a = new Aged(2);
  const img = a.dev.data.slice();
  img[100] ^= 4;
  img[<i32>SIZE + 17] ^= 1;
  const r = KvStore.open(deviceFrom("disk", SIZE, img));
  assert(r.error == OpenError.Corrupt && r.message.includes("no usable superblock (sector 0: checksum mismatch; sector 1: checksum mismatch)"), r.message);
}

export function test_one_superblock_copy_and_the_other_half_damaged_is_an_error(): void {
  // With one copy gone, the other half must be readable to show the lost copy
  // did not name a compaction into it; here it is not.
  const a = new Aged(2);
  const s = KvStore.open(deviceFrom("disk", SIZE, a.dev.data)).store!;
  const older = 1 - <i32>(s.generation & 1);
  const img = a.dev.data.slice();
  img[older * <i32>SIZE + 33] ^= 2;
  const otherHalf = 2 + (1 - a.active) * <i32>a.halfSectors;
  img[otherHalf * <i32>SIZE + 9] ^= 1;
  const r = KvStore.open(deviceFrom("disk", SIZE, img));
  assert(r.error == OpenError.Corrupt && r.message.includes("superblock copy " + older.toString() + " is not valid") &&
    r.message.includes("log sector " + otherHalf.toString() + " "), r.message);
}

export function test_a_lost_sector_in_the_middle_of_the_log_is_reported(): void {
  const a = new Aged(6);
  let reported = 0;
  for (let s = a.halfStart; s < a.halfStart + a.logSectors; s++) {
    const img = a.dev.data.slice();
    img.fill(0, <i32>(s * <u64>SIZE), <i32>((s + 1) * <u64>SIZE));
    const r = KvStore.open(deviceFrom("disk", SIZE, img));
    if (r.ok) {
      // Only the last commit can be taken for an interrupted write; every other key holds.
      const m = a.model;
      const keys = m.map.keys();
      let wrong = 0;
      for (let i = 0; i < keys.length; i++) {
        const g = r.store!.get(keys[i]);
        if (!g.ok || text(g.value!) != text(m.get(keys[i]))) wrong++;
      }
      assert(wrong <= 1 && s + 3 >= a.halfStart + a.logSectors, "zeroed sector " + s.toString() + " silently changed " + wrong.toString() + " keys");
    } else {
      assert(r.error == OpenError.Corrupt && r.message.includes("was lost"), r.message);
      reported++;
    }
  }
  assert(reported >= <i32>a.logSectors - 3, reported.toString());
}

export function test_a_stale_commit_past_the_end_is_never_replayed(): void {
  const dev = new MemDevice("disk", SIZE, 64);
  const s = KvStore.open(dev).store!;
  assert(s.set("k", bytes("v1")).ok); // commit 0, sector 2
  assert(s.set("k", bytes("v2")).ok); // commit 1, sector 3
  assert(s.set("j", bytes("x")).ok); //  commit 2, sector 4
  // Commit 0 copied to where commit 3 would go: same epoch, older sequence number.
  dev.data.copyWithin(5 * <i32>SIZE, 2 * <i32>SIZE, 3 * <i32>SIZE);
  const r = KvStore.open(dev);
  assert(r.ok, r.message);
  assert(text(r.store!.get("k").value!) == "v2");
  // A sector of an older epoch (the other half) past the end is not replayed either.
  const b = new MemDevice("disk", SIZE, 64);
  const t = KvStore.open(b).store!;
  for (let i = 0; i < 100; i++) assert(t.set("k", bytes("value " + i.toString() + ".".repeat(300))).ok);
  assert(t.compactions >= 2);
  const from = 2 + <i32>(1 - t.activeHalf) * <i32>t.halfSectors;
  const to = 2 + <i32>t.activeHalf * <i32>t.halfSectors + <i32>t.logSectors;
  b.data.copyWithin(to * <i32>SIZE, from * <i32>SIZE, (from + 1) * <i32>SIZE);
  const u = KvStore.open(b);
  assert(u.ok, u.message);
  assert(text(u.store!.get("k").value!).startsWith("value 99."));
}

export function test_decay_after_open_fails_get_not_the_store(): void {
  const dev = new MemDevice("disk", SIZE, 64);
  const s = KvStore.open(dev).store!;
  assert(s.set("a", bytes("alpha")).ok); // sector 2
  assert(s.set("b", bytes("beta")).ok); //  sector 3
  dev.flipBit(2 * <i32>SIZE + 70, 3);
  const g = s.get("a");
  assert(g.error == GetError.Corrupt && g.value == null && g.message.includes("log sector 2 ") && g.message.includes("fails its checksum"), g.message);
  assert(text(s.get("b").value!) == "beta");
  // A compaction cannot copy the damaged value: the write fails cleanly and nothing changes.
  let r = s.set("c", bytes("x"));
  for (let i = 0; r.ok && i < 200; i++) r = s.set("c", new Uint8Array(400));
  assert(r.error == SetError.Corrupt && r.message.includes("compaction stopped reading the value of 'a'"), r.message);
  assert(text(s.get("b").value!) == "beta");
  // Deleting the damaged key lets compaction through again.
  assert(s.delete("a").ok);
  for (let i = 0; i < 100; i++) assert(s.set("c", new Uint8Array(400)).ok);
  assert(s.compactions > 0);
  const t = KvStore.open(dev).store!;
  assert(!t.has("a") && text(t.get("b").value!) == "beta");
}

// ---- bad data that passes the checksums ----
// Outside the fault model (it takes someone computing checksums), but the
// store must still answer with an error or a store, never trap.

function openNoTrap(img: Uint8Array): i32 {
  const r = KvStore.open(deviceFrom("disk", SIZE, img));
  if (!r.ok) {
    assert(r.message.length > 0);
    return 1;
  }
  const s = r.store!;
  const l = s.list("");
  for (let i = 0; i < l.keys.length; i++) s.get(l.keys[i]);
  s.set("fuzz", bytes("x"));
  return 0;
}

export function test_forged_sectors_with_good_checksums_never_trap(): void {
  const a = new Aged(6);
  const rng = new Rng(99);
  let errors = 0;
  for (let i = 0; i < 1500; i++) {
    const img = a.dev.data.slice();
    // A superblock copy or a sector of the log in force, some bytes changed, resealed.
    const s = rng.below(4) == 0 ? <u64>rng.below(2) : a.halfStart + <u64>rng.below(<u32>a.logSectors);
    const sector = img.subarray(<i32>s * <i32>SIZE, (<i32>s + 1) * <i32>SIZE);
    const n = 1 + <i32>rng.below(6);
    for (let j = 0; j < n; j++) {
      const at = rng.below(3) == 0 ? <i32>rng.below(SIZE - 4) : <i32>rng.below(64);
      sector[at] = <u8>rng.next();
    }
    sealSector(sector);
    errors += openNoTrap(img);
  }
  assert(errors > 0);
}

export function test_malformed_records_in_a_sealed_commit_are_reported(): void {
  const rng = new Rng(5150);
  let reported = 0;
  for (let i = 0; i < 800; i++) {
    const dev = new MemDevice("disk", SIZE, 64);
    KvStore.open(dev);
    // Records that are nearly right: odd ops, lengths, keys that are not UTF-8.
    const payload: u8[] = [];
    const records = 1 + <i32>rng.below(3);
    for (let r = 0; r < records; r++) {
      const op = rng.below(8) == 0 ? <u8>rng.below(5) : <u8>(1 + rng.below(2));
      const klen = rng.below(8) == 0 ? rng.below(300) : 1 + rng.below(12);
      const vlen = rng.below(8) == 0 ? rng.next() : rng.below(40);
      payload.push(op);
      payload.push(rng.below(16) == 0 ? 1 : 0);
      payload.push(<u8>klen); payload.push(<u8>(klen >> 8));
      payload.push(<u8>vlen); payload.push(<u8>(vlen >> 8)); payload.push(<u8>(vlen >> 16)); payload.push(<u8>(vlen >> 24));
      const realK = rng.below(4) == 0 ? <i32>rng.below(20) : <i32>klen;
      for (let j = 0; j < realK; j++) payload.push(rng.below(6) == 0 ? <u8>(0x80 + rng.below(128)) : <u8>(0x61 + rng.below(26)));
      const realV = rng.below(4) == 0 ? <i32>rng.below(60) : <i32>min(vlen, 60);
      for (let j = 0; j < realV; j++) payload.push(<u8>rng.next());
    }
    const buf = new Uint8Array(payload.length);
    for (let j = 0; j < payload.length; j++) buf[j] = payload[j];
    const layout = new Layout(<i32>SIZE, 64);
    const w = new CommitWriter(dev, layout, 2, 1, 0, CommitKind.Ops, <u64>buf.length, 64);
    assert(w.append(buf, 0, buf.length).ok && w.finish().ok);
    const r = KvStore.open(dev);
    if (!r.ok) {
      assert(r.error == OpenError.Corrupt && r.message.includes("commit 0 at log sector 2 is malformed"), r.message);
      reported++;
    } else {
      openNoTrap(dev.data);
    }
  }
  assert(reported > 400, reported.toString());
  out.log("kv malformed commits: " + reported.toString() + " of 800 reported");
}
