// What a scenario found: its figures (name and value, in the order measured)
// and the problems, each an acceptance criterion it missed, worded to say
// what was expected and what happened. Tests assert there are none; the soak
// prints both.

/** A scenario's figures and problems. */
export class ScenarioReport {
  readonly figures: [string, string][] = [];
  readonly problems: string[] = [];

  /** `live`, if given, hears each figure and problem as it is recorded (the soak's progress). */
  constructor(readonly title: string, private readonly live?: (line: string) => void) {}

  /** Records a figure. */
  figure(name: string, value: string | number): void {
    const v = typeof value === "number" ? formatNumber(value) : value;
    this.figures.push([name, v]);
    this.live?.(`  ${name}: ${v}`);
  }

  /** Records a missed criterion. */
  problem(text: string): void {
    this.problems.push(text);
    this.live?.(`  PROBLEM: ${text}`);
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
