// examples/udp-echo on node, where device.stack is the host's sockets
// (drivers/node/stack.ts, tools/host/sockets.ts): 10,000 datagrams of 1 to
// 1472 bytes over 127.0.0.1, every one echoed byte for byte; a port in use
// and a port below 1024 as an unprivileged user are sentences and status 1,
// not crashes.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { waitFor } from "./netns.ts";
import { freeUdpPort } from "../helpers/ports.ts";

const bundle = path.join(root, "examples/udp-echo/dist/udp-echo.mjs");
const client = path.join(root, "test/stack/udp-client.mjs");
let PORT = 0;

function startEcho(args: string[]) {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
  return { child, output: () => out };
}

describe("examples/udp-echo on node (host sockets)", () => {
  beforeAll(async () => {
    const built = atoll(["build", "-t", "node", "examples/udp-echo"]);
    expect(built.status, built.stderr).toBe(0);
    PORT = await freeUdpPort();
  }, 120_000);

  it("echoes 10,000 datagrams of 1..1472 bytes over 127.0.0.1, none lost; a second bind of the port is a sentence", async () => {
    const { child, output } = startEcho([`--port=${PORT}`]);
    try {
      await waitFor(output, "echoing UDP port", child);
      expect(output()).toBe(`udp-echo: host sockets 127.0.0.1/8, echoing UDP port ${PORT}\n`);
      const r = spawnSync(process.execPath, [client, "127.0.0.1", String(PORT), "10000", "32", "1472"], { encoding: "utf8", timeout: 40_000 });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { sent: number; echoed: number; mismatched: number; missing: number; ms: number };
      console.log(`udp-echo node: ${result.echoed} of ${result.sent} datagrams echoed in ${result.ms} ms`);
      expect(result).toMatchObject({ sent: 10000, echoed: 10000, mismatched: 0, missing: 0 });
      const twice = spawnSync(process.execPath, [bundle, `--port=${PORT}`], { encoding: "utf8", timeout: 10_000 });
      expect(twice.status).toBe(1);
      expect(twice.stdout).toBe(`error: udp-echo: UDP port ${PORT}: the port is in use on the host\n`);
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);

  it("port 7 as an unprivileged user: the host's refusal is a sentence, status 1", () => {
    // The bundle is self-contained: a copy in a folder anyone may read runs as nobody wherever the clone is.
    const dir = mkdtempSync(path.join(tmpdir(), "atoll-udp-echo-"));
    chmodSync(dir, 0o755);
    const copy = path.join(dir, "udp-echo.mjs");
    copyFileSync(bundle, copy);
    chmodSync(copy, 0o644);
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, copy, "--port=7"], { encoding: "utf8", timeout: 10_000 });
    if (r.error) throw new Error(`setpriv (util-linux) is needed to run as an unprivileged user: ${String(r.error)}`);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe("error: udp-echo: UDP port 7: the host refused the port: ports below 1024 need root (or CAP_NET_BIND_SERVICE)\n");
  });

  it("--ipv4 is not an argument on node: the host's sockets have the host's addresses", () => {
    const r = spawnSync(process.execPath, [bundle, "--ipv4=10.0.0.2/24"], { encoding: "utf8", timeout: 10_000 });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("unknown runtime argument --ipv4");
  });
});
