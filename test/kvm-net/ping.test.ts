// examples/ping on the kvm target: virtio-net on QEMU's microvm, its
// interrupt through the I/O APIC, lib/net above it.
//
// - through QEMU's tap backend, the tap inside a network namespace the test
//   creates (as test/net-tap/ping.test.ts does for unix): 100 pings 10 ms
//   apart all answered, on microvm (virtio-mmio, an I/O APIC line) and on
//   q35 (virtio-pci, MSI-X); then a slower round with the default
//   accelerator (KVM when /dev/kvm is usable); pings larger than the MTU
//   (1473 to 65507 bytes of data), fragmented both ways;
// - through QEMU's user networking with no --ipv4: DHCP from QEMU's
//   built-in server gives 10.0.2.15;
// - with --net none: a device connected to nothing, and the unikernel runs;
// - a misspelled tap refused by atoll run (QEMU would create it), and
//   tap:IFNAME,create, on which QEMU creates the tap.
//
// The bursts and DHCP run under TCG unless ATOLL_QEMU_ACCEL says otherwise:
// the KVM of these hosts (a Firecracker guest's, ../shared/notes) runs the
// guest about 2000 times slower than TCG, tens of µs per instruction, and
// stops the VM ("KVM internal error ... emulation failure") at the first
// SSE arithmetic instruction, such as the int-to-f64 conversion in
// Math.random, which the DHCP client uses (measured 2026-11-23;
// tools/runtime/kvm/README.md). Under it each ping takes about 90 ms of
// guest time, so the burst could not keep up; the slower round still
// covers KVM's interrupt path. Needs root (ip netns add, a tap) and
// qemu-system-x86_64; without them the tests fail and say so.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, atollInNs, bin, root } from "../helpers/cli.ts";
import { pingEach } from "../helpers/ping.ts";
import { chooseAccel, qemuCommand, type QemuMachine } from "../../tools/build/kvm.ts";
import { TapNamespace, start, stop, waitFor, type Running } from "./tap-namespace.ts";

const NS = `atoll-kvm-ping-${process.pid}`;
const net = new TapNamespace(NS, "atollkvmtap0");
const image = path.join(root, "examples/ping/dist/ping.kvm");
const burstAccel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const START = /^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 10\.0\.0\.2\/24, answering ARP and ICMP echo\n/;

/** examples/ping's VM on the namespace's tap, with --ipv4=10.0.0.2/24. */
function bootOnTap(accel: "kvm" | "tcg", machine: QemuMachine = "microvm"): Running {
  return net.boot(image, ["--ipv4=10.0.0.2/24"], accel, machine);
}

describe("examples/ping on kvm (virtio-net, QEMU microvm)", () => {
  let nsError = "";
  beforeAll(() => {
    const built = atoll(["build", "-t", "kvm", "examples/ping"]);
    expect(built.status, built.stderr).toBe(0);
    nsError = net.setup();
  }, 120_000);
  afterAll(() => net.teardown());

  it(`answers 100 of 100 pings 10 ms apart through QEMU's tap backend (${burstAccel.toUpperCase()}), then is still running`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const vm = bootOnTap(burstAccel);
    try {
      await waitFor(vm, START, 20_000);
      expect(vm.out()).toMatch(START);
      const ping = pingEach(net.inside([]), "10.0.0.2", 100, 0.01, 20);
      process.stderr.write(`kvm-net: ${ping.summary}\n`);
      expect(ping.missing, ping.out).toEqual([]);
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it(`on q35 (virtio-net-pci, its interrupt by MSI-X) answers 100 of 100 pings 10 ms apart (${burstAccel.toUpperCase()})`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const vm = bootOnTap(burstAccel, "q35");
    try {
      await waitFor(vm, START, 30_000);
      expect(vm.out()).toMatch(START);
      const ping = pingEach(net.inside([]), "10.0.0.2", 100, 0.01, 20);
      process.stderr.write(`kvm-net q35: ${ping.summary}\n`);
      expect(ping.missing, ping.out).toEqual([]);
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it(`answers pings of 1473, 4000, 8000 and 65507 bytes, fragmented both ways, every reply whole (${burstAccel.toUpperCase()})`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const vm = bootOnTap(burstAccel);
    try {
      await waitFor(vm, START, 20_000);
      expect(vm.out()).toMatch(START);
      for (const [size, count] of [[1473, 10], [4000, 10], [8000, 10], [65507, 3]] as const) {
        const ping = pingEach(net.inside([]), "10.0.0.2", count, 0.05, 20, size);
        process.stderr.write(`kvm-net ping -s ${size}: ${ping.summary}\n`);
        expect(ping.missing, `ping -s ${size}: ${ping.out}`).toEqual([]);
        expect(ping.damaged, `ping -s ${size}: ${ping.out}`).toEqual([]);
      }
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 120_000);

  it(`idles halted: with nothing to do, QEMU's CPU time stays under a fifth of the wall time (${burstAccel.toUpperCase()})`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const vm = bootOnTap(burstAccel);
    try {
      await waitFor(vm, START, 20_000);
      expect(vm.out()).toMatch(START);
      // utime + stime, fields 14 and 15 of /proc/PID/stat, in clock ticks (100 Hz on Linux).
      const cpu = (): number => {
        const f = readFileSync(`/proc/${vm.child.pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
        return Number(f[11]) + Number(f[12]);
      };
      await new Promise((res) => setTimeout(res, 500)); // past the boot
      const c0 = cpu(), t0 = Date.now();
      await new Promise((res) => setTimeout(res, 3_000));
      const share = ((cpu() - c0) * 10) / (Date.now() - t0);
      process.stderr.write(`kvm-net: idle QEMU used ${(share * 100).toFixed(1)}% of a CPU\n`);
      expect(share).toBeLessThan(0.2);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it(`answers 10 of 10 pings 200 ms apart with the default accelerator (${chooseAccel().toUpperCase()})`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const vm = bootOnTap(chooseAccel());
    try {
      await waitFor(vm, START, 20_000);
      expect(vm.out()).toMatch(START);
      const ping = pingEach(net.inside([]), "10.0.0.2", 10, 0.2, 20);
      expect(ping.missing, ping.out).toEqual([]);
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it(`without --ipv4 on --net user, DHCP from QEMU's server gives 10.0.2.15/24 (${burstAccel.toUpperCase()})`, async () => {
    const vm = start(process.execPath, [path.join(root, "bin/atoll.mjs"), "run", "-t", "kvm", "--net", "user", "examples/ping"], { ATOLL_QEMU_ACCEL: burstAccel });
    try {
      await waitFor(vm, /DHCP gave/, 30_000);
      expect(vm.out()).toMatch(/^ping: net0 52:54:00:12:34:56, asking DHCP for an address\n/m);
      expect(vm.out()).toMatch(/^ping: DHCP gave 10\.0\.2\.15\/24, answering ARP and ICMP echo\n/m);
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it("on --net none it starts and keeps running: the device is there, connected to nothing", async () => {
    const vm = start(process.execPath, [path.join(root, "bin/atoll.mjs"), "run", "-t", "kvm", "--net", "none", "examples/ping", "--", "--ipv4=10.0.0.2/24"], { ATOLL_QEMU_ACCEL: burstAccel });
    try {
      await waitFor(vm, /answering/, 20_000);
      expect(vm.out()).toMatch(/^ping: net0 52:54:00:12:34:56 10\.0\.0\.2\/24, answering ARP and ICMP echo\n/m);
      await new Promise((res) => setTimeout(res, 500));
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it("a misspelled tap is refused before QEMU starts (it would create one), with the namespace's taps listed", () => {
    if (nsError !== "") throw new Error(nsError);
    const r = atollInNs(NS, ["run", "-t", "kvm", "--net", "tap:atollkvmtpa0", "--dry-run", "examples/ping"]);
    expect(r.stderr).toBe(`atoll run: --net tap:atollkvmtpa0: no network interface 'atollkvmtpa0'; taps here: ${net.tap} (add ',create' to create it: --net net0=tap:atollkvmtpa0,create)\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
  });

  it(`--net tap:IFNAME,create: QEMU creates the tap and the guest answers pings on it (${burstAccel.toUpperCase()})`, async () => {
    if (nsError !== "") throw new Error(nsError);
    const fresh = "atollkvmnew0";
    const [cmd, ...args] = net.inside([process.execPath, bin, "run", "-t", "kvm", "--net", `tap:${fresh},create`, "examples/ping", "--", "--ipv4=10.0.1.2/24"]);
    const vm = start(cmd!, args, { ATOLL_QEMU_ACCEL: burstAccel });
    try {
      await waitFor(vm, /answering/, 30_000);
      expect(vm.out()).toMatch(/^ping: net0 52:54:00:12:34:56 10\.0\.1\.2\/24, answering ARP and ICMP echo\n/m);
      for (const step of [["addr", "add", "10.0.1.1/24", "dev", fresh], ["link", "set", fresh, "up"]]) {
        const r = net.exec(["ip", ...step]);
        expect(r.status, r.out).toBe(0);
      }
      const ping = pingEach(net.inside([]), "10.0.1.2", 5, 0.05, 20);
      expect(ping.missing, ping.out).toEqual([]);
    } finally {
      await stop(vm);
    }
  }, 60_000);

  it("without a virtio-net device (QEMU started by hand), says what to pass and exits 2", () => {
    const [qemu, args] = qemuCommand(image, "32M", ["--ipv4=10.0.0.2/24"], burstAccel);
    const r = spawnSync(qemu, args, { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toContain("error: network device 'net0' has no virtio-net device; run with 'atoll run -t kvm --net net0=tap:IFNAME' (or =user, =none)");
    expect(r.status).toBe((2 << 1) | 1);
  });
});
