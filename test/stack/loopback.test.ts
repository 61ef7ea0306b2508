// The node stack against itself (test/fixtures/stack-loopback): UDP to its own
// ephemeral port, one TCP connection to its own listener with a half-close
// each way, one connection refused; once every socket is closed the
// unikernel finishes with status 0 (the Node host must not hang, nor exit
// 13 under an unsettled promise).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { atoll } from "../helpers/cli.ts";
import { freeTcpPort } from "../helpers/ports.ts";

const dir = path.join(import.meta.dirname, "..", "fixtures", "stack-loopback");

describe("the node stack over loopback", () => {
  beforeAll(() => {
    const built = atoll(["build", "-t", "node", dir]);
    expect(built.status, built.stderr).toBe(0);
  }, 120_000);

  it("sends to itself over UDP and TCP, sees a refusal, and exits 0 when every socket is closed", async () => {
    const port = await freeTcpPort();
    const closed = await freeTcpPort();
    const r = spawnSync(process.execPath, [path.join(dir, "dist/loopback.mjs"), `--port=${port}`, `--closed-port=${closed}`], { encoding: "utf8", timeout: 20_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n").sort();
    expect(lines).toEqual([
      "refused: connection refused: the peer answered with a reset",
      "tcp client: got 'HELLO', closed: no error",
      "tcp server: accepted from 127.0.0.1",
      "tcp server: closed: no error",
      "udp: bound an ephemeral port: yes, send: 0",
      "udp: ping from 127.0.0.1 (own port)",
    ]);
  });
});
