// The first real network path: examples/ping on unix, attached to a Linux tap
// inside a fresh network namespace, answers 100 pings from the host side,
// and pings larger than the MTU (Linux fragments the requests, lib/net
// reassembles them and fragments the replies). A tap that is not there is
// an error (atoll run lists the taps there are; the runtime refuses it too)
// unless tap:IFNAME,create asks for it.
// Needs root (ip netns add, /dev/net/tun); without it the test fails and says
// so rather than skipping.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, atollInNs, bin, root } from "../helpers/cli.ts";
import { kill } from "../stack/netns.ts";
import { pingEach } from "../helpers/ping.ts";
import { stop } from "../kvm-net/tap-namespace.ts";

const NS = `atoll-ping-${process.pid}`;
const TAP = "atolltap0";
const exe = path.join(root, "examples/ping/dist/ping");

function ip(args: string[]): { status: number | null; out: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

function inNs(cmd: string[]): string[] {
  return ["netns", "exec", NS, ...cmd];
}

describe("examples/ping on a tap (unix)", () => {
  let nsError = "";
  beforeAll(() => {
    const built = atoll(["build", "-t", "unix", "examples/ping"]);
    expect(built.status, built.stderr).toBe(0);
    const add = ip(["netns", "add", NS]);
    if (add.status !== 0) {
      nsError = `cannot create network namespace ${NS} (ip netns add needs root or CAP_SYS_ADMIN, and the ip command from iproute2): ${add.out.trim()}`;
      return;
    }
    for (const step of [
      ["tuntap", "add", "dev", TAP, "mode", "tap"],
      ["addr", "add", "10.0.0.1/24", "dev", TAP],
      ["link", "set", TAP, "up"],
      ["link", "set", "lo", "up"],
    ]) {
      const r = ip(inNs(["ip", ...step]));
      if (r.status !== 0) { nsError = `ip ${step.join(" ")} in ${NS} failed: ${r.out.trim()}`; return; }
    }
  });
  afterAll(() => {
    ip(["netns", "del", NS]);
  });

  /** examples/ping on the tap with 10.0.0.2/24, once it says it is answering. */
  async function startPing(): Promise<{ child: ChildProcess; out: () => string }> {
    const child = spawn("ip", inNs([exe, `--atoll-net=net0=tap:${TAP}`, "--ipv4=10.0.0.2/24"]), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    // Wait for the start line: the device is open and the interface up.
    const deadline = Date.now() + 10_000;
    while (!out.includes("answering ARP and ICMP echo") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return { child, out: () => out };
  }

  it("answers 100 of 100 pings from the namespace, then is still running", async () => {
    if (nsError !== "") throw new Error(nsError);
    const { child, out } = await startPing();
    try {
      expect(out()).toMatch(/^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 10\.0\.0\.2\/24, answering ARP and ICMP echo\n/);
      // Every one of the 100 answered: ping -c -W would count a last reply
      // later than twice the slowest round trip as lost (test/helpers/ping.ts).
      const ping = pingEach(["ip", ...inNs([])], "10.0.0.2", 100, 0.01, 20);
      expect(ping.missing, ping.out).toEqual([]);
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  });

  it("answers pings of 1473, 4000, 8000 and 65507 bytes, fragmented both ways, every reply whole", async () => {
    if (nsError !== "") throw new Error(nsError);
    const { child, out } = await startPing();
    try {
      expect(out()).toContain("answering ARP and ICMP echo");
      // 1473 bytes of data is one byte past the 1500-byte MTU; 65507 is the most ping sends.
      for (const [size, count] of [[1473, 20], [4000, 20], [8000, 20], [65507, 5]] as const) {
        const ping = pingEach(["ip", ...inNs([])], "10.0.0.2", count, 0.01, 20, size);
        expect(ping.missing, `ping -s ${size}: ${ping.out}`).toEqual([]);
        expect(ping.damaged, `ping -s ${size}: ${ping.out}`).toEqual([]);
      }
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  });

  it("without --ipv4, asks DHCP: its frames reach the host side of the tap (no DHCP server here answers)", async () => {
    if (nsError !== "") throw new Error(nsError);
    const rxPackets = (): number => {
      const r = ip(inNs(["ip", "-s", "-j", "link", "show", TAP]));
      const parsed = JSON.parse(r.out) as { stats64?: { rx?: { packets?: number } } }[];
      return parsed[0]?.stats64?.rx?.packets ?? -1;
    };
    const before = rxPackets();
    const child = spawn("ip", inNs([exe, `--atoll-net=net0=tap:${TAP}`]), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    try {
      const deadline = Date.now() + 10_000;
      while ((rxPackets() <= before || !out.includes("\n")) && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toMatch(/^ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2}, asking DHCP for an address\n/);
      expect(rxPackets()).toBeGreaterThan(before);
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  });

  it("without --atoll-net, says what to pass and exits 2", () => {
    const r = spawnSync(exe, ["--ipv4=10.0.0.2/24"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toContain("error: network device 'net0' has no backend attached; run with 'atoll run --net net0=tap:IFNAME'");
  });

  it("a backend other than tap: is reported by the runtime, exit 2", () => {
    const r = spawnSync(exe, ["--atoll-net=net0=udp:1234"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("atoll: net 'net0': udp:1234 is neither tap:IFNAME[,create] nor none, the backends the unix runtime has\n");
  });

  it("atoll run --net tap:IFNAME becomes --atoll-net=net0=tap:IFNAME, and tap:IFNAME,create passes ,create on", () => {
    if (nsError !== "") throw new Error(nsError);
    const r = atollInNs(NS, ["run", "-t", "unix", "--net", `tap:${TAP}`, "--dry-run", "examples/ping", "--", "--ipv4=10.0.0.9/24"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`examples/ping/dist/ping --atoll-net=net0=tap:${TAP} --ipv4=10\\.0\\.0\\.9/24$`));
    const create = atoll(["run", "-t", "unix", "--net", "net0=tap:tap7,create", "--dry-run", "examples/ping"]);
    expect(create.status, create.stderr).toBe(0);
    expect(create.stdout.trim()).toMatch(/examples\/ping\/dist\/ping --atoll-net=net0=tap:tap7,create$/);
    const wrong = atoll(["run", "-t", "unix", "--net", "eth0=tap:tap7", "--dry-run", "examples/ping"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("has no network device 'eth0'");
  });

  it("a misspelled tap is an error that lists the namespace's taps (atoll run), and the runtime refuses it too, creating nothing", () => {
    if (nsError !== "") throw new Error(nsError);
    const misspelled = "atolltpa0";
    const r = atollInNs(NS, ["run", "-t", "unix", "--net", `tap:${misspelled}`, "--dry-run", "examples/ping"]);
    expect(r.stderr).toBe(`atoll run: --net tap:${misspelled}: no network interface '${misspelled}'; taps here: ${TAP} (add ',create' to create it: --net net0=tap:${misspelled},create)\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    // lo is an interface, but no tap.
    const lo = atollInNs(NS, ["run", "-t", "unix", "--net", "tap:lo", "--dry-run", "examples/ping"]);
    expect(lo.stderr).toBe(`atoll run: --net tap:lo: 'lo' is not a tap; taps here: ${TAP}\n`);
    expect(lo.status).toBe(2);
    const direct = spawnSync("ip", inNs([exe, `--atoll-net=net0=tap:${misspelled}`, "--ipv4=10.0.0.2/24"]), { encoding: "utf8", timeout: 10_000 });
    expect(direct.stderr).toContain(`atoll: net 'net0': tap:${misspelled}: no network interface '${misspelled}' here; create the tap first (ip tuntap add dev ${misspelled} mode tap), or let the runtime create it: --atoll-net=net0=tap:${misspelled},create\n`);
    expect(direct.status).toBe(2);
    expect(ip(inNs(["ip", "link", "show", misspelled])).status).not.toBe(0);
  });

  it("atoll run --net tap:IFNAME,create creates the tap: the unikernel answers pings on it, and the tap goes when it exits", async () => {
    if (nsError !== "") throw new Error(nsError);
    const fresh = "atollnew0";
    const child = spawn("ip", inNs([process.execPath, bin, "run", "-t", "unix", "--net", `tap:${fresh},create`, "examples/ping", "--", "--ipv4=10.0.1.2/24"]), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    try {
      const deadline = Date.now() + 60_000; // atoll run may rebuild first
      while (!out.includes("answering ARP and ICMP echo") && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(out).toMatch(/ping: net0 ([0-9a-f]{2}:){5}[0-9a-f]{2} 10\.0\.1\.2\/24, answering ARP and ICMP echo\n/);
      for (const step of [["addr", "add", "10.0.1.1/24", "dev", fresh], ["link", "set", fresh, "up"]]) {
        const r = ip(inNs(["ip", ...step]));
        expect(r.status, r.out).toBe(0);
      }
      const ping = pingEach(["ip", ...inNs([])], "10.0.1.2", 5, 0.05, 10);
      expect(ping.missing, ping.out).toEqual([]);
    } finally {
      await stop({ child, out: () => out }); // SIGTERM, which atoll run passes on to the unikernel
    }
    // Not persistent: the runtime's open device held it.
    const gone = Date.now() + 5_000;
    while (ip(inNs(["ip", "link", "show", fresh])).status === 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(ip(inNs(["ip", "link", "show", fresh])).status).not.toBe(0);
  }, 90_000);
});
