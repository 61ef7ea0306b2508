// The examples on the unix target through the real CLI: hello's four lines a
// second apart, and examples/trap failing with the same statuses as on node
// and a report naming the function.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectHello } from "../helpers/hello.ts";
import { atoll, atollTimed, root } from "../helpers/cli.ts";

describe("examples/hello on unix", () => {
  it("prints 'hello from atoll' four times, one second apart, and exits 0", async () => {
    expectHello(await atollTimed(["run", "-t", "unix", "examples/hello"]));
  });

  it("builds in timed steps (compile, aot, link) into a static executable, then finds it up to date", () => {
    const forced = atoll(["build", "-t", "unix", "--force", "examples/hello"]);
    expect(forced.status).toBe(0);
    expect(forced.stderr).toMatch(/atoll: compile .*\(\d+(\.\d+)? m?s\)/);
    expect(forced.stderr).toMatch(/atoll: aot .*\(\d+(\.\d+)? m?s\)/);
    expect(forced.stderr).toMatch(/atoll: link .*examples\/hello\/dist\/hello .*static ELF.*\(\d+(\.\d+)? m?s\)/);
    expect(execFileSync("file", ["-b", path.join(root, "examples/hello/dist/hello")], { encoding: "utf8" })).toMatch(/ELF 64-bit LSB executable, x86-64.*statically linked/);
    // The symbol table names the module's functions as its name section does (tools/build/symbol-names.ts), for perf and gdb.
    const syms = execFileSync("readelf", ["-sW", path.join(root, "examples/hello/dist/hello")], { encoding: "utf8" });
    expect(syms).toMatch(/ FUNC +GLOBAL +DEFAULT +\d+ ~lib\/rt\/itcms\/__new$/m);
    expect(syms).not.toMatch(/ FUNC .* wasm:func:\d+$/m);
    const warm = atoll(["build", "-t", "unix", "examples/hello"]);
    expect(warm.status).toBe(0);
    expect(warm.stderr).toContain("examples/hello/dist/hello is up to date");
  });
});

describe("examples/trap on unix", () => {
  // The statuses are node's (test/trap.test.ts); the reports are node's
  // without " at FILE:LINE", which needs a map from machine code to source.
  const cases: [kind: string, status: number, message: string][] = [
    ["memory", 102, "trap: out of bounds memory access in start (examples/trap/unikernel.ts)\n"],
    ["unreachable", 102, "trap: unreachable executed in start (examples/trap/unikernel.ts)\n"],
    ["divide", 102, "trap: integer divide by zero in start (examples/trap/unikernel.ts)\n"],
    ["recurse", 102, "trap: call stack exhausted in recurse (examples/trap/unikernel.ts)\n"],
    ["abort", 101, "abort: the trap example asserted false at examples/trap/unikernel.ts:30:29\n"],
  ];
  it.each(cases)("--kind=%s exits %i and names where it failed", (kind, status, message) => {
    const r = atoll(["run", "-t", "unix", "examples/trap", "--", `--kind=${kind}`]);
    expect(r.stdout).toBe(`trap: about to fail with '${kind}'\n`);
    expect(r.stderr.split("\n").filter((l) => !l.startsWith("atoll: ")).join("\n")).toBe(message);
    expect(r.status).toBe(status);
  });

  it("an unknown kind fails nothing and exits 0", () => {
    const r = atoll(["run", "-t", "unix", "examples/trap", "--", "--kind=nothing"]);
    expect(r.stdout).toBe("trap: about to fail with 'nothing'\ntrap: unknown --kind=nothing; nothing failed\n");
    expect(r.status).toBe(0);
  });
});
