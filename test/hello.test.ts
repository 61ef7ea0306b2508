// hello end to end on node, through the real CLI: four lines one second
// apart, exit status 0, and a second run that finds the build up to date.
import { describe, expect, it } from "vitest";
import { expectHello } from "./helpers/hello.ts";
import { atoll, atollTimed } from "./helpers/cli.ts";

describe("examples/hello on node", () => {
  it("prints 'hello from atoll' four times, one second apart, and exits 0", async () => {
    expectHello(await atollTimed(["run", "-t", "node", "examples/hello"]));
  });

  it("reports each build step with its duration, then skips an up-to-date build", () => {
    const forced = atoll(["build", "-t", "node", "--force", "examples/hello"]);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toMatch(/atoll: compile .*\(\d+(\.\d+)? m?s\)/);
    expect(forced.stderr).toMatch(/atoll: link .*hello\.mjs.*\(\d+(\.\d+)? m?s\)/);
    const warm = atoll(["build", "-t", "node", "examples/hello"]);
    expect(warm.status).toBe(0);
    expect(warm.stderr).toContain("examples/hello/dist/hello.mjs is up to date");
  });
});
