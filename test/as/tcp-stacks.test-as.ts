// lib/net TCP between two stacks on the in-memory link (net-link.ts): data
// both ways through loss, reordering and duplication with every byte
// checked; many connections in a row; a SYN flood; zero windows; total loss.
import { TwoStacks, FrameFilter, IP_A, IP_B, MAC_B, simNow, setSimNow } from "./net-link";
import { TcpRepr, TcpFlags, TcpPacket } from "atoll/net/wire/tcp";
import { Ipv4Packet, IpProtocol } from "atoll/net/wire/ipv4";
import { WireError } from "atoll/net/wire/error";
import { Rng } from "./net-util";
import { InterfaceConfig } from "atoll/net/iface/interface";
import { TcpSocket, TcpHandler, TcpState, TcpError, TcpConfig } from "atoll/net/socket/tcp";
import { TcpListener, TcpListenHandler } from "atoll/net/socket/tcp-listener";
import { seconds, ms } from "atoll/time";
import { StreamPeer, StreamAcceptor, fastConfig } from "./tcp-util";
import { AbiConsole } from "atoll/console";

const out = new AbiConsole();

function quiet(ip: u32): InterfaceConfig {
  const c = new InterfaceConfig();
  c.address = ip;
  c.announcements = 0;
  return c;
}

class Transfer {
  net: TwoStacks;
  acceptor: StreamAcceptor;
  client: StreamPeer;
  conn: TcpSocket;
  listener: TcpListener;
  constructor(bytes: i64, config: TcpConfig, latency: i64) {
    const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
    net.link.latency = latency;
    const acceptor = new StreamAcceptor(2, bytes, 1);
    const listener = new TcpListener(acceptor, config);
    const client = new StreamPeer(1, bytes, 2);
    const conn = new TcpSocket(client, config);
    this.net = net;
    this.acceptor = acceptor;
    this.listener = listener;
    this.client = client;
    this.conn = conn;
    net.b.sockets.add(listener);
    assert(listener.listen(5001) == TcpError.None);
    net.a.sockets.add(conn);
    assert(conn.connect(IP_B, 5001, simNow()) == TcpError.None);
  }

  /** Runs until both sides closed or `limit` of simulated time passed. */
  runUntilDone(limit: i64, step: i64 = seconds(1)): void {
    const end = simNow() + limit;
    while (simNow() < end) {
      this.net.run(step);
      if (this.client.closed && this.acceptor.peers.length == 1 && this.acceptor.peers[0].closed) return;
    }
  }

  check(bytes: i64): void {
    const c = this.client;
    assert(this.acceptor.peers.length == 1, "accepted " + this.acceptor.peers.length.toString());
    const s = this.acceptor.peers[0];
    assert(c.bad < 0, "client saw a wrong byte at " + c.bad.toString());
    assert(s.bad < 0, "server saw a wrong byte at " + s.bad.toString());
    assert(c.received == bytes, "client received " + c.received.toString() + " of " + bytes.toString());
    assert(s.received == bytes, "server received " + s.received.toString() + " of " + bytes.toString());
    assert(c.closed && s.closed, "both closed");
    assert(c.closeError == TcpError.None && s.closeError == TcpError.None, "graceful: " + c.closeError.toString() + " " + s.closeError.toString());
  }
}

/** `bytes` each way through `drop`, `dup`, `reorder` per mille; returns the simulated seconds it took. */
export function transfer(bytes: i64, drop: i32, dup: i32, reorder: i32, sack: bool = true): i64 {
  const cfg = fastConfig();
  cfg.sendBuffer = 128 * 1024;
  cfg.recvBuffer = 128 * 1024;
  cfg.sack = sack;
  const t = new Transfer(bytes, cfg, ms(2));
  t.net.link.dropPerMille = drop;
  t.net.link.duplicatePerMille = dup;
  t.net.link.reorderPerMille = reorder;
  t.net.link.reorderDelay = ms(3);
  const start = simNow();
  t.runUntilDone(seconds(3600), ms(10));
  const st = t.conn.stats;
  const ss = t.acceptor.conns.length > 0 ? t.acceptor.conns[0].stats : st;
  out.log("transfer " + bytes.toString() + " B each way, " + (sack ? "SACK" : "no SACK") + ", drop/dup/reorder " + drop.toString() + "/" + dup.toString() + "/" + reorder.toString() +
    " per mille: " + ((simNow() - start) / ms(1)).toString() + " ms simulated; frames " + t.net.link.delivered.toString() +
    " delivered, " + t.net.link.dropped.toString() + " dropped; client sent " + st.segmentsSent.toString() + " segs, " + st.retransmits.toString() +
    " retransmitted, " + st.fastRetransmits.toString() + " fast, " + st.timeouts.toString() + " timeouts; server " + ss.segmentsSent.toString() + "/" +
    ss.retransmits.toString() + "/" + ss.fastRetransmits.toString() + "/" + ss.timeouts.toString() + "; client " + t.client.received.toString() + " rx");
  t.check(bytes);
  // Both ends offered window scaling and timestamps, so both are in use.
  assert(t.conn.tsOk && t.conn.sndShift > 0 && t.conn.rcvShift > 0, "RFC 7323 options negotiated");
  assert(t.conn.sackOk == sack && t.acceptor.conns[0].sackOk == sack, "SACK negotiated as configured");
  return (simNow() - start) / seconds(1);
}

export function test_transfer_64k_each_way_clean_link(): void {
  transfer(64 * 1024, 0, 0, 0);
}

export function test_transfer_1mb_each_way_with_loss_reordering_and_duplication(): void {
  transfer(1024 * 1024, 20, 10, 20);
}

export function test_transfer_1mb_each_way_heavy_loss(): void {
  transfer(1024 * 1024, 80, 0, 0);
}

// NewReno, for peers that do not permit SACK.
export function test_transfer_1mb_each_way_with_loss_reordering_and_duplication_without_sack(): void {
  transfer(1024 * 1024, 20, 10, 20, false);
}

export function test_transfer_1mb_each_way_heavy_loss_without_sack(): void {
  transfer(1024 * 1024, 80, 0, 0, false);
}

export function bench_transfer_10mb_each_way_with_faults(): void {
  transfer(10 * 1024 * 1024, 10, 5, 10);
}

// --- connections without a listener, and many in a row ---------------------------

class Outcome extends TcpHandler {
  connected: bool = false;
  closed: bool = false;
  error: TcpError = TcpError.None;
  got: i32 = 0;
  onConnected(c: TcpSocket, now: i64): void { this.connected = true; }
  onReadable(c: TcpSocket, now: i64): void { this.got += c.readAll().length; }
  onPeerClosed(c: TcpSocket, now: i64): void { c.close(now); }
  onClosed(c: TcpSocket, error: TcpError, now: i64): void { this.closed = true; this.error = error; }
}

export function test_connect_to_closed_port_is_refused(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const o = new Outcome();
  const c = new TcpSocket(o, fastConfig());
  net.a.sockets.add(c);
  assert(c.connect(IP_B, 9999, simNow()) == TcpError.None);
  net.run(seconds(1));
  assert(o.closed && o.error == TcpError.Refused, "error " + o.error.toString());
  assert(net.b.stats.tcpResets == 1);
  assert(net.a.sockets.walkCount == 0, "the closed socket left its set");
}

/** Answers each connection with "ok" and closes; the client closes second. */
class OkServer extends TcpListenHandler {
  accepted: i32 = 0;
  onAccept(l: TcpListener, c: TcpSocket, now: i64): void {
    this.accepted++;
    c.handler = new OkConn();
  }
}
class OkConn extends TcpHandler {
  onReadable(c: TcpSocket, now: i64): void {
    c.readAll();
    c.write(Uint8Array.wrap(String.UTF8.encode("ok")));
    c.close(now);
  }
  onPeerClosed(c: TcpSocket, now: i64): void { c.close(now); }
}

export function test_many_sequential_connections_recycle_ports(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const cfg = fastConfig();
  const server = new OkServer();
  const l = new TcpListener(server, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  const N = 20000; // more than the 16384 ephemeral ports
  const req = Uint8Array.wrap(String.UTF8.encode("hi"));
  let firstPort: u16 = 0;
  let wrapped = false;
  for (let i = 0; i < N; i++) {
    const o = new Outcome();
    const c = new TcpSocket(o, cfg);
    net.a.sockets.add(c);
    assert(c.connect(IP_B, 80, simNow()) == TcpError.None, "connect " + i.toString());
    if (i == 0) firstPort = c.localPort;
    else if (c.localPort == firstPort) wrapped = true;
    c.write(req);
    net.run(ms(5));
    assert(o.got == 2 && o.closed && o.error == TcpError.None, "connection " + i.toString() + " got " + o.got.toString());
    net.run(ms(100));
  }
  assert(wrapped, "ports came round again");
  assert(server.accepted == N);
  net.run(seconds(10));
  // Everything ended: no connections left in either table, no sockets but the listener.
  assert(net.a.sockets.tcpConnectionCount == 0 && net.b.sockets.tcpConnectionCount == 0,
    "left: " + net.a.sockets.tcpConnectionCount.toString() + " " + net.b.sockets.tcpConnectionCount.toString());
  assert(net.a.sockets.walkCount == 0 && net.b.sockets.walkCount == 1);
}

export function test_concurrent_connections(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.link.latency = ms(1);
  net.link.dropPerMille = 10;
  const cfg = fastConfig();
  const acc = new StreamAcceptor(2, 20000, 1);
  const l = new TcpListener(acc, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  const clients: StreamPeer[] = [];
  for (let i = 0; i < 100; i++) {
    const p = new StreamPeer(1, 20000, 2);
    const c = new TcpSocket(p, cfg);
    net.a.sockets.add(c);
    assert(c.connect(IP_B, 80, simNow()) == TcpError.None);
    clients.push(p);
  }
  for (let t = 0; t < 120; t++) {
    net.run(seconds(1));
    let done = true;
    for (let i = 0; i < clients.length; i++) if (!clients[i].closed) done = false;
    if (done) break;
  }
  assert(acc.peers.length == 100, "accepted " + acc.peers.length.toString());
  for (let i = 0; i < 100; i++) {
    const c = clients[i];
    const s = acc.peers[i];
    assert(c.closed && c.received == 20000 && c.bad < 0 && c.closeError == TcpError.None, "client " + i.toString());
    assert(s.closed && s.received == 20000 && s.bad < 0, "server side " + i.toString());
  }
}

// --- the stack's limits (lib/net/stack-limits.ts) -------------------------------

export function test_time_wait_is_bounded_by_the_limit(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.b.sockets.limits.maxTimeWait = 10;
  const cfg = fastConfig();
  cfg.timeWait = seconds(60);
  const server = new OkServer();
  const l = new TcpListener(server, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  const req = Uint8Array.wrap(String.UTF8.encode("hi"));
  for (let i = 0; i < 200; i++) {
    const o = new Outcome();
    const c = new TcpSocket(o, cfg);
    net.a.sockets.add(c);
    assert(c.connect(IP_B, 80, simNow()) == TcpError.None);
    c.write(req);
    net.run(ms(50));
    assert(o.got == 2 && o.closed && o.error == TcpError.None, "connection " + i.toString());
    // The server closed first: its side waits in TIME-WAIT, at most 10 of them.
    assert(net.b.sockets.timeWaitCount <= 10, "time-wait " + net.b.sockets.timeWaitCount.toString());
  }
  assert(net.b.sockets.timeWaitCount == 10 && net.b.sockets.timeWaitOverflows == 190, "overflows " + net.b.sockets.timeWaitOverflows.toString());
  assert(net.b.sockets.tcpConnectionCount == 10, "only those ten in the table");
}

/** Holds every connection it accepts; sheds its oldest when asked, if allowed. */
class Holder extends TcpListenHandler {
  held: TcpSocket[] = [];
  canShed: bool = false;
  shedCount: i32 = 0;
  onAccept(l: TcpListener, c: TcpSocket, now: i64): void {
    c.handler = new Outcome();
    this.held.push(c);
  }
  shed(l: TcpListener, remote: u32, now: i64): bool {
    if (!this.canShed || this.held.length == 0) return false;
    this.held.shift().abort(now);
    this.shedCount++;
    return true;
  }
}

function limitedServer(net: TwoStacks, shed: bool): Holder {
  net.b.sockets.limits.maxConnections = 5;
  const h = new Holder();
  h.canShed = shed;
  const l = new TcpListener(h, fastConfig());
  net.b.sockets.add(l);
  l.listen(80);
  return h;
}

function clients(net: TwoStacks, n: i32): Outcome[] {
  const out: Outcome[] = [];
  for (let i = 0; i < n; i++) {
    const o = new Outcome();
    const c = new TcpSocket(o, fastConfig());
    net.a.sockets.add(c);
    assert(c.connect(IP_B, 80, simNow()) == TcpError.None);
    out.push(o);
    net.run(ms(20));
  }
  return out;
}

export function test_at_the_connection_limit_new_clients_wait(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const h = limitedServer(net, false);
  const cs = clients(net, 8);
  net.run(ms(200));
  let connected = 0;
  for (let i = 0; i < cs.length; i++) if (cs[i].connected) connected++;
  assert(connected == 5 && h.held.length == 5, "five in: " + connected.toString());
  assert(net.b.sockets.tcpTurnedAway >= 3, "turned away " + net.b.sockets.tcpTurnedAway.toString());
  assert(net.b.sockets.tcpConnectionCount == 5, "nothing kept for the others");
  // One held connection closes: a waiting client's next SYN gets in.
  h.held.shift().abort(simNow());
  net.run(seconds(5));
  connected = 0;
  for (let i = 0; i < cs.length; i++) if (cs[i].connected) connected++;
  assert(connected == 6 && h.held.length == 5, "one more in: " + connected.toString());
  // connect() on a full stack says why.
  net.a.sockets.limits.maxConnections = net.a.sockets.tcpActiveCount;
  const c = new TcpSocket(new Outcome(), fastConfig());
  net.a.sockets.add(c);
  assert(c.connect(IP_B, 80, simNow()) == TcpError.TooManyConnections);
}

export function test_at_the_connection_limit_the_application_sheds_its_oldest(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const h = limitedServer(net, true);
  const cs = clients(net, 8);
  net.run(ms(200));
  for (let i = 0; i < cs.length; i++) assert(cs[i].connected, "client " + i.toString() + " got in");
  assert(h.shedCount == 3 && h.held.length == 5);
  for (let i = 0; i < 3; i++) assert(cs[i].closed && cs[i].error == TcpError.Reset, "the three oldest were reset");
  for (let i = 3; i < 8; i++) assert(!cs[i].closed, "the newest five are open");
  assert(net.b.sockets.tcpTurnedAway == 0);
}

export function test_buffers_stay_within_the_budget_and_all_of_it_comes_back(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  net.link.latency = ms(1);
  net.link.dropPerMille = 5;
  const budgetB = net.b.sockets.limits.budget;
  budgetB.limit = 48 * 1024;
  const cfg = fastConfig();
  cfg.sendBuffer = 64 * 1024;
  cfg.recvBuffer = 64 * 1024;
  const acc = new StreamAcceptor(2, 200000, 1);
  const l = new TcpListener(acc, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  const ps: StreamPeer[] = [];
  for (let i = 0; i < 5; i++) {
    const p = new StreamPeer(1, 200000, 2);
    const c = new TcpSocket(p, cfg);
    net.a.sockets.add(c);
    c.connect(IP_B, 80, simNow());
    ps.push(p);
  }
  for (let t = 0; t < 300; t++) {
    net.run(seconds(1));
    let done = true;
    for (let i = 0; i < ps.length; i++) if (!ps[i].closed) done = false;
    if (done) break;
  }
  for (let i = 0; i < ps.length; i++) {
    assert(ps[i].closed && ps[i].received == 200000 && ps[i].bad < 0 && ps[i].closeError == TcpError.None, "client " + i.toString());
    assert(acc.peers[i].received == 200000 && acc.peers[i].bad < 0, "server " + i.toString());
  }
  // Over the limit only by the minimum each buffer is promised.
  assert(budgetB.peak <= budgetB.limit + 10 * 4096, "peak " + budgetB.peak.toString());
  assert(budgetB.refused > 0, "the budget did hold the buffers back");
  net.run(seconds(10));
  assert(budgetB.used == 0 && net.a.sockets.limits.budget.used == 0, "every byte given back: " + budgetB.used.toString() + ", " + net.a.sockets.limits.budget.used.toString());
}

// --- SYN flood ------------------------------------------------------------------

class DropFrom extends FrameFilter {
  constructor(public side: i32) { super(); }
  drop(from: i32, frame: Uint8Array): bool { return from == this.side; }
}

/**
 * B listens on port 80 with `backlog` (handing connections to `acc`), and A
 * sends it `count` SYNs from ports `firstPort` on, as spoofed ones look to
 * B: nobody answers the SYN-ACKs (B's frames are lost until the caller
 * clears net.link.filter). Returns the listener.
 */
function spoofedSyns(net: TwoStacks, cfg: TcpConfig, backlog: i32, acc: StreamAcceptor, count: i32, firstPort: i32): TcpListener {
  cfg.backlog = backlog;
  const l = new TcpListener(acc, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  net.a.arp.learn(IP_B, MAC_B, simNow(), true);
  net.link.filter = new DropFrom(1);
  for (let i = 0; i < count; i++) {
    const syn = TcpRepr.of(<u16>(firstPort + (i % 60000)), 80, <u32>i * 7919, 0, TcpFlags.SYN, 65535);
    net.a.sendTcp(IP_A, IP_B, syn, simNow());
    if (i % 100 == 0) net.run(ms(1));
  }
  net.run(ms(5));
  return l;
}

export function test_syn_flood_is_bounded_and_a_client_still_connects(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const cfg = fastConfig();
  const l = spoofedSyns(net, cfg, 16, new StreamAcceptor(2, 1000, 1), 20000, 1024);
  assert(l.pending <= 16, "pending " + l.pending.toString());
  const held = net.b.sockets.walkCount + net.b.sockets.parkedCount;
  assert(held <= 17, "sockets " + held.toString());
  assert(l.cookiesSent >= 20000 - 16, "the full backlog answered with cookies: " + l.cookiesSent.toString());
  assert(l.evicted == 0 && l.synDropped == 0, "nothing evicted or dropped");
  // The flood stops; a real client connects and moves data.
  net.link.filter = null;
  const p = new StreamPeer(1, 1000, 2);
  const c = new TcpSocket(p, cfg);
  net.a.sockets.add(c);
  c.connect(IP_B, 80, simNow());
  net.run(seconds(30));
  assert(p.closed && p.received == 1000 && p.closeError == TcpError.None, "client after the flood");
  // The half-open connections timed out.
  net.run(seconds(120));
  assert(l.pending == 0, "pending after the flood " + l.pending.toString());
}

/**
 * Fills B's backlog with half-open connections (their SYN-ACKs are lost),
 * then opens a real connection from A while it is still full: it must come
 * through a cookie, move data both ways and close cleanly.
 */
function cookieConnection(cfg: TcpConfig, clientCfg: TcpConfig): TcpSocket {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const acc = new StreamAcceptor(2, 50000, 1);
  const l = spoofedSyns(net, cfg, 8, acc, 100, 2000);
  net.link.filter = null;
  assert(l.pending == 8 && l.cookiesSent == 92, "backlog full: " + l.pending.toString() + ", cookies " + l.cookiesSent.toString());
  const p = new StreamPeer(1, 50000, 2);
  const c = new TcpSocket(p, clientCfg);
  net.a.sockets.add(c);
  c.connect(IP_B, 80, simNow());
  net.run(seconds(2));
  assert(l.cookiesAccepted == 1, "through a cookie: " + l.cookiesAccepted.toString());
  net.run(seconds(30));
  assert(p.closed && p.received == 50000 && p.bad < 0 && p.closeError == TcpError.None, "client: " + p.received.toString());
  assert(acc.peers.length == 1 && acc.peers[0].received == 50000 && acc.peers[0].bad < 0, "server");
  return acc.conns[0];
}

export function test_a_client_gets_in_through_a_syn_cookie_with_its_options(): void {
  const s = cookieConnection(fastConfig(), fastConfig());
  // The cookie brought back the window shift and SACK-permitted in the timestamp's low bits.
  assert(s.tsOk && s.sndShift > 0 && s.rcvShift > 0, "timestamps and window scaling: " + s.sndShift.toString());
  assert(s.sackOk, "SACK");
  assert(s.mss == 1460 - 12, "MSS 1460 from the table, less the timestamps: " + s.mss.toString());
}

export function test_a_cookie_connection_without_timestamps_runs_unscaled(): void {
  const cfg = fastConfig();
  const client = fastConfig();
  client.timestamps = false;
  const s = cookieConnection(cfg, client);
  assert(!s.tsOk && s.sndShift == 0 && s.rcvShift == 0 && !s.sackOk, "no options without timestamps to carry them");
  assert(s.mss == 1460, "MSS " + s.mss.toString());
}

export function test_a_forged_cookie_ack_is_reset(): void {
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const l = spoofedSyns(net, fastConfig(), 1, new StreamAcceptor(2, 1000, 1), 3, 3000);
  assert(l.cookiesSent == 2);
  net.link.filter = null;
  net.link.clearLog();
  // Guessed acknowledgement numbers: none is a cookie, each gets a reset and no connection.
  const rng = new Rng(9);
  for (let i = 0; i < 200; i++) {
    // Port 3001's SYN had sequence number 7919.
    net.a.sendTcp(IP_A, IP_B, TcpRepr.of(3001, 80, 7920, rng.next(), TcpFlags.ACK, 65535), simNow());
  }
  net.run(ms(5));
  assert(l.cookiesRejected == 200 && l.cookiesAccepted == 0, "rejected " + l.cookiesRejected.toString());
  assert(l.pending == 1 && net.b.sockets.tcpConnectionCount == 1, "only the half-open one");
}

// --- zero window ----------------------------------------------------------------

export function test_zero_window_probing_then_reopening(): void {
  const cfg = fastConfig();
  cfg.recvBuffer = 16 * 1024;
  const t = new Transfer(200 * 1024, cfg, ms(1));
  // The server does not read: the client fills the window, then probes.
  t.acceptor.startPaused = true;
  t.net.run(seconds(60));
  assert(t.acceptor.peers.length == 1);
  const server = t.acceptor.peers[0];
  const conn = t.acceptor.conns[0];
  assert(conn.readable == 16 * 1024, "server buffer full: " + conn.readable.toString());
  const probes = t.conn.stats.zeroWindowProbes;
  assert(probes >= 3 && probes <= 10, "probes with backoff: " + probes.toString());
  // The server's own stream has gone the other way meanwhile, so CLOSE-WAIT is fine too.
  assert(t.conn.state == TcpState.Established || t.conn.state == TcpState.CloseWait, "probing keeps the connection: state " + t.conn.state.toString() + " error " + t.client.closeError.toString() +
    " timeouts " + t.conn.stats.timeouts.toString() + " retransmits " + t.conn.stats.retransmits.toString());
  // Reading again reopens the window; the rest flows.
  server.paused = false;
  server.drain(conn);
  t.runUntilDone(seconds(600));
  t.check(200 * 1024);
}

// --- total loss -----------------------------------------------------------------

export function test_rto_backoff_under_total_loss_then_recovery(): void {
  const cfg = fastConfig();
  const t = new Transfer(2 * 1024 * 1024, cfg, ms(10));
  t.net.run(ms(200));
  assert(t.client.received > 0 && t.client.received < 2 * 1024 * 1024, "mid-transfer");
  // The wire goes dead for 40 s.
  t.net.link.dropPerMille = 1000;
  const before = t.conn.stats.timeouts;
  t.net.run(seconds(40));
  const timeouts = t.conn.stats.timeouts - before;
  // RTO doubles from ~200 ms: about 7 timeouts in 40 s, far fewer than 40 s / 200 ms.
  assert(timeouts >= 4 && timeouts <= 9, "timeouts during the outage: " + timeouts.toString());
  assert(t.conn.rtt.backoffs >= 4, "backed off: " + t.conn.rtt.backoffs.toString());
  assert(t.conn.cc.cwnd == <u32>t.conn.mss, "loss window");
  assert(t.conn.state == TcpState.Established);
  // The wire comes back: the next retransmission gets through and the transfer completes.
  t.net.link.dropPerMille = 0;
  t.runUntilDone(seconds(600));
  t.check(2 * 1024 * 1024);
  assert(t.conn.rtt.backoffs == 0);
}

export function test_total_loss_for_good_times_out(): void {
  const cfg = fastConfig();
  cfg.maxRetransmits = 6;
  const t = new Transfer(2 * 1024 * 1024, cfg, ms(10));
  t.net.run(ms(200));
  t.net.link.dropPerMille = 1000;
  t.net.run(seconds(600));
  assert(t.client.closed && t.client.closeError == TcpError.TimedOut, "client error " + t.client.closeError.toString());
}

// --- half-close -----------------------------------------------------------------

export function test_half_close_server_keeps_sending(): void {
  const cfg = fastConfig();
  const net = new TwoStacks(quiet(IP_A), quiet(IP_B));
  const acc = new StreamAcceptor(2, 300 * 1024, 1);
  const l = new TcpListener(acc, cfg);
  net.b.sockets.add(l);
  l.listen(80);
  // The client sends nothing and closes at once; the server sends 300 KB after the client's FIN.
  const p = new StreamPeer(1, 0, 2);
  const c = new TcpSocket(p, cfg);
  net.a.sockets.add(c);
  c.connect(IP_B, 80, simNow());
  net.run(seconds(60));
  assert(p.received == 300 * 1024 && p.bad < 0, "client received " + p.received.toString());
  assert(p.closed && acc.peers[0].closed);
}

// --- hostile input ---------------------------------------------------------------

export function test_mutated_real_frames_do_not_break_the_stacks(): void {
  // Record a session (handshake, data both ways, close), then feed both
  // stacks mutated copies of its frames with the IPv4 and TCP checksums
  // repaired, so the mutations reach the TCP state machines.
  const t = new Transfer(20000, fastConfig(), ms(1));
  t.runUntilDone(seconds(30));
  t.check(20000);
  const net = t.net;
  const seeds = net.link.sent.slice(0);
  assert(seeds.length > 20);
  // Live connections to aim at: a transfer in progress.
  const live = new Transfer(1 << 20, fastConfig(), ms(10));
  live.net.run(ms(10));
  const rng = new Rng(4711);
  for (let i = 0; i < 6000; i++) {
    const f = rng.mutate(seeds[rng.below(seeds.length)]);
    if (f.length >= 34 && f[12] == 0x08 && f[13] == 0x00) {
      const ip = new Ipv4Packet(f.subarray(14));
      if (ip.checkLen() == WireError.None) {
        ip.fillChecksum();
        const body = ip.payload();
        if (ip.protocol == IpProtocol.TCP && body.length >= 20 && rng.below(4) != 0) new TcpPacket(body).fillChecksum(ip.src, ip.dst);
      }
    }
    if (rng.below(2) == 0) live.net.a.receive(f, simNow());
    else live.net.b.receive(f, simNow());
    if (i % 100 == 0) live.net.run(ms(50));
  }
  live.net.run(seconds(200));
  const sa = live.net.a.stats;
  const sb = live.net.b.stats;
  assert(sa.rxMalformed + sb.rxMalformed > 0, "some frames were rejected");
  assert(sa.tcpResets + sb.tcpResets > 0, "some segments found no connection");
  // Both stacks still serve new connections.
  const acc = new StreamAcceptor(2, 5000, 1);
  const l = new TcpListener(acc, fastConfig());
  live.net.b.sockets.add(l);
  assert(l.listen(6000) == TcpError.None);
  const p = new StreamPeer(1, 5000, 2);
  const c = new TcpSocket(p, fastConfig());
  live.net.a.sockets.add(c);
  assert(c.connect(IP_B, 6000, simNow()) == TcpError.None);
  live.net.run(seconds(20));
  assert(p.closed && p.received == 5000 && p.bad < 0 && p.closeError == TcpError.None, "a new connection after the storm");
}
