// lib/kv: the store's operations, persistence, limits and bad input.
import { KvStore } from "atoll/kv/store";
import { GetError, SetError, DeleteError, OpenError, ListError } from "atoll/kv/errors";
import { crc32c } from "atoll/kv/crc32c";
import { MemDevice, deviceFrom } from "./blockdev";

function bytes(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }
function text(b: Uint8Array): string { return String.UTF8.decode(b.buffer); }

function openNew(sectors: u64 = 128, size: u32 = 512): KvStore {
  const r = KvStore.open(new MemDevice("disk", size, sectors));
  assert(r.ok, r.message);
  return r.store!;
}

function getText(s: KvStore, key: string): string {
  const r = s.get(key);
  assert(r.ok, r.message);
  return text(r.value!);
}

export function test_crc32c_check_value(): void {
  // The standard check value of CRC-32C over "123456789".
  assert(crc32c(bytes("123456789"), 0, 9) == 0xE3069283);
}

export function test_set_get_delete_list(): void {
  const s = openNew();
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
  assert(s.delete("a").ok);
  const g = s.get("a");
  assert(g.error == GetError.NotFound && g.message.includes("no key 'a'"), g.message);
  assert(s.delete("a").error == DeleteError.NotFound);
  assert(s.list("").keys.length == 2);
}
