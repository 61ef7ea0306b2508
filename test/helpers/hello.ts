// What a correct run of examples/hello looks like, on any target.
import { expect } from "vitest";
import type { Result } from "./cli.ts";

/**
 * Four "hello from atoll" lines one second apart, status 0. The timer is
 * periodic without drift (test/loop.test.ts), so line k is due one second
 * after line k-1's slot, not after line k-1 itself: each line must come
 * within 0.5 s of its slot on a 1 s grid laid through the least delayed
 * line (which holds the period to 0.83–1.17 s). Gaps between neighbours
 * would not do: a busy machine that holds up one line by 160 ms makes the
 * next gap 840 ms with the timer right (seen on unix beside other tests).
 */
export function expectHello(r: Result & { lines: { text: string; at: number }[] }): void {
  expect(r.stderr).not.toContain("error");
  expect(r.status).toBe(0);
  expect(r.lines.map((l) => l.text)).toEqual(Array(4).fill("hello from atoll"));
  const offsets = r.lines.map((l, k) => l.at - 1000 * k);
  const grid = Math.min(...offsets);
  const seen = `lines at ${r.lines.map((l) => l.at.toFixed(0)).join(", ")} ms`;
  offsets.forEach((o, k) => expect(o - grid, `line ${k + 1} after its slot on the 1 s grid (${seen})`).toBeLessThan(500));
}
