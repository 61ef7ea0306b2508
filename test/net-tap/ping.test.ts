// The first real network path: examples/ping on unix, attached to a Linux tap
// inside a fresh network namespace, answers 100 pings from the host side,
// and pings larger than the MTU (Linux fragments the requests, lib/net
// reassembles them and fragments the replies).
// Needs root (ip netns add, /dev/net/tun); without it the test fails and says
// so rather than skipping.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { kill } from "../stack/netns.ts";
import { pingEach } from "../helpers/ping.ts";

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
    expect(r.stderr).toContain("atoll: net 'net0': udp:1234 is neither tap:IFNAME nor none, the backends the unix runtime has\n");
  });

  it("atoll run --net tap:IFNAME becomes --atoll-net=net0=tap:IFNAME", () => {
    const r = atoll(["run", "-t", "unix", "--net", "tap:tap7", "--dry-run", "examples/ping", "--", "--ipv4=10.0.0.9/24"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/examples\/ping\/dist\/ping --atoll-net=net0=tap:tap7 --ipv4=10\.0\.0\.9\/24$/);
    const wrong = atoll(["run", "-t", "unix", "--net", "eth0=tap:tap7", "--dry-run", "examples/ping"]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("has no network device 'eth0'");
  });
});
