// `atoll run --net` and `--forward`: the QEMU devices each backend becomes
// on the kvm target (--dry-run), the errors for values that cannot work
// (before anything is built or started), two network devices kept in
// config.ts's order down to the NIC each gets, and `--net none` on unix.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { parseForward } from "../../tools/cli/nets.ts";
import { qemuNetArgs } from "../../tools/build/qemu-net.ts";

/** The QEMU arguments between isa-debug-exit and -kernel in a dry run's command line. */
function devices(line: string): string {
  const m = /-device isa-debug-exit,iobase=0xf4,iosize=0x04 (.*) -kernel /.exec(line);
  return m?.[1] ?? "";
}

describe("atoll run -t kvm --net ... --dry-run", () => {
  it("tap:IFNAME is QEMU's tap backend without scripts, on a virtio-mmio virtio-net device", () => {
    // ,create: no tap of that name exists here (test/kvm-net/ping.test.ts checks one that does, in a namespace).
    const r = atoll(["run", "-t", "kvm", "--net", "tap:atolltap9,create", "--dry-run", "examples/ping", "--", "--ipv4=10.0.0.2/24"]);
    expect(r.status, r.stderr).toBe(0);
    expect(devices(r.stdout)).toBe("-global virtio-mmio.force-legacy=false -netdev tap,id=net-net0,ifname=atolltap9,script=no,downscript=no -device virtio-net-device,netdev=net-net0");
    expect(r.stdout.trim()).toMatch(/-append --ipv4=10\.0\.0\.2\/24$/);
  });

  it("user networking takes the --forward ports, TCP by default", () => {
    const r = atoll(["run", "-t", "kvm", "--net", "net0=user", "--forward", "8080:80", "--forward", "udp:5353:53", "--dry-run", "examples/ping"]);
    expect(r.status, r.stderr).toBe(0);
    expect(devices(r.stdout)).toBe("-global virtio-mmio.force-legacy=false -netdev user,id=net-net0,hostfwd=tcp::8080-:80,hostfwd=udp::5353-:53 -device virtio-net-device,netdev=net-net0");
  });

  it("none is a device with no peer", () => {
    const r = atoll(["run", "-t", "kvm", "--net", "none", "--dry-run", "examples/ping"]);
    expect(r.status, r.stderr).toBe(0);
    expect(devices(r.stdout)).toBe("-global virtio-mmio.force-legacy=false -device virtio-net-device");
  });

  it("--machine q35 gets virtio-net-pci and no virtio-mmio setting", () => {
    expect(qemuNetArgs([{ name: "net0", backend: { kind: "user" } }], [], "q35")).toEqual(["-netdev", "user,id=net-net0", "-device", "virtio-net-pci,netdev=net-net0"]);
    const r = atoll(["run", "-t", "kvm", "--machine", "q35", "--net", "user", "--dry-run", "examples/ping"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^qemu-system-x86_64 -M q35 /);
    expect(devices(r.stdout)).toBe("-netdev user,id=net-net0 -device virtio-net-pci,netdev=net-net0");
  });
});

describe("atoll run --net and --forward: bad values are usage errors (status 2) that say what to pass", () => {
  const cases: [string, string[], RegExp][] = [
    ["a malformed backend", ["--net", "net0=tap"], /--net net0=tap: expected tap:IFNAME, user or none/],
    ["an interface name over 15 bytes", ["--net", "tap:abcdefghijklmnop"], /1 to 15 bytes/],
    ["a tap option other than create", ["--net", "tap:a,b"], /--net tap:a,b: unknown tap option 'b'; the tap backend is tap:IFNAME, or tap:IFNAME,create/],
    ["a tap that does not exist", ["--net", "tap:atollnotap0"], /--net tap:atollnotap0: no network interface 'atollnotap0'; taps here: .*\(add ',create' to create it: --net net0=tap:atollnotap0,create\)/],
    ["an unknown device", ["--net", "eth0=user"], /has no network device 'eth0'/],
    ["--forward without --net user", ["--net", "tap:t0,create", "--forward", "80:80"], /--forward needs exactly one network device on --net user/],
    ["a port of 0", ["--net", "user", "--forward", "0:80"], /--forward 0:80: the host port 0 is outside 1-65535/],
    ["a port over 65535", ["--net", "user", "--forward", "8080:65536"], /the guest port 65536 is outside 1-65535/],
    ["not a number", ["--net", "user", "--forward", "http:80"], /--forward http:80: not two port numbers/],
    ["one port", ["--net", "user", "--forward", "8080"], /expected \[tcp:\|udp:\]HOSTPORT:GUESTPORT/],
    ["a host port forwarded twice", ["--net", "user", "--forward", "8080:80", "--forward", "8080:81"], /host tcp port 8080 is forwarded twice/],
  ];
  it.each(cases)("%s", (_what, flags, message) => {
    const r = atoll(["run", "-t", "kvm", ...flags, "--dry-run", "examples/ping"]);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
  });

  it("user networking is kvm's: on unix it is refused, naming the backends unix has", () => {
    const r = atoll(["run", "-t", "unix", "--net", "user", "--dry-run", "examples/ping"]);
    expect(r.stderr).toContain("--net user: the user backend is not available on the unix target (it has: tap");
    expect(r.status).toBe(2);
    const node = atoll(["run", "-t", "node", "--net", "tap:t0", "--dry-run", "examples/udp-echo"]);
    expect(node.stderr).toContain("--net tap:t0: the tap backend is not available on the node target (it has no network backend)");
    expect(node.status).toBe(2);
  });

  it("parses forwards exactly", () => {
    expect(parseForward("1:65535")).toEqual({ proto: "tcp", host: 1, guest: 65535 });
    expect(parseForward("udp:7:7")).toEqual({ proto: "udp", host: 7, guest: 7 });
    expect(() => parseForward("tcp:-1:80")).toThrow(/not two port numbers/);
    expect(() => parseForward("sctp:1:2")).toThrow(/not two port numbers/);
  });
});

describe("atoll describe -t kvm", () => {
  it("wires a network device to drivers/virtio/net.ts", () => {
    const r = atoll(["describe", "-t", "kvm", "examples/ping"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/net 'net0'\s+NetDevice ← drivers\/virtio\/net\.ts VirtioNet/);
  });
});

describe("--net none on unix", () => {
  it("passes --atoll-net=net0=none, and the artefact runs with a device that is connected to nothing", async () => {
    const r = atoll(["run", "-t", "unix", "--net", "none", "--dry-run", "examples/ping", "--", "--ipv4=10.0.0.2/24"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/examples\/ping\/dist\/ping --atoll-net=net0=none --ipv4=10\.0\.0\.2\/24$/);
    // Without --ipv4 it sends DHCP requests: written frames are dropped, not errors.
    const child = spawn(path.join(root, "examples/ping/dist/ping"), ["--atoll-net=net0=none"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    // Its first line, then a while longer in which it must not exit: the
    // line waited for, not a fixed sleep, which a loaded machine could outlast.
    const deadline = Date.now() + 20_000;
    while (!out.includes("\n") && child.exitCode === null && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    await new Promise((res) => setTimeout(res, 1_500));
    const running = child.exitCode === null;
    child.kill("SIGKILL");
    expect(out).toMatch(/^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2}, asking DHCP for an address\n$/);
    expect(running).toBe(true);
  });
});

describe("two network devices on kvm", () => {
  // An application with devices a and b, in that order.
  const app = mkdtempSync(path.join(tmpdir(), "atoll-two-nets-"));
  writeFileSync(path.join(app, "config.ts"), `import { unikernel, device } from "atoll/config";
export default unikernel({ name: "twonets", main: "unikernel.ts", devices: [device.console(), device.net("a"), device.net("b")] });
`);
  writeFileSync(path.join(app, "unikernel.ts"), `import { Console } from "atoll/console";
import { NetDevice } from "atoll/net/device";
import { macFromBytes, macToString } from "atoll/net/addr";
export function start(out: Console, a: NetDevice, b: NetDevice): void {
  out.log(a.name + " " + macToString(macFromBytes(a.mac)) + ", " + b.name + " " + macToString(macFromBytes(b.mac)));
}
`);
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it("each needs a backend: the devices are matched to QEMU's by order", () => {
    const r = atoll(["run", "-t", "kvm", "--net", "b=user", "--dry-run", app]);
    expect(r.stderr).toContain("network device a of");
    expect(r.stderr).toContain("has no backend; on the kvm target each needs --net NAME=tap:IFNAME|user|none, e.g. --net a=user (none attaches nothing)");
    expect(r.status).toBe(2);
    const none = atoll(["run", "-t", "kvm", "--dry-run", app]);
    expect(none.stderr).toContain("network devices a, b of");
    expect(none.status).toBe(2);
  });

  it("QEMU gets them in config.ts's order, whatever the order of --net", () => {
    const r = atoll(["run", "-t", "kvm", "--net", "b=user", "--net", "a=tap:t1,create", "--dry-run", app]);
    expect(r.status, r.stderr).toBe(0);
    expect(devices(r.stdout)).toBe("-global virtio-mmio.force-legacy=false -netdev tap,id=net-a,ifname=t1,script=no,downscript=no -device virtio-net-device,netdev=net-a -netdev user,id=net-b -device virtio-net-device,netdev=net-b");
  });

  it("boots with them in that order: a gets QEMU's first NIC (MAC ...:56), b the second", () => {
    const r = atoll(["run", "-t", "kvm", "--net", "b=none", "--net", "a=none", app], undefined, { ATOLL_QEMU_ACCEL: "tcg" });
    expect(r.stdout).toBe("a 52:54:00:12:34:56, b 52:54:00:12:34:57\n");
    expect(r.status).toBe(0);
  });
});
