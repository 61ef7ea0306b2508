// The kvm target's CLI surface without booting: --dry-run's QEMU command
// line, the VM configurations configure writes, QEMU's status mapping.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { guestStatus, commandLine, chooseAccel, kvmUsable } from "../../tools/build/kvm.ts";
import { memoryMiB } from "../../tools/configure/vm-configs.ts";

describe("atoll run -t kvm --dry-run", () => {
  it("prints the QEMU command line (microvm, no ACPI, serial on stdio, isa-debug-exit, the arguments on -append) and runs nothing", () => {
    const r = atoll(["run", "-t", "kvm", "--dry-run", "examples/trap", "--", "--kind=memory"]);
    expect(r.status).toBe(0);
    const line = r.stdout.trim();
    expect(line).toMatch(/^qemu-system-x86_64 -M microvm,acpi=off,rtc=on,auto-kernel-cmdline=off -accel (kvm|tcg) -cpu \S+ -m 32M -display none -nodefaults -no-user-config -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel \S+\/examples\/trap\/dist\/trap\.kvm -append --kind=memory$/);
    expect(line).not.toMatch(/-cpu (host|max)(\s|$)/);
  });
});

describe("atoll configure -t kvm", () => {
  it("writes a Firecracker configuration and a libvirt domain beside the image", () => {
    const r = atoll(["configure", "-t", "kvm", "examples/hello"]);
    expect(r.status).toBe(0);
    const image = path.join(root, "examples/hello/dist/hello.kvm");
    const fc = JSON.parse(readFileSync(path.join(root, "examples/hello/dist/hello.firecracker.json"), "utf8")) as Record<string, Record<string, unknown>>;
    expect(fc["boot-source"]).toEqual({ kernel_image_path: image, boot_args: "" });
    expect(fc["machine-config"]).toEqual({ vcpu_count: 1, mem_size_mib: 32 });
    const domain = readFileSync(path.join(root, "examples/hello/dist/hello.libvirt.xml"), "utf8");
    expect(domain).toContain(`<kernel>${image}</kernel>`);
    expect(domain).toContain("<memory unit='MiB'>32</memory>");
    expect(domain).toContain("<on_reboot>destroy</on_reboot>");
  });
});

describe("kvm helpers", () => {
  it("maps QEMU's exit status back to the guest's: isa-debug-exit's (v << 1) | 1, 0 for a reset, QEMU's own 1 kept", () => {
    expect(guestStatus(0)).toBe(0);
    expect(guestStatus(205)).toBe(102);
    expect(guestStatus(203)).toBe(101);
    expect(guestStatus(5)).toBe(2);
    expect(guestStatus(1)).toBe(1);
  });

  it("joins runtime arguments with spaces and refuses what would not survive the split", () => {
    expect(commandLine([])).toBe("");
    expect(commandLine(["--a=1", "--b"])).toBe("--a=1 --b");
    expect(() => commandLine(["--a=x y"])).toThrow(/split on spaces/);
    expect(() => commandLine([""])).toThrow(/empty/);
  });

  it("takes the accelerator from ATOLL_QEMU_ACCEL, else KVM when /dev/kvm is usable", () => {
    expect(chooseAccel({ ATOLL_QEMU_ACCEL: "tcg" })).toBe("tcg");
    expect(chooseAccel({ ATOLL_QEMU_ACCEL: "kvm" })).toBe("kvm");
    expect(chooseAccel({})).toBe(kvmUsable() ? "kvm" : "tcg");
    expect(() => chooseAccel({ ATOLL_QEMU_ACCEL: "hvf" })).toThrow(/use kvm or tcg/);
  });

  it("reads config.ts memory sizes in MiB", () => {
    expect(memoryMiB("32M")).toBe(32);
    expect(memoryMiB("1G")).toBe(1024);
    expect(memoryMiB("512K")).toBe(1);
    expect(memoryMiB("64MiB")).toBe(64);
  });
});
