// examples/tcp-echo on unix, on lib/net's TCP over a Linux tap in a fresh
// network namespace: eight connections at once from the namespace, 3 MB
// each way on each, every byte checked, each client half-closing and still
// getting its whole echo and then the server's FIN; then 16 MB to a client
// that reads nothing for 1.5 s, so the echo's writes back up. Needs root (ip netns,
// /dev/net/tun); without it the test fails and says so.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { TapNamespace, kill, waitFor } from "./netns.ts";

const exe = path.join(root, "examples/tcp-echo/dist/tcp-echo");
const client = path.join(root, "test/stack/tcp-client.mjs");
const ns = new TapNamespace(`atoll-tcp-${process.pid}`);

describe("examples/tcp-echo on a tap (unix)", () => {
  beforeAll(() => {
    const built = atoll(["build", "-t", "unix", "examples/tcp-echo"]);
    expect(built.status, built.stderr).toBe(0);
    ns.setUp();
  }, 120_000);
  afterAll(() => ns.tearDown());

  it("echoes 8 concurrent connections of 3 MB, respecting half-close, and holds back for a slow reader", async () => {
    if (ns.error !== "") throw new Error(ns.error);
    const { child, output } = ns.start([exe, `--atoll-net=net0=tap:${ns.tap}`, "--ipv4=10.0.0.2/24", "--port=7"]);
    try {
      await waitFor(output, "echoing TCP port 7", child);
      expect(output()).toBe("tcp-echo: net0 10.0.0.2/24, echoing TCP port 7\n");
      const r = ns.run([process.execPath, client, "10.0.0.2", "7", "8", "3000000"], 45_000);
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { conns: number; ok: number; bytes: number; errors: string[]; ms: number };
      console.log(`tcp-echo unix: ${result.ok} of ${result.conns} connections, ${result.bytes} bytes echoed in ${result.ms} ms`);
      expect(result).toMatchObject({ conns: 8, ok: 8, bytes: 24_000_000, errors: [] });
      const again = ns.run([process.execPath, client, "10.0.0.2", "7", "1", "1000"], 10_000);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: 1, errors: [] });
      // A client that reads nothing for 1.5 s: the echo's writes back up and are held, not lost.
      const slow = ns.run([process.execPath, client, "10.0.0.2", "7", "1", "16000000", "1500"], 30_000);
      expect(JSON.parse(slow.stdout)).toMatchObject({ ok: 1, bytes: 16_000_000, errors: [] });
      expect(child.exitCode).toBe(null);
    } finally {
      await kill(child);
    }
  }, 60_000);
});
