// lib/kv: the store's operations, persistence, compaction, limits and bad input.
import { KvStore } from "atoll/kv/store";
import { DeleteError, GetError, ListError, OpenError, SetError } from "atoll/kv/errors";
import { crc32c } from "atoll/kv/crc32c";
import { Superblock } from "atoll/kv/superblock";
import { MAX_VALUE_BYTES } from "atoll/kv/layout";
import { MemDevice, deviceFrom } from "./blockdev";
import { Model, Rng, bytes, diff, sameBytes, text } from "./kv-model";

function open(dev: MemDevice): KvStore {
  const r = KvStore.open(dev);
  assert(r.ok, r.message);
  return r.store!;
}

function getText(s: KvStore, key: string): string {
  const r = s.get(key);
  assert(r.ok, r.message);
  return text(r.value!);
}

function repeat(s: string, n: i32): string {
  let out = "";
  for (let i = 0; i < n; i++) out += s;
  return out;
}

// ---- checksum ----

export function test_crc32c_check_value(): void {
  // The catalogued check value of CRC-32C over "123456789".
  assert(crc32c(bytes("123456789"), 0, 9) == 0xE3069283);
  assert(crc32c(new Uint8Array(32), 0, 32) == 0x8A9136AA); // RFC 3720 B.4: 32 bytes of zeros
}

// ---- operations ----

export function test_set_get_delete_list(): void {
  const s = open(new MemDevice("disk", 512, 128));
  assert(s.set("b", bytes("two")).ok);
  assert(s.set("a", bytes("one")).ok);
  assert(s.set("a/x", bytes("three")).ok);
  assert(getText(s, "a") == "one");
  assert(getText(s, "b") == "two");
  assert(s.set("a", bytes("uno")).ok);
  assert(getText(s, "a") == "uno");
  const l = s.list("a");
  assert(l.ok && l.keys.length == 2 && l.keys[0] == "a" && l.keys[1] == "a/x");
  assert(s.list("").keys.length == 3);
  assert(s.list("c").keys.length == 0);
  assert(s.delete("a").ok);
  const g = s.get("a");
  assert(g.error == GetError.NotFound && g.message == "kv store on \"disk\": no key 'a'", g.message);
  assert(s.delete("a").error == DeleteError.NotFound);
  assert(s.list("").keys.length == 2 && !s.has("a") && s.has("b"));
}

export function test_open_formats_a_blank_device_and_reopens_it(): void {
  const dev = new MemDevice("disk", 512, 64);
  const s = open(dev);
  assert(s.formatted && s.size == 0);
  assert(dev.flushes == 1 && dev.trace.length == 1, "format is one write of both superblock copies, then a flush");
  const again = open(dev);
  assert(!again.formatted && again.size == 0 && again.generation == 1 && again.repaired == "", again.repaired);
}

export function test_values_persist_across_reopen(): void {
  const dev = new MemDevice("disk", 512, 256);
  const s = open(dev);
  const rng = new Rng(7);
  const m = new Model();
  for (let i = 0; i < 40; i++) {
    const k = "key" + (i % 13).toString();
    if (i % 7 == 6) { s.delete(k); m.delete(k); continue; }
    const v = rng.bytes(<i32>rng.below(1500));
    assert(s.set(k, v).ok);
    m.set(k, v);
  }
  assert(diff(s, m) == "", diff(s, m));
  const t = open(dev);
  assert(diff(t, m) == "", diff(t, m));
  // A reopened store goes on appending where the log ended.
  assert(t.set("after", bytes("reopen")).ok);
  m.set("after", bytes("reopen"));
  assert(diff(open(dev), m) == "");
}

export function test_empty_and_largest_values(): void {
  const dev = new MemDevice("disk", 512, 1024);
  const s = open(dev);
  assert(s.set("empty", new Uint8Array(0)).ok);
  const big = new Rng(3).bytes(MAX_VALUE_BYTES);
  assert(s.set("big", big).ok);
  const r = s.get("empty");
  assert(r.ok && r.value!.length == 0);
  const t = open(dev);
  assert(sameBytes(t.get("big").value!, big));
  assert(t.get("empty").value!.length == 0);
  const over = t.set("over", new Uint8Array(MAX_VALUE_BYTES + 1));
  assert(over.error == SetError.ValueTooLarge && over.message.includes("65537 bytes; the limit is 65536"), over.message);
}

export function test_4096_byte_sectors(): void {
  const dev = new MemDevice("nvme", 4096, 80);
  const s = open(dev);
  const m = new Model();
  const rng = new Rng(11);
  for (let i = 0; i < 200; i++) {
    const k = "k" + rng.below(10).toString();
    const v = rng.bytes(<i32>rng.below(9000));
    const r = s.set(k, v);
    assert(r.ok, r.message);
    m.set(k, v);
  }
  assert(s.compactions > 0);
  assert(diff(open(dev), m) == "");
}

// ---- keys ----

export function test_keys_are_checked(): void {
  const s = open(new MemDevice("disk", 512, 64));
  const e = s.set("", bytes("x"));
  assert(e.error == SetError.InvalidKey && e.message.includes("the key is empty"), e.message);
  assert(s.set(repeat("k", 255), bytes("x")).ok);
  const long = s.set(repeat("k", 256), bytes("x"));
  assert(long.error == SetError.InvalidKey && long.message.includes("256 bytes of UTF-8; the limit is 255"), long.message);
  assert(s.set(repeat("\u20AC", 85), bytes("euro")).ok); // 255 bytes
  assert(s.set(repeat("\u20AC", 86), bytes("euro")).error == SetError.InvalidKey); // 258 bytes
  const lone = s.set("a\uD800b", bytes("x"));
  assert(lone.error == SetError.InvalidKey && lone.message.includes("unpaired UTF-16 surrogate at index 1"), lone.message);
  assert(s.get("").error == GetError.InvalidKey);
  assert(s.delete("\uDC00").error == DeleteError.InvalidKey);
  assert(s.list("\uD800").error == ListError.InvalidPrefix);
  assert(s.get(repeat("\u20AC", 85)).ok);
}

export function test_list_is_in_code_point_order(): void {
  const dev = new MemDevice("disk", 512, 64);
  const s = open(dev);
  // UTF-16 order would put the emoji (U+1F600, D83D DE00) before U+FFFD.
  const keys = ["\u{1F600}", "\uFFFD", "z", "\u00E9", "Z", "a", "ab"];
  for (let i = 0; i < keys.length; i++) assert(s.set(keys[i], bytes(i.toString())).ok);
  const want = ["Z", "a", "ab", "z", "\u00E9", "\uFFFD", "\u{1F600}"];
  const l = open(dev).list("");
  assert(l.keys.length == want.length);
  for (let i = 0; i < want.length; i++) assert(l.keys[i] == want[i], "position " + i.toString() + ": " + l.keys[i]);
  assert(getText(open(dev), "\u{1F600}") == "0");
}

// ---- compaction and a full device ----

export function test_compaction_under_sustained_overwrites(): void {
  const dev = new MemDevice("disk", 512, 42); // halves of 20 sectors
  const s = open(dev);
  const m = new Model();
  const rng = new Rng(5);
  for (let i = 0; i < 600; i++) {
    const k = "counter" + rng.below(6).toString();
    const v = bytes(k + "=" + i.toString() + repeat(".", <i32>rng.below(300)));
    const r = s.set(k, v);
    assert(r.ok, r.message);
    m.set(k, v);
    if (i % 50 == 0) assert(diff(s, m) == "", diff(s, m));
  }
  assert(s.compactions > 20, s.compactions.toString());
  assert(s.epoch == <u64>(1 + s.compactions) && s.activeHalf == (s.compactions & 1));
  assert(diff(open(dev), m) == "");
}

export function test_a_full_store_says_so_and_keeps_its_data(): void {
  const dev = new MemDevice("disk", 512, 42);
  const s = open(dev);
  const m = new Model();
  let full = "";
  for (let i = 0; i < 100 && full.length == 0; i++) {
    const k = "file" + i.toString();
    const v = new Rng(<u32>i + 1).bytes(700);
    const r = s.set(k, v);
    if (r.error == SetError.Full) { full = r.message; break; }
    assert(r.ok, r.message);
    m.set(k, v);
  }
  assert(full.includes("the store is full") && full.includes("delete keys or use a larger device"), full);
  assert(s.liveSectors <= s.halfSectors);
  // Nearly full: overwrites of the same size still work, compacting every time.
  const keys = m.map.keys();
  for (let i = 0; i < 30; i++) {
    const k = keys[i % keys.length];
    const v = new Rng(<u32>(1000 + i)).bytes(700);
    const r = s.set(k, v);
    assert(r.ok, r.message);
    m.set(k, v);
  }
  assert(s.set(keys[0], new Uint8Array(9000)).error == SetError.Full);
  assert(diff(s, m) == "", diff(s, m));
  assert(diff(open(dev), m) == "");
  // Deleting makes room, even when the log has no room for the delete record.
  const t = open(dev);
  assert(t.delete(keys[0]).ok && t.delete(keys[1]).ok);
  m.delete(keys[0]);
  m.delete(keys[1]);
  assert(t.set("new", new Uint8Array(1000)).ok);
  m.set("new", new Uint8Array(1000));
  assert(diff(open(dev), m) == "");
}

export function test_a_value_larger_than_half_the_device_is_full(): void {
  const s = open(new MemDevice("disk", 512, 42));
  const r = s.set("k", new Uint8Array(MAX_VALUE_BYTES));
  assert(r.error == SetError.Full && r.message.includes("half of the device holds 20"), r.message);
  assert(s.size == 0);
}

// ---- devices the store refuses ----

export function test_refuses_a_device_that_holds_something_else(): void {
  const dev = new MemDevice("disk", 512, 64);
  dev.data[512 * 30 + 7] = 1;
  const r = KvStore.open(dev);
  assert(r.error == OpenError.NotAStore && r.message.includes("sector 30 is not"), r.message);
  const other = new MemDevice("disk", 512, 64);
  const mbr = bytes("\xEB\x3C\x90MSDOS5.0");
  other.data.set(mbr, 0);
  other.data.set(mbr, 512);
  const q = KvStore.open(other);
  assert(q.error == OpenError.NotAStore && q.message.includes("does not hold a kv store") && q.message.includes("left untouched"), q.message);
  assert(dev.trace.length == 0 && other.trace.length == 0, "nothing was written");
}

export function test_too_small_and_read_only_devices(): void {
  const r = KvStore.open(new MemDevice("tiny", 512, 9));
  assert(r.error == OpenError.TooSmall && r.message.includes("needs at least 10"), r.message);
  const ro = KvStore.open(new MemDevice("ro", 512, 64, null, true));
  assert(ro.error == OpenError.ReadOnly && ro.message.includes("blank and read-only"), ro.message);
  // A store on a read-only device can be read, not written.
  const dev = new MemDevice("disk", 512, 64);
  assert(open(dev).set("k", bytes("v")).ok);
  const s = open(deviceFrom("disk", 512, dev.data, true));
  assert(getText(s, "k") == "v");
  assert(s.set("k", bytes("w")).error == SetError.ReadOnly);
  assert(s.delete("k").error == DeleteError.ReadOnly);
}

export function test_refuses_other_sector_sizes_and_newer_formats(): void {
  const dev = new MemDevice("disk", 512, 64);
  assert(open(dev).set("k", bytes("v")).ok);
  const big = KvStore.open(deviceFrom("disk", 1024, dev.data));
  assert(big.error == OpenError.Unsupported && big.message.includes("formatted with 512-byte sectors, but the device has 1024-byte sectors"), big.message);
  const newer = new MemDevice("disk", 512, 64);
  const sb = new Superblock();
  sb.version = 2;
  sb.sectorSize = 512;
  sb.sectorCount = 64;
  sb.halfSectors = 31;
  sb.epoch = 1;
  sb.generation = 0;
  sb.emit(newer.data.subarray(0, 512));
  const r = KvStore.open(newer);
  assert(r.error == OpenError.Unsupported && r.message.includes("format version 2; this code reads version 1"), r.message);
  // A device that shrank since it was formatted.
  const small = KvStore.open(deviceFrom("disk", 512, dev.data.subarray(0, 512 * 40)));
  assert(small.error == OpenError.Unsupported && small.message.includes("formatted for 64 sectors but the device has only 40"), small.message);
  // One that grew keeps its geometry.
  const grown = new Uint8Array(512 * 100);
  grown.set(dev.data);
  assert(getText(open(deviceFrom("disk", 512, grown)), "k") == "v");
}

// ---- device errors ----

export function test_a_failed_write_stops_the_store_until_reopened(): void {
  const dev = new MemDevice("disk", 512, 64);
  const s = open(dev);
  assert(s.set("k", bytes("old")).ok);
  dev.failWritesFrom = dev.trace.length;
  const r = s.set("k", bytes("new"));
  assert(r.error == SetError.DeviceError && r.message.includes("writing sector") && r.message.includes("the device reported an error"), r.message);
  const again = s.set("j", bytes("x"));
  assert(again.error == SetError.Stopped && again.message.includes("reopen it"), again.message);
  assert(s.delete("k").error == DeleteError.Stopped);
  assert(getText(s, "k") == "old", "reads go on");
  dev.failWritesFrom = -1;
  const t = open(dev);
  assert(getText(t, "k") == "old");
  assert(t.set("k", bytes("new")).ok);
}

export function test_a_failed_flush_stops_the_store(): void {
  const dev = new MemDevice("disk", 512, 64);
  const s = open(dev);
  dev.failFlushes = true;
  const r = s.set("k", bytes("v"));
  assert(r.error == SetError.DeviceError && r.message.includes("flush failed"), r.message);
  dev.failFlushes = false;
  assert(s.set("k", bytes("v")).error == SetError.Stopped);
  // The write did reach this device, so the reopened store has it: an unacknowledged write may land.
  assert(getText(open(dev), "k") == "v");
}
