// The node host's sock_* calls (tools/host/sockets.ts) against docs/abi.md,
// driven directly from TypeScript with a memory of their own: synchronous
// bind errors, the event sequence of a connection (accepted, readable, peer
// closed, closed), write back-pressure (cut short at 256 KiB, then WRITABLE
// after the peer drains it), the ready bit, and handles never reused.
import net from "node:net";
import dgram from "node:dgram";
import { describe, expect, it } from "vitest";
import { HostSockets, SockEvent } from "../../tools/host/sockets.ts";
import { freeTcpPort } from "../helpers/ports.ts";

type Call = (...a: number[]) => number;

function service() {
  const memory = new WebAssembly.Memory({ initial: 64 });
  let wakes = 0;
  const host = new HostSockets({ memory: () => memory, wake: (bit) => { expect(bit).toBe(0); wakes++; } });
  const calls = host.imports() as unknown as Record<string, Call>;
  const view = () => new DataView(memory.buffer);
  /** Pops every queued event as [kind, handle, arg]. */
  const events = (): [number, number, number][] => {
    const out: [number, number, number][] = [];
    while (calls.sock_event!(0) === 1) out.push([view().getUint32(0, true), view().getInt32(4, true), view().getInt32(8, true)]);
    return out;
  };
  return { host, calls, memory, events, wakes: () => wakes };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await tick(5);
}

describe("host sockets (node target)", () => {
  it("a bound UDP port and a listened TCP port are refused at once with -EADDRINUSE", () => {
    const { host, calls, memory } = service();
    expect(calls.sock_open!()).toBe(0);
    const u = calls.sock_udp_bind!(0);
    expect(u).toBeGreaterThan(0);
    expect(calls.sock_info!(u, 64)).toBe(0);
    const port = new DataView(memory.buffer).getUint16(64, true);
    expect(calls.sock_udp_bind!(port)).toBe(-98);
    const l = calls.sock_tcp_listen!(port);
    expect(l).toBeGreaterThan(u);
    expect(calls.sock_tcp_listen!(port)).toBe(-98);
    expect(calls.sock_tcp_listen!(0)).toBe(-22);
    expect(calls.sock_close!(u)).toBe(0);
    expect(calls.sock_close!(u)).toBe(-9);
    host.dispose();
  });

  it("datagrams raise UDP_READABLE once; sock_udp_recv gives bytes and source in order, then -EAGAIN", async () => {
    const { host, calls, memory, events } = service();
    const u = calls.sock_udp_bind!(0);
    calls.sock_info!(u, 64);
    const port = new DataView(memory.buffer).getUint16(64, true);
    const peer = dgram.createSocket("udp4");
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
    await new Promise((r) => peer.send(Buffer.from("one"), port, "127.0.0.1", r));
    await new Promise((r) => peer.send(Buffer.from("two!"), port, "127.0.0.1", r));
    const seen: [number, number, number][] = [];
    await until(() => { seen.push(...events()); return seen.length > 0; });
    await tick(50);
    seen.push(...events());
    expect(seen).toEqual([[SockEvent.UdpReadable, u, 0]]);
    const v = new DataView(memory.buffer);
    expect(calls.sock_udp_recv!(u, 1024, 64, 2048)).toBe(3);
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer, 1024, 3))).toBe("one");
    expect(v.getUint32(2048, true)).toBe(0x7f000001);
    expect(v.getUint16(2052, true)).toBe(peer.address().port);
    expect(calls.sock_udp_recv!(u, 1024, 2, 2048)).toBe(2); // cut to the buffer
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer, 1024, 2))).toBe("tw");
    expect(calls.sock_udp_recv!(u, 1024, 64, 2048)).toBe(-11);
    peer.close();
    host.dispose();
  });

  it("a connection: ACCEPTED, READABLE, PEER_CLOSED, then CLOSED with 0 after our shutdown; writes cut short until WRITABLE", async () => {
    const { host, calls, memory, events, wakes } = service();
    const port = await freeTcpPort();
    const listener = calls.sock_tcp_listen!(port);
    expect(listener).toBeGreaterThan(0);
    const peer = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const received: Buffer[] = [];
    peer.pause();
    peer.on("data", (d: Buffer) => received.push(d));
    const peerEnded = new Promise((r) => peer.once("end", r));
    await new Promise((r) => peer.once("connect", r));
    peer.write("hello");
    peer.end();
    const seen: [number, number, number][] = [];
    await until(() => { seen.push(...events()); return seen.some(([k]) => k === SockEvent.TcpPeerClosed); });
    expect(wakes()).toBeGreaterThan(0);
    const [accepted] = seen;
    expect(accepted![0]).toBe(SockEvent.TcpAccepted);
    expect(accepted![1]).toBe(listener);
    const c = accepted![2];
    expect(seen.map(([k]) => k)).toEqual([SockEvent.TcpAccepted, SockEvent.TcpReadable, SockEvent.TcpPeerClosed]);
    expect(calls.sock_tcp_read!(c, 4096, 100)).toBe(5);
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer, 4096, 5))).toBe("hello");
    calls.sock_info!(c, 64);
    const info = new DataView(memory.buffer);
    expect(info.getUint32(68, true)).toBe(0x7f000001);
    expect(info.getUint32(80, true) & 1).toBe(1);
    // The peer reads nothing: once the kernel's buffers and the host's 256 KiB are full, a write is cut short
    // and nothing more is said until the peer has read (WRITABLE after Node's drain).
    const CHUNK = 64 * 1024;
    let taken = 0;
    let n = CHUNK;
    for (let i = 0; i < 4000 && n === CHUNK; i++) {
      n = calls.sock_tcp_write!(c, 0, CHUNK);
      taken += n;
    }
    expect(n).toBeLessThan(CHUNK);
    calls.sock_info!(c, 64);
    expect(new DataView(memory.buffer).getUint32(76, true)).toBe(0); // no room
    await tick(100);
    expect(events()).toEqual([]);
    peer.resume();
    await until(() => { seen.push(...events()); return seen.some(([k]) => k === SockEvent.TcpWritable); });
    expect(seen.at(-1)).toEqual([SockEvent.TcpWritable, c, 0]);
    // A write larger than the host's 256 KiB is cut to it even with room in the kernel, and WRITABLE follows by itself.
    const big = calls.sock_tcp_write!(c, 0, 1 << 20);
    expect(big).toBeGreaterThan(0);
    expect(big).toBeLessThanOrEqual(256 * 1024);
    taken += big;
    seen.length = 0;
    await until(() => { seen.push(...events()); return seen.some(([k]) => k === SockEvent.TcpWritable); });
    expect(seen).toEqual([[SockEvent.TcpWritable, c, 0]]);
    expect(calls.sock_tcp_shutdown!(c)).toBe(0);
    expect(calls.sock_tcp_write!(c, 0, 10)).toBe(-32);
    await until(() => { seen.push(...events()); return seen.some(([k]) => k === SockEvent.TcpClosed); });
    expect(seen.at(-1)).toEqual([SockEvent.TcpClosed, c, 0]);
    // CLOSED means our socket handed its last bytes to the kernel; the peer reads them until its end of stream.
    await peerEnded;
    expect(received.reduce((sum, d) => sum + d.length, 0)).toBe(taken);
    expect(host.live).toBe(1); // the listener; the closed connection waits only for sock_close
    expect(calls.sock_close!(c)).toBe(0);
    expect(calls.sock_close!(listener)).toBe(0);
    expect(host.live).toBe(0);
    peer.destroy();
    host.dispose();
  });
});
