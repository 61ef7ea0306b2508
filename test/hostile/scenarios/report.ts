// What a scenario found: its figures (name and value, in the order measured)
// and the problems, each an acceptance criterion it missed, worded to say
// what was expected and what happened. Tests assert there are none; the soak
// prints both.

/** A scenario's figures and problems. */
export class ScenarioReport {
  readonly figures: [string, string][] = [];
  readonly problems: string[] = [];

  constructor(readonly title: string) {}

  /** Records a figure. */
  figure(name: string, value: string | number): void {
    this.figures.push([name, typeof value === "number" ? formatNumber(value) : value]);
  }

  /** Records a missed criterion. */
  problem(text: string): void {
    this.problems.push(text);
  }

  /** Records `text` as a problem unless `ok`; returns `ok`. */
  check(ok: boolean, text: string): boolean {
    if (!ok) this.problem(text);
    return ok;
  }

  /** The figures and problems as one message (a failed test's). */
  toString(): string {
    return [`${this.title}:`, ...this.figures.map(([n, v]) => `  ${n}: ${v}`), ...this.problems.map((p) => `  PROBLEM: ${p}`)].join("\n");
  }
}

/** Whole numbers as they are, others with three significant digits. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(3);
}

/** A share as a percentage with one decimal. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? "-" : `${((part / whole) * 100).toFixed(1)}%`;
}
