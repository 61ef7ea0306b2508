// lib/net's TCP against Linux over a tap: many connections (1,000 one after
// another, 100 at once, each an echo exchange with a half-close; 1,000 more
// where the server closes first and so holds TIME-WAIT), and the
// state-machine cases Linux can drive: a SYN to a closed port is refused,
// a half-closed client still gets the server's answer, a client's RST ends
// the connection, and the server's RST reaches the client. Prints the
// durations. Needs root for the namespace; fails saying so otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TcpLinuxEnv, SINK_PORT, SOURCE_PORT, ECHO_PORT, echoConnections, serverClosesFirst, refusedAndHalfClose, resets, type Peer } from "./tcp-linux-env.ts";

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
    const r = await echoConnections(env, peer!, "seq", 1000, 80_000);
    console.log(`tcp-linux: 1000 sequential connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, p99 ${Number(r.p99Ms).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("1,000 sequential connections where the server closes first (and holds TIME-WAIT) all complete", async () => {
    if (setupError !== "") throw new Error(setupError);
    const r = await serverClosesFirst(env, peer!, 1000, 80_000);
    console.log(`tcp-linux: 1000 sequential connections, server closing first, in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("200 connections from one local port in a row: each new SYN takes over the server's TIME-WAIT (RFC 6191)", async () => {
    if (setupError !== "") throw new Error(setupError);
    const before = peer!.connections().length;
    const COUNT = 200;
    const synsBefore = env.tcpExt("TCPSynRetrans");
    const r = await env.client("reuse", SOURCE_PORT, COUNT, 60_000);
    expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(r.failures).toEqual([]);
    expect(r.completed).toBe(COUNT);
    const conns = (await peer!.waitConnections(before + COUNT)).slice(before);
    expect(conns.filter((c) => c.remotePort === r.localPort && c.outcome === "ok").length).toBe(COUNT);
    // No SYN waited for a retransmission: TIME-WAIT gave way at once (Linux's
    // own count, not the slowest connection's time, which load stretches).
    expect(env.tcpExt("TCPSynRetrans") - synsBefore, `slowest connection ${Number(r.maxMs).toFixed(0)} ms`).toBe(0);
    console.log(`tcp-linux: ${COUNT} connections from port ${String(r.localPort)} in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 90_000);

  it("100 concurrent connections each echo 1,000 bytes and close cleanly", async () => {
    if (setupError !== "") throw new Error(setupError);
    const synsBefore = env.tcpExt("TCPSynRetrans");
    const r = await echoConnections(env, peer!, "conc", 100, 30_000);
    // No SYN waited for a retransmission: all 100 fit the backlog at once.
    expect(env.tcpExt("TCPSynRetrans") - synsBefore, `slowest connection ${Number(r.maxMs).toFixed(0)} ms`).toBe(0);
    console.log(`tcp-linux: 100 concurrent connections in ${Number(r.ms).toFixed(0)} ms (median ${Number(r.medianMs).toFixed(2)} ms, max ${Number(r.maxMs).toFixed(2)} ms)`);
  }, 60_000);

  it("1,000 idle connections held open cost a transfer beside them no CPU (they are parked, not walked per frame)", async () => {
    if (setupError !== "") throw new Error(setupError);
    const COUNT = 1000;
    const before = peer!.connections().length;
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
    // The client has closed its 1,000 at once: their FINs overflow the tap's
    // queue (Linux drops what the fixture has not read yet and retransmits
    // it). The next test's SYN must not land in that storm, so this one ends
    // when the fixture has closed every connection (the transfer's and the 1,000).
    expect((await peer!.waitConnections(before + COUNT + 1, 30_000)).length - before).toBe(COUNT + 1);
    // Walked on every frame, the 1,000 cost about 2.6 s of CPU for these
    // 20 MB (13,800 frames); parked, the transfer costs what it does alone
    // (about 0.25 s).
    expect(cpu).toBeLessThan(1200);
    console.log(`tcp-linux: 20 MB beside ${COUNT} idle connections: ${Number(r.ms).toFixed(0)} ms, ${cpu} ms of the unikernel's CPU`);
  }, 90_000);

  it("a SYN to a port nobody listens on is refused at once (RST, not a timeout); after the client's shutdown(SHUT_WR) the server still sends its answer, then FIN", async () => {
    if (setupError !== "") throw new Error(setupError);
    await refusedAndHalfClose(env);
  }, 30_000);

  it("a client's RST ends the server's connection with 'reset by the peer' and the next connection works; the server's abort reaches the client as ECONNRESET", async () => {
    if (setupError !== "") throw new Error(setupError);
    await resets(env, peer!);
  }, 30_000);
});
