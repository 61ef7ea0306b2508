import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

const N = 128;

/** A dense row-major matrix of doubles. */
class Matrix {
  readonly data: Float64Array;

  constructor(public rows: i32, public cols: i32) {
    this.data = new Float64Array(rows * cols);
  }

  get(i: i32, j: i32): f64 {
    return this.data[i * this.cols + j];
  }

  set(i: i32, j: i32, v: f64): void {
    this.data[i * this.cols + j] = v;
  }

  /** this × other, in i-k-j order so the inner loop walks both rows. */
  multiply(other: Matrix): Matrix {
    const out = new Matrix(this.rows, other.cols);
    for (let i = 0; i < this.rows; i++) {
      for (let k = 0; k < this.cols; k++) {
        const a = this.get(i, k);
        for (let j = 0; j < other.cols; j++) out.set(i, j, out.get(i, j) + a * other.get(k, j));
      }
    }
    return out;
  }

  /** Scales every element so that repeated products stay finite. */
  normalize(): void {
    let max = 0.0;
    for (let i = 0; i < this.data.length; i++) max = Math.max(max, Math.abs(this.data[i]));
    if (max > 0) for (let i = 0; i < this.data.length; i++) this.data[i] /= max;
  }

  trace(): f64 {
    let t = 0.0;
    for (let i = 0; i < min(this.rows, this.cols); i++) t += this.get(i, i);
    return t;
  }
}

function filled(rows: i32, cols: i32, seed: i32): Matrix {
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) m.set(i, j, Math.sin(<f64>(i * cols + j + seed)) * 0.5);
  }
  return m;
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  const a = filled(N, N, 1), b = filled(N, N, 7);
  const t0 = clock.monotonic();
  let c = a;
  let sum: u64 = 0;
  for (let r: i64 = 0; r < scale; r++) {
    c = c.multiply(b);
    c.normalize();
    sum = (sum ^ reinterpret<u64>(c.trace())) * 0x100000001b3;
  }
  out.log("checksum=" + sum.toString() + " ns=" + (clock.monotonic() - t0).toString());
}
