// The CLI's errors and exit statuses: usage errors exit 2 with a message
// that names the problem; help exits 0.
import { describe, expect, it } from "vitest";
import { mkdtempSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { atoll } from "./helpers/cli.ts";

describe("atoll command line", () => {
  it("lists commands and targets with --help and exits 0", () => {
    const r = atoll(["--help"]);
    expect(r.status).toBe(0);
    for (const word of ["configure", "build", "run", "clean", "describe", "new", "unix", "node", "kvm", "xen"]) expect(r.stdout).toContain(word);
  });

  it("exits 2 with the help when given no command", () => {
    const r = atoll([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("usage: atoll COMMAND");
  });

  it("has --help on each command", () => {
    for (const cmd of ["configure", "build", "run", "clean", "describe", "new"]) {
      const r = atoll([cmd, "--help"]);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toContain(`usage: atoll ${cmd}`);
    }
  });

  it("names an unknown command and suggests the closest", () => {
    const r = atoll(["biuld"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'biuld'");
    expect(r.stderr).toContain("did you mean 'build'");
  });

  it("names a mistyped target and lists the valid ones", () => {
    const r = atoll(["run", "-t", "nod", "examples/hello"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("'nod'");
    expect(r.stderr).toMatch(/valid targets: unix, node, kvm, xen/);
  });

  it("says a known target that is not built yet is not available, without a stack trace", () => {
    const r = atoll(["build", "-t", "xen", "examples/hello"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("target 'xen' is not available yet");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects an unknown option, a missing value and a repeated flag", () => {
    expect(atoll(["build", "--frobnicate"]).stderr).toContain("unknown option --frobnicate");
    expect(atoll(["build", "--frobnicate"]).status).toBe(2);
    expect(atoll(["run", "-t"]).stderr).toContain("-t needs a value");
    expect(atoll(["run", "-t", "node", "-t", "node"]).stderr).toContain("given twice");
  });

  it("says a folder without config.ts has none", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "atoll-empty-"));
    const r = atoll(["build", "-t", "node", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("config.ts: not found");
  });

  it("scaffolds an app with 'new' that builds, runs with runtime arguments and cleans", () => {
    const parent = mkdtempSync(path.join(tmpdir(), "atoll-new-"));
    const made = atoll(["new", "demo"], parent);
    expect(made.status).toBe(0);
    const dir = path.join(parent, "demo");
    expect(readFileSync(path.join(dir, "config.ts"), "utf8")).toContain('name: "demo"');

    const run = atoll(["run", "-t", "node", "demo", "--", "--who=tests", "--times=2"], parent);
    expect(run.stderr).toContain("configure");
    expect(run.stdout).toBe("hello, tests (1/2)\nhello, tests (2/2)\n");
    expect(run.status).toBe(0);

    const again = atoll(["run", "demo", "--", "--times=1"], parent);
    expect(again.stderr).toContain("is up to date");
    expect(again.stdout).toBe("hello, world (1/1)\n");

    const bad = atoll(["run", "demo", "--", "--tims=1"], parent);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain("unknown runtime argument --tims; known: --who, --times");
    expect(atoll(["run", "demo", "--", "--times=many"], parent).stdout).toContain("--times takes an integer, not 'many'");

    expect(atoll(["new", "demo"], parent).stderr).toContain("exists and is not empty");
    expect(atoll(["clean", "demo"], parent).status).toBe(0);
    expect(existsSync(path.join(dir, "_build"))).toBe(false);
    expect(existsSync(path.join(dir, "dist"))).toBe(false);
  });

  it("describes the device graph", () => {
    const r = atoll(["describe", "-t", "node", "examples/hello"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("start(Console, Timers)");
    expect(r.stdout).toMatch(/0\s+console\s+Console/);
    expect(r.stdout).toMatch(/1\s+timers\s+Timers/);
  });
});

describe("layering", () => {
  it("refuses an application that imports a driver or a privileged ABI call", () => {
    const parent = mkdtempSync(path.join(tmpdir(), "atoll-layers-"));
    expect(atoll(["new", "app"], parent).status).toBe(0);
    const main = path.join(parent, "app", "unikernel.ts");
    writeFileSync(main, `@external("atoll", "io_out8") declare function outb(port: u16, v: u8): void;\n` + readFileSync(main, "utf8"));
    const r = atoll(["build", "-t", "node", "app"], parent);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/app\/unikernel\.ts:1: declares the privileged ABI import 'io_out8'/);
  });
});
