// Progress on standard error, one line per step with its duration, so that
// the application's own output on standard out stays clean.

/** Prints timed steps. */
export class Report {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l + "\n")) {}

  /** Says something. */
  say(text: string): void {
    this.write(`atoll: ${text}`);
  }

  /** Runs `fn`, then prints "atoll: LABEL  DETAIL  (TIME)". */
  async step<T>(label: string, fn: () => Promise<T> | T, detail?: (r: T) => string): Promise<T> {
    const t0 = performance.now();
    const r = await fn();
    this.write(`atoll: ${label.padEnd(9)} ${detail ? detail(r) + " " : ""}(${formatMs(performance.now() - t0)})`);
    return r;
  }
}

/** "12 ms" or "1.52 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
