// The block devices of the unix target: the driver through the unix runtime
// (contract.ts); crash consistency of lib/kv on it, the process killed with
// SIGKILL at random instants (crash.ts); and a damaged disk file reported,
// never trusted.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, disks, runArtefact } from "./fixture.ts";
import { contractSuite } from "./contract.ts";
import { after, crashTest, parse, same, show } from "./crash.ts";

contractSuite("unix");

describe("kv on unix: crash consistency and damaged disks", () => {
  crashTest("unix", 250, 40);

  it("reports a damaged sector with a clear error, never a wrong state: every sector of a store damaged in turn", () => {
    const exe = buildFixture("unix");
    const d = disks();
    const fill = runArtefact("unix", exe, [...d.args, "--mode=crash", "--run=3", "--ops=80"]);
    expect(parse(fill.stdout).done).toBe(true);
    const expected = after(new Map(), 3, 80);
    const image = readFileSync(d.disk);
    const copy = path.join(d.dir, "damaged.img");
    let errors = 0, intact = 0;
    const messages = new Set<string>();
    for (let sector = 0; sector < 64; sector++) {
      const bad = Buffer.from(image);
      bad[sector * 512 + 100] ^= 0x40;
      writeFileSync(copy, bad);
      const r = runArtefact("unix", exe, [`--atoll-disk=disk=${copy}`, d.args[1]!, "--mode=crash", "--ops=0"]);
      const out = parse(r.stdout);
      if (out.errors.length > 0) {
        expect(r.status, `sector ${sector}`).toBe(1);
        expect(out.found, `sector ${sector}: nothing is listed before the error`).toBeNull();
        messages.add(out.errors[0]!.replace(/\d+/g, "N"));
        errors++;
      } else {
        expect(r.status, `sector ${sector}: ${r.stdout}`).toBe(0);
        expect(same(out.found!, expected), `sector ${sector}: found {${show(out.found!)}}`).toBe(true);
        intact++;
      }
    }
    process.stderr.write(`damaged sectors: ${errors} reported, ${intact} recovered intact; messages:\n  ${[...messages].join("\n  ")}\n`);
    expect(errors).toBeGreaterThan(0);
    for (const m of messages) expect(m).toMatch(/checksum|damaged|corrupt/i);
    copyFileSync(d.disk, copy);
  });
});
