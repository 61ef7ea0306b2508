// The error path on node: each way examples/trap can fail gives the ABI's
// status and a message naming the kind, the function and the source line.
import { describe, expect, it } from "vitest";
import { atoll } from "./helpers/cli.ts";

const cases: [kind: string, status: number, message: RegExp][] = [
  ["memory", 102, /trap: out of bounds memory access in start \(examples\/trap\/unikernel\.ts\) at examples\/trap\/unikernel\.ts:8\n/],
  ["unreachable", 102, /trap: unreachable executed in start \(examples\/trap\/unikernel\.ts\) at examples\/trap\/unikernel\.ts:\d+\n/],
  ["divide", 102, /trap: integer divide by zero in start \(examples\/trap\/unikernel\.ts\) at examples\/trap\/unikernel\.ts:18\n/],
  ["recurse", 102, /trap: call stack exhausted in recurse \(examples\/trap\/unikernel\.ts\) at examples\/trap\/unikernel\.ts:13\n/],
  ["abort", 101, /abort: the trap example asserted false at examples\/trap\/unikernel\.ts:\d+:\d+\n/],
];

describe("examples/trap on node", () => {
  it.each(cases)("--kind=%s exits %i and names where it failed", (kind, status, message) => {
    const r = atoll(["run", "-t", "node", "examples/trap", "--", `--kind=${kind}`]);
    expect(r.stdout).toContain(`trap: about to fail with '${kind}'`);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(status);
  });

  it("fails with the default kind, an out-of-bounds load", () => {
    const r = atoll(["run", "-t", "node", "examples/trap"]);
    expect(r.status).toBe(102);
    expect(r.stderr).toContain("out of bounds memory access");
  });
});
