// The CLI's errors and exit statuses: usage errors exit 2 with a message
// that names the problem; help exits 0.
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
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

    const twice = atoll(["new", "demo"], parent);
    expect(twice.stderr).toBe("atoll new: demo exists and is not empty; give a new name, or an empty folder\n");
    expect(twice.status).toBe(2);
    expect(atoll(["clean", "demo"], parent).status).toBe(0);
    expect(existsSync(path.join(dir, "_build"))).toBe(false);
    expect(existsSync(path.join(dir, "dist"))).toBe(false);
  });

  describe("atoll new: a name it cannot use is one line naming the problem and the rule, status 2, and nothing is created", () => {
    const rule = "a name is 1 to 64 letters, digits, '-' and '_', starting with a letter or digit, e.g. 'atoll new demo'";
    const long = "a".repeat(65);
    const cases: [string, string[], string][] = [
      ["empty", ["new", ""], "invalid application name '': it is empty"],
      ["a space", ["new", "a b"], "invalid application name 'a b': it contains a space"],
      ["only a space", ["new", " "], "invalid application name ' ': it starts with a space"],
      ["a path whose last part is invalid", ["new", "x/b.c"], "invalid application name 'b.c' (the last part of x/b.c): it contains '.'"],
      ["the root folder", ["new", "/"], "invalid application name '' (the last part of /): it is empty"],
      ["a leading '-' (after --, else it is an option)", ["new", "--", "-x"], "invalid application name '-x': it starts with '-'"],
      ["too long", ["new", long], `invalid application name '${long}': it is 65 characters long`],
      ["not ASCII", ["new", "café"], "invalid application name 'café': it contains 'é'"],
    ];
    it.each(cases)("%s", (_what, args, message) => {
      const parent = mkdtempSync(path.join(tmpdir(), "atoll-new-bad-"));
      const r = atoll(args, parent);
      expect(r.stderr).toBe(`atoll new: ${message}; ${rule}\n`);
      expect(r.status).toBe(2);
      expect(readdirSync(parent)).toEqual([]);
    });

    it("64 characters is the longest name, for atoll new and config.ts alike", () => {
      const parent = mkdtempSync(path.join(tmpdir(), "atoll-new-long-"));
      const name = "b".repeat(64);
      expect(atoll(["new", name], parent).status).toBe(0);
      expect(atoll(["describe", "-t", "node", name], parent).status).toBe(0);
      const config = path.join(parent, name, "config.ts");
      writeFileSync(config, readFileSync(config, "utf8").replace(`"${name}"`, `"${name}c"`));
      const r = atoll(["describe", "-t", "node", name], parent);
      expect(r.stderr).toContain(`is not valid: 1 to 64 letters, digits, '-' and '_', starting with a letter or digit`);
      expect(r.status).toBe(1);
    });

    it("a file, a folder that is not empty, or a folder it cannot create: one line each", () => {
      const parent = mkdtempSync(path.join(tmpdir(), "atoll-new-there-"));
      writeFileSync(path.join(parent, "afile"), "x");
      const file = atoll(["new", "afile"], parent);
      expect(file.stderr).toBe("atoll new: afile exists and is not a folder; give a new name, or an empty folder\n");
      expect(file.status).toBe(2);
      const under = atoll(["new", "afile/app"], parent);
      expect(under.stderr).toBe("atoll new: cannot create afile/app: ENOTDIR: not a directory\n");
      expect(under.status).toBe(1);
      mkdirSync(path.join(parent, "empty"));
      expect(atoll(["new", "empty"], parent).status).toBe(0);
      const full = atoll(["new", "empty"], parent);
      expect(full.stderr).toBe("atoll new: empty exists and is not empty; give a new name, or an empty folder\n");
      expect(full.status).toBe(2);
      // Missing folders above it are made.
      expect(atoll(["new", "deeper/still/app"], parent).status).toBe(0);
      expect(readFileSync(path.join(parent, "deeper/still/app/config.ts"), "utf8")).toContain('name: "app"');
    });
  });

  it("other arguments the host refuses are one line, never a stack: an empty folder name, a disk under a file, a config.ts that is a folder", () => {
    const parent = mkdtempSync(path.join(tmpdir(), "atoll-bad-args-"));
    const empty = atoll(["build", ""], parent);
    expect(empty.stderr).toBe("atoll build: the application folder is an empty string; give a folder, or none for the current one\n");
    expect(empty.status).toBe(2);
    writeFileSync(path.join(parent, "afile"), "x");
    const disk = atoll(["run", "-t", "unix", "--disk", `data=${path.join(parent, "afile", "kv.img")}`, "examples/kv"]);
    expect(disk.stderr).toBe(`atoll run: cannot create ${path.join(parent, "afile", "kv.img")} for block device 'data': ENOTDIR: not a directory\n`);
    expect(disk.status).toBe(1);
    mkdirSync(path.join(parent, "odd", "config.ts"), { recursive: true });
    const odd = atoll(["describe", "odd"], parent);
    expect(odd.stderr).toMatch(/^atoll describe: EISDIR: [^\n]*\n$/);
    expect(odd.status).toBe(1);
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
