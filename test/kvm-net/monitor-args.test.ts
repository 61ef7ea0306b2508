// The kvm runtime's `args` leaves out the words a VM monitor appends to the
// kernel command line for its virtio-mmio devices (QEMU's microvm with
// auto-kernel-cmdline on, Firecracker always): `virtio_mmio.device=...`
// would otherwise reach the module as a runtime argument it rejects.
// Booted with test/unix/fake-module.ts's "args" scenario, which prints what
// `args` returned.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFakeKvmImage } from "../kvm/fake-image.ts";
import { guestStatus, qemuCommand } from "../../tools/build/kvm.ts";

const dir = mkdtempSync(path.join(tmpdir(), "atoll-kvm-args-"));
const image = path.join(dir, "fake.kvm");
writeFakeKvmImage(image);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kvm runtime: the monitor's words on the command line", () => {
  it("args drops virtio_mmio.device= words wherever they are, and keeps look-alikes", () => {
    const words = ["args", "virtio_mmio.device=512@0xfeb00e00:12", "--kind=x", "virtio_mmio.devic=1", "virtio_mmio.device=512@0xfeb00c00:11", "x-virtio_mmio.device=2"];
    const [cmd, argv] = qemuCommand(image, "32M", words, "tcg");
    const r = spawnSync(cmd, argv, { timeout: 30_000 });
    expect(r.stdout.toString()).toBe("args\0--kind=x\0virtio_mmio.devic=1\0x-virtio_mmio.device=2\0");
    expect(guestStatus(r.status ?? -1)).toBe(0);
  });

  it("QEMU's microvm with auto-kernel-cmdline on appends such a word for a virtio-mmio device, and the module never sees it", () => {
    const [cmd, argv] = qemuCommand(image, "32M", ["args", "--a"], "tcg", ["-global", "virtio-mmio.force-legacy=false", "-device", "virtio-net-device"]);
    const m = argv.indexOf("-M");
    argv[m + 1] = argv[m + 1]!.replace(",auto-kernel-cmdline=off", "");
    expect(argv[m + 1]).toBe("microvm,acpi=off,rtc=on"); // QEMU's default, auto-kernel-cmdline=on
    const r = spawnSync(cmd, argv, { timeout: 30_000 });
    expect(r.stdout.toString()).toBe("args\0--a\0");
    expect(r.stderr.toString()).toContain("has no peer"); // QEMU's warning for the device without a backend: it was there
  });
});
