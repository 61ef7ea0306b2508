// Reading `strace -f -o FILE` output.

/**
 * strace -f splits a call another thread interrupted into
 * "PID  CALL(ARGS <unfinished ...>" and "PID  <... NAME resumed>REST"; joins
 * them at the resumption, which is when the call returned. strace pads the
 * pid column ("6501  pwrite64(..."), hence \s+.
 */
export function joinResumed(lines: string[]): string[] {
  const pending = new Map<string, string>();
  const out: string[] = [];
  for (const l of lines) {
    const u = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(l);
    if (u) {
      pending.set(u[1]!, u[2]!);
      continue;
    }
    const r = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(l);
    if (r) {
      const start = pending.get(r[1]!);
      if (start === undefined) throw new Error(`strace resumed a call it never started: ${l}`);
      out.push(`${r[1]} ${start}${r[2]}`);
      pending.delete(r[1]!);
      continue;
    }
    out.push(l);
  }
  return out;
}
