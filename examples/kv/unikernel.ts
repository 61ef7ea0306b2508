import { Console } from "atoll/console";
import { Args } from "atoll/args";
import { BlockDevice } from "atoll/block";
import { KvStore } from "atoll/kv/store";
import { exit } from "atoll/exit";

/** Counts its boots in the store on `disk` and keeps named values across runs. */
export function start(out: Console, args: Args, disk: BlockDevice): void {
  const opened = KvStore.open(disk);
  if (!opened.ok) fail(out, opened.message);
  const store = opened.store!;

  let boots: i64 = 0;
  if (store.has("boots")) {
    const r = store.get("boots");
    if (!r.ok) fail(out, r.message);
    boots = I64.parseInt(String.UTF8.decode(r.value!.buffer), 10);
  }
  boots++;
  const saved = store.set("boots", bytes(boots.toString()));
  if (!saved.ok) fail(out, saved.message);
  out.log("boots: " + boots.toString());

  const set = args.string("set");
  if (set.length > 0) {
    const eq = set.indexOf("=");
    if (eq <= 0) fail(out, "--set takes KEY=VALUE, not '" + set + "'");
    const key = set.substring(0, eq);
    const r = store.set(key, bytes(set.substring(eq + 1)));
    if (!r.ok) fail(out, r.message);
    out.log("set " + key);
  }
  const get = args.string("get");
  if (get.length > 0) {
    const r = store.get(get);
    if (!r.ok) fail(out, r.message);
    out.log(get + " = " + String.UTF8.decode(r.value!.buffer));
  }
  const del = args.string("delete");
  if (del.length > 0) {
    const r = store.delete(del);
    if (!r.ok) fail(out, r.message);
    out.log("deleted " + del);
  }
  if (args.bool("list")) {
    const keys = store.list("").keys;
    for (let i = 0; i < keys.length; i++) {
      const r = store.get(keys[i]);
      out.log(keys[i] + " = " + (r.ok ? String.UTF8.decode(r.value!.buffer) : "(" + r.message + ")"));
    }
  }
}

function bytes(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function fail(out: Console, message: string): void {
  out.log("error: " + message);
  exit(1);
}
