// examples/udp-echo on unix, on lib/net's stack (device.stack) over a Linux
// tap in a fresh network namespace: 10,000 datagrams of 1 to 1472 bytes from
// a Node dgram client in the namespace, at most 32 unanswered at a time,
// every one echoed byte for byte; 300 of 1 to 65,507 bytes, fragmented both
// ways; `nc -u` on the default and another port;
// the address from DHCP (test/stack/dhcp-server.mjs) without --ipv4;
// malformed --ipv4 values rejected with status 2. Needs root (ip netns,
// /dev/net/tun); without it the test fails and says so rather than skipping.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { TapNamespace, kill, waitFor } from "../stack/netns.ts";

const exe = path.join(root, "examples/udp-echo/dist/udp-echo");
const client = path.join(root, "test/stack/udp-client.mjs");
const dhcpServer = path.join(root, "test/stack/dhcp-server.mjs");
const ns = new TapNamespace(`atoll-udp-${process.pid}`);

describe("examples/udp-echo on a tap (unix)", () => {
  beforeAll(() => {
    const built = atoll(["build", "-t", "unix", "examples/udp-echo"]);
    expect(built.status, built.stderr).toBe(0);
    ns.setUp();
  }, 120_000);
  afterAll(() => ns.tearDown());

  it("echoes 10,000 datagrams of 1..1472 bytes, every byte checked, none lost", async () => {
    if (ns.error !== "") throw new Error(ns.error);
    const { child, output } = ns.start([exe, `--atoll-net=net0=tap:${ns.tap}`, "--ipv4=10.0.0.2/24"]);
    try {
      await waitFor(output, "echoing UDP port 7", child);
      expect(output()).toBe("udp-echo: net0 10.0.0.2/24, echoing UDP port 7\n");
      const r = ns.run([process.execPath, client, "10.0.0.2", "7", "10000", "32", "1472"], 40_000);
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { sent: number; echoed: number; mismatched: number; missing: number; ms: number };
      console.log(`udp-echo unix: ${result.echoed} of ${result.sent} datagrams echoed in ${result.ms} ms`);
      expect(result).toMatchObject({ sent: 10000, echoed: 10000, mismatched: 0, missing: 0 });
      const nc = ns.run(["sh", "-c", "printf 'hello, atoll' | nc -u -w1 10.0.0.2 7"], 10_000);
      expect(nc.stdout, nc.stderr).toBe("hello, atoll");
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  }, 60_000);

  it("echoes 300 datagrams of 1..65507 bytes, fragmented both ways, every byte checked", async () => {
    if (ns.error !== "") throw new Error(ns.error);
    const { child, output } = ns.start([exe, `--atoll-net=net0=tap:${ns.tap}`, "--ipv4=10.0.0.2/24"]);
    try {
      await waitFor(output, "echoing UDP port 7", child);
      // One at a time: two 64 KB echoes can overflow the client socket's
      // receive buffer (Linux counts UdpRcvbufErrors), which is not ours to test.
      const r = ns.run([process.execPath, client, "10.0.0.2", "7", "300", "1", "65507"], 40_000);
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { sent: number; echoed: number; mismatched: number; missing: number; ms: number };
      console.log(`udp-echo unix, up to 65507 bytes: ${result.echoed} of ${result.sent} datagrams echoed in ${result.ms} ms`);
      expect(result).toMatchObject({ sent: 300, echoed: 300, mismatched: 0, missing: 0 });
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  }, 60_000);

  it("--port=N echoes on port N instead", async () => {
    if (ns.error !== "") throw new Error(ns.error);
    const { child, output } = ns.start([exe, `--atoll-net=net0=tap:${ns.tap}`, "--ipv4=10.0.0.2/24", "--port=5353"]);
    try {
      await waitFor(output, "echoing UDP port 5353", child);
      expect(output()).toContain("echoing UDP port 5353");
      const nc = ns.run(["sh", "-c", "printf 'on 5353' | nc -u -w1 10.0.0.2 5353"], 10_000);
      expect(nc.stdout, nc.stderr).toBe("on 5353");
    } finally {
      await kill(child);
    }
  }, 30_000);

  it("without --ipv4, takes its address from DHCP and says so once bound", async () => {
    if (ns.error !== "") throw new Error(ns.error);
    const server = ns.start([process.execPath, dhcpServer, "10.0.0.50", "20"]);
    const { child, output } = ns.start([exe, `--atoll-net=net0=tap:${ns.tap}`]);
    try {
      await waitFor(output, "echoing UDP port 7", child, 15_000);
      expect(output()).toBe("udp-echo: net0 10.0.0.50/24, echoing UDP port 7\n");
      // The server sends its ACK, then prints it: the unikernel's line can reach us first.
      await waitFor(server.output, "ack 10.0.0.50\n", server.child);
      expect(server.output()).toBe("offer 10.0.0.50\nack 10.0.0.50\n");
      const nc = ns.run(["sh", "-c", "printf 'leased' | nc -u -w1 10.0.0.50 7"], 10_000);
      expect(nc.stdout, nc.stderr).toBe("leased");
    } finally {
      await kill(child);
      await kill(server.child);
    }
  }, 30_000);

  it.each([
    ["--ipv4=10.0.0.300/24", "--ipv4 takes ADDRESS/PREFIX with a prefix of 1 to 32, e.g. --ipv4=10.0.0.2/24, not '10.0.0.300/24'"],
    ["--ipv4=10.0.0.2/33", "not '10.0.0.2/33'"],
    ["--ipv4=10.0.0.2/", "not '10.0.0.2/'"],
    ["--ipv4=10.0.0.2/2x", "not '10.0.0.2/2x'"],
    ["--ipv4=eth0", "not 'eth0'"],
    ["--ipv4=224.0.0.1/4", "--ipv4 takes a unicast address, not the multicast or broadcast '224.0.0.1/4'"],
    ["--ipv4-gateway=10.0.0", "--ipv4-gateway takes an address, e.g. --ipv4-gateway=10.0.0.1, not '10.0.0'"],
  ])("%s: status 2 and a sentence naming the value, before any device is opened", (arg, message) => {
    const r = spawnSync(exe, ["--ipv4=10.0.0.2/24", arg], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/^error: --ipv4/);
    expect(r.stdout + r.stderr).toContain(message);
  });

  it("a gateway off the subnet is refused with status 2", () => {
    const r = spawnSync(exe, ["--ipv4=10.0.0.2/24", "--ipv4-gateway=10.0.1.1"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("error: --ipv4-gateway 10.0.1.1 is not on the subnet of --ipv4=10.0.0.2/24");
  });
});
