// What the tcp-linux*.test.ts files share: a network namespace with a tap
// (10.0.0.1/24 on the Linux side), test/fixtures/tcp-peer built for unix
// (attached to the tap with --atoll-net) or for kvm (QEMU's tap backend on
// it, run inside the namespace: test/kvm-net/tcp-linux.test.ts) as
// 10.0.0.2, Linux clients (tcp-linux-client.mjs)
// run inside the namespace, and random loss on the tap with nftables
// (this kernel has no tc netem: a netdev table loses a share of the frames
// in each direction, see setLoss). Needs root; setup() says what failed otherwise.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { atoll, root } from "../helpers/cli.ts";
import { TapNamespace, type RunResult } from "../kvm-net/tap-namespace.ts";

export const PEER_ADDR = "10.0.0.2";
export const SINK_PORT = 5001;
export const SOURCE_PORT = 5002;
export const ECHO_PORT = 5003;
export const ABORT_PORT = 5004;

const fixture = path.join(root, "test/fixtures/tcp-peer");
/** Where setLoss sends the frames to the unikernel it loses: nobody's MAC (locally administered). */
const LOST_MAC = "02:00:00:00:00:01";
const exe = path.join(fixture, "dist/tcp-peer");
const kvmImage = path.join(fixture, "dist/tcp-peer.kvm");

/**
 * Where the fixture runs: a unix executable, or its kvm image in QEMU
 * (microvm, virtio-net on the tap) under the accelerator given.
 */
export type PeerTarget = { kind: "unix" } | { kind: "kvm"; accel: "kvm" | "tcg"; memory?: string; qemuArgs?: string[] };
const client = path.join(root, "test/net-tap/tcp-linux-client.mjs");

/** One JSON line from the client; fields depend on the command. */
export type ClientResult = Record<string, unknown> & { cmd: string; error?: string | null; ms?: number };

/** A running tcp-peer and what it printed. */
export interface Peer {
  child: ChildProcess;
  out: () => string;
  /** The fixture's closing lines ("tcp-peer: #N MODE ..."), parsed. */
  connections: () => PeerConn[];
  /** Waits until at least `n` connections have ended (the server's side may finish after the client's), up to `ms`. */
  waitConnections: (n: number, ms?: number) => Promise<PeerConn[]>;
  /**
   * Waits for a connection that matches, among those that ended after the
   * first `from` (Linux reuses its ephemeral ports), up to `ms`; undefined when none came.
   */
  waitFor: (match: (c: PeerConn) => boolean, from?: number, ms?: number) => Promise<PeerConn | undefined>;
}

export interface PeerConn {
  id: number;
  mode: string;
  remotePort: number;
  bytesIn: number;
  fnv: string;
  bytesOut: number;
  ms: number;
  outcome: string;
  counters: Record<string, number>;
  /** Whether the connection used SACK (both SYNs permitted it). */
  sack: boolean;
}

const CONN_LINE = /^tcp-peer: #(\d+) (\w+) [\d.]+:(\d+) in (\d+) fnv ([0-9a-f]{16}) out (\d+) ms (\d+) (.*?) sent (\d+) recv (\d+) rexmit (\d+) rto (\d+) fast (\d+) probes (\d+) lost-rexmit (\d+) zwp (\d+) dropped (\d+) ooo-dropped (\d+) send-fail (\d+) sack (on|off)$/;

function parseConnections(text: string): PeerConn[] {
  const out: PeerConn[] = [];
  for (const line of text.split("\n")) {
    const m = CONN_LINE.exec(line);
    if (m === null) continue;
    out.push({
      id: Number(m[1]), mode: m[2], remotePort: Number(m[3]), bytesIn: Number(m[4]), fnv: m[5], bytesOut: Number(m[6]),
      ms: Number(m[7]), outcome: m[8],
      counters: {
        sent: Number(m[9]), recv: Number(m[10]), rexmit: Number(m[11]), rto: Number(m[12]), fast: Number(m[13]),
        probes: Number(m[14]), lostRetransmits: Number(m[15]), zeroWindowProbes: Number(m[16]), dropped: Number(m[17]),
        oooDropped: Number(m[18]), sendFail: Number(m[19]),
      },
      sack: m[20] === "on",
    });
  }
  return out;
}

/** A namespace with a tap, for one test file. */
export class TcpLinuxEnv {
  readonly ns: string;
  readonly tap = "atcp0";
  private peers: ChildProcess[] = [];
  private net: TapNamespace;

  constructor(tag: string, readonly target: PeerTarget = { kind: "unix" }) {
    this.ns = `atoll-tcp-${tag}-${process.pid}`;
    this.net = new TapNamespace(this.ns, this.tap);
  }

  /** Builds the fixture and creates the namespace; "" or what went wrong. */
  setup(): string {
    const built = atoll(["build", "-t", this.target.kind, fixture]);
    if (built.status !== 0) return `building test/fixtures/tcp-peer failed:\n${built.stdout}${built.stderr}`;
    return this.net.setup();
  }

  teardown(): void {
    for (const p of this.peers) if (p.exitCode === null) p.kill("SIGKILL");
    this.net.teardown();
  }

  /** Runs a command in the namespace to completion. */
  exec(cmd: string[]): RunResult {
    return this.net.exec(cmd);
  }

  /**
   * Loses `permille`/1000 of the frames in each direction of the tap (0:
   * none). Frames from the unikernel are dropped at the tap's ingress.
   * Frames to it cannot be: a drop at egress is reported back to Linux's
   * TCP, which sends the segment again at once and never sees a loss; so
   * they go out addressed to another MAC, and the unikernel's interface
   * discards them, as a frame lost on the wire. While loss is on, Linux
   * sends one segment per frame (gso_max_segs 1, for connections made
   * after): a 64 KB GSO burst would otherwise be lost whole.
   */
  setLoss(permille: number): string {
    this.exec(["nft", "delete", "table", "netdev", "atoll_loss"]);
    const gso = this.exec(["ip", "link", "set", "dev", this.tap, "gso_max_segs", permille === 0 ? "65535" : "1"]);
    if (gso.status !== 0) return `ip link set ${this.tap} gso_max_segs failed: ${gso.out}`;
    if (permille === 0) return "";
    const rules = `table netdev atoll_loss {
  chain in { type filter hook ingress device "${this.tap}" priority 0; numgen random mod 1000 < ${permille} counter drop; }
  chain out { type filter hook egress device "${this.tap}" priority 0; numgen random mod 1000 < ${permille} ether daddr set ${LOST_MAC} counter; }
}`;
    const r = spawnSync("ip", ["netns", "exec", this.ns, "nft", "-f", "-"], { input: rules, encoding: "utf8" });
    if (r.error) return `nft is missing (npm run setup installs nftables): ${String(r.error)}`;
    if (r.status !== 0) return `nft could not add the loss rules: ${r.stdout}${r.stderr}`;
    return "";
  }

  /** Frames the loss rules lost so far: from the unikernel (in) and to it (out). */
  dropped(): { toLinux: number; toUnikernel: number } {
    const r = this.exec(["nft", "list", "table", "netdev", "atoll_loss"]);
    const counts = [...r.out.matchAll(/counter packets (\d+)/g)].map((m) => Number(m[1]));
    return { toLinux: counts[0] ?? 0, toUnikernel: counts[1] ?? 0 };
  }

  /** Starts the fixture with `args` and waits for its start line. */
  async startPeer(args: string[]): Promise<Peer> {
    const [cmd, ...rest] = this.peerCommand([`--ipv4=${PEER_ADDR}/24`, ...args]);
    const child = spawn(cmd!, rest, { stdio: ["ignore", "pipe", "pipe"] });
    this.peers.push(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    // A kvm boot under TCG on this loaded machine takes a few seconds.
    const deadline = Date.now() + (this.target.kind === "kvm" ? 30_000 : 10_000);
    while (!/tcp-peer: net0 .* mtu \d+, /.test(out) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!/tcp-peer: net0 /.test(out)) throw new Error(`tcp-peer did not start:\n${out}`);
    const connections = (): PeerConn[] => parseConnections(out);
    const waitConnections = async (n: number, ms = 10_000): Promise<PeerConn[]> => {
      const end = Date.now() + ms;
      while (connections().length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return connections();
    };
    const waitFor = async (match: (c: PeerConn) => boolean, from = 0, ms = 10_000): Promise<PeerConn | undefined> => {
      const end = Date.now() + ms;
      for (;;) {
        const c = connections().slice(from).find(match);
        if (c !== undefined || Date.now() >= end) return c;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { child, out: () => out, connections, waitConnections, waitFor };
  }

  /** The fixture's command line with `args`, in the namespace: the executable on the tap, or QEMU with the tap backend. */
  private peerCommand(args: string[]): string[] {
    if (this.target.kind === "unix") return this.net.inside([exe, `--atoll-net=net0=tap:${this.tap}`, ...args]);
    return this.net.qemuOnTap(kvmImage, args, this.target.accel, "microvm", this.target.memory ?? "128M", this.target.qemuArgs);
  }

  /** CPU time (user + system, ms) the fixture (for kvm: QEMU) has used so far. */
  cpuMs(p: Peer): number {
    const stat = readFileSync(`/proc/${p.child.pid}/stat`, "utf8");
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th overall.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  /**
   * Linux's TcpExt counter `name` (e.g. TCPSynRetrans) in the namespace:
   * /proc/net/netstat shows the reader's own namespace, and only this test
   * file's clients use it.
   */
  tcpExt(name: string): number {
    const lines = this.exec(["cat", "/proc/net/netstat"]).out.split("\n").filter((l) => l.startsWith("TcpExt:"));
    const at = lines[0]?.split(" ").indexOf(name) ?? -1;
    if (lines.length < 2 || at < 0) throw new Error(`no TcpExt ${name} in /proc/net/netstat of ${this.ns}`);
    return Number(lines[1]!.split(" ")[at]);
  }

  /** Connections to `port` established on the Linux side. */
  established(port: number): number {
    const r = this.exec(["ss", "-Htn", "state", "established", `( dport = :${port} )`]);
    return r.out.split("\n").filter((l) => l.trim() !== "").length;
  }

  /** Stops a fixture and waits until its tap is free again. */
  async stopPeer(p: Peer): Promise<void> {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      const gone = new Promise((r) => p.child.once("exit", r));
      p.child.kill("SIGKILL");
      await gone;
    }
  }

  /**
   * Runs the client's `cmd` in the namespace against the fixture. `stdin`,
   * if given, is the client's standard input (`hold` runs until it ends).
   */
  client(cmd: string, port: number, n?: number, timeoutMs = 120_000, stdin?: (w: NodeJS.WritableStream) => void): Promise<ClientResult> {
    const args = [client, cmd, PEER_ADDR, String(port), ...(n === undefined ? [] : [String(n)])];
    return new Promise((resolve, reject) => {
      const child = spawn("ip", ["netns", "exec", this.ns, process.execPath, ...args], {
        stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"], env: { ...process.env, TCP_CLIENT_TIMEOUT_MS: String(timeoutMs) },
      });
      if (stdin !== undefined) stdin(child.stdin!);
      let out = "", err = "";
      child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
      child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
      child.on("error", reject);
      child.on("close", () => {
        const line = out.trim().split("\n").pop() ?? "";
        try {
          resolve(JSON.parse(line) as ClientResult);
        } catch {
          reject(new Error(`client ${cmd} printed no result: ${out}${err}`));
        }
      });
    });
  }
}

// The checks the unix (test/net-tap) and kvm (test/kvm-net) TCP tests share.
// Each runs one client command against a running fixture, asserts what must
// hold, and returns the client's result for the caller's figures.

/** Linux sends `bytes` to the sink: its answer and its closing line carry the same length and checksum; returns the sink's line too. */
export async function sendToSink(env: TcpLinuxEnv, peer: Peer, bytes: number, timeoutMs: number): Promise<{ r: ClientResult; conn: PeerConn }> {
  const before = peer.connections().length;
  const r = await env.client("send", SINK_PORT, bytes, timeoutMs);
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.reply).toBe(`${bytes} ${String(r.fnv)}\n`);
  const conn = await peer.waitFor((c) => c.mode === "sink" && c.bytesIn === bytes && c.fnv === r.fnv, before);
  expect(conn, peer.out()).toBeDefined();
  expect(conn!.outcome).toBe("ok");
  return { r, conn: conn! };
}

/** Linux reads `bytes` from the source: every byte of the pattern, and the source's closing line; returns its counters too. */
export async function receiveFromSource(env: TcpLinuxEnv, peer: Peer, bytes: number, timeoutMs: number): Promise<{ r: ClientResult; conn: PeerConn }> {
  const before = peer.connections().length;
  const r = await env.client("recv", SOURCE_PORT, bytes, timeoutMs);
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.received).toBe(bytes);
  expect(r.mismatchAt).toBe(-1);
  expect(r.sha256).toBe(r.expectedSha256);
  const conn = await peer.waitFor((c) => c.mode === "source" && c.bytesOut === bytes && c.remotePort === r.localPort, before);
  expect(conn, peer.out()).toBeDefined();
  expect(conn!.outcome).toBe("ok");
  return { r, conn: conn! };
}

/** Runs `transfer` with 1% of the frames dropped each way, and checks frames were dropped in both directions. */
export async function withLoss(env: TcpLinuxEnv, transfer: () => Promise<unknown>): Promise<void> {
  const e = env.setLoss(10);
  if (e !== "") throw new Error(e);
  const before = env.dropped();
  await transfer();
  const after = env.dropped();
  expect(after.toUnikernel).toBeGreaterThan(before.toUnikernel);
  expect(after.toLinux).toBeGreaterThan(before.toLinux);
}

/**
 * A transfer with 1% loss each way (withLoss), `in` (Linux sends to the
 * sink) or `out` (Linux reads the source), checked as sendToSink and
 * receiveFromSource do, and that SACK was used or not as `sack` says: the
 * fixture's line, and which loss recovery Linux's sender ran (TcpExt
 * TCPSackRecovery against TCPRenoRecovery). Returns MB/s and the line.
 */
export async function lossTransfer(env: TcpLinuxEnv, peer: Peer, dir: "in" | "out", bytes: number, timeoutMs: number, sack: boolean): Promise<{ r: ClientResult; conn: PeerConn; mbPerS: number }> {
  let result: { r: ClientResult; conn: PeerConn } | null = null;
  const sackBefore = env.tcpExt("TCPSackRecovery");
  const renoBefore = env.tcpExt("TCPRenoRecovery");
  await withLoss(env, async () => {
    result = dir === "in" ? await sendToSink(env, peer, bytes, timeoutMs) : await receiveFromSource(env, peer, bytes, timeoutMs);
  });
  const { r, conn } = result!;
  expect(conn.sack, `SACK ${sack ? "on" : "off"} on the fixture's side`).toBe(sack);
  if (dir === "in") {
    // Linux's sender lost segments and recovered with SACK, or with NewReno.
    const sackRecoveries = env.tcpExt("TCPSackRecovery") - sackBefore;
    const renoRecoveries = env.tcpExt("TCPRenoRecovery") - renoBefore;
    expect(sack ? sackRecoveries : renoRecoveries, `Linux's recoveries: SACK ${sackRecoveries}, NewReno ${renoRecoveries}`).toBeGreaterThan(0);
    expect(sack ? renoRecoveries : sackRecoveries).toBe(0);
  } else {
    expect(conn.counters.fast, JSON.stringify(conn.counters)).toBeGreaterThan(0);
  }
  return { r, conn, mbPerS: Number(r.mbPerS) };
}

/** The side-by-side line of the 1%-loss figures: MB/s with SACK and without, each way. */
export function sackComparison(figures: { inSack: number; inPlain: number; outSack: number; outPlain: number }, sackMB: number, plainMB: number): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "?");
  return `1% loss each way, MB/s with SACK (${sackMB} MB) / without (${plainMB} MB): ` +
    `host → unikernel ${f(figures.inSack)} / ${f(figures.inPlain)}, unikernel → host ${f(figures.outSack)} / ${f(figures.outPlain)}`;
}

/**
 * `count` echo connections, one after another (`cmd` "seq", 100 bytes each)
 * or at once ("conc", 1,000 bytes each): all complete, and the fixture's
 * lines say each moved its bytes and closed cleanly.
 */
export async function echoConnections(env: TcpLinuxEnv, peer: Peer, cmd: "seq" | "conc", count: number, timeoutMs: number): Promise<ClientResult> {
  const size = cmd === "seq" ? 100 : 1000;
  const before = peer.connections().length;
  const r = await env.client(cmd, ECHO_PORT, count, timeoutMs);
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.failures).toEqual([]);
  expect(r.completed).toBe(count);
  const conns = (await peer.waitConnections(before + count)).slice(before).filter((c) => c.mode === "echo");
  expect(conns.length).toBe(count);
  expect(conns.filter((c) => c.outcome !== "ok" || c.bytesIn !== size || c.bytesOut !== size)).toEqual([]);
  return r;
}

/** `count` connections one after another, each reading the source's 1000 bytes to the server's FIN (the server holds TIME-WAIT). */
export async function serverClosesFirst(env: TcpLinuxEnv, peer: Peer, count: number, timeoutMs: number): Promise<ClientResult> {
  const before = peer.connections().length;
  const r = await env.client("seqrecv", SOURCE_PORT, count, timeoutMs);
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.failures).toEqual([]);
  expect(r.completed).toBe(count);
  expect(r.sizes).toEqual([1000]);
  const conns = (await peer.waitConnections(before + count)).slice(before).filter((c) => c.mode === "source");
  expect(conns.length).toBe(count);
  expect(conns.filter((c) => c.outcome !== "ok" || c.bytesOut !== 1000)).toEqual([]);
  return r;
}

/**
 * A SYN to a closed port is refused at once (an RST to the first SYN: Linux
 * retransmitted none; the time it took depends on the machine's load); a
 * half-closed client still gets the sink's answer.
 */
export async function refusedAndHalfClose(env: TcpLinuxEnv): Promise<void> {
  const synsBefore = env.tcpExt("TCPSynRetrans");
  const refused = await env.client("refused", 6000, undefined, 10_000);
  expect(refused.error).toBe("ECONNREFUSED");
  expect(env.tcpExt("TCPSynRetrans") - synsBefore, `refused after ${Number(refused.ms).toFixed(0)} ms`).toBe(0);
  const half = await env.client("halfclose", SINK_PORT, undefined, 10_000);
  expect(half.error, JSON.stringify(half)).toBeUndefined();
  expect(half.reply).toBe(half.expected);
}

/** A client's RST ends the server's connection ("reset by the peer") and the next one works; the server's abort reaches the client as ECONNRESET. */
export async function resets(env: TcpLinuxEnv, peer: Peer): Promise<void> {
  const before = peer.connections().length;
  const r = await env.client("reset", ECHO_PORT, undefined, 10_000);
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.echoed).toBe(1000);
  expect((r.after as { ok: boolean }).ok).toBe(true);
  const conn = await peer.waitFor((c) => c.remotePort === r.localPort, before);
  expect(conn, peer.out()).toBeDefined();
  expect(conn!.outcome).toBe("connection reset by the peer");
  const a = await env.client("aborted", ABORT_PORT, undefined, 10_000);
  expect(a.error).toBe("ECONNRESET");
}
