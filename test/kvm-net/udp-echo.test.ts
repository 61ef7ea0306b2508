// examples/udp-echo on the kvm target: device.stack (lib/net's DirectStack)
// over virtio-net, its address from the DHCP server of QEMU's user
// networking, reached from the host through `--forward udp:HOST:7`.
// Datagrams of many sizes, each checked byte for byte. Under TCG unless
// ATOLL_QEMU_ACCEL says otherwise, for the reason ping.test.ts gives (the
// DHCP client's Math.random stops this host's KVM).
import { createSocket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { freeUdpPort } from "../helpers/ports.ts";
import { atollArgv, startServer, stopServer } from "../helpers/server.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";

/** Sends `payload` to 127.0.0.1:`port` until it comes back (QEMU's forward drops what arrives before the guest has an ARP entry for its gateway), or `ms` pass. */
function echo(port: number, payload: Buffer, ms: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    const resend = setInterval(() => sock.send(payload, port, "127.0.0.1"), 200);
    const give = setTimeout(() => { finish(null); }, ms);
    const finish = (b: Buffer | null): void => { clearInterval(resend); clearTimeout(give); sock.close(); resolve(b); };
    sock.on("message", (m) => finish(m));
    sock.send(payload, port, "127.0.0.1");
  });
}

describe(`examples/udp-echo on kvm through --net user and a UDP forward (${accel.toUpperCase()})`, () => {
  it("gets 10.0.2.15 from DHCP and echoes datagrams of 1 to 1472 bytes unchanged", async () => {
    const port = await freeUdpPort();
    const vm = await startServer(atollArgv(["run", "-t", "kvm", "--net", "user", "--forward", `udp:${port}:7`, "examples/udp-echo"]), /echoing UDP port/, { ATOLL_QEMU_ACCEL: accel }, 60_000);
    try {
      expect(vm.out()).toMatch(/^udp-echo: net0 10\.0\.2\.15\/24, echoing UDP port 7$/m);
      for (const size of [1, 2, 64, 512, 1000, 1471, 1472]) {
        const payload = Buffer.alloc(size);
        for (let i = 0; i < size; i++) payload[i] = (i * 7 + size) & 0xff;
        const back = await echo(port, payload, 10_000);
        expect(back === null ? `no reply to ${size} bytes` : back.equals(payload) ? "same" : `${back.length} different bytes`).toBe("same");
      }
      expect(vm.child.exitCode).toBe(null);
    } finally {
      await stopServer(vm);
    }
  }, 120_000);
});
