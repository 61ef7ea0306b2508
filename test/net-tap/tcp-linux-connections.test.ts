// lib/net's TCP against Linux over a tap: many connections (1,000 one after
// another, 100 at once, each an echo exchange with a half-close; 1,000 more
// where the server closes first and so holds TIME-WAIT), and the
// state-machine cases Linux can drive: a SYN to a closed port is refused,
// a half-closed client still gets the server's answer, a client's RST ends
// the connection, and the server's RST reaches the client. Prints the
// durations. Needs root for the namespace; fails saying so otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpLinuxEnv, SINK_PORT, SOURCE_PORT, ECHO_PORT, ABORT_PORT, type Peer } from "./tcp-linux-env.ts";

const env = new TcpLinuxEnv("conn");
let setupError = "";
let peer: Peer | null = null;

describe("TCP with Linux over a tap: connections and state changes (unix)", () => {
  beforeAll(async () => {
    setupError = env.setup();
    if (setupError !== "") return;
    peer = await env.startPeer(["--bytes=1000"]);
  }, 120_000);
  afterAll(() => env.teardown());

  it("1,000 sequential connections each echo 100 bytes and close cleanly", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 1000;
    const r = await env.client("seq", ECHO_PORT, COUNT, 80_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(1000);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before).filter((c) => c.mode === "echo");
    expect(conns.length).toBe(1000);
    expect(conns.filter((c) => c.outcome !== "ok" || c.bytesIn !== 100 || c.bytesOut !== 100)).toEqual([]);
    console.log(`tcp-linux: 1000 sequential connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, p99 ${Number(r.p99Ms).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

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
    expect(conns.length).toBe(COUNT);
    expect(conns.filter((c) => c.outcome !== "ok" || c.bytesOut !== 1000)).toEqual([]);
    console.log(`tcp-linux: 1000 sequential connections, server closing first, in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, p99 ${Number(r.p99Ms).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("200 connections from one local port in a row: each new SYN takes over the server's TIME-WAIT (RFC 6191)", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 200;
    const r = await env.client("reuse", SOURCE_PORT, COUNT, 60_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(COUNT);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before);
    expect(conns.filter((c) => c.remotePort === r.localPort && c.outcome === "ok").length).toBe(COUNT);
    // No SYN waited for a retransmission (1 s): TIME-WAIT gave way at once.
    expect(Number(r.maxMs)).toBeLessThan(900);
    console.log(`tcp-linux: ${COUNT} connections from port ${String(r.localPort)} in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("100 concurrent connections each echo 1,000 bytes and close cleanly", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 100;
    const r = await env.client("conc", ECHO_PORT, COUNT, 30_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(100);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before).filter((c) => c.mode === "echo");
    expect(conns.length).toBe(100);
    expect(conns.filter((c) => c.outcome !== "ok" || c.bytesIn !== 1000 || c.bytesOut !== 1000)).toEqual([]);
    // No SYN waited for a retransmission: all 100 fit the backlog at once.
    expect(Number(r.maxMs)).toBeLessThan(1000);
    console.log(`tcp-linux: 100 concurrent connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 60_000);

  it("1,000 idle connections held open cost a transfer beside them no CPU (they are parked, not walked per frame)", async () => {
    if (setupError !== "") throw new Error(setupError);
    const COUNT = 1000;
    let release: () => void = () => {};
    const held = env.client("hold", ECHO_PORT, COUNT, 60_000, (w) => { release = () => w.end(); });
    const deadline = Date.now() + 30_000;
    while (env.established(ECHO_PORT) < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(env.established(ECHO_PORT)).toBe(COUNT);
    const BYTES = 20_000_000;
    const cpu0 = env.cpuMs(peer!);
    const r = await env.client("send", SINK_PORT, BYTES, 60_000);
    const cpu = env.cpuMs(peer!) - cpu0;
    release();
    const h = await held;
    expect(r.reply).toBe(`${BYTES} ${String(r.fnv)}\n`);
    expect(h.alive).toBe(COUNT);
    // Walked on every frame, the 1,000 cost about 2.6 s of CPU for these
    // 20 MB (13,800 frames); parked, the transfer costs what it does alone
    // (about 0.25 s).
    expect(cpu).toBeLessThan(1200);
    console.log(`tcp-linux: 20 MB beside ${COUNT} idle connections: ${Number(r.ms).toFixed(0)} ms, ${cpu} ms of the unikernel's CPU`);
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

  it("a client's RST ends the server's connection with 'reset by the peer'; the next connection works", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const r = await env.client("reset", ECHO_PORT, undefined, 10_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.echoed).toBe(1000);
    expect((r.after as { ok: boolean }).ok).toBe(true);
    const conn = await peer!.waitFor((c) => c.remotePort === r.localPort, before);
    expect(conn, peer!.out()).toBeDefined();
    expect(conn!.outcome).toBe("connection reset by the peer");
  }, 20_000);

  it("the server's abort reaches the client as ECONNRESET", async () => {
    if (setupError !== "") throw new Error(setupError);
    const r = await env.client("aborted", ABORT_PORT, undefined, 10_000);
    expect(r.error).toBe("ECONNRESET");
  }, 20_000);
});
