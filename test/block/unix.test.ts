// The block devices of the unix target: the driver through the unix runtime
// (contract.ts); crash consistency of lib/kv on it, the process killed with
// SIGKILL at random instants (crash.ts); and a damaged disk file reported,
// never trusted.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildFixture, disks, runArtefact } from "./fixture.ts";
import { contractSuite } from "./contract.ts";
import { after, crashTest, damagedSweep, parse } from "./crash.ts";

contractSuite("unix");

describe("kv on unix: crash consistency and damaged disks", () => {
  crashTest("unix", 250, 40);

  it("reports a damaged sector with a clear error, never a wrong state: every sector of a store damaged in turn", () => {
    const exe = buildFixture("unix");
    const d = disks();
    const fill = runArtefact("unix", exe, [...d.args, "--mode=crash", "--run=3", "--ops=80"]);
    expect(parse(fill.stdout).done).toBe(true);
    const expected = after(new Map(), 3, 80);
    damagedSweep("unix", readFileSync(d.disk), expected, d.dir, (copy) => runArtefact("unix", exe, [`--atoll-disk=disk=${copy}`, d.args[1]!, "--mode=crash", "--ops=0"]));
  });
});
