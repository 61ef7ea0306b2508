// wrk, the HTTP load generator of the net bench: one run against a URL and
// the figures of its report.
import { spawnSync } from "node:child_process";

/** What one wrk run measured. */
export interface WrkResult {
  rps: number;
  /** Mean latency in ms. */
  latencyMs: number;
  /** 99th percentile latency in ms. */
  p99Ms: number;
  /** Responses that were not 2xx/3xx, plus socket errors (connect, read, write, timeout). */
  errors: number;
  requests: number;
}

/** wrk's durations ("812.00us", "1.20ms", "2.01s") in ms. */
function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === "us" ? n / 1000 : unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : NaN;
}

/** Parses wrk's text report (with --latency). */
export function parseWrk(out: string): WrkResult | string {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const lat = /Latency\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  if (!rps || !total || !lat || !p99) return `unexpected wrk output: ${out.trim().split("\n").slice(0, 4).join(" | ")}`;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps: Number(rps[1]), latencyMs: toMs(lat[1]!, lat[2]!), p99Ms: toMs(p99[1]!, p99[2]!), errors, requests: Number(total[1]) };
}

/** Runs wrk (`prefix` runs it elsewhere, e.g. in a network namespace) for `seconds` with `connections` on one thread. */
export function runWrk(url: string, seconds: number, connections: number, prefix: string[] = []): WrkResult | string {
  const argv = [...prefix, "wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", url];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) return `wrk exited ${r.status}: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n")[0]}`;
  return parseWrk(r.stdout);
}
