// examples/tcp-echo on node (host sockets): eight connections at once, 3 MB
// each way on each, every byte checked; each client half-closes and must
// still get its whole echo and then the server's FIN; then 16 MB to a
// client that reads nothing for 1.5 s, so the echo's writes back up.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { waitFor } from "./netns.ts";
import { freeTcpPort } from "../helpers/ports.ts";

const bundle = path.join(root, "examples/tcp-echo/dist/tcp-echo.mjs");
const client = path.join(root, "test/stack/tcp-client.mjs");
let PORT = 0;

describe("examples/tcp-echo on node (host sockets)", () => {
  beforeAll(async () => {
    const built = atoll(["build", "-t", "node", "examples/tcp-echo"]);
    expect(built.status, built.stderr).toBe(0);
    PORT = await freeTcpPort();
  }, 120_000);

  it("echoes 8 concurrent connections of 3 MB, respecting half-close, and holds back for a slow reader", async () => {
    const child = spawn(process.execPath, [bundle, `--port=${PORT}`], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { out += d.toString(); });
    try {
      await waitFor(() => out, "echoing TCP port", child);
      expect(out).toBe(`tcp-echo: host sockets 127.0.0.1/8, echoing TCP port ${PORT}\n`);
      const r = spawnSync(process.execPath, [client, "127.0.0.1", String(PORT), "8", "3000000"], { encoding: "utf8", timeout: 45_000 });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as { conns: number; ok: number; bytes: number; errors: string[]; ms: number };
      console.log(`tcp-echo node: ${result.ok} of ${result.conns} connections, ${result.bytes} bytes echoed in ${result.ms} ms`);
      expect(result).toMatchObject({ conns: 8, ok: 8, bytes: 24_000_000, errors: [] });
      // The server holds no connection afterwards and still serves.
      const again = spawnSync(process.execPath, [client, "127.0.0.1", String(PORT), "1", "1000"], { encoding: "utf8", timeout: 10_000 });
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: 1, errors: [] });
      // A client that reads nothing for 1.5 s: the echo's writes back up and are held, not lost.
      const slow = spawnSync(process.execPath, [client, "127.0.0.1", String(PORT), "1", "16000000", "1500"], { encoding: "utf8", timeout: 30_000 });
      expect(JSON.parse(slow.stdout)).toMatchObject({ ok: 1, bytes: 16_000_000, errors: [] });
      expect(child.exitCode).toBe(null);
    } finally {
      child.kill("SIGKILL");
    }
  }, 60_000);
});
