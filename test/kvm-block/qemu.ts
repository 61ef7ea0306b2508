// The block fixture (test/fixtures/block) and examples/kv as kvm images under
// QEMU, with disks attached the way `atoll run -t kvm --disk` attaches them
// (tools/build/qemu-block.ts). Under TCG unless ATOLL_QEMU_ACCEL says kvm:
// this host's KVM runs guests at tens of µs per instruction and stops at
// the first SSE arithmetic or popcnt (tools/runtime/kvm/README.md, "Under
// the KVM of these hosts"), which lib/kv's checksums reach.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { expect } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { guestStatus, qemuCommand, type QemuMachine } from "../../tools/build/kvm.ts";
import { qemuBlockArgs, type BlockAttachment } from "../../tools/build/qemu-block.ts";
import type { Ran } from "../block/fixture.ts";

/** The accelerator of these tests: ATOLL_QEMU_ACCEL when set, else TCG (see above). */
export const accel: "kvm" | "tcg" = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";

/** Builds `dir` for kvm; returns the image. */
export function buildImage(dir: string, name: string): string {
  const r = atoll(["build", "-t", "kvm", dir]);
  expect(r.stderr, "build").not.toMatch(/error/i);
  expect(r.status).toBe(0);
  return path.join(root, dir, "dist", `${name}.kvm`);
}

/** Options for one VM. */
export interface Vm {
  machine: QemuMachine;
  disks: BlockAttachment[];
  /** q35 only: the virtio-blk-pci devices without their modern interface, so the driver takes the legacy I/O BAR. */
  legacy?: boolean;
  /** The accelerator when not `accel`. */
  accel?: "kvm" | "tcg";
}

/** The QEMU command line of `image` with `vm`'s disks and `args` for the unikernel. */
export function command(image: string, vm: Vm, args: string[]): [string, string[]] {
  let devices = qemuBlockArgs(vm.disks, vm.machine);
  if (vm.legacy === true) devices = devices.map((a) => a.replace(/^virtio-blk-pci,/, "virtio-blk-pci,disable-modern=on,"));
  return qemuCommand(image, "32M", args, vm.accel ?? accel, devices, vm.machine);
}

/** Runs the VM to completion; `status` is the unikernel's (isa-debug-exit decoded). */
export function runVm(image: string, vm: Vm, args: string[], timeoutMs = 60_000): Ran {
  const [cmd, argv] = command(image, vm, args);
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout: timeoutMs });
  return { status: r.status === null ? null : guestStatus(r.status), signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the VM and kills QEMU with SIGKILL after `ms` unless it ended first
 * (the guest's power cut); keeps every line QEMU passed on before, and
 * when the line `mark` arrived (ms after the start; null if it did not).
 */
export function runVmKilled(image: string, vm: Vm, args: string[], ms: number, mark: string): Promise<Ran & { markMs: number | null }> {
  const [cmd, argv] = command(image, vm, args);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", markMs: number | null = null;
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      if (markMs === null && `\n${stdout}`.includes(`\n${mark}\n`)) markMs = performance.now() - t0;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr += s; });
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code === null ? null : guestStatus(code), signal, stdout, stderr, markMs });
    });
  });
}

/** The fixture's two disks as attachments. */
export function fixtureDisks(disk: string, ro: string): BlockAttachment[] {
  return [{ name: "disk", file: disk, readOnly: false }, { name: "ro", file: ro, readOnly: true }];
}
