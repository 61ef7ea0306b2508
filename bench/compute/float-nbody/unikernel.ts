import { Console } from "atoll/console";
import { Clock } from "atoll/clock";
import { Args } from "atoll/args";

const N = 5;
const x = new Float64Array(N), y = new Float64Array(N), z = new Float64Array(N);
const vx = new Float64Array(N), vy = new Float64Array(N), vz = new Float64Array(N);
const m = new Float64Array(N);

function init(): void {
  for (let i = 0; i < N; i++) {
    x[i] = <f64>i * 1.3 - 2.0; y[i] = Math.sin(<f64>i) * 3.0; z[i] = Math.cos(<f64>i * 0.7);
    vx[i] = 0.01 * <f64>i; vy[i] = -0.02 * <f64>i; vz[i] = 0.005;
    m[i] = 1.0 + <f64>i * 0.25;
  }
}

function step(dt: f64): void {
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
      const d2 = dx * dx + dy * dy + dz * dz + 0.01;
      const mag = dt / (d2 * Math.sqrt(d2));
      vx[i] -= dx * m[j] * mag; vy[i] -= dy * m[j] * mag; vz[i] -= dz * m[j] * mag;
      vx[j] += dx * m[i] * mag; vy[j] += dy * m[i] * mag; vz[j] += dz * m[i] * mag;
    }
  }
  for (let i = 0; i < N; i++) { x[i] += dt * vx[i]; y[i] += dt * vy[i]; z[i] += dt * vz[i]; }
}

function energy(): f64 {
  let e = 0.0;
  for (let i = 0; i < N; i++) {
    e += 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
    for (let j = i + 1; j < N; j++) {
      const dx = x[i] - x[j], dy = y[i] - y[j], dz = z[i] - z[j];
      e -= m[i] * m[j] / Math.sqrt(dx * dx + dy * dy + dz * dz + 0.01);
    }
  }
  return e;
}

export function start(out: Console, clock: Clock, args: Args): void {
  const scale = args.int("scale");
  init();
  const t0 = clock.monotonic();
  for (let s: i64 = 0; s < scale * 100_000; s++) step(0.001);
  const e = energy();
  out.log("checksum=" + (<i64>(e * 1e9)).toString() + " ns=" + (clock.monotonic() - t0).toString());
}
