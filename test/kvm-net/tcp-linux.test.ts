// lib/net's TCP on the kvm target against the Linux kernel's: the
// unix tests' fixture (test/fixtures/tcp-peer) built for kvm and booted in
// QEMU microvm with virtio-net on QEMU's tap backend, the tap in a network
// namespace the test creates (test/net-tap/tcp-linux-env.ts does both
// targets). Bulk data each way on a clean link and with 1% of the frames
// dropped each way (nftables on the tap), checked end to end; 1,000
// sequential and 100 concurrent connections; refused, half-close, resets.
//
// Under TCG unless ATOLL_QEMU_ACCEL=kvm: this host's KVM emulates every
// guest instruction and stops at SSE (tools/runtime/kvm/README.md). Under
// TCG the guest is several times slower than the unix build: TCP_KVM_MB
// (default 100) each way, the whole file about 40 s on this machine
// (13 MB/s in, 8-23 out); `npm run soak:tcp` runs 1000 MB. Prints MB/s.
// Needs root (a namespace, a tap) and qemu-system-x86_64; fails saying so
// otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpLinuxEnv, SINK_PORT, SOURCE_PORT, ECHO_PORT, ABORT_PORT, type Peer, type ClientResult } from "../net-tap/tcp-linux-env.ts";

const accel = process.env["ATOLL_QEMU_ACCEL"] === "kvm" ? "kvm" : "tcg";
const MB = Number(process.env["TCP_KVM_MB"] ?? "100");
const BYTES = MB * 1_000_000;
/** Generous: 1 MB/s on a loaded machine (7.7 MB/s is the slowest seen), and the boot. */
const TIMEOUT_MS = 60_000 + BYTES / 1000;
const ACCEL = accel.toUpperCase();

const env = new TcpLinuxEnv("kvm", { kind: "kvm", accel });
let setupError = "";
let peer: Peer | null = null;
// After both describes: the second reuses the first's namespace.
afterAll(() => env.teardown());

function report(label: string, r: ClientResult): void {
  const mbPerS = typeof r.mbPerS === "number" ? r.mbPerS.toFixed(1) : "?";
  const ms = typeof r.ms === "number" ? r.ms.toFixed(0) : "?";
  console.log(`tcp-linux kvm (${ACCEL}): ${label}: ${MB} MB in ${ms} ms, ${mbPerS} MB/s, ${r.sha256 !== undefined ? `sha256 ${String(r.sha256)}` : `fnv ${String(r.fnv)}`}`);
}

async function hostToUnikernel(label: string): Promise<void> {
  const before = peer!.connections().length;
  const r = await env.client("send", SINK_PORT, BYTES, TIMEOUT_MS);
  expect(r.error, `${JSON.stringify(r)}\n${peer!.out()}`).toBeUndefined();
  expect(r.reply).toBe(`${BYTES} ${String(r.fnv)}\n`);
  const conn = await peer!.waitFor((c) => c.mode === "sink" && c.bytesIn === BYTES && c.fnv === r.fnv, before);
  expect(conn, peer!.out()).toBeDefined();
  expect(conn!.outcome).toBe("ok");
  report(`${label} host → unikernel`, r);
}

async function unikernelToHost(label: string): Promise<void> {
  const before = peer!.connections().length;
  const r = await env.client("recv", SOURCE_PORT, BYTES, TIMEOUT_MS);
  expect(r.error, `${JSON.stringify(r)}\n${peer!.out()}`).toBeUndefined();
  expect(r.received).toBe(BYTES);
  expect(r.mismatchAt).toBe(-1);
  expect(r.sha256).toBe(r.expectedSha256);
  const conn = await peer!.waitFor((c) => c.mode === "source" && c.bytesOut === BYTES && c.remotePort === r.localPort, before);
  expect(conn, peer!.out()).toBeDefined();
  expect(conn!.outcome).toBe("ok");
  report(`${label} unikernel → host`, r);
  console.log(`tcp-linux kvm (${ACCEL}): ${label} unikernel → host sender: ${JSON.stringify(conn!.counters)}`);
}

describe(`TCP with Linux through QEMU's tap backend: kvm target, virtio-net, ${MB} MB each way (${ACCEL})`, () => {
  beforeAll(async () => {
    setupError = env.setup();
    if (setupError !== "") return;
    peer = await env.startPeer([`--bytes=${BYTES}`]);
  }, 120_000);

  it("on a clean link, host → unikernel: the sink's checksum matches what Linux sent", async () => {
    if (setupError !== "") throw new Error(setupError);
    await hostToUnikernel("clean");
  }, TIMEOUT_MS);

  it("on a clean link, unikernel → host: every byte of the pattern arrives", async () => {
    if (setupError !== "") throw new Error(setupError);
    await unikernelToHost("clean");
  }, TIMEOUT_MS);

  it("with 1% loss each way, host → unikernel", async () => {
    if (setupError !== "") throw new Error(setupError);
    const e = env.setLoss(10);
    if (e !== "") throw new Error(e);
    const before = env.dropped();
    await hostToUnikernel("1% loss");
    const after = env.dropped();
    expect(after.toUnikernel).toBeGreaterThan(before.toUnikernel);
    expect(after.toLinux).toBeGreaterThan(before.toLinux);
  }, TIMEOUT_MS);

  it("with 1% loss each way, unikernel → host", async () => {
    if (setupError !== "") throw new Error(setupError);
    const e = env.setLoss(10);
    if (e !== "") throw new Error(e);
    const before = env.dropped();
    await unikernelToHost("1% loss");
    const after = env.dropped();
    expect(after.toLinux).toBeGreaterThan(before.toLinux);
    expect(after.toUnikernel).toBeGreaterThan(before.toUnikernel);
    expect(env.setLoss(0)).toBe("");
  }, TIMEOUT_MS);
});

describe(`TCP with Linux through QEMU's tap backend: kvm target, connections and state changes (${ACCEL})`, () => {
  beforeAll(async () => {
    if (setupError !== "" || peer === null) return;
    // The source sends 1000 bytes per connection here, not the bulk size.
    await env.stopPeer(peer);
    peer = await env.startPeer(["--bytes=1000"]);
  }, 60_000);

  it("1,000 sequential connections each echo 100 bytes and close cleanly", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 1000;
    const r = await env.client("seq", ECHO_PORT, COUNT, 80_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(COUNT);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before).filter((c) => c.mode === "echo");
    expect(conns.length).toBe(COUNT);
    expect(conns.filter((c) => c.outcome !== "ok" || c.bytesIn !== 100 || c.bytesOut !== 100)).toEqual([]);
    console.log(`tcp-linux kvm (${ACCEL}): 1000 sequential connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, p99 ${Number(r.p99Ms).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("100 concurrent connections each echo 1,000 bytes and close cleanly", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 100;
    const r = await env.client("conc", ECHO_PORT, COUNT, 30_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(COUNT);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before).filter((c) => c.mode === "echo");
    expect(conns.length).toBe(COUNT);
    expect(conns.filter((c) => c.outcome !== "ok" || c.bytesIn !== 1000 || c.bytesOut !== 1000)).toEqual([]);
    // No SYN waited for a retransmission (1 s): all 100 fit the backlog at once.
    expect(Number(r.maxMs)).toBeLessThan(1000);
    console.log(`tcp-linux kvm (${ACCEL}): 100 concurrent connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 60_000);

  it("1,000 sequential connections where the server closes first (and holds TIME-WAIT) all complete", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 1000;
    const r = await env.client("seqrecv", SOURCE_PORT, COUNT, 80_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(COUNT);
    expect(r.sizes).toEqual([1000]);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before).filter((c) => c.mode === "source");
    expect(conns.filter((c) => c.outcome === "ok" && c.bytesOut === 1000).length).toBe(COUNT);
    console.log(`tcp-linux kvm (${ACCEL}): 1000 sequential connections, server closing first, in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("a SYN to a port nobody listens on is refused at once (RST, not a timeout)", async () => {
    if (setupError !== "") throw new Error(setupError);
    const r = await env.client("refused", 6000, undefined, 10_000);
    expect(r.error).toBe("ECONNREFUSED");
    expect(Number(r.ms)).toBeLessThan(1000);
  }, 20_000);

  it("half-close: after the client's shutdown(SHUT_WR) the server still sends its answer, then FIN", async () => {
    if (setupError !== "") throw new Error(setupError);
    const r = await env.client("halfclose", SINK_PORT, undefined, 10_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.reply).toBe(r.expected);
  }, 20_000);

  it("a client's RST ends the server's connection with 'reset by the peer'; the server's abort reaches the client as ECONNRESET", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const r = await env.client("reset", ECHO_PORT, undefined, 10_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.echoed).toBe(1000);
    expect((r.after as { ok: boolean }).ok).toBe(true);
    const conn = await peer!.waitFor((c) => c.remotePort === r.localPort, before);
    expect(conn, peer!.out()).toBeDefined();
    expect(conn!.outcome).toBe("connection reset by the peer");
    const a = await env.client("aborted", ABORT_PORT, undefined, 10_000);
    expect(a.error).toBe("ECONNRESET");
  }, 30_000);
});
