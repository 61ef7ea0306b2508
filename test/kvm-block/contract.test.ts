// The BlockDevice contract (lib/block.ts) on kvm: the block fixture's contract
// mode through drivers/virtio/block.ts on each transport — virtio-mmio
// (microvm), modern virtio-pci and legacy virtio-pci (q35) — and where the
// bytes land in the image; persistence from one machine to the other; the
// start-up errors of a missing disk and of a read-only disk config.ts wants
// writable.
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { disks, pattern } from "../block/fixture.ts";
import { expectContractRun } from "../block/contract.ts";
import { kvmUsable } from "../../tools/build/kvm.ts";
import { accel, buildImage, fixtureDisks, runVm, type Vm } from "./qemu.ts";

const transports: [string, Omit<Vm, "disks">][] = [
  ["virtio-mmio (microvm)", { machine: "microvm" }],
  ["modern virtio-pci (q35)", { machine: "q35" }],
  ["legacy virtio-pci (q35, disable-modern=on)", { machine: "q35", legacy: true }],
];

describe(`virtio-blk on kvm under QEMU (${accel.toUpperCase()})`, () => {
  const image = buildImage("test/fixtures/block", "blocktest");

  it.each(transports)("keeps every rule of lib/block.ts on %s", (_name, vm) => {
    const d = disks();
    const r = runVm(image, { ...vm, disks: fixtureDisks(d.disk, d.ro) }, []);
    expectContractRun(r, d);
  });

  it("persists what microvm flushed for q35 to read, and reads what the host wrote", () => {
    const d = disks();
    const w = runVm(image, { machine: "microvm", disks: fixtureDisks(d.disk, d.ro) }, ["--mode=write", "--run=9"]);
    expect(w.stdout).toBe("ok write pattern\nok flush\ndone\n");
    expect(readFileSync(d.disk).equals(pattern(9, 32 * 1024))).toBe(true);
    const c = runVm(image, { machine: "q35", disks: fixtureDisks(d.disk, d.ro) }, ["--mode=check", "--run=9"]);
    expect(c.stdout).toBe("ok read pattern\nok pattern persisted\ndone\n");
    writeFileSync(d.disk, pattern(4, 32 * 1024));
    const c4 = runVm(image, { machine: "microvm", disks: fixtureDisks(d.disk, d.ro) }, ["--mode=check", "--run=4"]);
    expect(c4.stdout).toBe("ok read pattern\nok pattern persisted\ndone\n");
  });

  it("ends with status 2 and says which disk is missing and what to pass", () => {
    const d = disks();
    for (const machine of ["microvm", "q35"] as const) {
      const r = runVm(image, { machine, disks: [{ name: "disk", file: d.disk, readOnly: false }] }, []);
      expect(r.stdout, machine).toMatch(/^error: block device 'ro' has no virtio-blk device with ID \(serial\) 'ro'; run with 'atoll run -t kvm --disk ro=PATH'; the VM's virtio-blk devices: 'disk' \(virtio-(mmio at 0xfeb00e00|pci 00:0\d\.0)\)\n$/);
      expect(r.status, machine).toBe(2);
    }
  });

  it("refuses a read-only disk that config.ts declares writable", () => {
    const d = disks();
    const r = runVm(image, { machine: "microvm", disks: [{ name: "disk", file: d.disk, readOnly: true }, { name: "ro", file: d.ro, readOnly: true }] }, []);
    expect(r.stdout).toMatch(/^error: block device 'disk' \(virtio-mmio at 0x[0-9a-f]+\) is read-only \(VIRTIO_BLK_F_RO\), but config.ts declares it writable/);
    expect(r.status).toBe(2);
  });
});

// One short run under the hardware accelerator (TCG when /dev/kvm is not
// usable): the same driver with KVM's ioeventfd notifications and guest
// memory, kept small because this host's KVM is slow (see qemu.ts).
const hw = kvmUsable() ? "kvm" : "tcg";
describe(`virtio-blk under QEMU with ${hw.toUpperCase()}`, () => {
  it.each(["microvm", "q35"] as const)("writes a 32 KiB pattern on %s, flushes, and the image file holds it", (machine) => {
    const image = buildImage("test/fixtures/block", "blocktest");
    const d = disks();
    const t0 = performance.now();
    const w = runVm(image, { machine, accel: hw, disks: fixtureDisks(d.disk, d.ro) }, ["--mode=write", "--run=7"], 80_000);
    expect(w.stdout, w.stderr).toBe("ok write pattern\nok flush\ndone\n");
    expect(w.status).toBe(0);
    expect(readFileSync(d.disk).equals(pattern(7, 32 * 1024))).toBe(true);
    process.stderr.write(`virtio-blk write + flush on ${machine} under ${hw}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }, 90_000);
});
