import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

const N = 1 << 18;

/** xorshift64*: the same stream on every engine. */
class Rng {
  constructor(private state: u64) {}

  next(): u64 {
    let x = this.state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    this.state = x;
    return x * 0x2545f4914f6cdd1d;
  }

  /** A double in [0, 1) from the top 53 bits: exact, so every engine sees the same values. */
  float(): f64 {
    return <f64>(this.next() >> 11) * (1.0 / 9007199254740992.0);
  }
}

function swap(a: Int32Array, i: i32, j: i32): void {
  const t = a[i]; a[i] = a[j]; a[j] = t;
}

function insertionSort(a: Int32Array, lo: i32, hi: i32): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

/** Quicksort with a median-of-three pivot, insertion sort for short ranges, recursing into the smaller half. */
function quickSort(a: Int32Array, lo: i32, hi: i32): void {
  while (hi - lo > 16) {
    const mid = lo + ((hi - lo) >> 1);
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    if (j - lo < hi - i) { quickSort(a, lo, j); lo = i; }
    else { quickSort(a, i, hi); hi = j; }
  }
  insertionSort(a, lo, hi);
}

/** Top-down merge sort of a[lo, hi) through `tmp`. */
function mergeSort(a: Float64Array, tmp: Float64Array, lo: i32, hi: i32): void {
  if (hi - lo < 2) return;
  const mid = lo + ((hi - lo) >> 1);
  mergeSort(a, tmp, lo, mid);
  mergeSort(a, tmp, mid, hi);
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  for (let m = lo; m < hi; m++) a[m] = tmp[m];
}

class Item {
  constructor(public key: i32, public weight: f64) {}
}

/** One round: each array filled from the generator, sorted, checked and folded into a checksum. */
function round(rng: Rng, ints: Int32Array, floats: Float64Array, tmp: Float64Array): u64 {
  for (let i = 0; i < ints.length; i++) ints[i] = <i32>(rng.next() >> 40) - (1 << 23);
  for (let i = 0; i < floats.length; i++) floats[i] = rng.float() * 1000.0 - 500.0;
  const items = new Array<Item>(N >> 3);
  for (let i = 0; i < items.length; i++) items[i] = new Item(<i32>(rng.next() >> 48), rng.float());

  quickSort(ints, 0, ints.length - 1);
  mergeSort(floats, tmp, 0, floats.length);
  items.sort((a: Item, b: Item): i32 => a.key != b.key ? a.key - b.key : <i32>(a.weight > b.weight) - <i32>(a.weight < b.weight));

  let h: u64 = 0;
  for (let i = 1; i < ints.length; i++) if (ints[i - 1] > ints[i]) return 0;
  for (let i = 1; i < floats.length; i++) if (floats[i - 1] > floats[i]) return 0;
  for (let i = 0; i < ints.length; i += 97) h = (h ^ <u64>ints[i]) * 0x100000001b3;
  for (let i = 0; i < floats.length; i += 89) h = (h ^ reinterpret<u64>(floats[i])) * 0x100000001b3;
  for (let i = 0; i < items.length; i += 31) h = (h ^ <u64>items[i].key ^ reinterpret<u64>(items[i].weight)) * 0x100000001b3;
  return h;
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const ints = new Int32Array(N), floats = new Float64Array(N), tmp = new Float64Array(N);
  const rng = new Rng(0x9e3779b97f4a7c15);
  const t0 = clock.monotonic();
  let sum: u64 = 0;
  for (let r: i64 = 0; r < scale; r++) sum += round(rng, ints, floats, tmp);
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
