// How much memory the unikernel under attack holds. With --stats, its own
// figures from GET /_atoll/stats (text/plain lines "NAME VALUE": heap_bytes,
// the size of its linear memory, which never shrinks; heap_used_bytes, what
// is live after a full collection; tcp_connections, tcp_time_wait,
// http_connections, http_requests and more). On unix, also the process's resident
// set (/proc/PID/status VmRSS). A kvm image without --stats has neither: its
// QEMU's resident set says nothing of the guest's heap.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { UNIKERNEL, type Lab } from "./lab.ts";
import type { Target } from "./target.ts";

/** The stats page's figures by name. */
export type Stats = Record<string, number>;

/** One look at the unikernel's memory; a field is missing when it cannot be measured. */
export interface MemorySample {
  /** Linear memory, bytes (stats heap_bytes). */
  heap?: number;
  /** The unix process's resident set, bytes. */
  rss?: number;
  stats?: Stats;
}

/** Fetches and parses GET /_atoll/stats from inside the lab; throws saying why when it cannot. */
export function readStats(lab: Lab): Stats {
  const [cmd, ...args] = lab.inside(["curl", "-s", "-S", "-m", "10", "--fail", `http://${UNIKERNEL}/_atoll/stats`]);
  const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) throw new Error(`GET /_atoll/stats failed (curl status ${r.status}): ${r.stderr.trim()}`);
  const stats: Stats = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^([a-z_][a-z0-9_]*) (\d+)$/.exec(line.trim());
    if (m !== null) stats[m[1]!] = Number(m[2]);
  }
  if (stats["heap_bytes"] === undefined) throw new Error(`GET /_atoll/stats has no heap_bytes line:\n${r.stdout}`);
  return stats;
}

/** The resident set of process `pid`, bytes. */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (m === null) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number(m[1]) * 1024;
}

/** What can be measured of `target` now. */
export function sample(lab: Lab, target: Target): MemorySample {
  const s: MemorySample = {};
  if (target.app.stats) {
    s.stats = readStats(lab);
    s.heap = s.stats["heap_bytes"];
  }
  if (target.kind === "unix" && target.ended() === null) s.rss = rssOf(target.pid);
  return s;
}

/**
 * What memory checks compare: "live", what a full collection leaves in use
 * (stats heap_used_bytes), which goes back down when connections are let
 * go; "size", linear memory (heap_bytes), which only grows, and grows by
 * doubling, so a small heap may double once without anything leaking. Each
 * falls back to the unix resident set when the stats page has no figure.
 */
export type Measure = "live" | "size";

/** The figure a `measure` check uses. */
export function footprint(s: MemorySample, measure: Measure = "live"): { bytes: number; what: string } | undefined {
  const live = s.stats?.["heap_used_bytes"];
  if (measure === "live" && live !== undefined) return { bytes: live, what: "live heap" };
  if (s.heap !== undefined) return { bytes: s.heap, what: "heap" };
  if (s.rss !== undefined) return { bytes: s.rss, what: "RSS" };
  return undefined;
}

/**
 * Room above the baseline a live heap may use without growing: the buffer
 * pools a busy stack and server fill and keep (64 TCP buffers of 4 KiB, 64
 * input buffers and response builders), about 0.5 MB.
 */
export const LIVE_SLACK = 512 * 1024;

/** "12.3 MB". */
export function mb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * `after` against `baseline` by `measure`: a note of the growth, and a
 * problem (naming `label`) when it is more than `tolerance` (0.10: 10%)
 * above the baseline (plus LIVE_SLACK for the live heap).
 */
export function growth(label: string, baseline: MemorySample, after: MemorySample, tolerance: number, measure: Measure = "live"): { problem?: string; note: string } {
  const b = footprint(baseline, measure), a = footprint(after, measure);
  if (b === undefined || a === undefined || a.what !== b.what) return { note: "not measured (no --stats in the application, and no RSS of its own on kvm)" };
  const ratio = a.bytes / b.bytes;
  const slack = a.what === "live heap" ? LIVE_SLACK : 0;
  const note = `${a.what} ${mb(a.bytes)}, ${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}% against ${mb(b.bytes)}`;
  const allowed = `at most +${(tolerance * 100).toFixed(0)}%${slack > 0 ? ` and ${mb(slack)}` : ""} allowed`;
  return a.bytes > b.bytes * (1 + tolerance) + slack ? { problem: `${label}: ${note}; ${allowed}`, note } : { note };
}

/** "heap 12.1 MB, RSS 14.0 MB, 3 TCP connections", as far as measured. */
export function describeSample(s: MemorySample): string {
  const parts: string[] = [];
  if (s.heap !== undefined) parts.push(`heap ${mb(s.heap)}${s.stats?.["heap_used_bytes"] === undefined ? "" : ` (${mb(s.stats["heap_used_bytes"])} live)`}`);
  if (s.rss !== undefined) parts.push(`RSS ${mb(s.rss)}`);
  if (s.stats?.["tcp_connections"] !== undefined) parts.push(`${s.stats["tcp_connections"]} TCP connections`);
  return parts.length > 0 ? parts.join(", ") : "not measurable (no --stats, kvm)";
}
