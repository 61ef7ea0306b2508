// drivers/virtio/net.ts notifies the transmit queue once per burst, not once
// per frame: QEMU traces every virtio-mmio register write, and while the
// unikernel sends TX_MB to Linux (test/fixtures/tcp-peer's source, QEMU's
// tap backend in a namespace) the QueueNotify writes for queue 1 must stay
// well below the frames sent. A notification per frame held the guest to
// about 5 MB/s under TCG (QEMU processed one frame per notification, and
// each is a VM exit); batched, about 20 MB/s (measured 2026-11-23).
// Under TCG unless ATOLL_QEMU_ACCEL=kvm. Needs root and qemu-system-x86_64.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpLinuxEnv, SOURCE_PORT, type Peer } from "../net-tap/tcp-linux-env.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const BYTES = 5_000_000;
// virtio 1.2 §4.2.2: QueueNotify is at offset 0x050; the value is the queue index (1: transmitq).
const TX_NOTIFY = /virtio_mmio_write_offset .*offset 0x50 value 0x1\b/g;

const env = new TcpLinuxEnv("txn", { kind: "kvm", accel, qemuArgs: ["-trace", "virtio_mmio_write_offset"] });
let setupError = "";
let peer: Peer | null = null;

describe(`virtio-net transmit notifications on kvm (${accel.toUpperCase()})`, () => {
  beforeAll(async () => {
    setupError = env.setup();
    if (setupError !== "") return;
    peer = await env.startPeer([`--bytes=${BYTES}`]);
  }, 120_000);
  afterAll(() => env.teardown());

  it("sending 5 MB to Linux takes at most one transmit notification per 4 frames, and every byte arrives", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = (peer!.out().match(TX_NOTIFY) ?? []).length;
    const r = await env.client("recv", SOURCE_PORT, BYTES, 60_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.received).toBe(BYTES);
    expect(r.sha256).toBe(r.expectedSha256);
    const conn = await peer!.waitFor((c) => c.mode === "source" && c.remotePort === r.localPort);
    expect(conn, peer!.out().slice(-2000)).toBeDefined();
    const notifies = (peer!.out().match(TX_NOTIFY) ?? []).length - before;
    const frames = conn!.counters.sent;
    console.log(`kvm-net: ${frames} frames sent, ${notifies} transmit notifications, ${Number(r.mbPerS).toFixed(1)} MB/s`);
    // The trace must be there at all, or the bound below would pass on nothing.
    expect(notifies).toBeGreaterThan(0);
    expect(notifies).toBeLessThan(frames / 4);
  }, 90_000);
});
