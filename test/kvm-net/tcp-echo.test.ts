// examples/tcp-echo on the kvm target: device.stack's TCP over virtio-net,
// reached from the host through QEMU's user networking and `--forward
// HOST:7`. Two connections, one after the other, each sending 256 KiB that
// must come back byte for byte before a half-close. Under TCG unless
// ATOLL_QEMU_ACCEL says otherwise, for the reason ping.test.ts gives.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { freeTcpPort } from "../helpers/ports.ts";
import { atollArgv, startServer, stopServer } from "../helpers/server.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const BYTES = 256 * 1024;

/** Connects to 127.0.0.1:`port`, sends `data`, half-closes, and resolves with everything read until the peer closes. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, "127.0.0.1", () => { s.end(data); });
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
    s.setTimeout(30_000, () => { s.destroy(); reject(new Error(`no end after 30 s, ${Buffer.concat(chunks).length} bytes back`)); });
  });
}

describe(`examples/tcp-echo on kvm through --net user and a TCP forward (${accel.toUpperCase()})`, () => {
  it("echoes 256 KiB on each of two connections, byte for byte", async () => {
    const port = await freeTcpPort();
    const vm = await startServer(atollArgv(["run", "-t", "kvm", "--net", "user", "--forward", `${port}:7`, "examples/tcp-echo"]), /echoing TCP port/, { ATOLL_QEMU_ACCEL: accel }, 60_000);
    try {
      expect(vm.out()).toMatch(/^tcp-echo: net0 10\.0\.2\.15\/24, echoing TCP port 7$/m);
      for (let c = 0; c < 2; c++) {
        const data = Buffer.alloc(BYTES);
        for (let i = 0; i < BYTES; i++) data[i] = (i * 13 + c * 101 + (i >> 10)) & 0xff;
        const back = await roundTrip(port, data);
        expect(back.length).toBe(BYTES);
        expect(back.equals(data)).toBe(true);
      }
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stopServer(vm);
    }
  }, 120_000);
});
