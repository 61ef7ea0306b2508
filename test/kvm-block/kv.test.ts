// examples/kv on kvm through `atoll run -t kvm --disk`: the boot count
// persists across two VMs on one disk file, on microvm (virtio-mmio) and on
// q35 (virtio-pci); the file is created with config.ts's size; a damaged
// image is reported, never trusted.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll } from "../helpers/cli.ts";
import { kvmUsable } from "../../tools/build/kvm.ts";
import { disks } from "../block/fixture.ts";
import { after, damagedSweep } from "../block/crash.ts";
import { accel, buildImage, fixtureDisks, runVm } from "./qemu.ts";

const env = { ATOLL_QEMU_ACCEL: accel };

describe(`examples/kv on kvm under QEMU (${accel.toUpperCase()})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "atoll-kvm-kv-"));

  it.each(["microvm", "q35"] as const)("counts boots on one disk file across two VMs on %s", (machine) => {
    const disk = path.join(dir, `${machine}.img`);
    const first = atoll(["run", "-t", "kvm", "--machine", machine, "--disk", `data=${disk}`, "examples/kv"], undefined, env);
    expect(first.stdout, first.stderr).toBe("boots: 1\n");
    expect(first.status).toBe(0);
    expect(first.stderr).toContain("created");
    expect(statSync(disk).size).toBe(256 * 1024);
    const second = atoll(["run", "-t", "kvm", "--machine", machine, "--disk", `data=${disk}`, "examples/kv", "--", "--set=colour=blue"], undefined, env);
    expect(second.stdout, second.stderr).toBe("boots: 2\nset colour\n");
    expect(second.status).toBe(0);
    process.stderr.write(`examples/kv on ${machine} (${accel}): ${JSON.stringify(first.stdout)}, then ${JSON.stringify(second.stdout)}\n`);
  });

  it("reads on q35 the store microvm wrote, and on unix the same file", () => {
    const disk = path.join(dir, "moved.img");
    expect(atoll(["run", "-t", "kvm", "--disk", `data=${disk}`, "examples/kv", "--", "--set=from=microvm"], undefined, env).stdout).toBe("boots: 1\nset from\n");
    expect(atoll(["run", "-t", "kvm", "--machine", "q35", "--disk", `data=${disk}`, "examples/kv", "--", "--get=from"], undefined, env).stdout).toBe("boots: 2\nfrom = microvm\n");
    expect(atoll(["run", "-t", "unix", "--disk", `data=${disk}`, "examples/kv", "--", "--get=from"]).stdout).toBe("boots: 3\nfrom = microvm\n");
  });

  it("refuses --machine with a bad value or off kvm, and a device name longer than a virtio-blk ID", () => {
    const bad = atoll(["run", "-t", "kvm", "--machine", "pc", "--dry-run", "examples/kv"]);
    expect(bad.stderr).toContain("--machine pc: unknown QEMU machine; use microvm or q35");
    expect(bad.status).toBe(2);
    const unix = atoll(["run", "-t", "unix", "--machine", "q35", "examples/kv"]);
    expect(unix.stderr).toContain("--machine is for the kvm target");
    expect(unix.status).toBe(2);
    const dry = atoll(["run", "-t", "kvm", "--machine", "q35", "--dry-run", "--disk", `data=${dir}/dry.img`, "examples/kv"]);
    expect(dry.stdout).toContain(`-M q35 `);
    expect(dry.stdout).toContain(`-drive file=${dir}/dry.img,format=raw,if=none,id=disk-data,cache=writeback -device virtio-blk-pci,drive=disk-data,serial=data `);
    const app = path.join(dir, "longname");
    mkdirSync(app);
    writeFileSync(path.join(app, "config.ts"), `import { unikernel, device } from "atoll/config";\nexport default unikernel({ name: "longname", main: "unikernel.ts", devices: [device.block("abcdefghijklmnopqrstu", { size: "64K" })] });\n`);
    writeFileSync(path.join(app, "unikernel.ts"), `import { BlockDevice } from "atoll/block";\nexport function start(d: BlockDevice): void {}\n`);
    const long = atoll(["run", "-t", "kvm", "--dry-run", "--disk", `abcdefghijklmnopqrstu=${dir}/long.img`, app]);
    expect(long.stderr).toContain("on the kvm target a block device's name is its virtio-blk ID, at most 20 bytes; shorten 'abcdefghijklmnopqrstu'");
    expect(long.status).toBe(2);
    expect(existsSync(`${dir}/long.img`)).toBe(false);
  });

  it("passes an image path with a comma to QEMU with the comma doubled, and creates it", () => {
    const disk = path.join(dir, "a,b.img");
    const r = atoll(["run", "-t", "kvm", "--disk", `data=${disk}`, "examples/kv"], undefined, env);
    expect(r.stdout, r.stderr).toBe("boots: 1\n");
    expect(statSync(disk).size).toBe(256 * 1024);
    const dry = atoll(["run", "-t", "kvm", "--dry-run", "--disk", `data=${disk}`, "examples/kv"]);
    expect(dry.stdout).toContain(`file=${dir}/a,,b.img,format=raw`);
  });

  it("reports a damaged image instead of trusting it: one flipped bit in each sector in turn", () => {
    const image = buildImage("test/fixtures/block", "blocktest");
    const d = disks();
    const w = runVm(image, { machine: "microvm", disks: fixtureDisks(d.disk, d.ro) }, ["--mode=crash", "--run=1", "--ops=60"]);
    expect(w.status, w.stdout + w.stderr).toBe(0);
    const expected = after(new Map(), 1, 60);
    damagedSweep("kvm", readFileSync(d.disk), expected, d.dir, (copy) => runVm(image, { machine: "microvm", disks: fixtureDisks(copy, d.ro) }, ["--mode=crash", "--ops=0"]));
  }, 65 * 3_000); // 65 TCG boots: 8 s on a quiet machine, 16 s in a loaded full run; vitest's 60 s left a loaded one under 1 s a boot
});

// The rest of this file runs under TCG (qemu.ts says why). Under this
// host's KVM, examples/kv stops at its first POPCNT ("KVM internal error")
// and QEMU would wait forever; atoll run must end it and say what to do.
describe("examples/kv with ATOLL_QEMU_ACCEL=kvm", () => {
  it("boots, or ends with the reason (and the TCG fallback) when QEMU's KVM cannot run the guest; never hangs", () => {
    const disk = path.join(mkdtempSync(path.join(tmpdir(), "atoll-kvm-kv-")), "kv.img");
    const r = atoll(["run", "-t", "kvm", "--disk", `data=${disk}`, "examples/kv"], undefined, { ATOLL_QEMU_ACCEL: "kvm" });
    expect(r.status, "atoll run was killed by the timeout of helpers/cli.ts").not.toBe(-1);
    if (!kvmUsable()) {
      expect(r.status, r.stderr).not.toBe(0); // QEMU itself says it has no KVM
    } else if (r.stderr.includes("KVM internal error")) {
      expect(r.stderr).toContain("atoll run: QEMU's KVM stopped the guest at an instruction it could not execute");
      expect(r.stderr).toContain("ATOLL_QEMU_ACCEL=tcg");
      expect(r.status).toBe(1);
    } else {
      expect(r.stdout, r.stderr).toBe("boots: 1\n");
      expect(r.status).toBe(0);
    }
    process.stderr.write(`examples/kv under KVM: status ${r.status}, ${r.stderr.includes("KVM internal error") ? "KVM could not execute the guest" : JSON.stringify(r.stdout)}\n`);
  });
});
