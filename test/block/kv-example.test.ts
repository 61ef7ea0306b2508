// examples/kv through `atoll run --disk` on node and unix: the boot count and
// named values persist across runs, the disk file is created with the
// config's size, one disk moves between targets, and the CLI's --disk errors.
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll } from "../helpers/cli.ts";

const app = "examples/kv";

describe("examples/kv", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-kv-"));

  it.each(["node", "unix"] as const)("persists across runs on %s: boots 1, then 2 with a value set, then the value", (target) => {
    const disk = path.join(dir, `${target}.img`);
    const first = atoll(["run", "-t", target, "--disk", `data=${disk}`, app]);
    expect(first.stdout, first.stderr).toBe("boots: 1\n");
    expect(first.status).toBe(0);
    expect(first.stderr).toContain(`created`);
    expect(statSync(disk).size).toBe(256 * 1024);
    const second = atoll(["run", "-t", target, "--disk", `data=${disk}`, app, "--", "--set=colour=blue"]);
    expect(second.stdout).toBe("boots: 2\nset colour\n");
    const third = atoll(["run", "-t", target, `--disk=data=${disk}`, app, "--", "--get=colour", "--list"]);
    expect(third.stdout).toBe("boots: 3\ncolour = blue\nboots = 3\ncolour = blue\n");
    expect(third.status).toBe(0);
  });

  it("reads on unix the disk node wrote, and on node the disk unix wrote", () => {
    const disk = path.join(dir, "shared.img");
    expect(atoll(["run", "-t", "node", "--disk", `data=${disk}`, app, "--", "--set=from=node"]).stdout).toBe("boots: 1\nset from\n");
    expect(atoll(["run", "-t", "unix", "--disk", `data=${disk}`, app, "--", "--get=from"]).stdout).toBe("boots: 2\nfrom = node\n");
    expect(atoll(["run", "-t", "node", "--disk", `data=${disk}`, app]).stdout).toBe("boots: 3\n");
  });

  it("refuses a --disk naming no device of config.ts, or without NAME=PATH, before running anything", () => {
    const r = atoll(["run", "-t", "node", "--disk", `dta=${dir}/x.img`, app]);
    expect(r.stderr).toContain(`--disk dta=${dir}/x.img: examples/kv/config.ts has no block device 'dta' (did you mean 'data'?); its block devices: data`);
    expect(r.status).toBe(2);
    expect(existsSync(`${dir}/x.img`)).toBe(false);
    const bare = atoll(["run", "-t", "node", "--disk", "data", app]);
    expect(bare.stderr).toContain("--disk data: expected NAME=PATH");
    expect(bare.status).toBe(2);
  });

  it("will not create a file for a read-only device, or for one config.ts gives no size", () => {
    const ro = atoll(["run", "-t", "node", "--disk", `ro=${dir}/ro.img`, "test/fixtures/block"]);
    expect(ro.stderr).toContain(`${dir}/ro.img does not exist, and block device 'ro' is read-only: there is nothing to read`);
    expect(ro.status).toBe(1);
    const app = path.join(dir, "nosize");
    mkdirSync(app);
    writeFileSync(path.join(app, "config.ts"), `import { unikernel, device } from "atoll/config";\nexport default unikernel({ name: "nosize", main: "unikernel.ts", devices: [device.block("data")] });\n`);
    writeFileSync(path.join(app, "unikernel.ts"), `import { BlockDevice } from "atoll/block";\nexport function start(d: BlockDevice): void {}\n`);
    const r = atoll(["run", "-t", "node", "--disk", `data=${dir}/n.img`, app]);
    expect(r.stderr).toContain(`gives block device 'data' no size to create it with; add one (device.block("data", { size: "1M" })) or create the file`);
    expect(r.status).toBe(1);
    expect(existsSync(`${dir}/n.img`)).toBe(false);
  });

  it("says at start-up which disk is not attached and the flag to use", () => {
    const r = atoll(["run", "-t", "unix", app]);
    expect(r.stdout).toBe("error: block device 'data' has no file attached; run with 'atoll run --disk data=PATH' (the artefact itself takes --atoll-disk=data=PATH)\n");
    expect(r.status).toBe(2);
  });
});
