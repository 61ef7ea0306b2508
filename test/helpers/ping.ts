// Pinging a unikernel with iputils' ping and knowing which echoes it answered.
//
// `ping -c N -W T` is not enough: once it has sent the N-th request and had
// any reply, ping waits only twice the slowest round trip so far (at least
// one interval), whatever -W says, and counts a later reply as lost. Under
// TCG on a loaded machine the last reply is late now and then, and a
// healthy guest showed "99 received". With -w DEADLINE ping instead waits
// until it has N replies (sending more requests meanwhile) or the deadline
// passes; the reply lines say which sequence numbers came back.
import { spawnSync } from "node:child_process";

/** What one ping run got back. */
export interface PingResult {
  /** Sequence numbers 1..count with no reply (ping numbers from 1). */
  missing: number[];
  /** ping's closing lines ("N packets transmitted, ..." and the round trips). */
  summary: string;
  /** Everything ping printed, and its error if it could not run. */
  out: string;
}

/**
 * Sends echo requests to `address` `intervalS` apart, through `prefix`
 * (e.g. ["ip", "netns", "exec", NS]), until `count` replies came back or
 * `deadlineS` passed; reports which of the first `count` requests went unanswered.
 * `options` are more of ping's (e.g. -s SIZE).
 */
export function pingEach(prefix: string[], address: string, count: number, intervalS: number, deadlineS: number, options: string[] = []): PingResult {
  const argv = [...prefix, "ping", "-n", "-c", String(count), "-i", String(intervalS), "-w", String(deadlineS), ...options, address];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: (deadlineS + 10) * 1000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  const answered = new Set<number>();
  for (const m of (r.stdout ?? "").matchAll(/^\d+ bytes from [\d.]+: icmp_seq=(\d+) ttl=\d+ time=/gm)) answered.add(Number(m[1]));
  const missing: number[] = [];
  for (let seq = 1; seq <= count; seq++) if (!answered.has(seq)) missing.push(seq);
  return { missing, summary: (r.stdout ?? "").trim().split("\n").slice(-2).join("; "), out };
}
