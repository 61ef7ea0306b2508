// What a correct run of examples/hello looks like, on any target.
import { expect } from "vitest";
import type { Result } from "./cli.ts";

/** Four "hello from atoll" lines, 0.85–1.5 s apart, status 0. */
export function expectHello(r: Result & { lines: { text: string; at: number }[] }): void {
  expect(r.stderr).not.toContain("error");
  expect(r.status).toBe(0);
  expect(r.lines.map((l) => l.text)).toEqual(Array(4).fill("hello from atoll"));
  for (let i = 1; i < 4; i++) {
    const gap = r.lines[i]!.at - r.lines[i - 1]!.at;
    expect(gap, `gap between lines ${i} and ${i + 1}`).toBeGreaterThan(850);
    expect(gap, `gap between lines ${i} and ${i + 1}`).toBeLessThan(1500);
  }
}
