// Helpers shared by the kv tests: a deterministic generator, the expected
// state of a store, and checks of a store against it.
import { KvStore } from "atoll/kv/store";

/** xorshift32: the same sequence on every run. */
export class Rng {
  constructor(private s: u32) {}
  next(): u32 {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x;
  }
  /** Uniform in 0..n-1. */
  below(n: u32): u32 { return this.next() % n; }
  bytes(n: i32): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = <u8>this.next();
    return b;
  }
}

export function bytes(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }
export function text(b: Uint8Array): string { return String.UTF8.decode(b.buffer); }

export function sameBytes(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/** What a store should hold. */
export class Model {
  map: Map<string, Uint8Array> = new Map();
  set(k: string, v: Uint8Array): void { this.map.set(k, v); }
  delete(k: string): void { if (this.map.has(k)) this.map.delete(k); }
  has(k: string): bool { return this.map.has(k); }
  get(k: string): Uint8Array { return this.map.get(k); }
  clone(): Model {
    const m = new Model();
    const ks = this.map.keys();
    for (let i = 0; i < ks.length; i++) m.map.set(ks[i], this.map.get(ks[i]));
    return m;
  }
}

/** "" when `s` holds exactly what `m` says, else the first difference. */
export function diff(s: KvStore, m: Model): string {
  const keys = m.map.keys();
  for (let i = 0; i < keys.length; i++) {
    const r = s.get(keys[i]);
    if (!r.ok) return "get '" + keys[i] + "': " + r.message;
    if (!sameBytes(r.value!, m.get(keys[i]))) return "wrong value for '" + keys[i] + "'";
  }
  const l = s.list("");
  if (!l.ok) return l.message;
  for (let i = 0; i < l.keys.length; i++) if (!m.has(l.keys[i])) return "unexpected key '" + l.keys[i] + "'";
  if (l.keys.length != keys.length) return "list has " + l.keys.length.toString() + " keys, expected " + keys.length.toString();
  return "";
}
