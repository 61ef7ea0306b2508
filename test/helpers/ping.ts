// Pinging a unikernel with iputils' ping and knowing which echoes it answered.
//
// `ping -c N -W T` is not enough: once it has sent the N-th request and had
// any reply, ping waits only twice the slowest round trip so far (at least
// one interval), whatever -W says, and counts a later reply as lost. Under
// TCG on a loaded machine the last reply is late now and then, and a
// healthy guest showed "99 received". With -w DEADLINE ping instead waits
// until it has N replies (sending more requests meanwhile) or the deadline
// passes; the reply lines say which sequence numbers came back. A reply
// counts only if it is as long as the request; ping compares its data with
// what it sent and says "wrong data byte" when they differ.
import { spawnSync } from "node:child_process";

/** What one ping run got back. */
export interface PingResult {
  /** Sequence numbers 1..count with no reply of the right length (ping numbers from 1). */
  missing: number[];
  /** ping's complaints about replies: wrong data bytes, truncated replies. */
  damaged: string[];
  /** ping's closing lines ("N packets transmitted, ..." and the round trips). */
  summary: string;
  /** Everything ping printed, and its error if it could not run. */
  out: string;
}

/**
 * Sends echo requests with `size` bytes of data (ping -s) to `address`
 * `intervalS` apart, through `prefix` (e.g. ["ip", "netns", "exec", NS]),
 * until `count` replies came back or `deadlineS` passed; reports which of
 * the first `count` requests went unanswered.
 */
export function pingEach(prefix: string[], address: string, count: number, intervalS: number, deadlineS: number, size = 56): PingResult {
  const argv = [...prefix, "ping", "-n", "-s", String(size), "-c", String(count), "-i", String(intervalS), "-w", String(deadlineS), address];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: (deadlineS + 10) * 1000 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  const answered = new Set<number>();
  for (const m of (r.stdout ?? "").matchAll(/^(\d+) bytes from [\d.]+: icmp_seq=(\d+) ttl=\d+ time=/gm)) {
    if (Number(m[1]) === size + 8) answered.add(Number(m[2])); // ICMP header and data
  }
  const missing: number[] = [];
  for (let seq = 1; seq <= count; seq++) if (!answered.has(seq)) missing.push(seq);
  const damaged = out.split("\n").filter((l) => /wrong data byte|truncated/.test(l));
  return { missing, damaged, summary: (r.stdout ?? "").trim().split("\n").slice(-2).join("; "), out };
}
